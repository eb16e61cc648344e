#pragma once

// Lambda's asynchronous invocations (InvocationType=Event): a durable queue of events, each
// run once it is due and retried as AWS retries them. An event is stored before Invoke answers
// 202, and leaves the queue only after it succeeded or was given up, so a restart loses none
// (an attempt cut short by a restart runs again: delivery is at least once, as on AWS).
//
// Retries (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):
// a function error is retried twice, one minute and then two minutes later; a throttle or a
// system error is retried with backoff (1 s doubling up to 5 min) until the event is older
// than the maximum event age (6 hours). Delays run on the services' clock, so advancing it
// (POST /_lamina/clock) makes retries due.
//
// Thread-safety: every public method may be called from any thread.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/expected.h"
#include "storage/engine.h"

namespace lamina::lambda::functions {

struct AsyncEvent {
  std::string request_id;
  std::string account;
  std::string region;
  std::string function;   // as the caller named it (name or ARN)
  std::string qualifier;  // may be empty
  std::string payload;
  int attempts = 0;         // attempts made so far
  int64_t enqueued_ms = 0;  // services' clock
  int64_t throttles = 0;    // throttle/system retries so far (for the backoff)
};

// How one attempt ended.
enum class AttemptResult {
  kSuccess,
  kFunctionError,  // the function failed: retried up to the retry limit
  kThrottled,      // no environment could run it, or lamina failed: retried until the max age
  kGone,           // the function (version, alias) no longer exists: dropped
};

class AsyncQueue {
 public:
  // Runs one attempt of `event`; calls `done` once, from any thread.
  using Runner = std::function<void(const AsyncEvent& event, std::function<void(AttemptResult)>)>;

  static constexpr std::string_view kKeyspace = "lambda_async";
  static constexpr int kMaxRetryAttempts = 2;
  static constexpr int64_t kMaxEventAgeSeconds = 6 * 3600;
  // Attempts running at once; more due events wait their turn.
  static constexpr size_t kMaxParallel = 64;

  AsyncQueue(storage::Engine& engine, const Clock& clock, Runner runner);
  ~AsyncQueue();
  AsyncQueue(const AsyncQueue&) = delete;
  AsyncQueue& operator=(const AsyncQueue&) = delete;

  // Stores `event` (its attempts and enqueue time are set here), due now.
  Status Enqueue(AsyncEvent event);
  void Start();
  // Waits for the worker; attempts in flight finish on their own and are recorded.
  void Stop();
  // Forgets the in-memory state after the engine was reset.
  void Reset();
  // Events waiting or running (for tests and health).
  size_t Size() const;

 private:
  void Work();
  void Finished(const std::string& key, AsyncEvent event, AttemptResult result);
  int64_t NowMs() const;

  storage::Engine& engine_;
  const Clock& clock_;
  Runner runner_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = true;
  uint64_t sequence_ = 0;
  std::set<std::string> in_flight_;  // keys
  std::thread worker_;
};

}  // namespace lamina::lambda::functions
