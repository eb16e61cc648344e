// Invoke and InvokeAsync: the request checked as AWS checks it, the target resolved (version,
// alias), then run by the executor (RequestResponse), queued (Event) or only checked (DryRun).

#include <boost/json.hpp>

#include "common/hashing.h"
#include "common/log.h"
#include "lambda/functions/async_queue.h"
#include "lambda/runtime/errors.h"
#include "lambda/runtime/executor.h"
#include "lambda/service.h"
#include "lambda/validation.h"

namespace lamina::lambda {

namespace {

namespace json = boost::json;

// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
constexpr size_t kSyncPayloadLimit = 6 * 1024 * 1024;
constexpr size_t kAsyncPayloadLimit = 1024 * 1024;       // Invoke with InvocationType=Event
constexpr size_t kInvokeAsyncPayloadLimit = 256 * 1024;  // the deprecated InvokeAsync
constexpr size_t kClientContextLimit = 3583;             // bytes of base64

// nullopt when `payload` is JSON, else why not (the payload of an invocation must be JSON).
std::optional<std::string> JsonProblem(std::string_view payload) {
  if (payload.empty()) return std::nullopt;
  boost::system::error_code error;
  json::parse(payload, error);
  if (!error) return std::nullopt;
  return error.message();
}

runtime::RunSpec RunSpecFor(const InvokeTarget& target, const std::string& invoked_arn) {
  const functions::FunctionVersion& version = target.version;
  runtime::RunSpec spec;
  spec.account = version.account;
  spec.region = version.region;
  spec.name = version.name;
  spec.arn = invoked_arn;
  spec.version = version.Name();
  spec.runtime = version.runtime;
  spec.handler = version.handler;
  spec.code_blob = version.code_blob;
  for (const functions::LayerUse& layer : version.layers) spec.layer_blobs.push_back(layer.blob_id);
  if (version.environment) spec.environment = *version.environment;
  spec.timeout_seconds = version.timeout;
  spec.memory_mb = version.memory_size;
  spec.ephemeral_mb = version.ephemeral_size;
  spec.architecture = version.architecture;
  spec.log_group = version.LogGroup();
  spec.revision = version.config_revision.empty() ? version.revision_id : version.config_revision;
  spec.reserved_concurrency = target.reserved_concurrency;
  return spec;
}

// The ARN the function sees as invoked: qualified exactly as the caller qualified it.
std::string InvokedArn(const InvokeTarget& target, std::string_view function_name,
                       std::string_view qualifier) {
  std::string arn = target.version.UnqualifiedArn();
  if (!qualifier.empty()) return arn + ":" + std::string(qualifier);
  if (auto reference = functions::ParseFunctionRef(function_name, true);
      reference && !reference->qualifier.empty())
    return arn + ":" + reference->qualifier;
  return arn;
}

}  // namespace

LambdaService::~LambdaService() = default;

void LambdaService::SetRunner(runtime::Executor* executor, functions::AsyncQueue* async) {
  executor_ = executor;
  async_ = async;
}

void LambdaService::RunAsync(const functions::AsyncEvent& event,
                             std::function<void(functions::AttemptResult)> done) const {
  using functions::AttemptResult;
  auto target = ResolveInvokeTarget(event.account, event.region, event.function, event.qualifier);
  if (!target) {
    LogWarn("lambda: async invocation " + event.request_id + " of " + event.function + ": " +
            target.error().message);
    return done(target.error().http_status == 404 ? AttemptResult::kGone
                                                  : AttemptResult::kThrottled);
  }
  if (executor_ == nullptr || !executor_->CanRun(target->version.runtime))
    return done(AttemptResult::kFunctionError);
  runtime::InvokeRequest request;
  request.request_id = event.request_id;
  request.payload = event.payload.empty() ? "{}" : event.payload;
  executor_->Invoke(
      RunSpecFor(*target, InvokedArn(*target, event.function, event.qualifier)), std::move(request),
      [done = std::move(done)](Expected<runtime::InvokeOutcome, AwsError> outcome) {
        if (!outcome) return done(AttemptResult::kThrottled);
        done(outcome->function_error ? AttemptResult::kFunctionError : AttemptResult::kSuccess);
      });
}

OperationResult LambdaService::Invoke(OperationRequest& request) {
  std::string function_name =
      request.labels.count("FunctionName") ? request.labels.at("FunctionName") : std::string();
  std::string qualifier(request.QueryParam("Qualifier").value_or(""));
  std::string invocation_type(request.Header("x-amz-invocation-type").value_or("RequestResponse"));
  std::string log_type(request.Header("x-amz-log-type").value_or("None"));

  ValidationErrors validation;
  validation.Enum(invocation_type, "invocationType", {"Event", "RequestResponse", "DryRun"});
  validation.Enum(log_type, "logType", {"None", "Tail"});
  if (auto error = validation.Error()) return Unexpected(*error);

  std::string client_context;
  if (auto encoded = request.Header("x-amz-client-context")) {
    if (encoded->size() > kClientContextLimit)
      return Unexpected(errors::InvalidParameterValue("Client context must be " +
                                                      std::to_string(kClientContextLimit) +
                                                      " bytes or fewer once base64-encoded."));
    auto decoded = Base64Decode(*encoded);
    boost::system::error_code error;
    if (decoded) json::parse(*decoded, error);
    if (!decoded || error)
      return Unexpected(errors::InvalidParameterValue(
          "Client context must be a valid Base64-encoded JSON object."));
    client_context = std::move(*decoded);
  }

  bool is_event = invocation_type == "Event";
  size_t limit = is_event ? kAsyncPayloadLimit : kSyncPayloadLimit;
  if (request.body.size() > limit) return Unexpected(errors::RequestTooLargeForInvoke(limit));
  if (auto problem = JsonProblem(request.body))
    return Unexpected(errors::InvalidRequestContent(
        "Could not parse request body into json: Could not parse payload into json: " + *problem));

  auto target = ResolveInvokeTarget(request.context.account_id, request.context.region,
                                    function_name, qualifier);
  if (!target) return Unexpected(target.error());
  if (executor_ == nullptr || async_ == nullptr)
    return Unexpected(errors::Service("lamina runs no functions in this process"));
  if (!executor_->CanRun(target->version.runtime))
    return Unexpected(errors::InvalidRuntime(target->version.runtime));

  OperationResponse response;
  response.content_type = "application/json";
  if (invocation_type == "DryRun") {
    response.http_status = 204;
    response.raw_body = "";
    return response;
  }
  if (is_event) {
    functions::AsyncEvent event;
    event.request_id = request.context.request_id;
    event.account = request.context.account_id;
    event.region = request.context.region;
    event.function = function_name;
    event.qualifier = qualifier;
    event.payload = std::string(request.body);
    if (Status status = async_->Enqueue(std::move(event)); !status.ok())
      return Unexpected(errors::Service("cannot queue the invocation: " + status.message()));
    response.http_status = 202;
    response.raw_body = "";
    return response;
  }

  runtime::InvokeRequest invoke;
  invoke.request_id = request.context.request_id;
  invoke.payload = request.body.empty() ? "{}" : std::string(request.body);
  invoke.client_context = std::move(client_context);
  invoke.tail_logs = log_type == "Tail";
  auto pending = std::make_shared<PendingResult>();
  executor_->Invoke(
      RunSpecFor(*target, InvokedArn(*target, function_name, qualifier)), std::move(invoke),
      [pending](Expected<runtime::InvokeOutcome, AwsError> outcome) {
        if (!outcome) return pending->Resolve(Unexpected(outcome.error()));
        OperationResponse reply;
        reply.content_type = "application/json";
        if (outcome->payload.size() > kSyncPayloadLimit) {
          // As AWS answers a response over the limit: a function error, not the payload.
          outcome->function_error = true;
          outcome->payload = json::serialize(json::object{
              {"errorMessage", "Response payload size exceeded maximum allowed payload size (" +
                                   std::to_string(kSyncPayloadLimit) + " bytes)."},
              {"errorType", "Function.ResponseSizeTooLarge"}});
        }
        reply.raw_body = std::move(outcome->payload);
        reply.headers.emplace_back("X-Amz-Executed-Version", outcome->executed_version);
        if (outcome->function_error)
          reply.headers.emplace_back("X-Amz-Function-Error", "Unhandled");
        if (!outcome->log_tail.empty())
          reply.headers.emplace_back("X-Amz-Log-Result", Base64Encode(outcome->log_tail));
        pending->Resolve(std::move(reply));
      });
  response.pending = std::move(pending);
  return response;
}

OperationResult LambdaService::InvokeAsync(OperationRequest& request) {
  std::string function_name =
      request.labels.count("FunctionName") ? request.labels.at("FunctionName") : std::string();
  if (request.body.size() > kInvokeAsyncPayloadLimit)
    return Unexpected(errors::RequestTooLargeForInvoke(kInvokeAsyncPayloadLimit));
  if (auto problem = JsonProblem(request.body))
    return Unexpected(errors::InvalidRequestContent(
        "Could not parse request body into json: Could not parse payload into json: " + *problem));
  auto target =
      ResolveInvokeTarget(request.context.account_id, request.context.region, function_name, "");
  if (!target) return Unexpected(target.error());
  if (async_ == nullptr)
    return Unexpected(errors::Service("lamina runs no functions in this process"));
  functions::AsyncEvent event;
  event.request_id = request.context.request_id;
  event.account = request.context.account_id;
  event.region = request.context.region;
  event.function = function_name;
  event.payload = std::string(request.body);
  if (Status status = async_->Enqueue(std::move(event)); !status.ok())
    return Unexpected(errors::Service("cannot queue the invocation: " + status.message()));
  OperationResponse response;
  response.http_status = 202;
  response.raw_body = "";
  return response;
}

}  // namespace lamina::lambda
