#pragma once

// CloudWatch Logs' storage: log groups, log streams and their events in one keyspace ("logs"),
// created on the first write so a lamina that never logs does not pay for it at every start.
// Layout (integers big-endian, so keys sort numerically):
//   'c'                                            the id reservation (ids below it may be in use)
//   'g' account \0 region \0 name                  a log group (JSON)
//   's' group_id name                              a log stream (JSON)
//   'e' group_id stream_id timestamp' sequence     an event: ingestion time (8 bytes), message
// timestamp' is the timestamp with its sign bit flipped, so a stream reads in time order and a
// group's streams merge by timestamp. Group and stream ids come from one counter and are never
// reused, so a re-created group or stream starts empty.
//
// Thread-safety: every method may be called from any thread. Read-modify-write sequences (a
// stream's record and its events) are serialized by the caller (LogsService's locks).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "common/status.h"
#include "logs/tokens.h"
#include "storage/engine.h"

namespace lamina::logs {

// What every stored event costs: its message bytes plus this, as PutLogEvents counts a batch.
inline constexpr int64_t kEventOverheadBytes = 26;

struct LogGroup {
  std::string account;
  std::string region;
  std::string name;
  uint64_t id = 0;
  int64_t creation_time = 0;  // ms since the epoch
  std::optional<int> retention_days;
  std::string kms_key_id;
  std::string log_group_class = "STANDARD";
  std::map<std::string, std::string> tags;
};

struct LogStream {
  std::string name;
  uint64_t id = 0;
  int64_t creation_time = 0;
  std::optional<int64_t> first_event_timestamp;
  std::optional<int64_t> last_event_timestamp;
  std::optional<int64_t> last_ingestion_time;
  // Message bytes plus kEventOverheadBytes per event, for DescribeLogGroups' storedBytes.
  int64_t stored_bytes = 0;
  // The sequence the next stored event gets (so also how many events the stream ever stored).
  uint64_t next_sequence = 0;
};

// An event to store, with its sequence already assigned.
struct NewEvent {
  StreamPosition position;
  int64_t ingestion_time = 0;
  std::string_view message;
};

// A cursor over one stream's events whose positions lie in [lower, upper). Not thread-safe;
// reads a snapshot taken when it was made.
class EventCursor {
 public:
  EventCursor(std::unique_ptr<storage::Iterator> iterator, std::string prefix, StreamPosition lower,
              StreamPosition upper);
  // Positions at the first event at or after `position` (within the bounds).
  void Seek(StreamPosition position);
  // Positions at the last event before `position` (within the bounds).
  void SeekBefore(StreamPosition position);
  bool Valid() const;
  void Next();
  void Prev();
  StreamPosition position() const;
  int64_t ingestion_time() const;
  std::string_view message() const;
  // Non-ok when iteration stopped on a storage error.
  Status status() const;

 private:
  std::unique_ptr<storage::Iterator> iterator_;  // null: the keyspace does not exist yet
  std::string prefix_;
  StreamPosition lower_;
  StreamPosition upper_;
};

class LogStore {
 public:
  static constexpr std::string_view kKeyspace = "logs";

  explicit LogStore(storage::Engine& engine);

  // Reads the id reservation; call before serving.
  Status Load();
  // Forgets cached state after the engine was reset.
  void Reset();

  // A new group or stream id, never handed out before (ids are reserved in blocks, persisted
  // before use, so a restart skips ahead rather than reusing).
  Expected<uint64_t, Status> NewId();

  Expected<std::optional<LogGroup>, Status> FindGroup(const std::string& account,
                                                      const std::string& region,
                                                      std::string_view name) const;
  // Up to `limit` groups of `account` in `region` whose names start with `prefix`, come after
  // `after` (empty: from the first) and pass `keep`, in name order. `*more` tells whether
  // another one follows.
  std::vector<LogGroup> ListGroups(const std::string& account, const std::string& region,
                                   std::string_view prefix, std::string_view after, size_t limit,
                                   const std::function<bool(const LogGroup&)>& keep,
                                   bool* more) const;
  // Every group of every account and region (the retention sweeper's list).
  std::vector<LogGroup> AllGroups() const;
  Status PutGroup(const LogGroup& group);
  // Removes the group, its streams and their events in one batch.
  Status DeleteGroup(const LogGroup& group);

  Expected<std::optional<LogStream>, Status> FindStream(uint64_t group_id,
                                                        std::string_view name) const;
  // The group's streams whose names start with `prefix`, in name order.
  std::vector<LogStream> ListStreams(uint64_t group_id, std::string_view prefix) const;
  Status PutStream(uint64_t group_id, const LogStream& stream);
  // Removes the stream and its events in one batch.
  Status DeleteStream(uint64_t group_id, const LogStream& stream);
  // The sum of the group's streams' stored bytes.
  int64_t StoredBytes(uint64_t group_id) const;

  // Stores `events` and the stream's updated record in one batch.
  Status AppendEvents(uint64_t group_id, const LogStream& stream,
                      const std::vector<NewEvent>& events);
  // A cursor over the stream's events with positions in [lower, upper).
  EventCursor Events(uint64_t group_id, uint64_t stream_id, StreamPosition lower,
                     StreamPosition upper) const;
  // Deletes up to `max_events` of the stream's oldest events whose timestamps are before
  // `cutoff`, lowers `stream`'s stored bytes and moves its first event timestamp to match (unset
  // when no event is left), in one batch; the stream's record is written back. Returns how many
  // were deleted. The caller holds the stream's lock.
  Expected<size_t, Status> DeleteEventsBefore(uint64_t group_id, LogStream& stream, int64_t cutoff,
                                              size_t max_events);

 private:
  // The keyspace, created when `create`; reads find none until the first write.
  storage::Keyspace* Space(bool create) const;

  storage::Engine& engine_;
  mutable std::atomic<storage::Keyspace*> space_{nullptr};
  std::mutex id_mutex_;
  uint64_t next_id_ = 1;
  uint64_t reserved_ = 1;
};

}  // namespace lamina::logs
