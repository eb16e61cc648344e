#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <map>
#include <thread>

#include "client/aws_client.h"
#include "client/credentials.h"
#include "client/http_client.h"
#include "protocol/sigv4.h"

namespace lamina::client {
namespace {

std::chrono::system_clock::time_point TestSuiteTime() {
  return *sigv4::ParseAmzDate("20150830T123600Z");
}

const Credentials kExample{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", "test"};

std::string HeaderOf(const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& name) {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return "";
}

TEST(SignV4, MatchesTheAwsTestSuite) {
  // "get-vanilla" and "get-vanilla-query-order-key-case" from AWS's SigV4 test suite.
  struct Case {
    std::string query;
    std::string signature;
  } cases[] = {
      {"", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"Param2=value2&Param1=value1",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
  };
  for (const Case& c : cases) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Host", "example.amazonaws.com"}};
    SignV4(kExample, "service", "us-east-1", "GET", "/", c.query, headers, "", TestSuiteTime());
    EXPECT_EQ(HeaderOf(headers, "Authorization"),
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=host;x-amz-date, Signature=" +
                  c.signature)
        << c.query;
    EXPECT_EQ(HeaderOf(headers, "X-Amz-Date"), "20150830T123600Z");
  }
}

TEST(SignV4, SessionTokenIsSigned) {
  Credentials temporary = kExample;
  temporary.session_token = "token123";
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", "example.amazonaws.com"}};
  SignV4(temporary, "lambda", "eu-west-1", "GET", "/2018-10-31/layers", "", headers, "",
         TestSuiteTime());
  EXPECT_EQ(HeaderOf(headers, "X-Amz-Security-Token"), "token123");
  EXPECT_NE(
      HeaderOf(headers, "Authorization").find("SignedHeaders=host;x-amz-date;x-amz-security-token"),
      std::string::npos);
}

class FakeEnvironment final : public Environment {
 public:
  std::map<std::string, std::string> variables;
  std::map<std::string, std::string> files;
  std::optional<std::string> Get(const std::string& name) const override {
    auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  }
  std::optional<std::string> ReadFile(const std::string& path) const override {
    auto found = files.find(path);
    if (found == files.end()) return std::nullopt;
    return found->second;
  }
};

TEST(Credentials, ChainOrderAsTheAwsCli) {
  FakeEnvironment env;
  env.variables["HOME"] = "/home/u";
  env.files["/home/u/.aws/credentials"] =
      "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = defaultsecret\n"
      "[dev]\naws_access_key_id=DEVKEY\naws_secret_access_key=devsecret\naws_session_token=tok\n";
  env.files["/home/u/.aws/config"] =
      "[default]\nregion = us-west-2\n[profile  dev]\nregion = eu-central-1\n"
      "endpoint_url = http://127.0.0.1:4566\n";
  auto resolved = Resolve({}, env);
  ASSERT_TRUE(resolved.has_value()) << resolved.error();
  EXPECT_EQ(resolved->credentials.access_key_id, "DEFAULTKEY");
  EXPECT_EQ(resolved->region, "us-west-2");
  EXPECT_EQ(EndpointFor(*resolved, "lambda", "us-west-2"),
            "https://lambda.us-west-2.amazonaws.com");

  env.variables["AWS_PROFILE"] = "dev";
  resolved = Resolve({}, env);
  ASSERT_TRUE(resolved.has_value()) << resolved.error();
  EXPECT_EQ(resolved->credentials.access_key_id, "DEVKEY");
  EXPECT_EQ(resolved->credentials.session_token, "tok");
  EXPECT_EQ(resolved->region, "eu-central-1");
  EXPECT_EQ(EndpointFor(*resolved, "dynamodb", "eu-central-1"), "http://127.0.0.1:4566");

  // The environment's keys beat a profile from AWS_PROFILE; --profile beats the environment.
  env.variables["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env.variables["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env.variables["AWS_REGION"] = "ap-south-1";
  env.variables["AWS_ENDPOINT_URL_LAMBDA"] = "http://localhost:9999";
  resolved = Resolve({}, env);
  EXPECT_EQ(resolved->credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(resolved->region, "ap-south-1");
  EXPECT_EQ(EndpointFor(*resolved, "lambda", "ap-south-1"), "http://localhost:9999");
  resolved = Resolve({"default", "sa-east-1", "http://127.0.0.1:1"}, env);
  EXPECT_EQ(resolved->credentials.access_key_id, "DEFAULTKEY");
  EXPECT_EQ(resolved->region, "sa-east-1");
  EXPECT_EQ(EndpointFor(*resolved, "lambda", "sa-east-1"), "http://127.0.0.1:1");

  auto missing = Resolve({"nope", "", ""}, env);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().find("'nope'"), std::string::npos);
}

TEST(Credentials, NothingConfiguredSaysHowToFixIt) {
  FakeEnvironment env;
  auto resolved = Resolve({}, env);
  ASSERT_FALSE(resolved.has_value());
  EXPECT_NE(resolved.error().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(Url, Parses) {
  auto url = ParseUrl("http://127.0.0.1:4566");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "4566");
  url = ParseUrl("https://lambda.us-east-1.amazonaws.com/");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->base_path, "");
  EXPECT_FALSE(ParseUrl("ftp://x").has_value());
  EXPECT_FALSE(ParseUrl("localhost:4566").has_value());
}

}  // namespace
}  // namespace lamina::client

namespace lamina::client {
namespace {

TEST(HttpClient, AServerThatNeverAnswersTimesOut) {
  // A listening socket nobody accepts on: the connection completes (backlog), the reply never
  // comes.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  Url url{"http", "127.0.0.1", std::to_string(acceptor.local_endpoint().port()), ""};
  auto started = std::chrono::steady_clock::now();
  auto reply = Send(url, "GET", "/", {{"Host", "127.0.0.1"}}, "", std::chrono::milliseconds(300));
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(reply.has_value());
  EXPECT_NE(reply.error().find("timed out"), std::string::npos) << reply.error();
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

}  // namespace
}  // namespace lamina::client

namespace lamina::client {
namespace {

// A loopback server answering each connection with the next canned reply (or closing it
// without one when the reply is empty), counting the requests it read.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> replies)
      : acceptor_(io_,
                  boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        replies_(std::move(replies)) {
    thread_ = std::thread([this] {
      for (const std::string& reply : replies_) {
        boost::asio::ip::tcp::socket socket(io_);
        boost::system::error_code error;
        acceptor_.accept(socket, error);
        if (error) return;
        std::string request;
        char buffer[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
          size_t got = socket.read_some(boost::asio::buffer(buffer), error);
          if (error) break;
          request.append(buffer, got);
        }
        ++requests_;
        if (!reply.empty()) boost::asio::write(socket, boost::asio::buffer(reply), error);
        socket.close(error);
      }
    });
  }
  ~ScriptedServer() { thread_.join(); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int requests() const { return requests_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::string> replies_;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::string Reply(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/x-amz-json-1.0"
         "\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

AwsClient ClientFor(const ScriptedServer& server) {
  ResolvedClient resolved;
  resolved.credentials = {"AKID", "secret", "", "test"};
  resolved.region = "us-east-1";
  resolved.endpoint_url = server.url();
  RetryPolicy retry;
  retry.base = std::chrono::milliseconds(1);
  retry.timeout = std::chrono::milliseconds(2000);
  return AwsClient(resolved, retry);
}

TEST(AwsClient, RetriesThrottlingThenSucceeds) {
  ScriptedServer server({Reply(400, R"({"__type":"x#ThrottlingException","message":"slow"})"),
                         Reply(503, R"({"__type":"ServiceUnavailable"})"),
                         Reply(200, R"({"ok":1})")});
  auto client = ClientFor(server);
  auto reply = client.Json("dynamodb", "us-east-1", "DynamoDB_20120810.ListTables", {});
  ASSERT_TRUE(reply.has_value()) << reply.error().Describe();
  EXPECT_EQ(reply->at("ok").as_int64(), 1);
  EXPECT_EQ(server.requests(), 3);
}

TEST(AwsClient, ClientErrorsAreNotRetriedAndCarryTheirCode) {
  ScriptedServer server(
      {Reply(400, R"({"__type":"com.amazon#ValidationException","message":"bad"})")});
  auto client = ClientFor(server);
  auto reply = client.Json("dynamodb", "us-east-1", "DynamoDB_20120810.ListTables", {});
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, "ValidationException");
  EXPECT_EQ(reply.error().message, "bad");
  EXPECT_EQ(reply.error().http_status, 400);
  EXPECT_EQ(server.requests(), 1);
}

TEST(AwsClient, APostWhoseReplyIsLostIsNotRepeated) {
  // The request reached the server; repeating a POST could publish a layer twice.
  ScriptedServer server({""});
  auto client = ClientFor(server);
  auto reply = client.Json("dynamodb", "us-east-1", "DynamoDB_20120810.PutItem", {});
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, "TransportError");
  EXPECT_EQ(reply.error().attempts, 1);
  EXPECT_EQ(server.requests(), 1);
}

}  // namespace
}  // namespace lamina::client
