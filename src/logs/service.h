#pragma once

// Amazon CloudWatch Logs (awsJson 1.1, X-Amz-Target Logs_20140328.*). One dispatch table in
// service.cc maps each operation to its handler; handlers live by family in group_ops.cc
// (log groups, retention, tags), stream_ops.cc (log streams), event_ops.cc (PutLogEvents,
// GetLogEvents and the LogWriter other services use) and filter_ops.cc (FilterLogEvents);
// retention.cc expires events past their group's retention. See src/logs/README.md.
//
// Thread-safety: handlers run concurrently. Changes to one log group (create, delete,
// retention, tags) are serialized by a striped group lock, which stream operations and
// PutLogEvents hold shared so a group cannot vanish under them; changes to one stream
// (PutLogEvents, create, delete, expiry) by a striped stream lock. Reads take no lock.

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "logs/log_writer.h"
#include "logs/store.h"
#include "protocol/service.h"
#include "storage/engine.h"

namespace lamina::logs {

class LogsService final : public LogWriter {
 public:
  LogsService(storage::Engine& engine, Clock& clock);
  LogsService(const LogsService&) = delete;
  LogsService& operator=(const LogsService&) = delete;

  // Reads what the service needs from storage; call before serving. Cheap: log groups are
  // read on demand, and nothing at all when the keyspace does not exist yet.
  Status Load();
  // Drops cached state after the engine was reset.
  void Reset();
  ServiceDescriptor Describe();

  // group_ops.cc —
  // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_<Name>.html
  OperationResult CreateLogGroup(OperationRequest& request);
  OperationResult DeleteLogGroup(OperationRequest& request);
  OperationResult DescribeLogGroups(OperationRequest& request);
  OperationResult PutRetentionPolicy(OperationRequest& request);
  OperationResult DeleteRetentionPolicy(OperationRequest& request);
  OperationResult TagLogGroup(OperationRequest& request);
  OperationResult UntagLogGroup(OperationRequest& request);
  OperationResult ListTagsLogGroup(OperationRequest& request);
  OperationResult TagResource(OperationRequest& request);
  OperationResult UntagResource(OperationRequest& request);
  OperationResult ListTagsForResource(OperationRequest& request);

  // stream_ops.cc
  OperationResult CreateLogStream(OperationRequest& request);
  OperationResult DeleteLogStream(OperationRequest& request);
  OperationResult DescribeLogStreams(OperationRequest& request);

  // event_ops.cc
  // Events older than 14 days or than the group's retention, or more than 2 hours ahead of the
  // services' clock, are dropped and reported in rejectedLogEventsInfo; the sequence token is
  // accepted and ignored, as AWS now does.
  OperationResult PutLogEvents(OperationRequest& request);
  OperationResult GetLogEvents(OperationRequest& request);

  // filter_ops.cc
  OperationResult FilterLogEvents(OperationRequest& request);

  // LogWriter (event_ops.cc). Events are kept as PutLogEvents would keep them, without its
  // batch limits: empty messages are dropped, messages over 256 KB are cut to fit, and events
  // outside PutLogEvents' time window are dropped with a warning.
  void Write(const std::string& account, const std::string& region, const std::string& group,
             const std::string& stream, std::vector<LogEvent> events) override;

  // retention.cc: deletes up to `max_deletes` events whose timestamps are older than their
  // group's retention on the services' clock. Returns the number deleted; storage errors are
  // logged and the sweep goes on with the next stream. Thread-safe.
  size_t SweepExpired(size_t max_deletes);

 private:
  // One event of a PutLogEvents batch or a Write.
  struct InputEvent {
    int64_t timestamp = 0;
    std::string_view message;
  };
  // What Append did: the indexes PutLogEvents reports in rejectedLogEventsInfo, and the
  // stream's sequence token afterwards.
  struct AppendOutcome {
    std::optional<size_t> too_old_end;
    std::optional<size_t> too_new_start;
    std::optional<size_t> expired_end;
    uint64_t next_sequence = 0;
  };

  std::shared_mutex& GroupLock(const std::string& account, const std::string& region,
                               std::string_view name);
  std::mutex& StreamLock(uint64_t group_id, std::string_view stream);
  // The services' clock in ms since the epoch.
  int64_t NowMs() const;
  // The oldest timestamp `group` keeps now (older events are expired: not returned, and
  // deleted by SweepExpired); nullopt when it keeps events forever.
  std::optional<int64_t> RetainedFrom(const LogGroup& group) const;
  // The named group of the request's account and region, or ResourceNotFoundException.
  Expected<LogGroup, AwsError> FindGroup(const RequestContext& context,
                                         const std::string& name) const;
  // Creates the group unless it exists (under its lock). Ok when it exists either way.
  Expected<void, AwsError> EnsureGroup(const std::string& account, const std::string& region,
                                       const std::string& name);
  // Runs `change` on the stored group under its lock and writes it back.
  OperationResult ModifyGroup(const RequestContext& context, const std::string& name,
                              const std::function<Expected<void, AwsError>(LogGroup&)>& change);
  // Stores chronologically sorted `events` in the stream, creating the stream when
  // `create_stream`, dropping those outside the accepted time window.
  Expected<AppendOutcome, AwsError> Append(const std::string& account, const std::string& region,
                                           const std::string& group_name,
                                           const std::string& stream_name,
                                           const std::vector<InputEvent>& events,
                                           bool create_stream);
  json::object DescribeGroupJson(const LogGroup& group) const;

  Clock& clock_;
  LogStore store_;
  std::array<std::shared_mutex, 256> group_locks_;
  std::array<std::mutex, 1024> stream_locks_;
};

}  // namespace lamina::logs
