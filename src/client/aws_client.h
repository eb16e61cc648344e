#pragma once

// Calls AWS APIs (or lamina, or any endpoint speaking them) for lamina's own tools: SigV4
// signed, retried with exponential backoff and full jitter on throttling, 5xx and transport
// failures, with a timeout per attempt. AWS errors come back as values with their code and
// message, parsed from the JSON protocols' replies.
//
// Thread-safety: an AwsClient may be used from several threads at once.

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "client/credentials.h"
#include "common/expected.h"

namespace lamina::client {

struct AwsCallError {
  int http_status = 0;  // 0: the request never got a reply
  std::string code;     // e.g. "ResourceNotFoundException"; "TransportError" without reply
  std::string message;
  int attempts = 0;

  std::string Describe() const;  // "ResourceNotFoundException: Function not found …"
};

struct RetryPolicy {
  // Attempts in all, the first included. Default: 4.
  int max_attempts = 4;
  // Backoff before attempt n (n ≥ 2) is a random time in [0, min(cap, base·2^(n-2))].
  // Defaults: 100 ms base, 5 s cap.
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{5000};
  // Each attempt's deadline. Default: 60 s.
  std::chrono::milliseconds timeout{60000};
};

class AwsClient {
 public:
  AwsClient(ResolvedClient resolved, RetryPolicy retry = {});

  const ResolvedClient& resolved() const { return resolved_; }

  // awsJson 1.0/1.1: POST / with X-Amz-Target `target` (e.g. "DynamoDB_20120810.PutItem").
  Expected<boost::json::value, AwsCallError> Json(
      const std::string& service, const std::string& region, const std::string& target,
      const boost::json::object& input, const char* content_type = "application/x-amz-json-1.0");
  // The account of the credentials (STS GetCallerIdentity).
  Expected<std::string, AwsCallError> CallerAccount(const std::string& region);

  // restJson1: `method` on `path` (encoded) with `query` pairs (unencoded) and a JSON body
  // (none for an empty object on GET/DELETE). An empty reply body gives an empty object.
  Expected<boost::json::value, AwsCallError> RestJson(
      const std::string& service, const std::string& region, const std::string& method,
      const std::string& path, const std::vector<std::pair<std::string, std::string>>& query,
      const boost::json::object& input);

 private:
  // The reply body of a 2xx, or the AWS error; retried as RetryPolicy says.
  Expected<std::string, AwsCallError> CallBody(
      const std::string& service, const std::string& region, const std::string& method,
      const std::string& path, const std::string& query,
      std::vector<std::pair<std::string, std::string>> headers, const std::string& body);
  Expected<boost::json::value, AwsCallError> Call(
      const std::string& service, const std::string& region, const std::string& method,
      const std::string& path, const std::string& query,
      std::vector<std::pair<std::string, std::string>> headers, const std::string& body);

  ResolvedClient resolved_;
  RetryPolicy retry_;
};

// Signs a request in place (adds X-Amz-Date, X-Amz-Security-Token with a session token,
// X-Amz-Content-Sha256 for S3, and Authorization). `headers` must hold Host. Exposed for tests.
void SignV4(const Credentials& credentials, const std::string& service, const std::string& region,
            const std::string& method, const std::string& path, const std::string& query,
            std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
            std::chrono::system_clock::time_point now);

}  // namespace lamina::client
