#include "client/aws_client.h"

#include <algorithm>
#include <random>
#include <thread>

#include "client/http_client.h"
#include "common/clock.h"
#include "common/hashing.h"
#include "common/strings.h"
#include "http/message.h"
#include "protocol/sigv4.h"

namespace lamina::client {

namespace json = boost::json;

std::string AwsCallError::Describe() const {
  std::string text = code.empty() ? "error" : code;
  if (!message.empty()) text += ": " + message;
  if (http_status != 0) text += " (HTTP " + std::to_string(http_status) + ")";
  return text;
}

void SignV4(const Credentials& credentials, const std::string& service, const std::string& region,
            const std::string& method, const std::string& path, const std::string& query,
            std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
            std::chrono::system_clock::time_point now) {
  std::string amz_date = FormatAmzDate(now);
  headers.emplace_back("X-Amz-Date", amz_date);
  // S3 requires the payload hash as a header; other services hash the body in the signature.
  if (service == "s3") headers.emplace_back("X-Amz-Content-Sha256", HexEncode(Sha256(body)));
  if (!credentials.session_token.empty())
    headers.emplace_back("X-Amz-Security-Token", credentials.session_token);

  http::Request request;
  request.method = method;
  request.target = path + (query.empty() ? "" : "?" + query);
  request.body = body;
  sigv4::Signature signature;
  for (const auto& [name, value] : headers) {
    request.headers.push_back({name, value});
    signature.signed_headers.push_back(ToLower(name));
  }
  std::sort(signature.signed_headers.begin(), signature.signed_headers.end());
  signature.signed_headers.erase(
      std::unique(signature.signed_headers.begin(), signature.signed_headers.end()),
      signature.signed_headers.end());
  signature.credential = {credentials.access_key_id, amz_date.substr(0, 8), region, service};
  signature.amz_date = amz_date;
  std::string canonical = sigv4::CanonicalRequest(request, signature);
  std::string hex = sigv4::Sign(credentials.secret_access_key, signature.credential,
                                sigv4::StringToSign(signature, canonical));
  std::string signed_list;
  for (const auto& name : signature.signed_headers)
    signed_list += (signed_list.empty() ? "" : ";") + name;
  headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id +
                                            "/" + signature.credential.Scope() +
                                            ", SignedHeaders=" + signed_list +
                                            ", Signature=" + hex);
}

AwsClient::AwsClient(ResolvedClient resolved, RetryPolicy retry)
    : resolved_(std::move(resolved)), retry_(retry) {}

namespace {

bool Retryable(const AwsCallError& error) {
  if (error.http_status == 0 || error.http_status >= 500 || error.http_status == 429) return true;
  for (const char* code : {"ThrottlingException", "Throttling", "TooManyRequestsException",
                           "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                           "ServiceUnavailable", "SlowDown"})
    if (error.code == code) return true;
  return false;
}

// The error of a JSON-protocol reply: __type (awsJson, after '#') or the X-Amzn-ErrorType
// header (restJson1), and message / Message.
AwsCallError ParseError(const HttpResult& reply) {
  AwsCallError error;
  error.http_status = reply.status;
  for (const auto& [name, value] : reply.headers)
    if (EqualsIgnoreCase(name, "x-amzn-errortype")) error.code = value.substr(0, value.find(':'));
  boost::system::error_code parse_error;
  json::value body = json::parse(reply.body, parse_error);
  if (!parse_error && body.is_object()) {
    const json::object& object = body.get_object();
    if (error.code.empty())
      if (const json::value* type = object.if_contains("__type"); type && type->is_string()) {
        std::string text(type->get_string());
        error.code = text.substr(text.find('#') == std::string::npos ? 0 : text.find('#') + 1);
      }
    for (const char* key : {"message", "Message"})
      if (const json::value* message = object.if_contains(key); message && message->is_string()) {
        error.message = std::string(message->get_string());
        break;
      }
  }
  if (error.code.empty()) error.code = "HTTP" + std::to_string(reply.status);
  if (error.message.empty()) error.message = reply.body.substr(0, 300);
  return error;
}

}  // namespace

Expected<json::value, AwsCallError> AwsClient::Call(
    const std::string& service, const std::string& region, const std::string& method,
    const std::string& path, const std::string& query,
    std::vector<std::pair<std::string, std::string>> headers, const std::string& body) {
  auto reply = CallBody(service, region, method, path, query, std::move(headers), body);
  if (!reply) return Unexpected(reply.error());
  if (reply->empty()) return json::value(json::object());
  boost::system::error_code parse_error;
  json::value value = json::parse(*reply, parse_error);
  if (parse_error)
    return Unexpected(
        AwsCallError{200, "InvalidReply", "the reply is not JSON: " + reply->substr(0, 200), 1});
  return value;
}

Expected<std::string, AwsCallError> AwsClient::CallerAccount(const std::string& region) {
  auto reply = CallBody("sts", region, "POST", "/", "",
                        {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                        "Action=GetCallerIdentity&Version=2011-06-15");
  if (!reply) return Unexpected(reply.error());
  size_t open = reply->find("<Account>");
  size_t close = reply->find("</Account>");
  if (open == std::string::npos || close == std::string::npos || close < open)
    return Unexpected(AwsCallError{200, "InvalidReply", "no <Account> in GetCallerIdentity", 1});
  return reply->substr(open + 9, close - open - 9);
}

Expected<std::string, AwsCallError> AwsClient::CallBody(
    const std::string& service, const std::string& region, const std::string& method,
    const std::string& path, const std::string& query,
    std::vector<std::pair<std::string, std::string>> headers, const std::string& body) {
  auto url = ParseUrl(EndpointFor(resolved_, service, region));
  if (!url) return Unexpected(AwsCallError{0, "InvalidEndpoint", url.error(), 0});
  bool default_port = (url->scheme == "http" && url->port == "80") ||
                      (url->scheme == "https" && url->port == "443");
  headers.emplace_back("Host", default_port ? url->host : url->host + ":" + url->port);
  thread_local std::mt19937_64 random(std::random_device{}());
  AwsCallError last;
  for (int attempt = 1; attempt <= retry_.max_attempts; ++attempt) {
    if (attempt > 1) {
      auto ceiling =
          std::min<long long>(retry_.cap.count(), retry_.base.count() << std::min(attempt - 2, 20));
      std::uniform_int_distribution<long long> pause(0, std::max<long long>(ceiling, 0));
      std::this_thread::sleep_for(std::chrono::milliseconds(pause(random)));
    }
    auto signed_headers = headers;
    // The path as the server sees it, for the signature: the endpoint's base path first.
    SignV4(resolved_.credentials, service, region, method, url->base_path + path, query,
           signed_headers, body, std::chrono::system_clock::now());
    auto reply = Send(*url, method, path + (query.empty() ? "" : "?" + query), signed_headers, body,
                      retry_.timeout);
    if (!reply) {
      last = AwsCallError{0, "TransportError", reply.error(), attempt};
      bool not_sent = reply.error().rfind("cannot connect", 0) == 0 ||
                      reply.error().rfind("cannot resolve", 0) == 0;
      bool certificate = reply.error().find("certificate") != std::string::npos;
      // A request that may have reached the server is repeated only when repeating is
      // harmless: a lost PublishLayerVersion reply must not publish a second version.
      if (certificate || (!not_sent && method != "GET" && method != "DELETE")) break;
      continue;
    }
    if (reply->status >= 200 && reply->status < 300) return std::move(reply->body);
    last = ParseError(*reply);
    last.attempts = attempt;
    if (!Retryable(last)) break;
  }
  return Unexpected(last);
}

Expected<json::value, AwsCallError> AwsClient::Json(const std::string& service,
                                                    const std::string& region,
                                                    const std::string& target,
                                                    const json::object& input,
                                                    const char* content_type) {
  return Call(service, region, "POST", "/", "",
              {{"Content-Type", content_type}, {"X-Amz-Target", target}}, json::serialize(input));
}

Expected<json::value, AwsCallError> AwsClient::RestJson(
    const std::string& service, const std::string& region, const std::string& method,
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& query,
    const json::object& input) {
  std::vector<std::pair<std::string, std::string>> sorted = query;
  std::sort(sorted.begin(), sorted.end());
  std::string query_text;
  for (const auto& [name, value] : sorted)
    query_text +=
        (query_text.empty() ? "" : "&") + UriEncode(name, false) + "=" + UriEncode(value, false);
  bool has_body = !(input.empty() && (method == "GET" || method == "DELETE"));
  std::vector<std::pair<std::string, std::string>> headers;
  if (has_body) headers.emplace_back("Content-Type", "application/json");
  return Call(service, region, method, path, query_text, std::move(headers),
              has_body ? json::serialize(input) : std::string());
}

}  // namespace lamina::client
