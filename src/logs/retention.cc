// Retention: SweepExpired, which deletes events past their group's retention, and the
// background RetentionSweeper that runs it.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html

#include "logs/retention.h"

#include <mutex>
#include <shared_mutex>

#include "common/log.h"
#include "logs/service.h"

namespace lamina::logs {

size_t LogsService::SweepExpired(size_t max_deletes) {
  size_t deleted = 0;
  for (const LogGroup& listed : store_.AllGroups()) {
    if (deleted >= max_deletes) break;
    if (!listed.retention_days) continue;
    // Held shared, as PutLogEvents holds it: the group cannot be deleted (and a stream record
    // written back under a dead group) while its streams are swept.
    std::shared_lock group_lock(GroupLock(listed.account, listed.region, listed.name));
    auto group = store_.FindGroup(listed.account, listed.region, listed.name);
    if (!group) {
      LogWarn("logs: retention cannot read log group " + listed.name + ": " +
              group.error().message());
      continue;
    }
    if (!*group || (*group)->id != listed.id) continue;
    auto retained_from = RetainedFrom(**group);
    if (!retained_from) continue;
    for (const LogStream& listed_stream : store_.ListStreams(listed.id, {})) {
      if (deleted >= max_deletes) break;
      if (!listed_stream.first_event_timestamp ||
          *listed_stream.first_event_timestamp >= *retained_from)
        continue;
      std::lock_guard stream_lock(StreamLock(listed.id, listed_stream.name));
      auto stream = store_.FindStream(listed.id, listed_stream.name);
      if (!stream || !*stream || (*stream)->id != listed_stream.id) continue;
      auto removed =
          store_.DeleteEventsBefore(listed.id, **stream, *retained_from, max_deletes - deleted);
      if (!removed) {
        LogWarn("logs: retention cannot delete events of " + listed.name + "/" +
                listed_stream.name + ": " + removed.error().message());
        continue;
      }
      deleted += *removed;
    }
  }
  return deleted;
}

void RetentionSweeper::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
      lock.unlock();
      size_t deleted = service_.SweepExpired(kMaxDeletesPerPass);
      if (deleted > 0)
        LogInfo("logs: retention deleted " + std::to_string(deleted) + " expired event(s)");
      lock.lock();
    }
  });
}

void RetentionSweeper::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lamina::logs
