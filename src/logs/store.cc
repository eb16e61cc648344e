#include "logs/store.h"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>

#include "common/log.h"

namespace lamina::logs {

namespace json = boost::json;

namespace {

constexpr std::string_view kIdKey = "c";
// Ids reserved (and persisted) at a time.
constexpr uint64_t kIdBlock = 1024;
constexpr uint64_t kSignBit = uint64_t{1} << 63;

void AppendBigEndian(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string GroupRegionPrefix(const std::string& account, const std::string& region) {
  std::string key = "g";
  key += account;
  key += '\0';
  key += region;
  key += '\0';
  return key;
}

std::string GroupKey(const std::string& account, const std::string& region, std::string_view name) {
  return GroupRegionPrefix(account, region) + std::string(name);
}

std::string StreamPrefix(uint64_t group_id) {
  std::string key = "s";
  AppendBigEndian(key, group_id);
  return key;
}

std::string StreamKey(uint64_t group_id, std::string_view name) {
  return StreamPrefix(group_id) + std::string(name);
}

std::string GroupEventsPrefix(uint64_t group_id) {
  std::string key = "e";
  AppendBigEndian(key, group_id);
  return key;
}

std::string StreamEventsPrefix(uint64_t group_id, uint64_t stream_id) {
  std::string key = GroupEventsPrefix(group_id);
  AppendBigEndian(key, stream_id);
  return key;
}

std::string PositionSuffix(StreamPosition position) {
  std::string key;
  AppendBigEndian(key, static_cast<uint64_t>(position.timestamp) ^ kSignBit);
  AppendBigEndian(key, position.sequence);
  return key;
}

StreamPosition PositionOf(std::string_view key) {
  std::string_view suffix = key.substr(key.size() - 16);
  return {static_cast<int64_t>(ReadBigEndian(suffix) ^ kSignBit), ReadBigEndian(suffix.substr(8))};
}

std::optional<int64_t> OptionalInt(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_int64()) return std::nullopt;
  return value->get_int64();
}

int64_t IntOr(const json::object& object, std::string_view name, int64_t fallback) {
  return OptionalInt(object, name).value_or(fallback);
}

std::string EncodeGroup(const LogGroup& group) {
  json::object tags;
  for (const auto& [key, value] : group.tags) tags[key] = value;
  json::object object{{"id", static_cast<int64_t>(group.id)},
                      {"created", group.creation_time},
                      {"class", group.log_group_class},
                      {"tags", std::move(tags)}};
  if (group.retention_days) object["retention"] = *group.retention_days;
  if (!group.kms_key_id.empty()) object["kms"] = group.kms_key_id;
  return json::serialize(object);
}

// The group stored under `key` ('g' account \0 region \0 name), or nullopt when corrupt.
std::optional<LogGroup> DecodeGroup(std::string_view key, std::string_view value) {
  size_t first = key.find('\0', 1);
  size_t second = first == std::string_view::npos ? first : key.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  boost::system::error_code error;
  json::value parsed = json::parse(value, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const json::object& object = parsed.get_object();
  LogGroup group;
  group.account = std::string(key.substr(1, first - 1));
  group.region = std::string(key.substr(first + 1, second - first - 1));
  group.name = std::string(key.substr(second + 1));
  group.id = static_cast<uint64_t>(IntOr(object, "id", 0));
  group.creation_time = IntOr(object, "created", 0);
  if (auto retention = OptionalInt(object, "retention"))
    group.retention_days = static_cast<int>(*retention);
  if (const json::value* kms = object.if_contains("kms"); kms && kms->is_string())
    group.kms_key_id = std::string(kms->get_string());
  if (const json::value* kind = object.if_contains("class"); kind && kind->is_string())
    group.log_group_class = std::string(kind->get_string());
  if (const json::value* tags = object.if_contains("tags"); tags && tags->is_object())
    for (const auto& [tag, tag_value] : tags->get_object())
      if (tag_value.is_string()) group.tags[std::string(tag)] = std::string(tag_value.get_string());
  return group;
}

std::string EncodeStream(const LogStream& stream) {
  json::object object{{"id", static_cast<int64_t>(stream.id)},
                      {"created", stream.creation_time},
                      {"bytes", stream.stored_bytes},
                      {"next", static_cast<int64_t>(stream.next_sequence)}};
  if (stream.first_event_timestamp) object["first"] = *stream.first_event_timestamp;
  if (stream.last_event_timestamp) object["last"] = *stream.last_event_timestamp;
  if (stream.last_ingestion_time) object["ingested"] = *stream.last_ingestion_time;
  return json::serialize(object);
}

std::optional<LogStream> DecodeStream(std::string_view name, std::string_view value) {
  boost::system::error_code error;
  json::value parsed = json::parse(value, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const json::object& object = parsed.get_object();
  LogStream stream;
  stream.name = std::string(name);
  stream.id = static_cast<uint64_t>(IntOr(object, "id", 0));
  stream.creation_time = IntOr(object, "created", 0);
  stream.stored_bytes = IntOr(object, "bytes", 0);
  stream.next_sequence = static_cast<uint64_t>(IntOr(object, "next", 0));
  stream.first_event_timestamp = OptionalInt(object, "first");
  stream.last_event_timestamp = OptionalInt(object, "last");
  stream.last_ingestion_time = OptionalInt(object, "ingested");
  return stream;
}

}  // namespace

EventCursor::EventCursor(std::unique_ptr<storage::Iterator> iterator, std::string prefix,
                         StreamPosition lower, StreamPosition upper)
    : iterator_(std::move(iterator)), prefix_(std::move(prefix)), lower_(lower), upper_(upper) {}

void EventCursor::Seek(StreamPosition position) {
  if (iterator_) iterator_->Seek(prefix_ + PositionSuffix(std::max(position, lower_)));
}

void EventCursor::SeekBefore(StreamPosition position) {
  if (!iterator_) return;
  StreamPosition bound = std::min(position, upper_);
  if (bound == kBeforeAllEvents) {
    // Nothing comes before the first position: leave the cursor past the lower bound.
    iterator_->SeekForPrev(prefix_);
    return;
  }
  iterator_->SeekForPrev(prefix_ + PositionSuffix(Predecessor(bound)));
}

bool EventCursor::Valid() const {
  if (!iterator_ || !iterator_->Valid()) return false;
  std::string_view key = iterator_->key();
  if (key.size() != prefix_.size() + 16 || key.substr(0, prefix_.size()) != prefix_) return false;
  StreamPosition position = PositionOf(key);
  return position >= lower_ && position < upper_;
}

void EventCursor::Next() { iterator_->Next(); }
void EventCursor::Prev() { iterator_->Prev(); }
StreamPosition EventCursor::position() const { return PositionOf(iterator_->key()); }

int64_t EventCursor::ingestion_time() const {
  std::string_view value = iterator_->value();
  return value.size() < 8 ? 0 : static_cast<int64_t>(ReadBigEndian(value));
}

std::string_view EventCursor::message() const {
  std::string_view value = iterator_->value();
  return value.size() < 8 ? std::string_view() : value.substr(8);
}

Status EventCursor::status() const { return iterator_ ? iterator_->status() : Status::Ok(); }

LogStore::LogStore(storage::Engine& engine) : engine_(engine) {}

storage::Keyspace* LogStore::Space(bool create) const {
  storage::Keyspace* space = space_.load();
  if (space != nullptr) return space;
  space = create ? engine_.GetKeyspace(kKeyspace) : engine_.FindKeyspace(kKeyspace);
  if (space != nullptr) space_.store(space);
  return space;
}

Status LogStore::Load() {
  std::lock_guard lock(id_mutex_);
  next_id_ = reserved_ = 1;
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return Status::Ok();
  std::string value;
  Status status = engine_.Get(space, kIdKey, &value);
  if (status.IsNotFound()) return Status::Ok();
  if (!status.ok()) return status;
  if (value.size() != 8) return Status::Corruption("logs: the id reservation is corrupt");
  next_id_ = reserved_ = ReadBigEndian(value);
  return Status::Ok();
}

void LogStore::Reset() {
  std::lock_guard lock(id_mutex_);
  next_id_ = reserved_ = 1;
}

Expected<uint64_t, Status> LogStore::NewId() {
  std::lock_guard lock(id_mutex_);
  if (next_id_ >= reserved_) {
    storage::Keyspace* space = Space(true);
    if (space == nullptr) return Unexpected(Status::IoError("logs: cannot create the keyspace"));
    std::string value;
    AppendBigEndian(value, next_id_ + kIdBlock);
    if (Status status = engine_.Put(space, kIdKey, value); !status.ok()) return Unexpected(status);
    reserved_ = next_id_ + kIdBlock;
  }
  return next_id_++;
}

Expected<std::optional<LogGroup>, Status> LogStore::FindGroup(const std::string& account,
                                                              const std::string& region,
                                                              std::string_view name) const {
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return std::optional<LogGroup>();
  std::string key = GroupKey(account, region, name);
  std::string value;
  Status status = engine_.Get(space, key, &value);
  if (status.IsNotFound()) return std::optional<LogGroup>();
  if (!status.ok()) return Unexpected(status);
  auto group = DecodeGroup(key, value);
  if (!group) return Unexpected(Status::Corruption("logs: a stored log group is corrupt"));
  return group;
}

std::vector<LogGroup> LogStore::ListGroups(const std::string& account, const std::string& region,
                                           std::string_view prefix, std::string_view after,
                                           size_t limit,
                                           const std::function<bool(const LogGroup&)>& keep,
                                           bool* more) const {
  *more = false;
  std::vector<LogGroup> groups;
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return groups;
  std::string region_prefix = GroupRegionPrefix(account, region);
  std::string name_prefix = region_prefix + std::string(prefix);
  std::string end = region_prefix;
  end.back() = '\1';
  auto iterator = engine_.NewIterator(space, end);
  std::string start = name_prefix;
  if (!after.empty() && std::string(after) >= std::string(prefix))
    start = region_prefix + std::string(after);
  for (iterator->Seek(start); iterator->Valid(); iterator->Next()) {
    std::string_view key = iterator->key();
    if (key.substr(0, name_prefix.size()) != name_prefix) break;
    if (!after.empty() && key.substr(region_prefix.size()) <= after) continue;
    auto group = DecodeGroup(key, iterator->value());
    if (!group) {
      LogWarn("logs: skipping a corrupt log group record");
      continue;
    }
    if (keep && !keep(*group)) continue;
    if (groups.size() == limit) {
      *more = true;
      break;
    }
    groups.push_back(std::move(*group));
  }
  return groups;
}

std::vector<LogGroup> LogStore::AllGroups() const {
  std::vector<LogGroup> groups;
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return groups;
  auto iterator = engine_.NewIterator(space, "h");
  for (iterator->Seek("g"); iterator->Valid(); iterator->Next())
    if (auto group = DecodeGroup(iterator->key(), iterator->value()))
      groups.push_back(std::move(*group));
  return groups;
}

Status LogStore::PutGroup(const LogGroup& group) {
  storage::Keyspace* space = Space(true);
  if (space == nullptr) return Status::IoError("logs: cannot create the keyspace");
  return engine_.Put(space, GroupKey(group.account, group.region, group.name), EncodeGroup(group));
}

Status LogStore::DeleteGroup(const LogGroup& group) {
  storage::Keyspace* space = Space(true);
  if (space == nullptr) return Status::IoError("logs: cannot create the keyspace");
  storage::WriteBatch batch;
  batch.Delete(space, GroupKey(group.account, group.region, group.name));
  batch.DeleteRange(space, StreamPrefix(group.id), StreamPrefix(group.id + 1));
  batch.DeleteRange(space, GroupEventsPrefix(group.id), GroupEventsPrefix(group.id + 1));
  return engine_.Write(batch);
}

Expected<std::optional<LogStream>, Status> LogStore::FindStream(uint64_t group_id,
                                                                std::string_view name) const {
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return std::optional<LogStream>();
  std::string value;
  Status status = engine_.Get(space, StreamKey(group_id, name), &value);
  if (status.IsNotFound()) return std::optional<LogStream>();
  if (!status.ok()) return Unexpected(status);
  auto stream = DecodeStream(name, value);
  if (!stream) return Unexpected(Status::Corruption("logs: a stored log stream is corrupt"));
  return stream;
}

std::vector<LogStream> LogStore::ListStreams(uint64_t group_id, std::string_view prefix) const {
  std::vector<LogStream> streams;
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return streams;
  std::string group_prefix = StreamPrefix(group_id);
  std::string start = group_prefix + std::string(prefix);
  auto iterator = engine_.NewIterator(space, StreamPrefix(group_id + 1));
  for (iterator->Seek(start); iterator->Valid(); iterator->Next()) {
    std::string_view key = iterator->key();
    if (key.substr(0, start.size()) != start) break;
    if (auto stream = DecodeStream(key.substr(group_prefix.size()), iterator->value()))
      streams.push_back(std::move(*stream));
  }
  return streams;
}

Status LogStore::PutStream(uint64_t group_id, const LogStream& stream) {
  storage::Keyspace* space = Space(true);
  if (space == nullptr) return Status::IoError("logs: cannot create the keyspace");
  return engine_.Put(space, StreamKey(group_id, stream.name), EncodeStream(stream));
}

Status LogStore::DeleteStream(uint64_t group_id, const LogStream& stream) {
  storage::Keyspace* space = Space(true);
  if (space == nullptr) return Status::IoError("logs: cannot create the keyspace");
  storage::WriteBatch batch;
  batch.Delete(space, StreamKey(group_id, stream.name));
  batch.DeleteRange(space, StreamEventsPrefix(group_id, stream.id),
                    StreamEventsPrefix(group_id, stream.id + 1));
  return engine_.Write(batch);
}

int64_t LogStore::StoredBytes(uint64_t group_id) const {
  int64_t total = 0;
  for (const LogStream& stream : ListStreams(group_id, {})) total += stream.stored_bytes;
  return total;
}

Status LogStore::AppendEvents(uint64_t group_id, const LogStream& stream,
                              const std::vector<NewEvent>& events) {
  storage::Keyspace* space = Space(true);
  if (space == nullptr) return Status::IoError("logs: cannot create the keyspace");
  storage::WriteBatch batch;
  std::string prefix = StreamEventsPrefix(group_id, stream.id);
  std::string value;
  for (const NewEvent& event : events) {
    value.clear();
    AppendBigEndian(value, static_cast<uint64_t>(event.ingestion_time));
    value += event.message;
    batch.Put(space, prefix + PositionSuffix(event.position), value);
  }
  batch.Put(space, StreamKey(group_id, stream.name), EncodeStream(stream));
  return engine_.Write(batch);
}

EventCursor LogStore::Events(uint64_t group_id, uint64_t stream_id, StreamPosition lower,
                             StreamPosition upper) const {
  std::string prefix = StreamEventsPrefix(group_id, stream_id);
  storage::Keyspace* space = Space(false);
  if (space == nullptr) return EventCursor(nullptr, std::move(prefix), lower, upper);
  return EventCursor(engine_.NewIterator(space, StreamEventsPrefix(group_id, stream_id + 1)),
                     std::move(prefix), lower, upper);
}

Expected<size_t, Status> LogStore::DeleteEventsBefore(uint64_t group_id, LogStream& stream,
                                                      int64_t cutoff, size_t max_events) {
  EventCursor cursor = Events(group_id, stream.id, kBeforeAllEvents, {cutoff, 0});
  size_t count = 0;
  int64_t bytes = 0;
  StreamPosition last = kBeforeAllEvents;
  for (cursor.Seek(kBeforeAllEvents); cursor.Valid() && count < max_events; cursor.Next()) {
    ++count;
    bytes += static_cast<int64_t>(cursor.message().size()) + kEventOverheadBytes;
    last = cursor.position();
  }
  if (Status status = cursor.status(); !status.ok()) return Unexpected(status);
  if (count == 0) return size_t{0};
  storage::Keyspace* space = Space(true);
  if (space == nullptr) return Unexpected(Status::IoError("logs: cannot create the keyspace"));
  std::string prefix = StreamEventsPrefix(group_id, stream.id);
  stream.stored_bytes = std::max<int64_t>(0, stream.stored_bytes - bytes);
  // The first event left, if any, is the stream's first event now.
  EventCursor rest =
      Events(group_id, stream.id, Successor(last), {std::numeric_limits<int64_t>::max(), 0});
  rest.Seek(Successor(last));
  if (rest.Valid())
    stream.first_event_timestamp = rest.position().timestamp;
  else
    stream.first_event_timestamp.reset();
  if (Status status = rest.status(); !status.ok()) return Unexpected(status);
  storage::WriteBatch batch;
  batch.DeleteRange(space, prefix, prefix + PositionSuffix(Successor(last)));
  batch.Put(space, StreamKey(group_id, stream.name), EncodeStream(stream));
  if (Status status = engine_.Write(batch); !status.ok()) return Unexpected(status);
  return count;
}

}  // namespace lamina::logs
