#include "lambda/functions/async_queue.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <vector>

#include "common/log.h"

namespace lamina::lambda::functions {

namespace {

namespace json = boost::json;

// Keys sort by due time, then by arrival: "<16 hex ms><16 hex sequence>".
std::string QueueKey(int64_t due_ms, uint64_t sequence) {
  char key[33];
  std::snprintf(key, sizeof(key), "%016llx%016llx",
                static_cast<unsigned long long>(std::max<int64_t>(due_ms, 0)),
                static_cast<unsigned long long>(sequence));
  return std::string(key, 32);
}

int64_t DueOf(std::string_view key) {
  if (key.size() != 32) return 0;
  return static_cast<int64_t>(std::stoull(std::string(key.substr(0, 16)), nullptr, 16));
}

uint64_t SequenceOf(std::string_view key) {
  if (key.size() != 32) return 0;
  return std::stoull(std::string(key.substr(16)), nullptr, 16);
}

std::string Serialize(const AsyncEvent& event) {
  return json::serialize(json::object{{"request_id", event.request_id},
                                      {"account", event.account},
                                      {"region", event.region},
                                      {"function", event.function},
                                      {"qualifier", event.qualifier},
                                      {"payload", event.payload},
                                      {"attempts", event.attempts},
                                      {"enqueued_ms", event.enqueued_ms},
                                      {"throttles", event.throttles}});
}

std::optional<AsyncEvent> Parse(std::string_view text) {
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  if (error || !value.is_object()) return std::nullopt;
  const json::object& object = value.get_object();
  auto string = [&](std::string_view name) {
    const json::value* member = object.if_contains(name);
    return member && member->is_string() ? std::string(member->get_string()) : std::string();
  };
  auto number = [&](std::string_view name) -> int64_t {
    const json::value* member = object.if_contains(name);
    return member && member->is_int64() ? member->get_int64() : 0;
  };
  AsyncEvent event;
  event.request_id = string("request_id");
  event.account = string("account");
  event.region = string("region");
  event.function = string("function");
  event.qualifier = string("qualifier");
  event.payload = string("payload");
  event.attempts = static_cast<int>(number("attempts"));
  event.enqueued_ms = number("enqueued_ms");
  event.throttles = number("throttles");
  return event;
}

}  // namespace

AsyncQueue::AsyncQueue(storage::Engine& engine, const Clock& clock, Runner runner)
    : engine_(engine), clock_(clock), runner_(std::move(runner)) {}

AsyncQueue::~AsyncQueue() { Stop(); }

int64_t AsyncQueue::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

Status AsyncQueue::Enqueue(AsyncEvent event) {
  event.attempts = 0;
  event.enqueued_ms = NowMs();
  storage::Keyspace* space = engine_.GetKeyspace(kKeyspace);
  if (space == nullptr) return Status::Internal("cannot open the async invocation queue");
  std::string key;
  {
    std::lock_guard lock(mutex_);
    key = QueueKey(event.enqueued_ms, ++sequence_);
  }
  Status status = engine_.Put(space, key, Serialize(event));
  if (status.ok()) wake_.notify_all();
  return status;
}

void AsyncQueue::Start() {
  std::lock_guard lock(mutex_);
  if (!stopping_) return;
  stopping_ = false;
  // Sequence numbers continue after the largest stored one.
  if (storage::Keyspace* space = engine_.FindKeyspace(kKeyspace)) {
    auto iterator = engine_.NewIterator(space);
    for (iterator->SeekToFirst(); iterator->Valid(); iterator->Next())
      sequence_ = std::max(sequence_, SequenceOf(iterator->key()));
  }
  worker_ = std::thread([this] { Work(); });
}

void AsyncQueue::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void AsyncQueue::Reset() {
  std::lock_guard lock(mutex_);
  in_flight_.clear();
  sequence_ = 0;
}

size_t AsyncQueue::Size() const {
  storage::Keyspace* space = engine_.FindKeyspace(kKeyspace);
  if (space == nullptr) return 0;
  size_t count = 0;
  auto iterator = engine_.NewIterator(space);
  for (iterator->SeekToFirst(); iterator->Valid(); iterator->Next()) ++count;
  return count;
}

void AsyncQueue::Work() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::vector<std::pair<std::string, AsyncEvent>> due;
    int64_t now = NowMs();
    int64_t next_due = now + 100;
    if (storage::Keyspace* space = engine_.FindKeyspace(kKeyspace)) {
      auto iterator = engine_.NewIterator(space);
      for (iterator->SeekToFirst(); iterator->Valid(); iterator->Next()) {
        std::string key(iterator->key());
        int64_t at = DueOf(key);
        if (at > now) {
          next_due = std::min(next_due, at);
          break;
        }
        if (in_flight_.count(key) != 0) continue;
        if (in_flight_.size() + due.size() >= kMaxParallel) break;
        auto event = Parse(iterator->value());
        if (!event) {
          LogWarn("lambda: dropping an unreadable async invocation record");
          engine_.Delete(space, key).IgnoreError();
          continue;
        }
        due.emplace_back(std::move(key), std::move(*event));
      }
    }
    for (auto& [key, event] : due) in_flight_.insert(key);
    if (!due.empty()) {
      lock.unlock();
      for (auto& [key, event] : due) {
        runner_(event, [this, key = key, event = event](AttemptResult result) mutable {
          Finished(key, std::move(event), result);
        });
      }
      lock.lock();
      continue;
    }
    // The services' clock may be advanced at any moment, so waits are short.
    auto wait = std::chrono::milliseconds(std::clamp<int64_t>(next_due - now, 1, 100));
    wake_.wait_for(lock, wait);
  }
}

void AsyncQueue::Finished(const std::string& key, AsyncEvent event, AttemptResult result) {
  ++event.attempts;
  int64_t now = NowMs();
  std::optional<int64_t> retry_at;
  std::string outcome;
  switch (result) {
    case AttemptResult::kSuccess:
      break;
    case AttemptResult::kGone:
      outcome = "the function no longer exists";
      break;
    case AttemptResult::kFunctionError:
      if (event.attempts <= kMaxRetryAttempts)
        retry_at = now + 60'000LL * event.attempts;  // 1 minute, then 2
      else
        outcome = "the function failed " + std::to_string(event.attempts) + " times";
      break;
    case AttemptResult::kThrottled: {
      --event.attempts;  // a throttled attempt did not run the function
      int64_t delay = std::min<int64_t>(1000LL << std::min<int64_t>(event.throttles, 9), 300'000);
      ++event.throttles;
      if (now + delay - event.enqueued_ms <= kMaxEventAgeSeconds * 1000)
        retry_at = now + delay;
      else
        outcome = "the event reached the maximum event age";
      break;
    }
  }
  if (!outcome.empty())
    LogWarn("lambda: async invocation " + event.request_id + " of " + event.function +
            " dropped: " + outcome);
  std::lock_guard lock(mutex_);
  in_flight_.erase(key);
  storage::Keyspace* space = engine_.FindKeyspace(kKeyspace);
  if (space == nullptr) return;  // reset meanwhile
  storage::WriteBatch batch;
  batch.Delete(space, key);
  if (retry_at) batch.Put(space, QueueKey(*retry_at, ++sequence_), Serialize(event));
  Status status = engine_.Write(batch);
  if (!status.ok())
    LogWarn("lambda: cannot update the async invocation queue: " + status.message());
  wake_.notify_all();
}

}  // namespace lamina::lambda::functions
