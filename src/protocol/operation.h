#pragma once

// What a service handler sees and returns. Handlers never see HTTP: the protocol layer decodes
// the wire request into an OperationRequest and renders the OperationResponse (or AwsError)
// in the service's wire format.

#include <boost/json.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/byte_source.h"
#include "common/expected.h"
#include "protocol/aws_error.h"

namespace lamina {

namespace json = boost::json;

enum class Protocol { kAwsJson10, kAwsJson11, kRestJson1, kRestXml, kQuery };

std::string_view ProtocolName(Protocol protocol);

// Who is asking, and where. Built by the front door from the SigV4 scope.
struct RequestContext {
  std::string request_id;
  std::string account_id;
  std::string region;
  std::string access_key_id;
  std::string service;
  std::string operation;
};

struct OperationRequest {
  RequestContext context;
  // JSON protocols: the body object. Query protocol: the form fields (and query string) as
  // string members, e.g. {"Action": "GetCallerIdentity", "Version": "2011-06-15"}.
  // restJson1: the body object when the body is JSON.
  json::object input;
  // REST protocols: the operation's URI labels (decoded), e.g. {"LayerName": "my-layer"}.
  std::map<std::string, std::string, std::less<>> labels;
  // REST protocols: decoded query parameters in order.
  std::vector<std::pair<std::string, std::string>> query;
  std::string_view method;
  std::string_view body;
  // Streaming operations: the payload's length (after any aws-chunked decoding) when the
  // request declared it, else nullopt.
  std::optional<uint64_t> content_length;

  // A request header (case-insensitive name), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The first query parameter with this name, or nullopt.
  std::optional<std::string_view> QueryParam(std::string_view name) const;

  // Set by the front door: the request's headers as (name, value) pairs.
  const std::vector<std::pair<std::string_view, std::string_view>>* headers = nullptr;
};

class PendingResult;

struct OperationResponse {
  // JSON protocols: the body. Query protocol: rendered as XML inside <{Op}Result>.
  // restJson1: the body unless raw_body is set.
  json::value output = json::object();
  int http_status = 200;
  // REST protocols: headers bound to output members, e.g. ETag.
  std::vector<std::pair<std::string, std::string>> headers;
  // REST protocols: the body as bytes (XML documents, downloads), with its content type.
  // JSON protocols: the output already serialized as JSON text, used instead of `output`.
  std::optional<std::string> raw_body;
  std::string content_type;
  // REST protocols: a body read in pieces (an S3 object), used instead of raw_body.
  std::shared_ptr<ByteSource> body_source;
  // Set: the result comes later, from another thread (Lambda's Invoke waiting for its
  // function, the Runtime API's long poll); the rest of this response is ignored. The server
  // holds no thread meanwhile.
  std::shared_ptr<PendingResult> pending;
};

using OperationResult = Expected<OperationResponse, AwsError>;

// An operation's result supplied later. Thread-safe.
class PendingResult {
 public:
  // Supplies the result; only the first call counts. Runs the waiting callback on this thread.
  void Resolve(OperationResult result);
  // Runs `ready` with the result once there is one (right away when already resolved). Called
  // once, by the front door.
  void OnResolved(std::function<void(OperationResult)> ready);

 private:
  std::mutex mutex_;
  std::optional<OperationResult> result_;
  std::function<void(OperationResult)> ready_;
};
// Handlers are called concurrently from server threads: they must be thread-safe.
using OperationHandler = std::function<OperationResult(OperationRequest&)>;

// Takes an operation's payload in pieces as it arrives (S3 PutObject, UploadPart), so a large
// body never sits in memory. Destroyed without Finish (the client went away, or a Write or
// the framing failed): whatever it staged is discarded.
class OperationBodySink {
 public:
  virtual ~OperationBodySink() = default;
  // The next piece of the payload (aws-chunked framing already removed).
  virtual Expected<void, AwsError> Write(std::string_view data) = 0;
  // The whole payload arrived. `trailers`: aws-chunked trailing headers (lower-case names),
  // e.g. x-amz-checksum-crc32.
  virtual OperationResult Finish(
      const std::vector<std::pair<std::string, std::string>>& trailers) = 0;
};

// Called with the request (its body not yet read, `body` empty) for a streaming operation; the
// request stays alive, unchanged, until the sink is finished or destroyed. An error answers
// the request without reading its body.
using StreamingHandler =
    std::function<Expected<std::unique_ptr<OperationBodySink>, AwsError>(OperationRequest&)>;

}  // namespace lamina
