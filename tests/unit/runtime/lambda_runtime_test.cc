// The C++ Lambda runtime client (runtime/cpp/lamina/lambda_runtime.h): AWS_LAMBDA_RUNTIME_API
// parsing, JSON text, the HTTP reply parser fed in every split, and the client against a
// loopback server (keep-alive reuse, the retry of a stale connection, the Runtime API paths).

#include "lamina/lambda_runtime.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lamina::lambda_runtime {
namespace {

using detail::HttpResponse;
using detail::ResponseParser;
using detail::RuntimeEndpoint;

// ---- AWS_LAMBDA_RUNTIME_API

struct EndpointCase {
  std::string value;
  std::string host, port, authority, prefix;  // host empty: the value is rejected
};

TEST(LambdaRuntime, ParsesRuntimeApi) {
  std::vector<EndpointCase> cases = {
      {"127.0.0.1:9001", "127.0.0.1", "9001", "127.0.0.1:9001", ""},
      {"127.0.0.1:4566/_lamina/runtime/abc", "127.0.0.1", "4566", "127.0.0.1:4566",
       "/_lamina/runtime/abc"},
      {"127.0.0.1:4566/_lamina/runtime/abc/", "127.0.0.1", "4566", "127.0.0.1:4566",
       "/_lamina/runtime/abc"},
      {"localhost", "localhost", "80", "localhost", ""},
      {"http://localhost:8080/x", "localhost", "8080", "localhost:8080", "/x"},
      {"[::1]:9001/p", "::1", "9001", "[::1]:9001", "/p"},
      {"[::1]", "::1", "80", "[::1]", ""},
      {"", "", "", "", ""},
      {":9001", "", "", "", ""},
      {"host:", "", "", "", ""},
      {"host:90x1", "", "", "", ""},
      {"host:123456", "", "", "", ""},
      {"[::1", "", "", "", ""},
      {"[::1]x", "", "", "", ""},
  };
  for (const EndpointCase& test : cases) {
    RuntimeEndpoint endpoint;
    std::string error;
    bool ok = detail::parse_runtime_api(test.value, &endpoint, &error);
    EXPECT_EQ(ok, !test.host.empty()) << test.value << ": " << error;
    if (!ok) {
      EXPECT_FALSE(error.empty()) << test.value;
      continue;
    }
    EXPECT_EQ(endpoint.host, test.host) << test.value;
    EXPECT_EQ(endpoint.port, test.port) << test.value;
    EXPECT_EQ(endpoint.authority, test.authority) << test.value;
    EXPECT_EQ(endpoint.prefix, test.prefix) << test.value;
  }
}

// ---- JSON text

TEST(LambdaRuntime, EscapesJson) {
  EXPECT_EQ(json_escape("plain"), "plain");
  EXPECT_EQ(json_escape("a\"b\\c/d"), "a\\\"b\\\\c/d");
  EXPECT_EQ(json_escape("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
  EXPECT_EQ(json_escape(std::string("\x00\x01\x1f\x7f", 4)), "\\u0000\\u0001\\u001f\x7f");
  // Valid UTF-8 of every length stays; each byte of an invalid sequence becomes U+FFFD.
  EXPECT_EQ(json_escape("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(json_escape("\xff"), "\\ufffd");
  EXPECT_EQ(json_escape("a\xc3"), "a\\ufffd");                                 // truncated
  EXPECT_EQ(json_escape("\xc0\xaf"), "\\ufffd\\ufffd");                        // overlong
  EXPECT_EQ(json_escape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");             // a surrogate
  EXPECT_EQ(json_escape("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");  // > U+10FFFF
  EXPECT_EQ(json_quote("x\"y"), "\"x\\\"y\"");
}

TEST(LambdaRuntime, BuildsErrorDocuments) {
  EXPECT_EQ(error_document("bad \"input\"", "InvalidInput"),
            R"({"errorMessage":"bad \"input\"","errorType":"InvalidInput","stackTrace":[]})");
  EXPECT_EQ(error_document("m", "T", {"at a", "at b"}),
            R"({"errorMessage":"m","errorType":"T","stackTrace":["at a","at b"]})");

  InvocationResponse failure = InvocationResponse::failure("no", "Custom.Type");
  EXPECT_FALSE(failure.is_success());
  EXPECT_EQ(failure.error_type(), "Custom.Type");
  EXPECT_EQ(failure.content_type(), "application/json");
  EXPECT_EQ(failure.payload(),
            R"({"errorMessage":"no","errorType":"Custom.Type","stackTrace":[]})");
  EXPECT_EQ(InvocationResponse::failure("no", "").error_type(), "Unknown");

  InvocationResponse success = InvocationResponse::success("hi", "text/plain");
  EXPECT_TRUE(success.is_success());
  EXPECT_EQ(success.payload(), "hi");
  EXPECT_EQ(success.content_type(), "text/plain");
  EXPECT_EQ(InvocationResponse::success("{}").content_type(), "application/json");
}

TEST(LambdaRuntime, ReportsHandlerExceptionsWithTheirTypes) {
  InvocationRequest request;
  request.request_id = "id";
  auto type_of = [&](const Handler& handler) {
    return detail::call_handler(handler, request).error_type();
  };
  EXPECT_EQ(type_of([](const InvocationRequest&) -> InvocationResponse {
              throw std::invalid_argument("x");
            }),
            "std::invalid_argument");
  EXPECT_EQ(type_of([](const InvocationRequest&) -> InvocationResponse {
              throw FunctionError("My.Error", "x");
            }),
            "My.Error");
  EXPECT_EQ(type_of([](const InvocationRequest&) -> InvocationResponse { throw 42; }), "Unknown");
  InvocationResponse thrown = detail::call_handler(
      [](const InvocationRequest&) -> InvocationResponse { throw std::runtime_error("boom"); },
      request);
  EXPECT_EQ(thrown.payload(),
            R"({"errorMessage":"boom","errorType":"std::runtime_error","stackTrace":[]})");
  EXPECT_TRUE(
      detail::call_handler(
          [](const InvocationRequest&) { return InvocationResponse::success("{}"); }, request)
          .is_success());
}

TEST(LambdaRuntime, RemainingTimeCountsDownToZero) {
  InvocationRequest request;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  request.deadline_ms = now + 60000;
  EXPECT_GT(request.remaining_time().count(), 55000);
  EXPECT_LE(request.remaining_time().count(), 60000);
  request.deadline_ms = now - 1000;
  EXPECT_EQ(request.remaining_time().count(), 0);
}

TEST(LambdaRuntime, BuildsRequests) {
  EXPECT_EQ(detail::request_head("GET", "/p/x", "h:1", {}, -1),
            "GET /p/x HTTP/1.1\r\nHost: h:1\r\nUser-Agent: lamina-lambda-runtime-cpp/1\r\n\r\n");
  EXPECT_EQ(detail::request_head("POST", "/x", "h", {{"A", "b\r\nInjected: 1"}}, 3),
            "POST /x HTTP/1.1\r\nHost: h\r\nUser-Agent: lamina-lambda-runtime-cpp/1\r\n"
            "Content-Length: 3\r\nA: b  Injected: 1\r\n\r\n");
  EXPECT_EQ(detail::path_segment("8476a536-e9f4_11e8.~"), "8476a536-e9f4_11e8.~");
  EXPECT_EQ(detail::path_segment("a b/c%"), "a%20b%2Fc%25");
}

// ---- The reply parser

struct Parsed {
  ResponseParser::Status status;
  HttpResponse response;
  std::string error;
  size_t consumed = 0;  // bytes of the input used
};

// Feeds `wire` in pieces of `piece` bytes (0: all at once), then the end of the connection when
// `eof` and the reply is not done yet.
Parsed Parse(const std::string& wire, size_t piece, bool eof = false) {
  ResponseParser parser;
  Parsed out{ResponseParser::Status::kNeedMore, {}, {}, 0};
  size_t at = 0;
  while (at < wire.size() && out.status == ResponseParser::Status::kNeedMore) {
    size_t size = piece == 0 ? wire.size() - at : std::min(piece, wire.size() - at);
    size_t consumed = 0;
    out.status = parser.feed(wire.data() + at, size, &consumed);
    out.consumed += consumed;
    at += size;
  }
  if (eof && out.status == ResponseParser::Status::kNeedMore) out.status = parser.finish();
  out.response = parser.response();
  out.error = parser.error();
  return out;
}

// Parses `wire` split at every size from 1 byte to all of it; every split must agree.
Parsed ParseEverySplit(const std::string& wire, bool eof = false) {
  Parsed whole = Parse(wire, 0, eof);
  for (size_t piece = 1; piece <= wire.size(); ++piece) {
    Parsed split = Parse(wire, piece, eof);
    EXPECT_EQ(split.status, whole.status) << "pieces of " << piece;
    EXPECT_EQ(split.response.body, whole.response.body) << "pieces of " << piece;
    EXPECT_EQ(split.response.headers, whole.response.headers) << "pieces of " << piece;
    EXPECT_EQ(split.response.keep_alive, whole.response.keep_alive) << "pieces of " << piece;
  }
  return whole;
}

TEST(LambdaRuntime, ParsesContentLengthReplies) {
  std::string wire =
      "HTTP/1.1 200 OK\r\n"
      "Lambda-Runtime-Aws-Request-Id: 8476a536\r\n"
      "Lambda-Runtime-Deadline-Ms:1542409706888  \r\n"
      "Content-Length: 11\r\n"
      "\r\n"
      "{\"a\":\"b c\"}";
  Parsed parsed = ParseEverySplit(wire);
  ASSERT_EQ(parsed.status, ResponseParser::Status::kDone) << parsed.error;
  EXPECT_EQ(parsed.response.status, 200);
  EXPECT_EQ(parsed.response.body, "{\"a\":\"b c\"}");
  EXPECT_EQ(parsed.response.header("lambda-runtime-aws-request-id"), "8476a536");
  EXPECT_EQ(parsed.response.header("lambda-runtime-deadline-ms"), "1542409706888");
  EXPECT_EQ(parsed.response.header("missing"), "");
  EXPECT_TRUE(parsed.response.keep_alive);

  // What follows a complete reply is not consumed: it belongs to the next one.
  Parsed pipelined = Parse(wire + "HTTP/1.1 202", 0);
  EXPECT_EQ(pipelined.status, ResponseParser::Status::kDone);
  EXPECT_EQ(pipelined.consumed, wire.size());

  // Bare LF line ends, an empty body, and a repeated identical Content-Length are accepted.
  Parsed empty = ParseEverySplit("HTTP/1.1 202 Accepted\nContent-Length: 0\nContent-Length: 0\n\n");
  EXPECT_EQ(empty.status, ResponseParser::Status::kDone) << empty.error;
  EXPECT_EQ(empty.response.status, 202);
  EXPECT_EQ(empty.response.body, "");
}

TEST(LambdaRuntime, ParsesChunkedReplies) {
  std::string wire =
      "HTTP/1.1 200 OK\r\n"
      "Transfer-Encoding: gzip, Chunked\r\n"
      "\r\n"
      "5;name=value\r\nhello\r\n"
      "1\r\n \r\n"
      "A \r\n0123456789\r\n"
      "0\r\n"
      "Trailer-Field: x\r\n"
      "\r\n";
  Parsed parsed = ParseEverySplit(wire);
  ASSERT_EQ(parsed.status, ResponseParser::Status::kDone) << parsed.error;
  EXPECT_EQ(parsed.response.body, "hello 0123456789");
  EXPECT_TRUE(parsed.response.keep_alive);
  EXPECT_EQ(Parse(wire + "rest", 0).consumed, wire.size());

  auto error_of = [](const std::string& chunks) {
    Parsed broken = Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks, 0);
    EXPECT_EQ(broken.status, ResponseParser::Status::kError) << chunks;
    return broken.error;
  };
  EXPECT_EQ(error_of("x\r\n"), "malformed chunk size");
  EXPECT_EQ(error_of("3\r\nabcd\r\n"), "chunk data longer than its size");
  EXPECT_EQ(error_of("1000000000000000\r\n"), "chunk size too large");
  EXPECT_EQ(error_of(std::string(5000, '1')), "chunk-size line too long");
}

TEST(LambdaRuntime, ParsesRepliesEndingAtClose) {
  // No length: the body runs to the end of the connection, which is then not reused.
  std::string wire = "HTTP/1.1 200 OK\r\nX: y\r\n\r\nbody to the end";
  Parsed parsed = ParseEverySplit(wire, /*eof=*/true);
  ASSERT_EQ(parsed.status, ResponseParser::Status::kDone) << parsed.error;
  EXPECT_EQ(parsed.response.body, "body to the end");
  EXPECT_FALSE(parsed.response.keep_alive);

  // A transfer coding other than chunked last: to the end as well (RFC 9112 6.3).
  Parsed gzip = Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", 0, true);
  EXPECT_EQ(gzip.status, ResponseParser::Status::kDone);
  EXPECT_EQ(gzip.response.body, "zz");

  // A close before a framed body is complete is an error.
  Parsed short_body = Parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, true);
  EXPECT_EQ(short_body.status, ResponseParser::Status::kError);
  EXPECT_EQ(short_body.error, "connection closed before the reply was complete");
  Parsed nothing = Parse("", 0, true);
  EXPECT_EQ(nothing.status, ResponseParser::Status::kError);
}

TEST(LambdaRuntime, ParsesConnectionSemantics) {
  auto keep_alive = [](const std::string& head) {
    Parsed parsed = Parse(head + "Content-Length: 0\r\n\r\n", 0);
    EXPECT_EQ(parsed.status, ResponseParser::Status::kDone) << head << parsed.error;
    return parsed.response.keep_alive;
  };
  EXPECT_TRUE(keep_alive("HTTP/1.1 200 OK\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.1 200 OK\r\nConnection: Close\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.0 200 OK\r\n"));
  EXPECT_TRUE(keep_alive("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"));
}

TEST(LambdaRuntime, SkipsInterimRepliesAndBodilessStatuses) {
  Parsed parsed = ParseEverySplit(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(parsed.status, ResponseParser::Status::kDone) << parsed.error;
  EXPECT_EQ(parsed.response.status, 200);
  EXPECT_EQ(parsed.response.body, "ok");
  EXPECT_EQ(parsed.response.header("link"), "");

  Parsed no_content = Parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 0);
  EXPECT_EQ(no_content.status, ResponseParser::Status::kDone);
  EXPECT_EQ(no_content.response.body, "");
}

TEST(LambdaRuntime, RejectsMalformedReplies) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"HTTP/2 200 OK\r\n\r\n", "malformed status line: 'HTTP/2 200 OK'"},
      {"HTTP/1.1 20 OK\r\n\r\n", "malformed status code"},
      {"HTTP/1.1 2000 OK\r\n\r\n", "malformed status code"},
      {"ICY 200 OK\r\n\r\n", "malformed status line: 'ICY 200 OK'"},
      {"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", "malformed header line"},
      {"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "malformed header line"},
      {"HTTP/1.1 200 OK\r\nName : v\r\n\r\n", "space before ':' in a header"},
      {"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", "folded header line"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "invalid Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", "conflicting Content-Length values"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       "conflicting Content-Length values"},
      {"HTTP/1.1 101 Switching Protocols\r\n\r\n", "unexpected 101 Switching Protocols"},
      {"HTTP/1.1 200 OK\r\nBig: " + std::string(kMaxHeadBytes, 'x') + "\r\n\r\n",
       "reply head exceeds 65536 bytes"},
  };
  for (const auto& [wire, error] : cases) {
    Parsed parsed = Parse(wire, 0);
    EXPECT_EQ(parsed.status, ResponseParser::Status::kError) << wire.substr(0, 60);
    EXPECT_EQ(parsed.error, error) << wire.substr(0, 60);
  }
}

// ---- The client against a loopback server

// A server on 127.0.0.1:0 that answers the requests of each accepted connection with the next
// canned replies: `script[i]` is the list of replies for connection i (after the last one, the
// connection is closed without a word).
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::vector<std::string>> script)
      : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::listen(listener_, 8), 0);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }

  RuntimeEndpoint Endpoint(const std::string& prefix) const {
    RuntimeEndpoint endpoint;
    std::string error;
    EXPECT_TRUE(detail::parse_runtime_api("127.0.0.1:" + std::to_string(port_) + prefix, &endpoint,
                                          &error));
    return endpoint;
  }
  // The requests received, one string each (head and body), by connection.
  std::vector<std::vector<std::string>> Requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    for (const std::vector<std::string>& replies : script_) {
      int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      {
        std::lock_guard lock(mutex_);
        requests_.emplace_back();
      }
      for (const std::string& reply : replies) {
        std::string request = ReadRequest(connection);
        {
          std::lock_guard lock(mutex_);
          requests_.back().push_back(request);
        }
        ::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      ReadRequest(connection);  // what the client sends next is left unanswered: a stale close
      ::close(connection);
    }
  }

  // One request: the head, then Content-Length bytes of body.
  static std::string ReadRequest(int connection) {
    std::string data;
    char c;
    while (data.find("\r\n\r\n") == std::string::npos && ::recv(connection, &c, 1, 0) == 1)
      data += c;
    size_t at = data.find("Content-Length: ");
    if (at != std::string::npos) {
      size_t length = std::stoul(data.substr(at + 16));
      while (length > 0 && ::recv(connection, &c, 1, 0) == 1) {
        data += c;
        --length;
      }
    }
    return data;
  }

  std::vector<std::vector<std::string>> script_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::vector<std::string>> requests_;
};

// A /next reply carrying `body` in one chunk.
std::string NextReply(const std::string& id, const std::string& body) {
  char size[16];
  std::snprintf(size, sizeof(size), "%zx", body.size());
  return "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: " + id +
         "\r\nLambda-Runtime-Deadline-Ms: 1700000000000"
         "\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:"
         "function:f\r\nLambda-Runtime-Trace-Id: Root=1-a\r\n"
         "Lambda-Runtime-Client-Context: {\"custom\":{}}\r\n"
         "Lambda-Runtime-Cognito-Identity: {\"cognitoIdentityId\":\"i\"}\r\n"
         "Transfer-Encoding: chunked\r\n\r\n" +
         std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n";
}

const std::string kAccepted =
    "HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";

TEST(LambdaRuntime, ClientReusesOneConnectionAndRetriesAStaleOne) {
  // Connection 1 serves next + response, then goes stale; the next call is retried on
  // connection 2, which serves next + error + init error.
  ScriptedServer server(
      {{NextReply("r1", "{\"n\":1}"), kAccepted}, {NextReply("r2", "{}"), kAccepted, kAccepted}});
  detail::RuntimeClient client(server.Endpoint("/_lamina/runtime/env1"));
  InvocationRequest request;
  std::string error;
  ASSERT_TRUE(client.next(&request, &error)) << error;
  EXPECT_EQ(request.request_id, "r1");
  EXPECT_EQ(request.payload, "{\"n\":1}");
  EXPECT_EQ(request.deadline_ms, 1700000000000);
  EXPECT_EQ(request.function_arn, "arn:aws:lambda:us-east-1:000000000000:function:f");
  EXPECT_EQ(request.xray_trace_id, "Root=1-a");
  EXPECT_EQ(request.client_context, "{\"custom\":{}}");
  EXPECT_EQ(request.cognito_identity, "{\"cognitoIdentityId\":\"i\"}");
  ASSERT_TRUE(client.post_result("r1", InvocationResponse::success("[1]"), &error)) << error;

  ASSERT_TRUE(client.next(&request, &error)) << error;  // the stale connection, retried
  EXPECT_EQ(request.request_id, "r2");
  ASSERT_TRUE(client.post_result("r2", InvocationResponse::failure("bad", "Bad.Input"), &error))
      << error;
  ASSERT_TRUE(client.post_init_error("cannot start", "Runtime.Init", &error)) << error;

  std::vector<std::vector<std::string>> requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  ASSERT_EQ(requests[0].size(), 2u);
  EXPECT_EQ(requests[0][0].rfind("GET /_lamina/runtime/env1/2018-06-01/runtime/invocation/next "
                                 "HTTP/1.1\r\n",
                                 0),
            0u)
      << requests[0][0];
  EXPECT_EQ(requests[0][1].rfind("POST /_lamina/runtime/env1/2018-06-01/runtime/invocation/r1/"
                                 "response HTTP/1.1\r\n",
                                 0),
            0u)
      << requests[0][1];
  EXPECT_NE(requests[0][1].find("Content-Length: 3\r\nContent-Type: application/json\r\n\r\n[1]"),
            std::string::npos)
      << requests[0][1];
  ASSERT_EQ(requests[1].size(), 3u);
  EXPECT_NE(requests[1][1].find("/invocation/r2/error HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(requests[1][1].find("Lambda-Runtime-Function-Error-Type: Bad.Input\r\n"),
            std::string::npos);
  EXPECT_NE(requests[1][1].find(R"({"errorMessage":"bad","errorType":"Bad.Input")"),
            std::string::npos);
  EXPECT_NE(requests[1][2].find("POST /_lamina/runtime/env1/2018-06-01/runtime/init/error "),
            std::string::npos);
  EXPECT_NE(requests[1][2].find("Lambda-Runtime-Function-Error-Type: Runtime.Init\r\n"),
            std::string::npos);
}

TEST(LambdaRuntime, ClientReportsRefusedCalls) {
  ScriptedServer server(std::vector<std::vector<std::string>>{
      {"HTTP/1.1 500 Internal\r\nContent-Length: 5\r\n\r\noops!",
       "HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n"}});
  detail::RuntimeClient client(server.Endpoint(""));
  InvocationRequest request;
  std::string error;
  EXPECT_FALSE(client.next(&request, &error));
  EXPECT_EQ(error, "/invocation/next answered 500: oops!");
  EXPECT_FALSE(client.post_result("r", InvocationResponse::success("{}"), &error));
  EXPECT_EQ(error, "/invocation/r/response answered 413: ");
}

}  // namespace
}  // namespace lamina::lambda_runtime
