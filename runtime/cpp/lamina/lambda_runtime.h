#pragma once

// lamina's C++ Lambda runtime client: the `bootstrap` side of the Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) for functions on the
// `provided.al2` / `provided.al2023` runtimes, in lamina or on AWS.
//
// One header, C++17, POSIX sockets and the standard library only: copy it next to your code.
//
//   #include "lamina/lambda_runtime.h"
//   namespace lr = lamina::lambda_runtime;
//
//   int main() {
//     lr::run_handler([](const lr::InvocationRequest& request) {
//       if (request.payload.empty())
//         return lr::InvocationResponse::failure("no payload", "InvalidInput");
//       return lr::InvocationResponse::success(request.payload);  // application/json
//     });
//     return 1;  // run_handler returns only when the Runtime API stays unreachable
//   }
//
// API
//
//   InvocationRequest   one event: payload, request_id, function_arn, deadline_ms,
//                       xray_trace_id, client_context (JSON text or empty), cognito_identity
//                       (JSON text or empty); remaining_time() until the deadline (>= 0).
//   InvocationResponse  success(payload, content_type = "application/json") or
//                       failure(message, type): the error document
//                       {"errorMessage", "errorType", "stackTrace": []}.
//   FunctionError       an exception carrying an explicit errorType; any other exception a
//                       handler throws is reported with its C++ type name as errorType
//                       (e.g. "std::invalid_argument"), anything else as "Unknown".
//   run_handler(h)      polls /invocation/next forever, calls h, posts /response or /error
//                       (with Lambda-Runtime-Function-Error-Type). Returns only after
//                       kMaxConsecutiveFailures transport failures in a row.
//   run_with_init(f)    calls f() once to build the handler (the init phase); when f throws,
//                       the failure goes to /init/error and the process exits with status 1.
//   fail_init(m, t)     reports an init failure to /init/error and exits with status 1.
//   json_escape(s), json_quote(s), error_document(m, t)
//                       JSON text helpers (invalid UTF-8 becomes U+FFFD, so the document
//                       always parses).
//
// The Runtime API address comes from AWS_LAMBDA_RUNTIME_API: "host:port" on AWS; lamina adds a
// path prefix ("127.0.0.1:4566/_lamina/runtime/ENVID"), which goes before /2018-06-01/....
// One HTTP/1.1 keep-alive connection carries every call; a call that fails on a reused
// connection before any reply byte arrived is retried once on a fresh one. Replies may use
// Content-Length, chunked encoding or end at connection close.
//
// Logging is AWS's: whatever the handler writes to stdout and stderr is the function's log; the
// client flushes both after each invocation and writes its own diagnostics (and unhandled
// exceptions) to stderr.
//
// Functions follow aws-lambda-cpp's snake_case (run_handler, success, failure) rather than
// lamina's PascalCase, so handlers written against that library read the same here.
//
// Thread-safety: run_handler, run_with_init and fail_init own the process (call them from main);
// every other function is pure and thread-safe. The `detail` namespace is public for tests
// only.

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <utility>
#include <vector>

#if defined(__has_include)
#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define LAMINA_LAMBDA_RUNTIME_HAS_CXXABI 1
#endif
#endif

namespace lamina::lambda_runtime {

// Transport failures in a row (connect, send, receive or a non-200 /next) after which
// run_handler gives up and returns. Between them it sleeps 10 ms, doubling up to 1 s.
constexpr int kMaxConsecutiveFailures = 10;
// The largest status line plus headers (or chunk trailers) accepted in a reply.
constexpr size_t kMaxHeadBytes = 64 * 1024;
// The longest chunk-size line accepted in a chunked reply.
constexpr size_t kMaxChunkLineBytes = 4 * 1024;

// ---------------------------------------------------------------------------------------------
// JSON text

// `text` as the inside of a JSON string: quotes, backslashes and control characters escaped,
// valid UTF-8 kept as is, each byte of invalid UTF-8 replaced by \ufffd.
inline std::string json_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 2);
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    unsigned char c = bytes[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // The length of a well-formed UTF-8 sequence starting at i (RFC 3629, table 3-7 of the
    // Unicode standard), or 0.
    auto continuation = [&](size_t at, unsigned char low, unsigned char high) {
      return at < size && bytes[at] >= low && bytes[at] <= high;
    };
    size_t length = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      length = continuation(i + 1, 0x80, 0xbf) ? 2 : 0;
    } else if (c >= 0xe0 && c <= 0xef) {
      unsigned char low = c == 0xe0 ? 0xa0 : 0x80;
      unsigned char high = c == 0xed ? 0x9f : 0xbf;
      length = continuation(i + 1, low, high) && continuation(i + 2, 0x80, 0xbf) ? 3 : 0;
    } else if (c >= 0xf0 && c <= 0xf4) {
      unsigned char low = c == 0xf0 ? 0x90 : 0x80;
      unsigned char high = c == 0xf4 ? 0x8f : 0xbf;
      length = continuation(i + 1, low, high) && continuation(i + 2, 0x80, 0xbf) &&
                       continuation(i + 3, 0x80, 0xbf)
                   ? 4
                   : 0;
    }
    if (length == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
  return out;
}

// `text` as a JSON string, quotes included.
inline std::string json_quote(std::string_view text) { return '"' + json_escape(text) + '"'; }

// Lambda's error document: {"errorMessage":…,"errorType":…,"stackTrace":[…]}.
inline std::string error_document(std::string_view message, std::string_view type,
                                  const std::vector<std::string>& stack_trace = {}) {
  std::string out = "{\"errorMessage\":" + json_quote(message) +
                    ",\"errorType\":" + json_quote(type) + ",\"stackTrace\":[";
  for (size_t i = 0; i < stack_trace.size(); ++i) {
    if (i) out += ',';
    out += json_quote(stack_trace[i]);
  }
  out += "]}";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Invocations

struct InvocationRequest {
  std::string payload;           // the event, as sent (normally JSON)
  std::string request_id;        // Lambda-Runtime-Aws-Request-Id
  std::string function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  int64_t deadline_ms = 0;       // Lambda-Runtime-Deadline-Ms: Unix epoch milliseconds
  std::string xray_trace_id;     // Lambda-Runtime-Trace-Id (also set as _X_AMZN_TRACE_ID)
  std::string client_context;    // Lambda-Runtime-Client-Context: JSON text, or empty
  std::string cognito_identity;  // Lambda-Runtime-Cognito-Identity: JSON text, or empty
  std::string content_type;      // the event's Content-Type

  // When the invocation times out.
  std::chrono::system_clock::time_point deadline() const {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(deadline_ms));
  }
  // Time left before the deadline; zero once it has passed.
  std::chrono::milliseconds remaining_time() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline() - std::chrono::system_clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }
};

class InvocationResponse {
 public:
  // A result: `payload` is sent as is with `content_type`.
  static InvocationResponse success(std::string payload,
                                    std::string content_type = "application/json") {
    return InvocationResponse(std::move(payload), std::move(content_type), "");
  }
  // A function error of `type` (e.g. "InvalidInput"; empty becomes "Unknown"): the caller of
  // Invoke gets FunctionError "Unhandled" and the error document as the payload.
  static InvocationResponse failure(std::string_view message, std::string_view type) {
    std::string error_type(type.empty() ? std::string_view("Unknown") : type);
    std::string document = error_document(message, error_type);
    return InvocationResponse(std::move(document), "application/json", std::move(error_type));
  }

  bool is_success() const { return error_type_.empty(); }
  const std::string& payload() const { return payload_; }
  const std::string& content_type() const { return content_type_; }
  // Empty for a success.
  const std::string& error_type() const { return error_type_; }

 private:
  InvocationResponse(std::string payload, std::string content_type, std::string error_type)
      : payload_(std::move(payload)),
        content_type_(std::move(content_type)),
        error_type_(std::move(error_type)) {}

  std::string payload_;
  std::string content_type_;
  std::string error_type_;
};

// Thrown by a handler (or an init function) to report an error of an explicit type.
class FunctionError : public std::runtime_error {
 public:
  FunctionError(std::string type, const std::string& message)
      : std::runtime_error(message), type_(std::move(type)) {}
  const std::string& type() const { return type_; }

 private:
  std::string type_;
};

using Handler = std::function<InvocationResponse(const InvocationRequest&)>;

// ---------------------------------------------------------------------------------------------
// The HTTP client (public for tests)

namespace detail {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

inline std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Whether the comma-separated header value `list` holds `token` (case-insensitive).
inline bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (to_lower(item) == token) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Where the Runtime API is: AWS_LAMBDA_RUNTIME_API split into its parts.
struct RuntimeEndpoint {
  std::string host;       // for getaddrinfo: "127.0.0.1", "::1", "localhost"
  std::string port;       // "9001"; "80" when the variable names none
  std::string authority;  // the Host header: "127.0.0.1:9001"
  std::string prefix;     // "" on AWS, "/_lamina/runtime/ENVID" in lamina (no trailing '/')
};

// Parses "host[:port][/prefix]" ("[v6]:port" for IPv6; a leading "http://" is tolerated).
// Returns false with `error` set when the value is empty or malformed.
inline bool parse_runtime_api(std::string_view value, RuntimeEndpoint* endpoint,
                              std::string* error) {
  value = trim(value);
  if (value.substr(0, 7) == "http://") value.remove_prefix(7);
  size_t slash = value.find('/');
  std::string_view authority = value.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : value.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  std::string_view host = authority;
  std::string_view port = "80";
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "unterminated IPv6 address in AWS_LAMBDA_RUNTIME_API";
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        *error = "expected ':' after the IPv6 address in AWS_LAMBDA_RUNTIME_API";
        return false;
      }
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  bool port_ok = !port.empty() && port.size() <= 5 &&
                 std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (host.empty() || !port_ok) {
    *error = "AWS_LAMBDA_RUNTIME_API is not host:port[/prefix]: '" + std::string(value) + "'";
    return false;
  }
  endpoint->host = std::string(host);
  endpoint->port = std::string(port);
  endpoint->authority = std::string(authority);
  endpoint->prefix = std::string(prefix);
  return true;
}

// `text` percent-encoded for one path segment (request ids are UUIDs, but nothing relies on it).
inline std::string path_segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

// A header value with control characters (CR and LF above all) replaced by spaces.
inline std::string header_value(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// The head of a request with a body of `body_size` bytes (no Content-Length when `body_size`
// is negative: a GET).
inline std::string request_head(std::string_view method, std::string_view target,
                                std::string_view authority, const Headers& headers,
                                int64_t body_size) {
  std::string head;
  head.reserve(256);
  head.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(authority);
  head += "\r\nUser-Agent: lamina-lambda-runtime-cpp/1\r\n";
  if (body_size >= 0) head += "Content-Length: " + std::to_string(body_size) + "\r\n";
  for (const auto& [name, value] : headers) {
    head.append(name).append(": ").append(header_value(value)).append("\r\n");
  }
  head += "\r\n";
  return head;
}

struct HttpResponse {
  int status = 0;
  int minor_version = 1;
  Headers headers;  // names lower-case, values trimmed, in arrival order
  std::string body;
  bool keep_alive = true;  // false: the connection must be closed after this reply

  // The first value of header `lower_name`, or "" when absent.
  std::string header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return value;
    }
    return "";
  }
  bool has_header(std::string_view lower_name) const {
    for (const auto& entry : headers) {
      if (entry.first == lower_name) return true;
    }
    return false;
  }
};

// An incremental HTTP/1.x response parser: status line, headers, then a body framed by
// Content-Length, chunked transfer coding or the connection's end. Interim 1xx replies are
// skipped. Pure: no I/O, so it is fed whatever the socket delivers, in any pieces.
class ResponseParser {
 public:
  enum class Status { kNeedMore, kDone, kError };

  // `head_only`: the reply has no body whatever its headers say (a reply to HEAD).
  explicit ResponseParser(bool head_only = false) : head_only_(head_only) {}

  // Consumes bytes of `data`; `*consumed` says how many (fewer than `size` only once the
  // response is done or broken: the rest belongs to the next reply). kError: see error().
  Status feed(const char* data, size_t size, size_t* consumed) {
    const char* at = data;
    const char* end = data + size;
    if (size > 0) started_ = true;
    while (at < end && state_ != State::kDone && state_ != State::kError) {
      switch (state_) {
        case State::kHead:
        case State::kChunkSize:
        case State::kChunkEnd:
        case State::kTrailer: {
          const void* found = std::memchr(at, '\n', static_cast<size_t>(end - at));
          const char* newline = static_cast<const char*>(found);
          size_t take = static_cast<size_t>((newline ? newline + 1 : end) - at);
          bool in_head = state_ == State::kHead || state_ == State::kTrailer;
          size_t limit =
              in_head ? kMaxHeadBytes - std::min(head_bytes_, kMaxHeadBytes) : kMaxChunkLineBytes;
          if (line_.size() + take > limit) {
            fail(in_head ? "reply head exceeds " + std::to_string(kMaxHeadBytes) + " bytes"
                         : "chunk-size line too long");
            break;
          }
          line_.append(at, take);
          at += take;
          if (!newline) break;
          if (in_head) head_bytes_ += line_.size();
          line_.pop_back();
          if (!line_.empty() && line_.back() == '\r') line_.pop_back();
          on_line();
          line_.clear();
          break;
        }
        case State::kBody:
        case State::kChunkData: {
          size_t take =
              static_cast<size_t>(std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - at)));
          response_.body.append(at, take);
          at += take;
          remaining_ -= take;
          if (remaining_ == 0) state_ = state_ == State::kBody ? State::kDone : State::kChunkEnd;
          break;
        }
        case State::kUntilClose:
          response_.body.append(at, static_cast<size_t>(end - at));
          at = end;
          break;
        case State::kDone:
        case State::kError:
          break;
      }
    }
    *consumed = static_cast<size_t>(at - data);
    return status();
  }

  // The peer closed the connection: completes a body that runs to the end, else an error.
  Status finish() {
    if (state_ == State::kUntilClose) {
      state_ = State::kDone;
      response_.keep_alive = false;
    } else if (state_ != State::kDone && state_ != State::kError) {
      fail("connection closed before the reply was complete");
    }
    return status();
  }

  Status status() const {
    if (state_ == State::kDone) return Status::kDone;
    if (state_ == State::kError) return Status::kError;
    return Status::kNeedMore;
  }
  // Whether any byte of a reply has been consumed.
  bool started() const { return started_; }
  HttpResponse& response() { return response_; }
  const std::string& error() const { return error_; }

 private:
  enum class State {
    kHead,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailer,
    kUntilClose,
    kDone,
    kError
  };

  void fail(std::string message) {
    state_ = State::kError;
    error_ = std::move(message);
  }

  void on_line() {
    switch (state_) {
      case State::kHead:
        return on_head_line();
      case State::kChunkSize:
        return on_chunk_size();
      case State::kChunkEnd:
        if (!line_.empty()) return fail("chunk data longer than its size");
        state_ = State::kChunkSize;
        return;
      case State::kTrailer:
        if (line_.empty()) state_ = State::kDone;
        return;  // trailer fields are not used
      default:
        return;
    }
  }

  void on_head_line() {
    std::string_view line = line_;
    if (!saw_status_) {
      // HTTP/1.1 200 OK
      if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' ||
          line[8] != ' ') {
        return fail("malformed status line: '" + header_value(line.substr(0, 80)) + "'");
      }
      int status = 0;
      for (size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') return fail("malformed status code");
        status = status * 10 + (line[i] - '0');
      }
      if (line.size() > 12 && line[12] != ' ') return fail("malformed status code");
      response_.status = status;
      response_.minor_version = line[7] - '0';
      saw_status_ = true;
      return;
    }
    if (!line.empty()) {
      if (line.front() == ' ' || line.front() == '\t') return fail("folded header line");
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return fail("malformed header line");
      std::string_view name = line.substr(0, colon);
      if (name.back() == ' ' || name.back() == '\t') return fail("space before ':' in a header");
      response_.headers.emplace_back(to_lower(name), std::string(trim(line.substr(colon + 1))));
      return;
    }
    end_of_head();
  }

  void end_of_head() {
    int status = response_.status;
    if (status >= 100 && status < 200) {
      if (status == 101) return fail("unexpected 101 Switching Protocols");
      // An interim reply (100 Continue, 103 Early Hints): the real one follows.
      response_ = HttpResponse();
      saw_status_ = false;
      head_bytes_ = 0;
      return;
    }
    std::string connection = response_.header("connection");
    response_.keep_alive = response_.minor_version >= 1 ? !has_token(connection, "close")
                                                        : has_token(connection, "keep-alive");
    if (head_only_ || status == 204 || status == 304) {
      state_ = State::kDone;
      return;
    }
    if (response_.has_header("transfer-encoding")) {
      // RFC 9112 6.3: chunked must be the final coding; otherwise the body runs to the close.
      std::string codings;
      for (const auto& [name, value] : response_.headers) {
        if (name == "transfer-encoding") codings += (codings.empty() ? "" : ",") + value;
      }
      size_t last_comma = codings.rfind(',');
      std::string last = to_lower(trim(last_comma == std::string::npos
                                           ? std::string_view(codings)
                                           : std::string_view(codings).substr(last_comma + 1)));
      if (last == "chunked") {
        state_ = State::kChunkSize;
      } else {
        state_ = State::kUntilClose;
        response_.keep_alive = false;
      }
      return;
    }
    if (response_.has_header("content-length")) {
      // Every value (repeated headers, comma-separated lists) must be the same number.
      bool have = false;
      uint64_t length = 0;
      for (const auto& [name, value] : response_.headers) {
        if (name != "content-length") continue;
        std::string_view rest = value;
        while (true) {
          size_t comma = rest.find(',');
          std::string_view item = trim(rest.substr(0, comma));
          uint64_t parsed = 0;
          auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), parsed);
          if (item.empty() || ec != std::errc() || ptr != item.data() + item.size())
            return fail("invalid Content-Length");
          if (have && parsed != length) return fail("conflicting Content-Length values");
          have = true;
          length = parsed;
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      }
      remaining_ = length;
      if (length <= (64u << 20)) response_.body.reserve(static_cast<size_t>(length));
      state_ = length == 0 ? State::kDone : State::kBody;
      return;
    }
    state_ = State::kUntilClose;
    response_.keep_alive = false;
  }

  void on_chunk_size() {
    std::string_view line = line_;
    size_t digits = 0;
    uint64_t size = 0;
    while (digits < line.size()) {
      char c = ascii_lower(line[digits]);
      int value = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (value < 0) break;
      if (digits == 15) return fail("chunk size too large");
      size = size * 16 + static_cast<uint64_t>(value);
      ++digits;
    }
    std::string_view rest = trim(line.substr(digits));
    if (digits == 0 || (!rest.empty() && rest.front() != ';')) return fail("malformed chunk size");
    if (size == 0) {
      state_ = State::kTrailer;
    } else {
      remaining_ = size;
      state_ = State::kChunkData;
    }
  }

  bool head_only_;
  State state_ = State::kHead;
  bool saw_status_ = false;
  bool started_ = false;
  std::string line_;
  size_t head_bytes_ = 0;
  uint64_t remaining_ = 0;
  HttpResponse response_;
  std::string error_;
};

inline std::string errno_text(int error) { return std::strerror(error); }

// One blocking TCP connection. Not thread-safe.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { close(); }

  bool is_open() const { return fd_ >= 0; }

  // Returns false with `error` when no address of `endpoint` accepts a connection.
  bool open(const RuntimeEndpoint& endpoint, std::string* error) {
    close();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* addresses = nullptr;
    int resolved = ::getaddrinfo(endpoint.host.c_str(), endpoint.port.c_str(), &hints, &addresses);
    if (resolved != 0) {
      *error = "cannot resolve " + endpoint.host + ": " + ::gai_strerror(resolved);
      return false;
    }
    *error = "no address for " + endpoint.authority;
    for (addrinfo* address = addresses; address; address = address->ai_next) {
      int fd = ::socket(address->ai_family, address->ai_socktype, address->ai_protocol);
      if (fd < 0) {
        *error = "socket: " + errno_text(errno);
        continue;
      }
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // the handler's child processes do not inherit it
      if (::connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
        *error = "connect to " + endpoint.authority + ": " + errno_text(errno);
        ::close(fd);
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
#ifdef SO_NOSIGPIPE
      ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
      fd_ = fd;
      break;
    }
    ::freeaddrinfo(addresses);
    if (fd_ < 0) return false;
    error->clear();
    return true;
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    leftover_.clear();
  }

  // Sends `head` then `body`, all of them. Returns false with `error` when the peer is gone.
  bool send(std::string_view head, std::string_view body, std::string* error) {
    iovec pieces[2] = {{const_cast<char*>(head.data()), head.size()},
                       {const_cast<char*>(body.data()), body.size()}};
    iovec* next = pieces;
    int count = body.empty() ? 1 : 2;
    while (count > 0) {
      msghdr message{};
      message.msg_iov = next;
      message.msg_iovlen = static_cast<decltype(message.msg_iovlen)>(count);
#ifdef MSG_NOSIGNAL
      ssize_t sent = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
#else
      ssize_t sent = ::sendmsg(fd_, &message, 0);
#endif
      if (sent < 0) {
        if (errno == EINTR) continue;
        *error = "send: " + errno_text(errno);
        return false;
      }
      auto left = static_cast<size_t>(sent);
      while (count > 0 && left >= next->iov_len) {
        left -= next->iov_len;
        ++next;
        --count;
      }
      if (count > 0) {
        next->iov_base = static_cast<char*>(next->iov_base) + left;
        next->iov_len -= left;
      }
    }
    return true;
  }

  // Reads one reply into `parser`. Returns false with `error` on a transport or protocol
  // failure; parser.started() then says whether any reply byte had arrived.
  bool receive(ResponseParser& parser, std::string* error) {
    size_t consumed = 0;
    if (!leftover_.empty()) {
      parser.feed(leftover_.data(), leftover_.size(), &consumed);
      leftover_.erase(0, consumed);
    }
    char buffer[64 * 1024];
    while (parser.status() == ResponseParser::Status::kNeedMore) {
      ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        *error = "receive: " + errno_text(errno);
        return false;
      }
      if (got == 0) {
        parser.finish();
        break;
      }
      parser.feed(buffer, static_cast<size_t>(got), &consumed);
      if (consumed < static_cast<size_t>(got)) {
        leftover_.append(buffer + consumed, static_cast<size_t>(got) - consumed);
      }
    }
    if (parser.status() == ResponseParser::Status::kError) {
      *error = parser.error();
      return false;
    }
    return true;
  }

 private:
  int fd_ = -1;
  std::string leftover_;  // bytes read past the last reply
};

// The Runtime API calls, over one keep-alive connection. Not thread-safe.
class RuntimeClient {
 public:
  explicit RuntimeClient(RuntimeEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

  // One request to `path` (below /2018-06-01/runtime). A failure on a reused connection
  // before any reply byte arrived is retried once on a fresh connection. Returns false with
  // `error` when the exchange fails; any HTTP status is a success here.
  bool call(std::string_view method, std::string_view path, const Headers& headers,
            std::string_view body, bool has_body, HttpResponse* response, std::string* error) {
    std::string target = endpoint_.prefix + "/2018-06-01/runtime" + std::string(path);
    std::string head = request_head(method, target, endpoint_.authority, headers,
                                    has_body ? static_cast<int64_t>(body.size()) : -1);
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = connection_.is_open();
      if (!reused && !connection_.open(endpoint_, error)) return false;
      ResponseParser parser(method == "HEAD");
      if (connection_.send(head, body, error) && connection_.receive(parser, error)) {
        *response = std::move(parser.response());
        if (!response->keep_alive) connection_.close();
        return true;
      }
      connection_.close();
      if (!reused || parser.started()) return false;
    }
    return false;
  }

  // GET /invocation/next (blocks until an event comes). Returns false with `error` on a
  // transport failure or a status other than 200.
  bool next(InvocationRequest* request, std::string* error) {
    HttpResponse response;
    if (!call("GET", "/invocation/next", {}, {}, false, &response, error)) return false;
    if (response.status != 200) {
      *error = "/invocation/next answered " + std::to_string(response.status) + ": " +
               response.body.substr(0, 500);
      return false;
    }
    request->payload = std::move(response.body);
    request->request_id = response.header("lambda-runtime-aws-request-id");
    request->function_arn = response.header("lambda-runtime-invoked-function-arn");
    request->xray_trace_id = response.header("lambda-runtime-trace-id");
    request->client_context = response.header("lambda-runtime-client-context");
    request->cognito_identity = response.header("lambda-runtime-cognito-identity");
    request->content_type = response.header("content-type");
    std::string deadline = response.header("lambda-runtime-deadline-ms");
    request->deadline_ms = 0;
    std::from_chars(deadline.data(), deadline.data() + deadline.size(), request->deadline_ms);
    if (request->request_id.empty()) {
      *error = "/invocation/next answered without Lambda-Runtime-Aws-Request-Id";
      return false;
    }
    return true;
  }

  // POST /invocation/{id}/response or /error. Returns false with `error` when the call fails
  // or is refused (e.g. 413 for a payload past Lambda's limit).
  bool post_result(const std::string& request_id, const InvocationResponse& result,
                   std::string* error) {
    Headers headers = {{"Content-Type", result.content_type()}};
    std::string path = "/invocation/" + path_segment(request_id);
    if (result.is_success()) {
      path += "/response";
    } else {
      path += "/error";
      headers.emplace_back("Lambda-Runtime-Function-Error-Type", result.error_type());
    }
    return post(path, headers, result.payload(), error);
  }

  // POST /init/error with the error document of `message` and `type`.
  bool post_init_error(std::string_view message, std::string_view type, std::string* error) {
    Headers headers = {{"Content-Type", "application/json"},
                       {"Lambda-Runtime-Function-Error-Type", std::string(type)}};
    return post("/init/error", headers, error_document(message, type), error);
  }

 private:
  bool post(std::string_view path, const Headers& headers, std::string_view body,
            std::string* error) {
    HttpResponse response;
    if (!call("POST", path, headers, body, true, &response, error)) return false;
    if (response.status < 200 || response.status > 299) {
      *error = std::string(path) + " answered " + std::to_string(response.status) + ": " +
               response.body.substr(0, 500);
      return false;
    }
    return true;
  }

  RuntimeEndpoint endpoint_;
  Connection connection_;
};

// The C++ name of the dynamic type of `error` ("std::invalid_argument").
inline std::string exception_type_name(const std::exception& error) {
  const char* name = typeid(error).name();
#ifdef LAMINA_LAMBDA_RUNTIME_HAS_CXXABI
  int status = 0;
  char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status == 0 && demangled) {
    std::string out(demangled);
    std::free(demangled);
    return out;
  }
  std::free(demangled);
#endif
  return name;
}

inline void log_error(std::string_view text) {
  std::cerr << "[lamina-runtime] " << text << std::endl;
}

inline void flush_logs() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
}

// The endpoint from AWS_LAMBDA_RUNTIME_API; exits with status 1 when it is missing or bad,
// since there is nobody to report to.
inline RuntimeEndpoint endpoint_from_environment() {
  const char* value = std::getenv("AWS_LAMBDA_RUNTIME_API");
  RuntimeEndpoint endpoint;
  std::string error;
  if (!value || !*value) {
    log_error("AWS_LAMBDA_RUNTIME_API is not set: not running inside Lambda");
    std::exit(1);
  }
  if (!parse_runtime_api(value, &endpoint, &error)) {
    log_error(error);
    std::exit(1);
  }
  return endpoint;
}

// Calls `handler`, turning an exception into a failure of the exception's type. (Not named
// `invoke`: argument-dependent lookup would pick std::invoke, which catches nothing.)
inline InvocationResponse call_handler(const Handler& handler, const InvocationRequest& request) {
  try {
    return handler(request);
  } catch (const FunctionError& error) {
    log_error("RequestId: " + request.request_id + " Error: " + error.type() + ": " + error.what());
    return InvocationResponse::failure(error.what(), error.type());
  } catch (const std::exception& error) {
    std::string type = exception_type_name(error);
    log_error("RequestId: " + request.request_id + " Unhandled exception " + type + ": " +
              error.what());
    return InvocationResponse::failure(error.what(), type);
  } catch (...) {
    log_error("RequestId: " + request.request_id + " Unhandled exception of unknown type");
    return InvocationResponse::failure("Unhandled exception of unknown type", "Unknown");
  }
}

inline void run_loop(RuntimeClient& client, const Handler& handler) {
  int failures = 0;
  while (true) {
    InvocationRequest request;
    std::string error;
    if (!client.next(&request, &error)) {
      ++failures;
      log_error("cannot get the next invocation (" + std::to_string(failures) + "/" +
                std::to_string(kMaxConsecutiveFailures) + "): " + error);
      if (failures >= kMaxConsecutiveFailures) return;
      auto pause = std::chrono::milliseconds(std::min(1000, 10 << std::min(failures - 1, 7)));
      std::this_thread::sleep_for(pause);
      continue;
    }
    failures = 0;
    if (request.xray_trace_id.empty()) {
      ::unsetenv("_X_AMZN_TRACE_ID");
    } else {
      ::setenv("_X_AMZN_TRACE_ID", request.xray_trace_id.c_str(), 1);
    }
    InvocationResponse response = detail::call_handler(handler, request);
    // Everything the invocation printed belongs to it: out before the result.
    flush_logs();
    if (!client.post_result(request.request_id, response, &error)) {
      log_error("RequestId: " + request.request_id + " cannot post the result: " + error);
    }
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Entry points

// Reports an init failure of `type` to /runtime/init/error and ends the process with status 1
// (Lambda discards the environment; the pending invocation fails with this error).
[[noreturn]] inline void fail_init(std::string_view message, std::string_view type) {
  detail::RuntimeClient client(detail::endpoint_from_environment());
  detail::log_error("init failed: " + std::string(type) + ": " + std::string(message));
  detail::flush_logs();
  std::string error;
  if (!client.post_init_error(message, type.empty() ? "Unknown" : type, &error)) {
    detail::log_error("cannot report the init failure: " + error);
  }
  detail::flush_logs();
  std::exit(1);
}

// Serves invocations with `handler` until the Runtime API stays unreachable
// (kMaxConsecutiveFailures failures in a row); then returns. Exceptions the handler throws are
// reported as function errors (see FunctionError); an empty `handler` is an init failure.
inline void run_handler(const Handler& handler) {
  if (!handler) fail_init("run_handler was given an empty handler", "Runtime.InvalidEntrypoint");
  detail::RuntimeClient client(detail::endpoint_from_environment());
  detail::run_loop(client, handler);
}

// Runs `init` once to build the handler, then serves invocations like run_handler. When `init`
// throws, the error goes to /init/error with the exception's type (FunctionError: its type)
// and the process exits with status 1.
inline void run_with_init(const std::function<Handler()>& init) {
  Handler handler;
  try {
    handler = init();
  } catch (const FunctionError& error) {
    fail_init(error.what(), error.type());
  } catch (const std::exception& error) {
    fail_init(error.what(), detail::exception_type_name(error));
  } catch (...) {
    fail_init("init threw an exception of unknown type", "Unknown");
  }
  run_handler(handler);
}

}  // namespace lamina::lambda_runtime
