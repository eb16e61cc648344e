#pragma once

// The time-to-live sweeper: a background thread that, every `interval`, deletes expired items
// of tables with time to live enabled (DynamoDbService::SweepExpired), a bounded number per
// pass so it never holds up foreground requests for long. The interval is an option (default
// 10 s rather than AWS's "within days") because users test with it; the services' clock,
// which /_lamina/clock moves, decides what is expired.
//
// Thread-safety: Start and Stop from one thread (Start again after Stop resumes sweeping); the
// sweep runs on its own.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace lamina::dynamodb {

class DynamoDbService;

class TtlSweeper {
 public:
  // At most this many deletions per pass. Default: 1,000.
  static constexpr size_t kMaxDeletesPerPass = 1000;

  TtlSweeper(DynamoDbService& service, std::chrono::milliseconds interval)
      : service_(service), interval_(interval) {}
  ~TtlSweeper() { Stop(); }

  void Start();
  void Stop();

 private:
  DynamoDbService& service_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lamina::dynamodb
