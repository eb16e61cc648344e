#include "common/clock.h"

#include <ctime>
#include <string>

namespace lamina {

Clock::TimePoint Clock::Now() const { return std::chrono::system_clock::now() + offset(); }

double Clock::NowEpochSeconds() const {
  return std::chrono::duration<double>(Now().time_since_epoch()).count();
}

Clock::TimePoint Clock::Advance(std::chrono::milliseconds by) {
  offset_ms_.fetch_add(by.count(), std::memory_order_relaxed);
  return Now();
}

namespace {

std::string Format(Clock::TimePoint time, const char* pattern) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[64];
  size_t length = std::strftime(buffer, sizeof(buffer), pattern, &parts);
  return std::string(buffer, length);
}

}  // namespace

std::string FormatIso8601(Clock::TimePoint time) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
  if (millis < 0) millis += 1000;
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), ".%03dZ", static_cast<int>(millis));
  return Format(time, "%Y-%m-%dT%H:%M:%S") + suffix;
}

std::string FormatAmzDate(Clock::TimePoint time) { return Format(time, "%Y%m%dT%H%M%SZ"); }

std::string FormatHttpDate(Clock::TimePoint time) {
  return Format(time, "%a, %d %b %Y %H:%M:%S GMT");
}

}  // namespace lamina
