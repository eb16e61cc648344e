// Function-wide settings: TagResource, UntagResource, ListTags, PutFunctionConcurrency,
// GetFunctionConcurrency, DeleteFunctionConcurrency; and GetAccountSettings.

#include "lambda/errors.h"
#include "lambda/functions/function_code.h"
#include "lambda/functions/function_request.h"
#include "lambda/service.h"

namespace lamina::lambda {

using functions::FunctionState;
using functions::FunctionTarget;
using functions::NameShape;

namespace {

constexpr const char* kFunctionArnPattern =
    "arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+(:("
    "\\$"
    "LATEST|[a-zA-Z0-9-_]+))?";
// Account quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
constexpr int64_t kAccountConcurrency = 1000;
constexpr int64_t kMinUnreservedConcurrency = 100;
constexpr uint64_t kTotalCodeSizeLimit = 80530636800;

// The Resource label of the tag operations: an unqualified function ARN.
Expected<FunctionTarget, AwsError> TagTarget(const OperationRequest& request,
                                             ValidationErrors invalid) {
  std::string arn = functions::Label(request, "ARN");
  auto ref = functions::ParseFunctionRef(arn, false);
  bool full_arn = ref && ref->is_arn && !ref->region.empty() && !ref->account.empty() &&
                  arn.find(":function:") != std::string::npos;
  invalid.Pattern(arn, "resource", full_arn, kFunctionArnPattern);
  if (auto error = invalid.Error()) return Unexpected(*error);
  if (ref->region != request.context.region)
    return Unexpected(errors::UnreachableRegion(ref->region, request.context.region));
  if (!ref->qualifier.empty())
    return Unexpected(errors::InvalidParameterValue(
        "Tags on function aliases and versions are not supported. Please specify a function "
        "ARN."));
  return FunctionTarget{functions::FunctionId{ref->account, ref->region, ref->name}, ""};
}

// The function exists and the caller may perform `action` on it.
Expected<void, AwsError> CheckFunction(const FunctionState& state, const FunctionTarget& target,
                                       const std::string& caller, std::string_view action) {
  if (auto allowed = functions::Authorize(state, target, caller, action); !allowed) return allowed;
  if (!state.exists) return Unexpected(errors::FunctionNotFound(target.id.Arn()));
  return {};
}

// FunctionName naming a function as a whole (no qualifier, or $LATEST).
Expected<FunctionTarget, AwsError> WholeFunction(const OperationRequest& request,
                                                 ValidationErrors invalid) {
  auto target =
      functions::ParseFunctionTarget(request.context, functions::Label(request, "FunctionName"),
                                     std::nullopt, NameShape::kPlain, invalid);
  if (!target) return target;
  if (!target->qualifier.empty() && target->qualifier != functions::kLatest)
    return Unexpected(errors::OnlyLatestSupported());
  target->qualifier.clear();
  return target;
}

json::object TagsObject(const std::map<std::string, std::string>& tags) {
  json::object object;
  for (const auto& [key, value] : tags) object[key] = value;
  return object;
}

}  // namespace

OperationResult LambdaService::TagResource(OperationRequest& request) {
  ValidationErrors invalid;
  auto tags = functions::BodyStringMap(request.input, "Tags", "tags", invalid);
  if (!tags && !invalid.Error()) invalid.Add("null", "tags", "Member must not be null");
  auto target = TagTarget(request, invalid);
  if (!target) return Unexpected(target.error());
  auto tagged =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto checked =
                CheckFunction(state, *target, request.context.account_id, "lambda:TagResource");
            !checked)
          return checked;
        std::map<std::string, std::string> merged = state.settings.tags;
        for (const auto& [key, value] : *tags) merged[key] = value;
        if (auto valid = functions::CheckTags(merged); !valid) return valid;
        state.settings.tags = std::move(merged);
        return {};
      });
  if (!tagged) return Unexpected(tagged.error());
  return functions::NoContent();
}

OperationResult LambdaService::UntagResource(OperationRequest& request) {
  ValidationErrors invalid;
  std::vector<std::string> keys;
  for (const auto& [name, value] : request.query)
    if (name == "tagKeys") keys.push_back(value);
  if (keys.empty()) invalid.Add("null", "tagKeys", "Member must not be null");
  auto target = TagTarget(request, invalid);
  if (!target) return Unexpected(target.error());
  auto untagged =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto checked =
                CheckFunction(state, *target, request.context.account_id, "lambda:UntagResource");
            !checked)
          return checked;
        for (const std::string& key : keys) state.settings.tags.erase(key);
        return {};
      });
  if (!untagged) return Unexpected(untagged.error());
  return functions::NoContent();
}

OperationResult LambdaService::ListTags(OperationRequest& request) {
  auto target = TagTarget(request, {});
  if (!target) return Unexpected(target.error());
  FunctionState state = functions_.Load(target->id);
  if (auto checked = CheckFunction(state, *target, request.context.account_id, "lambda:ListTags");
      !checked)
    return Unexpected(checked.error());
  return functions::JsonReply(json::object{{"Tags", TagsObject(state.settings.tags)}});
}

OperationResult LambdaService::PutFunctionConcurrency(OperationRequest& request) {
  const RequestContext& context = request.context;
  ValidationErrors invalid;
  auto reserved = functions::BodyInteger(request.input, "ReservedConcurrentExecutions",
                                         "reservedConcurrentExecutions", invalid);
  if (reserved)
    invalid.Range(*reserved, "reservedConcurrentExecutions", 0, INT32_MAX);
  else if (invalid.empty())
    invalid.Add("null", "reservedConcurrentExecutions", "Member must not be null");
  auto target = WholeFunction(request, invalid);
  if (!target) return Unexpected(target.error());

  // The other functions' reservations are read and this one written under one lock, so two
  // concurrent reservations cannot together take the account below its unreserved minimum.
  std::lock_guard account_lock(functions_.AccountRulesMutex());
  int64_t reserved_elsewhere = 0;
  functions_.ForEach(target->id.account, target->id.region, "", [&](FunctionState& state) {
    if (state.id.name != target->id.name)
      reserved_elsewhere += state.settings.reserved_concurrency.value_or(0);
    return true;
  });
  auto changed =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto checked =
                CheckFunction(state, *target, context.account_id, "lambda:PutFunctionConcurrency");
            !checked)
          return checked;
        if (kAccountConcurrency - reserved_elsewhere - *reserved < kMinUnreservedConcurrency)
          return Unexpected(errors::InvalidParameterValue(
              "Specified ReservedConcurrentExecutions for function decreases account's "
              "UnreservedConcurrentExecution below its minimum value of [" +
              std::to_string(kMinUnreservedConcurrency) + "]."));
        state.settings.reserved_concurrency = static_cast<int>(*reserved);
        return {};
      });
  if (!changed) return Unexpected(changed.error());
  return functions::JsonReply(json::object{{"ReservedConcurrentExecutions", *reserved}});
}

OperationResult LambdaService::GetFunctionConcurrency(OperationRequest& request) {
  auto target = WholeFunction(request, {});
  if (!target) return Unexpected(target.error());
  FunctionState state = functions_.Load(target->id);
  if (auto checked = CheckFunction(state, *target, request.context.account_id,
                                   "lambda:GetFunctionConcurrency");
      !checked)
    return Unexpected(checked.error());
  json::object output;
  if (state.settings.reserved_concurrency)
    output["ReservedConcurrentExecutions"] = *state.settings.reserved_concurrency;
  return functions::JsonReply(std::move(output));
}

OperationResult LambdaService::DeleteFunctionConcurrency(OperationRequest& request) {
  auto target = WholeFunction(request, {});
  if (!target) return Unexpected(target.error());
  auto changed =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto checked = CheckFunction(state, *target, request.context.account_id,
                                         "lambda:DeleteFunctionConcurrency");
            !checked)
          return checked;
        state.settings.reserved_concurrency.reset();
        return {};
      });
  if (!changed) return Unexpected(changed.error());
  return functions::NoContent();
}

OperationResult LambdaService::GetAccountSettings(OperationRequest& request) {
  const RequestContext& context = request.context;
  uint64_t code_size = 0;
  int64_t function_count = 0;
  int64_t reserved = 0;
  functions_.ForEach(context.account_id, context.region, "", [&](FunctionState& state) {
    ++function_count;
    reserved += state.settings.reserved_concurrency.value_or(0);
    for (const auto& [number, version] : state.versions) code_size += version.code_size;
    return true;
  });
  for (const auto& layer : layers_.AllVersions(context.account_id, context.region))
    code_size += layer.code_size;
  json::object limits{{"TotalCodeSize", kTotalCodeSizeLimit},
                      {"CodeSizeUnzipped", functions::kMaxUnzippedBytes},
                      {"CodeSizeZipped", functions::kMaxZippedBytes},
                      {"ConcurrentExecutions", kAccountConcurrency},
                      {"UnreservedConcurrentExecutions", kAccountConcurrency - reserved}};
  json::object usage{{"TotalCodeSize", code_size}, {"FunctionCount", function_count}};
  return functions::JsonReply(
      json::object{{"AccountLimit", std::move(limits)}, {"AccountUsage", std::move(usage)}});
}

}  // namespace lamina::lambda
