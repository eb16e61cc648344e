#include "protocol/front_door.h"

#include <chrono>
#include <exception>

#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"
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

http::Response FrontDoor::Handle(http::Request& request) const {
  for (const auto& [prefix, handler] : admin_routes_)
    if (request.RawPath().substr(0, prefix.size()) == prefix) return handler(request);

  auto started = std::chrono::steady_clock::now();
  RequestContext context;
  context.request_id = NewUuid();

  auto signature = sigv4::Find(request);
  const std::string* scope_service = nullptr;
  if (signature && signature->has_value() && !(*signature)->legacy)
    scope_service = &(*signature)->credential.service;

  json::object form;
  bool has_form = false;
  if (!request.FindHeader("x-amz-target")) {
    if (IsFormBody(request)) {
      form = codec::ParseFormBody(request.body);
      has_form = true;
    }
    if (!request.RawQuery().empty() &&
        request.RawQuery().find("Action=") != std::string_view::npos) {
      for (auto& [name, value] : ParseQueryString(request.RawQuery(), true))
        if (!form.contains(name)) form[name] = value;
      has_form = true;
    }
  }

  Identified identified = Identify(request, scope_service, has_form ? &form : nullptr);
  const ServiceDescriptor* service = identified.service;
  Protocol protocol = identified.protocol;
  context.service = service != nullptr ? service->name : std::string("unknown");
  context.operation = identified.operation;

  int status = 0;
  auto finish = [&](http::Response response) {
    status = response.status;
    if (LogEnabled(LogLevel::kInfo)) {
      double millis =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      char latency[32];
      std::snprintf(latency, sizeof(latency), "%.3fms", millis);
      LogInfo(context.service + "." + (context.operation.empty() ? "?" : context.operation) + " " +
              std::to_string(status) + " " + latency + " account=" + context.account_id +
              " region=" + context.region + " request=" + context.request_id);
    }
    return response;
  };
  auto fail = [&](const AwsError& error) {
    http::Response response = codec::RenderError(protocol, service, error, context.request_id);
    return finish(std::move(response));
  };

  // Authentication. The account and region come from the signature's scope.
  context.region = auth_.default_region;
  context.account_id = auth_.default_account;
  if (!signature) {
    if (auth_.mode == AuthOptions::Mode::kStrict)
      return fail(protocol_errors::IncompleteSignature(protocol, signature.error()));
  } else if (signature->has_value()) {
    const sigv4::Signature& found = **signature;
    context.access_key_id = found.credential.access_key_id;
    context.account_id = AccountFor(found.credential.access_key_id);
    if (!found.credential.region.empty()) context.region = found.credential.region;
  }
  if (request.body_too_large) {
    http::Response response =
        fail(protocol_errors::RequestEntityTooLarge(protocol, request.body_limit));
    response.close_connection = true;
    return response;
  }
  if (auth_.mode == AuthOptions::Mode::kStrict) {
    if (!signature->has_value()) return fail(protocol_errors::MissingAuthenticationToken(protocol));
    const sigv4::Signature& found = **signature;
    auto key = auth_.keys.find(found.credential.access_key_id);
    if (key == auth_.keys.end())
      return fail(protocol_errors::UnrecognizedClient(protocol, found.credential.access_key_id));
    if (found.legacy)
      return fail(protocol_errors::IncompleteSignature(
          protocol, "lamina accepts only AWS4-HMAC-SHA256 signatures in strict mode"));
    auto signed_at = sigv4::ParseAmzDate(found.amz_date);
    if (!signed_at)
      return fail(protocol_errors::IncompleteSignature(
          protocol,
          "X-Amz-Date must be in ISO 8601 basic format (yyyyMMddTHHmmssZ): " + found.amz_date));
    if (found.credential.date != found.amz_date.substr(0, 8))
      return fail(protocol_errors::InvalidSignature(
          protocol,
          "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
          "date from HTTP: '" +
              found.credential.date + "' != '" + found.amz_date.substr(0, 8) + "', from '" +
              found.amz_date + "'."));
    auto now = std::chrono::system_clock::now();
    if (*signed_at - now > auth_.max_clock_skew)
      return fail(protocol_errors::SignatureExpired(
          protocol, "Signature not yet current: " + found.amz_date + " is still later than " +
                        FormatAmzDate(now + auth_.max_clock_skew) + " (" + FormatAmzDate(now) +
                        " + 15 min.)"));
    if (found.presigned) {
      if (!found.expires_seconds)
        return fail(protocol_errors::IncompleteSignature(
            protocol, "Query-string authentication requires the X-Amz-Expires parameter"));
      if (*found.expires_seconds > kMaxPresignedExpirySeconds)
        return fail(protocol_errors::IncompleteSignature(
            protocol, "X-Amz-Expires must be less than a week (in seconds) that is 604800"));
      if (now > *signed_at + std::chrono::seconds(*found.expires_seconds))
        return fail(protocol_errors::SignatureExpired(protocol, "Request has expired"));
    } else if (now - *signed_at > auth_.max_clock_skew) {
      return fail(protocol_errors::SignatureExpired(
          protocol, "Signature expired: " + found.amz_date + " is now earlier than " +
                        FormatAmzDate(now - auth_.max_clock_skew) + " (" + FormatAmzDate(now) +
                        " - 15 min.)"));
    }
    if (!sigv4::Verify(request, found, key->second.secret_access_key))
      return fail(protocol_errors::InvalidSignature(protocol));
    if (!sigv4::DeclaredPayloadMatches(request)) {
      if (protocol == Protocol::kRestXml)
        return fail(AwsError("XAmzContentSHA256Mismatch",
                             "The provided 'x-amz-content-sha256' header does not match what was "
                             "computed."));
      return fail(protocol_errors::InvalidSignature(
          protocol, "The request body does not match its x-amz-content-sha256 header"));
    }
  }

  if (service == nullptr) {
    if (identified.action_unknown || protocol == Protocol::kQuery)
      return fail(protocol_errors::UnknownOperation(Protocol::kQuery, "lamina", identified.what));
    return fail(protocol_errors::UnknownOperation(protocol, "lamina", identified.what));
  }

  OperationRequest operation;
  operation.method = request.method;
  operation.body = request.body;
  std::vector<std::pair<std::string_view, std::string_view>> header_views;
  header_views.reserve(request.headers.size());
  for (const auto& header : request.headers) header_views.emplace_back(header.name, header.value);
  operation.headers = &header_views;
  switch (protocol) {
    case Protocol::kAwsJson10:
    case Protocol::kAwsJson11: {
      auto input = codec::ParseJsonBody(protocol, request.body);
      if (!input) return fail(input.error());
      operation.input = std::move(*input);
      break;
    }
    case Protocol::kQuery:
      if (identified.operation.empty()) return fail(protocol_errors::MissingAction());
      operation.input = std::move(form);
      break;
    case Protocol::kRestJson1:
    case Protocol::kRestXml: {
      operation.query = ParseQueryString(request.RawQuery(), false);
      auto match = service->routes.Find(request.method, request.RawPath(), operation.query);
      if (!match)
        return fail(protocol_errors::UnknownOperation(protocol, service->name, identified.what));
      context.operation = match->operation;
      operation.labels = std::move(match->labels);
      if (protocol == Protocol::kRestJson1 && !Trim(request.body).empty() &&
          request.HeaderOr("content-type").find("json") != std::string_view::npos) {
        auto input = codec::ParseJsonBody(protocol, request.body);
        if (!input) return fail(input.error());
        operation.input = std::move(*input);
      }
      break;
    }
  }

  auto handler = service->operations.find(context.operation);
  if (handler == service->operations.end())
    return fail(protocol_errors::UnknownOperation(protocol, service->name, identified.what));

  operation.context = context;
  try {
    OperationResult result = handler->second(operation);
    if (!result) return fail(result.error());
    return finish(
        codec::RenderSuccess(protocol, *service, context.operation, *result, context.request_id));
  } catch (const std::exception& error) {
    LogError("internal failure in " + context.service + "." + context.operation + " (request " +
             context.request_id + "): " + error.what());
  } catch (...) {
    LogError("internal failure in " + context.service + "." + context.operation + " (request " +
             context.request_id + "): unknown exception");
  }
  return fail(protocol_errors::InternalFailure(protocol));
}

}  // namespace lamina
