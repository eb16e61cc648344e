#pragma once

// The clock every service reads. It is real time plus an offset that the admin API can
// advance (`POST /_lamina/clock`), so TTL, lifecycle and schedules are tested without waiting.
// Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lamina {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Now() as seen by the services: real time plus the advanced offset.
  TimePoint Now() const;
  // Seconds since the Unix epoch, as Now() sees them.
  double NowEpochSeconds() const;
  // Moves Now() forward (a negative value moves it back). Returns the new Now().
  TimePoint Advance(std::chrono::milliseconds by);
  // The offset added to real time. Default: 0.
  std::chrono::milliseconds offset() const {
    return std::chrono::milliseconds(offset_ms_.load(std::memory_order_relaxed));
  }
  void Reset() { offset_ms_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> offset_ms_{0};
};

// ISO 8601 in UTC with milliseconds, e.g. 2024-03-31T12:00:00.000Z.
std::string FormatIso8601(Clock::TimePoint time);
// AWS's compact SigV4 form, e.g. 20150830T123600Z.
std::string FormatAmzDate(Clock::TimePoint time);
// RFC 7231 HTTP date, e.g. Sun, 30 Aug 2015 12:36:00 GMT.
std::string FormatHttpDate(Clock::TimePoint time);

}  // namespace lamina
