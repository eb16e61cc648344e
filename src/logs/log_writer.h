#pragma once

// How other services write log events without going through HTTP: Lambda writes its functions'
// output here. CloudWatch Logs owns the interface so that Lambda needs nothing else of it
// (DESIGN.md: cross-service flows go through a small interface owned by the receiver).

#include <cstdint>
#include <string>
#include <vector>

namespace lamina::logs {

struct LogEvent {
  int64_t timestamp_ms;
  std::string message;
};

class LogWriter {
 public:
  virtual ~LogWriter() = default;
  // Appends `events` (any order; sorted here) to `group`/`stream` of `account` in `region`, creating
  // the group and the stream when missing. Thread-safe. Errors are logged, not returned: a function's
  // logs never fail its invocation.
  virtual void Write(const std::string& account, const std::string& region, const std::string& group,
                     const std::string& stream, std::vector<LogEvent> events) = 0;
};

}  // namespace lamina::logs
