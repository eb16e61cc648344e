#include "lambda/functions/function_store.h"

#include <charconv>
#include <cstdio>

#include "lambda/errors.h"

namespace lamina::lambda::functions {

namespace {

constexpr char kSeparator = '\0';

std::string AccountPrefix(const std::string& account, const std::string& region) {
  std::string key(1, 'F');
  key += account;
  key += kSeparator;
  key += region;
  key += kSeparator;
  return key;
}

std::string FunctionPrefix(const FunctionId& id) {
  return AccountPrefix(id.account, id.region) + id.name + kSeparator;
}

std::string VersionSuffix(int64_t version) {
  char digits[24];
  std::snprintf(digits, sizeof(digits), "v%020lld", static_cast<long long>(version));
  return digits;
}

std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// Adds the record under `suffix` (what follows the function's prefix) to `state`.
void AddRecord(FunctionState& state, std::string_view suffix, std::string_view value) {
  if (suffix == "s") {
    if (auto settings = ParseSettings(value)) {
      state.settings = std::move(*settings);
      state.exists = true;
    }
    return;
  }
  if (suffix.size() > 1 && suffix[0] == 'v') {
    int64_t number = 0;
    std::string_view digits = suffix.substr(1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (error != std::errc() || end != digits.data() + digits.size()) return;
    FunctionVersion identity;
    identity.account = state.id.account;
    identity.region = state.id.region;
    identity.name = state.id.name;
    identity.version = number;
    if (auto version = ParseVersion(value, std::move(identity)))
      state.versions.emplace(number, std::move(*version));
    return;
  }
  if (suffix.size() > 1 && suffix[0] == 'a') {
    std::string name(suffix.substr(1));
    if (auto alias = ParseAlias(value, name)) state.aliases.emplace(name, std::move(*alias));
  }
}

// Every record of `state`, by key suffix; none when it does not exist.
std::map<std::string, std::string> Records(const FunctionState& state) {
  std::map<std::string, std::string> records;
  if (!state.exists) return records;
  records["s"] = SerializeSettings(state.settings);
  for (const auto& [number, version] : state.versions)
    records[VersionSuffix(number)] = SerializeVersion(version);
  for (const auto& [name, alias] : state.aliases) records["a" + name] = SerializeAlias(alias);
  return records;
}

std::map<std::string, int64_t> CountIds(const std::vector<std::string>& ids) {
  std::map<std::string, int64_t> counts;
  for (const auto& id : ids) ++counts[id];
  return counts;
}

}  // namespace

std::string FunctionId::Arn(std::string_view qualifier) const {
  return qualifier.empty() ? Arn() : Arn() + ":" + std::string(qualifier);
}

FunctionVersion* FunctionState::Latest() { return Version(kLatestNumber); }
const FunctionVersion* FunctionState::Latest() const { return Version(kLatestNumber); }

FunctionVersion* FunctionState::Version(int64_t number) {
  auto found = versions.find(number);
  return found == versions.end() ? nullptr : &found->second;
}

const FunctionVersion* FunctionState::Version(int64_t number) const {
  auto found = versions.find(number);
  return found == versions.end() ? nullptr : &found->second;
}

Alias* FunctionState::FindAlias(std::string_view name) {
  auto found = aliases.find(std::string(name));
  return found == aliases.end() ? nullptr : &found->second;
}

const Alias* FunctionState::FindAlias(std::string_view name) const {
  auto found = aliases.find(std::string(name));
  return found == aliases.end() ? nullptr : &found->second;
}

const FunctionVersion* FunctionState::NewestPublished() const {
  if (versions.empty() || versions.rbegin()->first == kLatestNumber) return nullptr;
  return &versions.rbegin()->second;
}

std::vector<std::string> FunctionState::BlobIds() const {
  std::vector<std::string> ids;
  if (!exists) return ids;
  for (const auto& [number, version] : versions)
    for (std::string& id : version.BlobIds()) ids.push_back(std::move(id));
  return ids;
}

FunctionStore::FunctionStore(storage::Engine& engine, storage::BlobRefs& refs)
    : engine_(engine), refs_(refs) {}

storage::Keyspace* FunctionStore::Space(bool create) const {
  return create ? engine_.GetKeyspace(kKeyspace) : engine_.FindKeyspace(kKeyspace);
}

std::mutex& FunctionStore::StripeOf(const FunctionId& id) {
  std::string key = FunctionPrefix(id);
  return stripes_[std::hash<std::string>()(key) % kStripes];
}

FunctionState FunctionStore::Load(const FunctionId& id) const {
  FunctionState state;
  state.id = id;
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return state;
  std::string prefix = FunctionPrefix(id);
  auto iterator = engine_.NewIterator(space, PrefixEnd(prefix));
  for (iterator->Seek(prefix); iterator->Valid(); iterator->Next()) {
    std::string_view key = iterator->key();
    if (key.substr(0, prefix.size()) != prefix) break;
    AddRecord(state, key.substr(prefix.size()), iterator->value());
  }
  if (!state.exists) {
    state.versions.clear();
    state.aliases.clear();
  }
  return state;
}

void FunctionStore::ForEach(const std::string& account, const std::string& region,
                            const std::string& from,
                            const std::function<bool(FunctionState&)>& visit) const {
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return;
  std::string prefix = AccountPrefix(account, region);
  auto iterator = engine_.NewIterator(space, PrefixEnd(prefix));
  iterator->Seek(prefix + from);
  FunctionState current;
  auto flush = [&]() -> bool {
    if (current.id.name.empty() || !current.exists) return true;
    return visit(current);
  };
  for (; iterator->Valid(); iterator->Next()) {
    std::string_view key = iterator->key();
    if (key.substr(0, prefix.size()) != prefix) break;
    std::string_view rest = key.substr(prefix.size());
    size_t end = rest.find(kSeparator);
    if (end == std::string_view::npos) continue;
    std::string_view name = rest.substr(0, end);
    if (name != current.id.name) {
      if (!flush()) return;
      current = FunctionState();
      current.id = FunctionId{account, region, std::string(name)};
    }
    AddRecord(current, rest.substr(end + 1), iterator->value());
  }
  flush();
}

Expected<std::string, AwsError> FunctionStore::StoreCode(std::string_view zip) {
  auto stored = refs_.Store(zip);
  if (!stored) return Unexpected(errors::Service("cannot store the function code"));
  return std::move(*stored);
}

Expected<FunctionState, AwsError> FunctionStore::Modify(const FunctionId& id, const Change& change,
                                                        const std::optional<StagedCode>& code) {
  std::lock_guard lock(StripeOf(id));
  FunctionState before = Load(id);
  FunctionState after = before;
  if (auto changed = change(after); !changed) return Unexpected(changed.error());
  if (!after.exists) {
    after.versions.clear();
    after.aliases.clear();
  }

  storage::Keyspace* space = Space(true);
  if (space == nullptr) return Unexpected(errors::Service("function storage is unavailable"));
  std::string prefix = FunctionPrefix(id);
  auto old_records = Records(before);
  auto new_records = Records(after);
  storage::WriteBatch batch;
  for (const auto& [suffix, value] : old_records)
    if (!new_records.count(suffix)) batch.Delete(space, prefix + suffix);
  for (const auto& [suffix, value] : new_records) {
    auto old = old_records.find(suffix);
    if (old == old_records.end() || old->second != value) batch.Put(space, prefix + suffix, value);
  }

  std::vector<std::string> added, released;
  auto old_counts = CountIds(before.BlobIds());
  auto new_counts = CountIds(after.BlobIds());
  for (const auto& [blob, count] : new_counts) {
    int64_t had = old_counts.count(blob) ? old_counts[blob] : 0;
    for (int64_t i = had; i < count; ++i) added.push_back(blob);
  }
  for (const auto& [blob, count] : old_counts) {
    int64_t has = new_counts.count(blob) ? new_counts[blob] : 0;
    for (int64_t i = has; i < count; ++i) released.push_back(blob);
  }
  if (batch.Count() == 0 && added.empty() && released.empty()) return after;

  Status status = refs_.Commit(batch, {}, added, released);
  // A concurrent release removed the staged code since it was stored (Commit wrote nothing):
  // store it again and commit once more.
  if (status.IsNotFound() && code) {
    if (!refs_.Store(code->data)) return Unexpected(errors::Service("cannot store the code"));
    status = refs_.Commit(batch, {}, added, released);
  }
  if (status.IsNotFound())
    return Unexpected(errors::InvalidParameterValue(
        "A layer version this function uses was deleted meanwhile. Please try again."));
  if (!status.ok())
    return Unexpected(errors::Service("cannot store the function: " + status.message()));
  return after;
}

}  // namespace lamina::lambda::functions
