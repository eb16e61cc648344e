#include "protocol/front_door.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <optional>

#include "common/hashing.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"
#include "protocol/aws_chunked.h"
#include "protocol/codec.h"
#include "protocol/errors.h"
#include "protocol/sigv4.h"

namespace lamina {

namespace {

// The AWS services lamina can recognise on the wire, whether or not it implements them, so an
// unimplemented one still gets an error in its own protocol.
std::vector<ServiceDescriptor> KnownServices() {
  auto make = [](std::string name, Protocol protocol, std::string target,
                 std::string error_namespace, std::string xml_namespace) {
    ServiceDescriptor service;
    service.name = std::move(name);
    service.protocol = protocol;
    service.json_target_prefix = std::move(target);
    service.error_namespace = std::move(error_namespace);
    service.xml_namespace = std::move(xml_namespace);
    return service;
  };
  return {
      make("dynamodb", Protocol::kAwsJson10, "DynamoDB_20120810",
           "com.amazonaws.dynamodb.v20120810", ""),
      make("dynamodbstreams", Protocol::kAwsJson10, "DynamoDBStreams_20120810",
           "com.amazonaws.dynamodb.v20120810", ""),
      make("kinesis", Protocol::kAwsJson11, "Kinesis_20131202", "", ""),
      make("logs", Protocol::kAwsJson11, "Logs_20140328", "", ""),
      make("events", Protocol::kAwsJson11, "AWSEvents", "", ""),
      make("lambda", Protocol::kRestJson1, "", "", ""),
      make("s3", Protocol::kRestXml, "", "", ""),
      make("sts", Protocol::kQuery, "AWSSecurityTokenServiceV20110615", "",
           "https://sts.amazonaws.com/doc/2011-06-15/"),
      make("cloudformation", Protocol::kQuery, "", "",
           "http://cloudformation.amazonaws.com/doc/2010-05-15/"),
  };
}

// AWS's longest presigned URL lifetime: one week.
constexpr long kMaxPresignedExpirySeconds = 7 * 24 * 3600;

bool IsJsonProtocol(Protocol protocol) {
  return protocol == Protocol::kAwsJson10 || protocol == Protocol::kAwsJson11;
}

// Lambda's REST paths start with an API date, e.g. /2015-03-31/functions.
bool LooksLikeLambdaPath(std::string_view path) {
  return path.size() >= 12 && path[0] == '/' && path[5] == '-' && path[8] == '-' &&
         path[11] == '/' && path.substr(1, 2) == "20";
}

// The bucket a virtual-hosted S3 request names in its Host: BUCKET.localhost,
// BUCKET.s3.localhost, BUCKET.s3[.-]REGION.amazonaws.com, BUCKET.s3.amazonaws.com,
// BUCKET.s3.localhost.localstack.cloud (any port). Empty for every other host.
std::string VirtualHostBucket(const http::Request& request) {
  std::string host = ToLower(Trim(request.HeaderOr("host")));
  if (!host.empty() && host[0] == '[') return {};  // an IPv6 literal
  if (size_t colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  static constexpr std::string_view kSuffixes[] = {".s3.localhost.localstack.cloud",
                                                   ".s3.localhost", ".localhost"};
  for (std::string_view suffix : kSuffixes) {
    if (host.size() > suffix.size() && host.ends_with(suffix)) {
      std::string bucket = host.substr(0, host.size() - suffix.size());
      // "s3.localhost" itself is the path-style endpoint.
      return bucket == "s3" ? std::string() : bucket;
    }
  }
  if (!host.ends_with(".amazonaws.com")) return {};
  size_t s3 = host.rfind(".s3.");
  if (s3 == std::string::npos) s3 = host.rfind(".s3-");
  return s3 == std::string::npos || s3 == 0 ? std::string() : host.substr(0, s3);
}

bool IsFormBody(const http::Request& request) {
  std::string_view type = request.HeaderOr("content-type");
  return type.find("application/x-www-form-urlencoded") != std::string_view::npos;
}

}  // namespace

FrontDoor::FrontDoor(AuthOptions auth) : auth_(std::move(auth)) {
  for (auto& service : KnownServices()) {
    services_.push_back(std::make_unique<ServiceDescriptor>(std::move(service)));
    implemented_.push_back(false);
  }
}

void FrontDoor::AddService(ServiceDescriptor service) {
  for (size_t i = 0; i < services_.size(); ++i) {
    if (services_[i]->name == service.name) {
      *services_[i] = std::move(service);
      implemented_[i] = true;
      return;
    }
  }
  services_.push_back(std::make_unique<ServiceDescriptor>(std::move(service)));
  implemented_.push_back(true);
}

void FrontDoor::AddAdminRoute(std::string path_prefix, http::Handler handler) {
  admin_routes_.emplace_back(std::move(path_prefix), std::move(handler));
}

std::vector<std::string> FrontDoor::ImplementedServices() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < services_.size(); ++i)
    if (implemented_[i]) names.push_back(services_[i]->name);
  return names;
}

std::string FrontDoor::AccountFor(std::string_view access_key_id) const {
  auto found = auth_.keys.find(std::string(access_key_id));
  if (found != auth_.keys.end() && !found->second.account_id.empty())
    return found->second.account_id;
  if (IsAccountId(access_key_id)) return std::string(access_key_id);
  return auth_.default_account;
}

const ServiceDescriptor* FrontDoor::ByName(std::string_view name) const {
  for (const auto& service : services_)
    if (service->name == name) return service.get();
  return nullptr;
}

const ServiceDescriptor* FrontDoor::ByTargetPrefix(std::string_view prefix) const {
  for (const auto& service : services_)
    if (!service->json_target_prefix.empty() && service->json_target_prefix == prefix)
      return service.get();
  return nullptr;
}

FrontDoor::Identified FrontDoor::Identify(const http::Request& request,
                                          const std::string* scope_service,
                                          const json::object* form) const {
  Identified result;
  // 1. JSON protocols name the operation in X-Amz-Target: "Prefix.Operation".
  if (const std::string* target = request.FindHeader("x-amz-target")) {
    std::string_view text = Trim(*target);
    size_t dot = text.rfind('.');
    std::string_view prefix = dot == std::string_view::npos ? text : text.substr(0, dot);
    result.operation =
        dot == std::string_view::npos ? std::string() : std::string(text.substr(dot + 1));
    result.what = std::string(text);
    result.service = ByTargetPrefix(prefix);
    std::string_view type = request.HeaderOr("content-type");
    result.protocol = type.find("1.1") != std::string_view::npos ? Protocol::kAwsJson11
                      : result.service != nullptr && IsJsonProtocol(result.service->protocol)
                          ? result.service->protocol
                          : Protocol::kAwsJson10;
    return result;
  }

  // 2. The query protocol's Action, from the form body or the query string.
  std::string action;
  if (form != nullptr) {
    if (const json::value* value = form->if_contains("Action"); value && value->is_string())
      action = std::string(value->get_string());
  }

  // 3. The SigV4 scope names the service.
  if (scope_service != nullptr) {
    if (const ServiceDescriptor* service = ByName(*scope_service)) {
      result.service = service;
      result.protocol = service->protocol;
      if (service->protocol == Protocol::kQuery) {
        result.operation = action;
        result.what = action.empty() ? std::string("(no Action)") : action;
      } else {
        result.what = request.method + " " + std::string(request.RawPath());
      }
      return result;
    }
  }

  if (!action.empty()) {
    result.protocol = Protocol::kQuery;
    result.operation = action;
    result.what = action;
    for (const auto& service : services_) {
      if (service->protocol == Protocol::kQuery && service->operations.count(action)) {
        result.service = service.get();
        return result;
      }
    }
    result.service = scope_service == nullptr ? ByName("sts") : nullptr;
    result.action_unknown = true;
    return result;
  }

  // 4. REST services by path: Lambda's dated paths, else S3 (which also takes anonymous
  // requests).
  result.what = request.method + " " + std::string(request.RawPath());
  if (scope_service != nullptr) {
    // A signed request for a service lamina does not know: answer in JSON, naming it.
    result.protocol = Protocol::kAwsJson10;
    result.what = *scope_service + " " + result.what;
    return result;
  }
  result.service = ByName(LooksLikeLambdaPath(request.RawPath()) ? "lambda" : "s3");
  result.protocol = result.service->protocol;
  return result;
}

// Everything the front door learns about a request before its handler runs.
struct FrontDoor::Admission {
  RequestContext context;
  Identified identified;
  Expected<std::optional<sigv4::Signature>, std::string> signature =
      std::optional<sigv4::Signature>();
  json::object form;
  bool has_form = false;
  // REST protocols: the path routed on (for a virtual-hosted S3 request, "/BUCKET" + path).
  std::string route_path;
  std::chrono::steady_clock::time_point started;
};

FrontDoor::Admission FrontDoor::Admit(const http::Request& request, bool body_read) const {
  Admission admission;
  admission.started = std::chrono::steady_clock::now();
  admission.context.request_id = NewUuid();
  admission.signature = sigv4::Find(request);
  const std::string* scope_service = nullptr;
  if (admission.signature && admission.signature->has_value() && !(*admission.signature)->legacy)
    scope_service = &(*admission.signature)->credential.service;
  if (!request.FindHeader("x-amz-target")) {
    if (body_read && IsFormBody(request)) {
      admission.form = codec::ParseFormBody(request.body);
      admission.has_form = true;
    }
    if (!request.RawQuery().empty() &&
        request.RawQuery().find("Action=") != std::string_view::npos) {
      for (auto& [name, value] : ParseQueryString(request.RawQuery(), true))
        if (!admission.form.contains(name)) admission.form[name] = value;
      admission.has_form = true;
    }
  }
  admission.identified =
      Identify(request, scope_service, admission.has_form ? &admission.form : nullptr);
  admission.route_path = std::string(request.RawPath());
  std::string bucket = VirtualHostBucket(request);
  if (!bucket.empty() && (scope_service == nullptr || *scope_service == "s3") &&
      !request.FindHeader("x-amz-target") && !admission.has_form)
    admission.identified.service = ByName("s3");
  if (!bucket.empty() && admission.identified.service != nullptr &&
      admission.identified.service->name == "s3") {
    admission.identified.protocol = Protocol::kRestXml;
    admission.route_path = "/" + bucket + admission.route_path;
    admission.identified.what = request.method + " " + admission.route_path;
  }
  admission.context.service = admission.identified.service != nullptr
                                  ? admission.identified.service->name
                                  : std::string("unknown");
  admission.context.operation = admission.identified.operation;
  admission.context.region = auth_.default_region;
  admission.context.account_id = auth_.default_account;
  if (admission.signature && admission.signature->has_value()) {
    const sigv4::Signature& found = **admission.signature;
    admission.context.access_key_id = found.credential.access_key_id;
    admission.context.account_id = AccountFor(found.credential.access_key_id);
    if (!found.credential.region.empty()) admission.context.region = found.credential.region;
  }
  return admission;
}

std::optional<AwsError> FrontDoor::Authenticate(const http::Request& request,
                                                const Admission& admission) const {
  Protocol protocol = admission.identified.protocol;
  if (protocol == Protocol::kRestXml) {
    // x-amz-content-sha256, when sent, must be a hash or one of the values S3 knows.
    if (const std::string* declared = request.FindHeader("x-amz-content-sha256")) {
      std::string_view value = Trim(*declared);
      bool hash = value.size() == 64 && std::all_of(value.begin(), value.end(), [](char c) {
                    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                  });
      if (!hash && value != "UNSIGNED-PAYLOAD" && !aws_chunked::ModeOf(value))
        return AwsError("InvalidArgument",
                        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                        "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.")
            .With("ArgumentName", "x-amz-content-sha256")
            .With("ArgumentValue", std::string(value));
    }
    // A browser's CORS preflight carries no credentials, on AWS as here.
    if (request.method == "OPTIONS" && !request.FindHeader("authorization")) return std::nullopt;
  }
  if (!admission.signature) {
    if (auth_.mode == AuthOptions::Mode::kStrict)
      return protocol_errors::IncompleteSignature(protocol, admission.signature.error());
    return std::nullopt;
  }
  if (auth_.mode != AuthOptions::Mode::kStrict) return std::nullopt;
  if (!admission.signature->has_value())
    return protocol_errors::MissingAuthenticationToken(protocol);
  const sigv4::Signature& found = **admission.signature;
  auto key = auth_.keys.find(found.credential.access_key_id);
  if (key == auth_.keys.end())
    return protocol_errors::UnrecognizedClient(protocol, found.credential.access_key_id);
  if (found.legacy)
    return protocol_errors::IncompleteSignature(
        protocol, "lamina accepts only AWS4-HMAC-SHA256 signatures in strict mode");
  auto signed_at = sigv4::ParseAmzDate(found.amz_date);
  if (!signed_at)
    return protocol_errors::IncompleteSignature(
        protocol,
        "X-Amz-Date must be in ISO 8601 basic format (yyyyMMddTHHmmssZ): " + found.amz_date);
  if (found.credential.date != found.amz_date.substr(0, 8))
    return protocol_errors::InvalidSignature(
        protocol,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
        "date from HTTP: '" +
            found.credential.date + "' != '" + found.amz_date.substr(0, 8) + "', from '" +
            found.amz_date + "'.");
  auto now = std::chrono::system_clock::now();
  bool s3 = protocol == Protocol::kRestXml;
  // S3 words these its own way (RequestTimeTooSkewed, AuthorizationQueryParametersError).
  auto skewed = [&](std::string detail) {
    if (!s3) return protocol_errors::SignatureExpired(protocol, detail);
    return AwsError("RequestTimeTooSkewed",
                    "The difference between the request time and the current time is too large.",
                    403)
        .With("RequestTime", found.amz_date)
        .With("ServerTime", FormatIso8601(now))
        .With("MaxAllowedSkewMilliseconds",
              std::to_string(std::chrono::milliseconds(auth_.max_clock_skew).count()));
  };
  auto query_error = [&](std::string detail) {
    if (!s3) return protocol_errors::IncompleteSignature(protocol, detail);
    return AwsError("AuthorizationQueryParametersError", detail);
  };
  if (*signed_at - now > auth_.max_clock_skew && !(s3 && found.presigned))
    return skewed("Signature not yet current: " + found.amz_date + " is still later than " +
                  FormatAmzDate(now + auth_.max_clock_skew) + " (" + FormatAmzDate(now) +
                  " + 15 min.)");
  if (found.presigned) {
    if (!found.expires_seconds)
      return query_error("Query-string authentication requires the X-Amz-Expires parameter");
    if (*found.expires_seconds > kMaxPresignedExpirySeconds)
      return query_error("X-Amz-Expires must be less than a week (in seconds) that is 604800");
    if (s3 && *signed_at - now > auth_.max_clock_skew)
      return AwsError("AccessDenied", "Request is not valid yet", 403);
    if (now > *signed_at + std::chrono::seconds(*found.expires_seconds)) {
      if (!s3) return protocol_errors::SignatureExpired(protocol, "Request has expired");
      return AwsError("AccessDenied", "Request has expired", 403)
          .With("X-Amz-Expires", std::to_string(*found.expires_seconds))
          .With("Expires", FormatIso8601(*signed_at + std::chrono::seconds(*found.expires_seconds)))
          .With("ServerTime", FormatIso8601(now));
    }
  } else if (now - *signed_at > auth_.max_clock_skew) {
    return skewed("Signature expired: " + found.amz_date + " is now earlier than " +
                  FormatAmzDate(now - auth_.max_clock_skew) + " (" + FormatAmzDate(now) +
                  " - 15 min.)");
  }
  if (s3 && !found.presigned) {
    // S3 needs the payload's hash (or how it is sent) named in every header-signed request.
    std::string_view declared = Trim(request.HeaderOr("x-amz-content-sha256"));
    if (declared.empty())
      return AwsError("InvalidRequest",
                      "Missing required header for this request: x-amz-content-sha256");
  }
  if (!sigv4::Verify(request, found, key->second.secret_access_key))
    return protocol_errors::InvalidSignature(protocol);
  return std::nullopt;
}

std::optional<AwsError> FrontDoor::Route(const http::Request& request, Admission& admission,
                                         OperationRequest& operation) const {
  const ServiceDescriptor* service = admission.identified.service;
  Protocol protocol = admission.identified.protocol;
  if (service == nullptr) {
    if (admission.identified.action_unknown || protocol == Protocol::kQuery)
      return protocol_errors::UnknownOperation(Protocol::kQuery, "lamina",
                                               admission.identified.what);
    return protocol_errors::UnknownOperation(protocol, "lamina", admission.identified.what);
  }
  if (protocol == Protocol::kQuery && admission.identified.operation.empty())
    return protocol_errors::MissingAction();
  if (protocol == Protocol::kRestJson1 || protocol == Protocol::kRestXml) {
    operation.query = ParseQueryString(request.RawQuery(), false);
    auto match = service->routes.Find(
        request.method, admission.route_path, operation.query,
        [&](std::string_view name) { return request.FindHeader(name) != nullptr; });
    if (!match && protocol == Protocol::kRestXml && !PercentDecode(admission.route_path))
      return AwsError("InvalidURI", "Couldn't parse the specified URI.", 400)
          .With("URI", admission.route_path);
    if (!match)
      return protocol_errors::UnknownOperation(protocol, service->name, admission.identified.what);
    admission.context.operation = match->operation;
    operation.labels = std::move(match->labels);
  }
  if (!service->operations.count(admission.context.operation) &&
      !service->streaming_operations.count(admission.context.operation))
    return protocol_errors::UnknownOperation(protocol, service->name, admission.identified.what);
  return std::nullopt;
}

http::Response FrontDoor::Render(const Admission& admission, OperationResult result) const {
  Protocol protocol = admission.identified.protocol;
  http::Response response;
  if (result && result->pending) {
    // Rendered (and logged) when the result arrives; the server waits for it meanwhile.
    auto deferred = std::make_shared<http::Deferred>();
    response.deferred = deferred;
    std::shared_ptr<PendingResult> pending = std::move(result->pending);
    pending->OnResolved([this, admission, deferred](OperationResult later) {
      if (later && later->pending)
        later = Unexpected(protocol_errors::InternalFailure(admission.identified.protocol));
      deferred->Resolve(Render(admission, std::move(later)));
    });
    return response;
  }
  if (result) {
    response =
        codec::RenderSuccess(protocol, *admission.identified.service, admission.context.operation,
                             *result, admission.context.request_id);
  } else {
    AwsError& error = result.error();
    // S3 errors name the resource they concern, e.g. <Resource>/bucket/key</Resource>.
    if (protocol == Protocol::kRestXml) {
      bool named = false;
      for (const auto& [name, value] : error.extra) named = named || name == "Resource";
      if (!named)
        error.extra.emplace_back(
            "Resource", PercentDecode(admission.route_path).value_or(admission.route_path));
    }
    response = codec::RenderError(protocol, admission.identified.service, error,
                                  admission.context.request_id);
  }
  if (LogEnabled(LogLevel::kInfo)) {
    const RequestContext& context = admission.context;
    double millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              admission.started)
                        .count();
    char latency[32];
    std::snprintf(latency, sizeof(latency), "%.3fms", millis);
    LogInfo(context.service + "." + (context.operation.empty() ? "?" : context.operation) + " " +
            std::to_string(response.status) + " " + latency + " account=" + context.account_id +
            " region=" + context.region + " request=" + context.request_id);
  }
  return response;
}

namespace {

// The x-amz-content-sha256 a request declares as a hex SHA-256 of its body, or empty
// (absent, UNSIGNED-PAYLOAD, a streaming value).
std::string DeclaredBodyHash(const http::Request& request) {
  std::string declared = ToLower(Trim(request.HeaderOr("x-amz-content-sha256")));
  if (declared.size() != 64) return {};
  for (char c : declared)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
  return declared;
}

AwsError PayloadHashMismatch(Protocol protocol) {
  if (protocol == Protocol::kRestXml)
    return AwsError("XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was "
                    "computed.");
  return protocol_errors::InvalidSignature(
      protocol, "The request body does not match its x-amz-content-sha256 header");
}

AwsError IncompleteBody(std::string_view detail) {
  return AwsError("IncompleteBody",
                  "The request body is malformed or incomplete: " + std::string(detail));
}

}  // namespace

// The body of a streaming operation, on its way from the socket to the service's sink: checks
// the declared x-amz-content-sha256, removes aws-chunked framing (verifying chunk signatures in
// strict mode), and renders the outcome.
class FrontDoor::StreamingBody final : public http::BodySink {
 public:
  StreamingBody(const FrontDoor& door, Admission admission, http::Request head)
      : door_(door), admission_(std::move(admission)), head_(std::move(head)) {}

  // Sets up the decoding and asks the service for its sink; an error is the reply.
  std::optional<AwsError> Start(const StreamingHandler& handler,
                                std::optional<aws_chunked::Verification> verification) {
    operation_.method = head_.method;
    for (const auto& header : head_.headers) header_views_.emplace_back(header.name, header.value);
    operation_.headers = &header_views_;
    operation_.query = ParseQueryString(head_.RawQuery(), false);
    declared_hash_ = DeclaredBodyHash(head_);
    std::string_view content_sha256 = Trim(head_.HeaderOr("x-amz-content-sha256"));
    auto mode = aws_chunked::ModeOf(content_sha256);
    if (mode) {
      decoder_.emplace(*mode, std::move(verification));
      const std::string* decoded = head_.FindHeader("x-amz-decoded-content-length");
      if (decoded == nullptr)
        return AwsError("MissingContentLength",
                        "You must provide the x-amz-decoded-content-length header with an "
                        "aws-chunked body.",
                        411);
      uint64_t length = 0;
      if (!ParseLength(*decoded, length))
        return AwsError("InvalidArgument", "x-amz-decoded-content-length is not a number.");
      operation_.content_length = length;
    } else if (const std::string* length_header = head_.FindHeader("content-length")) {
      uint64_t length = 0;
      if (ParseLength(*length_header, length)) operation_.content_length = length;
    }
    OperationRequest& operation = operation_;
    if (auto routed = door_.Route(head_, admission_, operation); routed) return routed;
    operation_.context = admission_.context;
    OperationResult started = Run([&]() -> OperationResult {
      auto sink = handler(operation_);
      if (!sink) return Unexpected(sink.error());
      sink_ = std::move(*sink);
      return OperationResponse();
    });
    if (!started) return started.error();
    return std::nullopt;
  }

  bool Write(std::string_view data) override {
    if (error_) return false;
    if (!declared_hash_.empty()) hasher_.Update(data);
    if (!decoder_) return Pass(data);
    auto fed = decoder_->Feed(data, [this](std::string_view payload) { Pass(payload); });
    if (!fed && !error_) error_ = ChunkError(fed.error());
    return !error_;
  }

  http::Response Finish(bool complete) override {
    if (!complete && !error_) {
      sink_.reset();  // the client went away: the upload is discarded
      http::Response none;
      none.close_connection = true;
      return none;
    }
    if (!error_ && !declared_hash_.empty() && HexEncode(hasher_.Finish()) != declared_hash_)
      error_ = PayloadHashMismatch(admission_.identified.protocol);
    if (!error_ && decoder_) {
      if (auto finished = decoder_->Finish(); !finished) error_ = ChunkError(finished.error());
    }
    if (!error_ && decoder_ && operation_.content_length &&
        decoder_->decoded_bytes() != *operation_.content_length)
      error_ = IncompleteBody("x-amz-decoded-content-length says " +
                              std::to_string(*operation_.content_length) + " bytes, the body had " +
                              std::to_string(decoder_->decoded_bytes()));
    if (error_) {
      sink_.reset();
      http::Response response = door_.Render(admission_, Unexpected(*error_));
      response.close_connection = !complete;
      return response;
    }
    static const std::vector<std::pair<std::string, std::string>> kNoTrailers;
    OperationResult result =
        Run([&] { return sink_->Finish(decoder_ ? decoder_->trailers() : kNoTrailers); });
    sink_.reset();
    return door_.Render(admission_, std::move(result));
  }

  // Runs `step` under the per-request catch-all: a bug becomes InternalFailure, not a crash.
  template <typename Step>
  OperationResult Run(Step step) {
    try {
      return step();
    } catch (const std::exception& failure) {
      LogError("internal failure in " + admission_.context.service + "." +
               admission_.context.operation + " (request " + admission_.context.request_id +
               "): " + failure.what());
    }
    return Unexpected(protocol_errors::InternalFailure(admission_.identified.protocol));
  }

  Admission& admission() { return admission_; }

 private:
  static bool ParseLength(std::string_view text, uint64_t& length) {
    text = Trim(text);
    if (text.empty() || text.size() > 19) return false;
    length = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      length = length * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
  }

  AwsError ChunkError(const std::string& detail) const {
    if (decoder_ && decoder_->failure() == aws_chunked::Failure::kSignatureMismatch)
      return AwsError("SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your key and signing method. (" +
                          detail + ")",
                      403);
    return IncompleteBody(detail);
  }

  bool Pass(std::string_view payload) {
    if (error_) return false;
    auto written = Run([&]() -> OperationResult {
      auto step = sink_->Write(payload);
      if (!step) return Unexpected(step.error());
      return OperationResponse();
    });
    if (!written) error_ = written.error();
    return !error_;
  }

  const FrontDoor& door_;
  Admission admission_;
  http::Request head_;
  std::vector<std::pair<std::string_view, std::string_view>> header_views_;
  OperationRequest operation_;
  std::unique_ptr<OperationBodySink> sink_;
  std::optional<aws_chunked::Decoder> decoder_;
  std::string declared_hash_;
  Sha256Hasher hasher_;
  std::optional<AwsError> error_;
};

std::optional<aws_chunked::Verification> FrontDoor::ChunkVerification(
    const http::Request& request, const Admission& admission) const {
  if (auth_.mode != AuthOptions::Mode::kStrict || !admission.signature ||
      !admission.signature->has_value())
    return std::nullopt;
  const sigv4::Signature& found = **admission.signature;
  auto key = auth_.keys.find(found.credential.access_key_id);
  if (key == auth_.keys.end()) return std::nullopt;
  std::string_view declared = Trim(request.HeaderOr("x-amz-content-sha256"));
  if (declared.find("UNSIGNED") != std::string_view::npos) return std::nullopt;
  aws_chunked::Verification verification;
  verification.signing_key = sigv4::SigningKey(key->second.secret_access_key, found.credential);
  verification.amz_date = found.amz_date;
  verification.scope = found.credential.Scope();
  verification.seed_signature = found.signature;
  return verification;
}

http::BodyPlan FrontDoor::Plan(http::Request& request) const {
  http::BodyPlan plan;
  // Only S3's PutObject and UploadPart stream; both are PUTs.
  if (request.method != "PUT") return plan;
  for (const auto& [prefix, handler] : admin_routes_)
    if (request.RawPath().substr(0, prefix.size()) == prefix) return plan;
  Admission admission = Admit(request, false);
  const ServiceDescriptor* service = admission.identified.service;
  if (service == nullptr || service->streaming_operations.empty()) return plan;
  OperationRequest probe;
  probe.query = ParseQueryString(request.RawQuery(), false);
  auto match = service->routes.Find(
      request.method, admission.route_path, probe.query,
      [&](std::string_view name) { return request.FindHeader(name) != nullptr; });
  if (!match) return plan;
  auto handler = service->streaming_operations.find(match->operation);
  if (handler == service->streaming_operations.end()) return plan;
  // Strict mode verifies the signature from the head; without a declared payload hash the
  // canonical request needs the whole body, so such a request is read whole instead.
  if (auth_.mode == AuthOptions::Mode::kStrict && admission.signature &&
      admission.signature->has_value() && !(*admission.signature)->presigned &&
      !request.FindHeader("x-amz-content-sha256"))
    return plan;
  admission.context.operation = match->operation;
  if (auto refused = Authenticate(request, admission)) {
    plan.reply = Render(admission, Unexpected(*refused));
    return plan;
  }
  auto verification = ChunkVerification(request, admission);
  auto body = std::make_unique<StreamingBody>(*this, std::move(admission), request);
  if (auto refused = body->Start(handler->second, std::move(verification))) {
    plan.reply = Render(body->admission(), Unexpected(*refused));
    return plan;
  }
  plan.sink = std::move(body);
  return plan;
}

http::Response FrontDoor::Handle(http::Request& request) const {
  for (const auto& [prefix, handler] : admin_routes_)
    if (request.RawPath().substr(0, prefix.size()) == prefix) return handler(request);

  Admission admission = Admit(request, true);
  Protocol protocol = admission.identified.protocol;
  auto fail = [&](const AwsError& error) { return Render(admission, Unexpected(error)); };

  if (!admission.signature && auth_.mode == AuthOptions::Mode::kStrict)
    return fail(protocol_errors::IncompleteSignature(protocol, admission.signature.error()));
  if (request.body_too_large) {
    http::Response response =
        fail(protocol_errors::RequestEntityTooLarge(protocol, request.body_limit));
    response.close_connection = true;
    return response;
  }
  if (auto refused = Authenticate(request, admission)) return fail(*refused);
  // S3 checks a declared payload hash always; the other services when signatures are checked.
  if ((auth_.mode == AuthOptions::Mode::kStrict || protocol == Protocol::kRestXml) &&
      !sigv4::DeclaredPayloadMatches(request))
    return fail(PayloadHashMismatch(protocol));

  OperationRequest operation;
  if (auto refused = Route(request, admission, operation)) return fail(*refused);
  const ServiceDescriptor& service = *admission.identified.service;

  // A streaming operation whose body was read whole (small, or signed over its whole body):
  // the same path as a streamed one, fed at once.
  if (auto streaming = service.streaming_operations.find(admission.context.operation);
      streaming != service.streaming_operations.end()) {
    auto verification = ChunkVerification(request, admission);
    std::string body = std::move(request.body);
    StreamingBody streamed(*this, std::move(admission), request);
    if (auto refused = streamed.Start(streaming->second, std::move(verification)))
      return Render(streamed.admission(), Unexpected(*refused));
    streamed.Write(body);
    return streamed.Finish(true);
  }

  operation.method = request.method;
  operation.body = request.body;
  std::vector<std::pair<std::string_view, std::string_view>> header_views;
  header_views.reserve(request.headers.size());
  for (const auto& header : request.headers) header_views.emplace_back(header.name, header.value);
  operation.headers = &header_views;
  std::string decoded_body;
  switch (protocol) {
    case Protocol::kAwsJson10:
    case Protocol::kAwsJson11: {
      auto input = codec::ParseJsonBody(protocol, request.body);
      if (!input) return fail(input.error());
      operation.input = std::move(*input);
      break;
    }
    case Protocol::kQuery:
      operation.input = std::move(admission.form);
      break;
    case Protocol::kRestJson1:
    case Protocol::kRestXml:
      if (auto mode = aws_chunked::ModeOf(Trim(request.HeaderOr("x-amz-content-sha256")));
          mode && protocol == Protocol::kRestXml) {
        aws_chunked::Decoder decoder(*mode, ChunkVerification(request, admission));
        auto fed =
            decoder.Feed(request.body, [&](std::string_view piece) { decoded_body.append(piece); });
        if (fed) fed = decoder.Finish();
        if (!fed) return fail(IncompleteBody(fed.error()));
        operation.body = decoded_body;
      }
      if (protocol == Protocol::kRestJson1 && !Trim(request.body).empty() &&
          request.HeaderOr("content-type").find("json") != std::string_view::npos) {
        auto input = codec::ParseJsonBody(protocol, request.body);
        if (!input) return fail(input.error());
        operation.input = std::move(*input);
      }
      break;
  }

  operation.context = admission.context;
  const OperationHandler& handler = service.operations.at(admission.context.operation);
  try {
    return Render(admission, handler(operation));
  } catch (const std::exception& error) {
    LogError("internal failure in " + admission.context.service + "." +
             admission.context.operation + " (request " + admission.context.request_id +
             "): " + error.what());
  } catch (...) {
    LogError("internal failure in " + admission.context.service + "." +
             admission.context.operation + " (request " + admission.context.request_id +
             "): unknown exception");
  }
  return fail(protocol_errors::InternalFailure(protocol));
}

}  // namespace lamina
