#pragma once

// The retention sweeper: a background thread that, every `interval`, deletes log events older
// than their group's retention (LogsService::SweepExpired), a bounded number per pass so it
// never holds up requests for long. Expired events are hidden from GetLogEvents and
// FilterLogEvents as soon as they expire; the sweep is what frees their storage (and lowers
// DescribeLogGroups' storedBytes). AWS deletes within 72 hours; the interval is an option
// (default 60 s) because users test with it, and the services' clock, which /_lamina/clock
// moves, decides what is expired.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
//
// Thread-safety: Start and Stop from one thread (Start again after Stop resumes sweeping); the
// sweep runs on its own.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace lamina::logs {

class LogsService;

class RetentionSweeper {
 public:
  // At most this many events deleted per pass. Default: 100,000.
  static constexpr size_t kMaxDeletesPerPass = 100000;

  RetentionSweeper(LogsService& service, std::chrono::milliseconds interval)
      : service_(service), interval_(interval) {}
  ~RetentionSweeper() { Stop(); }
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  void Start();
  // Waits for a pass in progress to end.
  void Stop();

 private:
  LogsService& service_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lamina::logs
