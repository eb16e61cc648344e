#include "lambda/layers/layer_store.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "common/hashing.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "lambda/errors.h"

namespace lamina::lambda::layers {

namespace {

using json_fields::FromArray;
using json_fields::StringOf;
using json_fields::ToArray;

constexpr char kSeparator = '\0';
constexpr const char* kSigningKeyKey = "k";

std::string LayerPrefix(char kind, const std::string& account, const std::string& region) {
  std::string key(1, kind);
  key += account;
  key += kSeparator;
  key += region;
  key += kSeparator;
  return key;
}

std::string CounterKey(const LayerId& layer) {
  return LayerPrefix('n', layer.account, layer.region) + layer.name;
}

std::string VersionPrefix(const LayerId& layer) {
  return LayerPrefix('v', layer.account, layer.region) + layer.name + kSeparator;
}

std::string VersionKey(const LayerId& layer, int64_t version) {
  char digits[24];
  std::snprintf(digits, sizeof(digits), "%020lld", static_cast<long long>(version));
  return VersionPrefix(layer) + digits;
}

std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

std::string Serialize(const LayerVersion& version) {
  json::object record;
  record["description"] = version.description;
  if (version.license_info) record["license"] = *version.license_info;
  record["runtimes"] = ToArray(version.runtimes);
  record["architectures"] = ToArray(version.architectures);
  record["created"] = version.created_date;
  record["blob"] = version.blob_id;
  record["size"] = version.code_size;
  record["unzipped"] = version.unzipped_size;
  record["revision"] = version.revision_id;
  json::array statements;
  for (const Statement& statement : version.statements)
    statements.push_back(json::object{{"sid", statement.sid},
                                      {"action", statement.action},
                                      {"principal", statement.principal},
                                      {"org", statement.organization_id}});
  record["statements"] = std::move(statements);
  return json::serialize(record);
}

std::optional<LayerVersion> Deserialize(const LayerId& layer, int64_t number,
                                        std::string_view text) {
  boost::system::error_code error;
  json::value parsed = json::parse(text, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const json::object& record = parsed.get_object();
  LayerVersion version;
  version.layer = layer;
  version.version = number;
  version.description = StringOf(record, "description");
  if (record.contains("license")) version.license_info = StringOf(record, "license");
  version.runtimes = FromArray(record.if_contains("runtimes"));
  version.architectures = FromArray(record.if_contains("architectures"));
  version.created_date = StringOf(record, "created");
  version.blob_id = StringOf(record, "blob");
  if (const json::value* size = record.if_contains("size"); size && size->is_number())
    version.code_size = size->to_number<uint64_t>();
  if (const json::value* size = record.if_contains("unzipped"); size && size->is_number())
    version.unzipped_size = size->to_number<uint64_t>();
  version.revision_id = StringOf(record, "revision");
  if (const json::value* statements = record.if_contains("statements");
      statements && statements->is_array()) {
    for (const auto& element : statements->get_array()) {
      if (!element.is_object()) continue;
      const json::object& object = element.get_object();
      version.statements.push_back(Statement{StringOf(object, "sid"), StringOf(object, "action"),
                                             StringOf(object, "principal"),
                                             StringOf(object, "org")});
    }
  }
  return version;
}

// Splits a version key "v·account·region·name·version" back into its parts.
std::optional<std::pair<LayerId, int64_t>> ParseVersionKey(std::string_view key) {
  if (key.empty() || key[0] != 'v') return std::nullopt;
  key.remove_prefix(1);
  std::string_view parts[4];
  for (int i = 0; i < 3; ++i) {
    size_t end = key.find(kSeparator);
    if (end == std::string_view::npos) return std::nullopt;
    parts[i] = key.substr(0, end);
    key.remove_prefix(end + 1);
  }
  parts[3] = key;
  int64_t number = 0;
  auto [end, error] = std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), number);
  if (error != std::errc() || end != parts[3].data() + parts[3].size()) return std::nullopt;
  return std::make_pair(
      LayerId{std::string(parts[0]), std::string(parts[1]), std::string(parts[2])}, number);
}

}  // namespace

std::string LayerId::Arn() const {
  return "arn:aws:lambda:" + region + ":" + account + ":layer:" + name;
}

std::string LayerId::VersionArn(int64_t version) const {
  return Arn() + ":" + std::to_string(version);
}

json::object Statement::ToPolicyJson(const std::string& resource) const {
  json::object statement;
  statement["Sid"] = sid;
  statement["Effect"] = "Allow";
  if (principal == "*")
    statement["Principal"] = "*";
  else
    statement["Principal"] = json::object{{"AWS", "arn:aws:iam::" + principal + ":root"}};
  statement["Action"] = action;
  statement["Resource"] = resource;
  if (!organization_id.empty())
    statement["Condition"] =
        json::object{{"StringEquals", json::object{{"aws:PrincipalOrgID", organization_id}}}};
  return statement;
}

bool Statement::Allows(const std::string& account, const std::string& wanted_action) const {
  if (action != wanted_action || !organization_id.empty()) return false;
  return principal == "*" || principal == account;
}

std::string LayerVersion::PolicyDocument() const {
  if (statements.empty()) return "";
  json::array list;
  for (const Statement& statement : statements) list.push_back(statement.ToPolicyJson(Arn()));
  return json::serialize(
      json::object{{"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", std::move(list)}});
}

bool LayerVersion::Allows(const std::string& account, const std::string& action) const {
  if (account == layer.account) return true;
  for (const Statement& statement : statements)
    if (statement.Allows(account, action)) return true;
  return false;
}

LayerStore::LayerStore(storage::Engine& engine, storage::BlobRefs& refs)
    : engine_(engine), refs_(refs) {}

storage::Keyspace* LayerStore::Space(bool create) const {
  return create ? engine_.GetKeyspace(kKeyspace) : engine_.FindKeyspace(kKeyspace);
}

const std::string& LayerStore::SigningKey() const {
  std::call_once(signing_key_once_, [this] {
    std::string stored;
    storage::Keyspace* space = Space(false);
    if (space != nullptr && engine_.Get(space, kSigningKeyKey, &stored).ok() &&
        stored.size() == 64) {
      signing_key_ = stored;
      return;
    }
    signing_key_ = RandomHex(64);
    if (storage::Keyspace* created = Space(true))
      engine_.Put(created, kSigningKeyKey, signing_key_).IgnoreError();
  });
  return signing_key_;
}

void LayerStore::Reset() {
  // The key stays the same (URLs already handed out stay valid); its stored copy is rewritten.
  const std::string& key = SigningKey();
  if (storage::Keyspace* space = Space(true)) engine_.Put(space, kSigningKeyKey, key).IgnoreError();
}

Expected<LayerVersion, AwsError> LayerStore::Publish(LayerVersion draft, std::string_view zip) {
  storage::Keyspace* space = Space(true);
  if (space == nullptr) return Unexpected(errors::Service("layer storage is unavailable"));
  // Store the bytes before taking the lock: that is the slow part, and it is idempotent.
  auto blob = refs_.Store(zip);
  if (!blob) return Unexpected(errors::Service("cannot store the layer archive"));

  std::lock_guard lock(write_mutex_);
  std::string counter;
  int64_t next = 1;
  if (engine_.Get(space, CounterKey(draft.layer), &counter).ok())
    std::from_chars(counter.data(), counter.data() + counter.size(), next);
  draft.version = next;
  draft.blob_id = *blob;
  draft.code_size = zip.size();
  storage::WriteBatch batch;
  batch.Put(space, CounterKey(draft.layer), std::to_string(next + 1));
  batch.Put(space, VersionKey(draft.layer, next), Serialize(draft));
  if (Status status = refs_.AddAndCommit(*blob, zip, batch); !status.ok())
    return Unexpected(errors::Service("cannot store the layer version: " + status.message()));
  return draft;
}

std::optional<LayerVersion> LayerStore::Get(const LayerId& layer, int64_t version) const {
  std::string text;
  storage::Keyspace* space = Space(false);
  if (space == nullptr || !engine_.Get(space, VersionKey(layer, version), &text).ok())
    return std::nullopt;
  return Deserialize(layer, version, text);
}

std::vector<LayerVersion> LayerStore::VersionsUnder(const std::string& prefix) const {
  std::vector<LayerVersion> versions;
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return versions;
  auto iterator = engine_.NewIterator(space, PrefixEnd(prefix));
  for (iterator->Seek(prefix); iterator->Valid(); iterator->Next()) {
    auto parsed = ParseVersionKey(iterator->key());
    if (!parsed) continue;
    if (auto version = Deserialize(parsed->first, parsed->second, iterator->value()))
      versions.push_back(std::move(*version));
  }
  return versions;
}

std::vector<LayerVersion> LayerStore::Versions(const LayerId& layer) const {
  std::vector<LayerVersion> versions = VersionsUnder(VersionPrefix(layer));
  std::reverse(versions.begin(), versions.end());
  return versions;
}

std::vector<LayerVersion> LayerStore::AllVersions(const std::string& account,
                                                  const std::string& region) const {
  return VersionsUnder(LayerPrefix('v', account, region));
}

Expected<void, AwsError> LayerStore::Delete(const LayerId& layer, int64_t version) {
  std::lock_guard lock(write_mutex_);
  auto found = Get(layer, version);
  if (!found) return {};
  storage::WriteBatch batch;
  batch.Delete(Space(true), VersionKey(layer, version));
  if (Status status = refs_.ReleaseAndCommit({found->blob_id}, batch); !status.ok())
    return Unexpected(errors::Service("cannot delete the layer version: " + status.message()));
  return {};
}

Expected<LayerVersion, AwsError> LayerStore::Modify(
    const LayerId& layer, int64_t version,
    const std::function<Expected<void, AwsError>(LayerVersion&)>& change) {
  std::lock_guard lock(write_mutex_);
  auto found = Get(layer, version);
  if (!found) return Unexpected(errors::LayerVersionNotFound(layer.VersionArn(version)));
  if (auto changed = change(*found); !changed) return Unexpected(changed.error());
  if (Status status = engine_.Put(Space(true), VersionKey(layer, version), Serialize(*found));
      !status.ok())
    return Unexpected(errors::Service("cannot store the layer policy: " + status.message()));
  return *found;
}

}  // namespace lamina::lambda::layers
