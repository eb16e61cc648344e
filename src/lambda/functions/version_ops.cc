// Published versions and aliases: PublishVersion, ListVersionsByFunction, CreateAlias,
// GetAlias, UpdateAlias, DeleteAlias, ListAliases.

#include "common/ids.h"
#include "lambda/errors.h"
#include "lambda/functions/function_request.h"
#include "lambda/service.h"

namespace lamina::lambda {

using functions::Alias;
using functions::FunctionState;
using functions::FunctionTarget;
using functions::FunctionVersion;
using functions::NameShape;
using functions::Phase;

namespace {

constexpr const char* kAliasPattern = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)";
constexpr const char* kVersionPattern = "(\\$LATEST|[0-9]+)";

bool IsVersionText(std::string_view text) {
  if (text == functions::kLatest) return true;
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

bool IsDigits(std::string_view text) {
  return !text.empty() && text != functions::kLatest && IsVersionText(text);
}

void CheckAliasName(std::string_view name, ValidationErrors& invalid) {
  invalid.Length(name, "name", 1, 128);
  invalid.Pattern(name, "name", functions::IsAliasName(name), kAliasPattern);
}

void CheckVersion(std::string_view version, ValidationErrors& invalid) {
  invalid.Length(version, "functionVersion", 1, 1024);
  invalid.Pattern(version, "functionVersion", IsVersionText(version), kVersionPattern);
}

// RoutingConfig.AdditionalVersionWeights; nullopt when RoutingConfig was not sent.
std::optional<std::map<std::string, double>> ParseRouting(const json::object& body,
                                                          ValidationErrors& invalid) {
  const json::object* routing =
      functions::BodyObject(body, "RoutingConfig", "routingConfig", invalid);
  if (routing == nullptr) return std::nullopt;
  std::map<std::string, double> weights;
  const json::object* given = functions::BodyObject(
      *routing, "AdditionalVersionWeights", "routingConfig.additionalVersionWeights", invalid);
  if (given == nullptr) return weights;
  bool keys_valid = true, values_valid = true;
  for (const auto& entry : *given) {
    std::string key(entry.key());
    keys_valid = keys_valid && IsDigits(key) && key.size() <= 1024;
    if (!entry.value().is_number()) {
      values_valid = false;
      continue;
    }
    double weight = entry.value().to_number<double>();
    values_valid = values_valid && weight >= 0.0 && weight <= 1.0;
    weights[key] = weight;
  }
  if (!keys_valid)
    invalid.AddSensitive("routingConfig.additionalVersionWeights",
                         "Map keys must satisfy constraint: [Member must have length less than or "
                         "equal to 1024, Member must have length greater than or equal to 1, "
                         "Member must satisfy regular expression pattern: [0-9]+]");
  if (!values_valid)
    invalid.AddSensitive("routingConfig.additionalVersionWeights",
                         "Map value must satisfy constraint: [Member must have value less than or "
                         "equal to 1.0, Member must have value greater than or equal to 0.0, "
                         "Member must not be null]");
  return weights;
}

// Lambda's rules for an alias of `primary` routing `weights` to other versions.
Expected<void, AwsError> CheckRouting(const FunctionState& state, const std::string& primary,
                                      const std::map<std::string, double>& weights) {
  if (weights.empty()) return {};
  if (weights.size() > 1)
    return Unexpected(errors::InvalidParameterValue(
        "Only one additional version can be specified in the routing configuration."));
  if (primary == functions::kLatest)
    return Unexpected(errors::InvalidParameterValue(
        "$LATEST is not supported for an alias pointing to more than 1 version"));
  for (const auto& [version, weight] : weights) {
    if (version == primary)
      return Unexpected(errors::InvalidParameterValue(
          "Invalid function version " + version + ". Function version " + version +
          " is already included in routing configuration."));
    auto number = functions::ParseVersionName(version);
    if (!number || state.Version(*number) == nullptr)
      return Unexpected(errors::FunctionNotFound(state.id.Arn(version)));
  }
  return {};
}

// The function's version `version` ("$LATEST" or digits) exists.
Expected<void, AwsError> CheckVersionExists(const FunctionState& state,
                                            const std::string& version) {
  auto number = functions::ParseVersionName(version);
  if (!number || state.Version(*number) == nullptr)
    return Unexpected(errors::FunctionNotFound(state.id.Arn(version)));
  return {};
}

// FunctionName with no qualifier (or $LATEST): the operations on a function as a whole.
Expected<FunctionTarget, AwsError> UnqualifiedTarget(const OperationRequest& request,
                                                     NameShape shape, ValidationErrors invalid) {
  auto target = functions::ParseFunctionTarget(
      request.context, functions::Label(request, "FunctionName"), std::nullopt, shape, invalid);
  if (!target) return target;
  if (!target->qualifier.empty() && target->qualifier != functions::kLatest)
    return Unexpected(errors::OnlyLatestSupported());
  target->qualifier.clear();
  return target;
}

// The function exists and the caller may perform `action` on it.
Expected<void, AwsError> CheckFunction(const FunctionState& state, const FunctionTarget& target,
                                       const std::string& caller, std::string_view action) {
  if (auto allowed = functions::Authorize(state, target, caller, action); !allowed) return allowed;
  if (!state.exists) return Unexpected(errors::FunctionNotFound(target.id.Arn()));
  return {};
}

}  // namespace

OperationResult LambdaService::PublishVersion(OperationRequest& request) {
  const json::object& body = request.input;
  ValidationErrors invalid;
  auto code_sha = functions::BodyString(body, "CodeSha256", "codeSha256", invalid);
  auto description = functions::BodyString(body, "Description", "description", invalid);
  if (description) invalid.Length(*description, "description", 0, 256);
  auto revision = functions::BodyString(body, "RevisionId", "revisionId", invalid);
  auto target = UnqualifiedTarget(request, NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  std::string now = functions::LambdaTimestamp(clock_.Now());
  int64_t number = 0;
  auto published =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto checked =
                CheckFunction(state, *target, request.context.account_id, "lambda:PublishVersion");
            !checked)
          return checked;
        const FunctionVersion& latest = *state.Latest();
        if (revision && *revision != latest.revision_id)
          return Unexpected(errors::FunctionPreconditionFailed());
        std::string current = functions::CodeSha256(latest.code_blob);
        if (code_sha && *code_sha != current)
          return Unexpected(errors::InvalidParameterValue(
              "CodeSHA256 (" + *code_sha + ") is different from current CodeSHA256 in $LATEST (" +
              current + "). Please try again with the CodeSHA256 in $LATEST."));
        number = functions::PublishLatest(state, now, description);
        return {};
      });
  if (!published) return Unexpected(published.error());
  return functions::JsonReply(
      functions::RenderConfiguration(*published->Version(number), Phase::kSteady, true), 201);
}

OperationResult LambdaService::ListVersionsByFunction(OperationRequest& request) {
  ValidationErrors invalid;
  int page_size = functions::ParseMaxItems(request, invalid);
  auto target =
      functions::ParseFunctionTarget(request.context, functions::Label(request, "FunctionName"),
                                     std::nullopt, NameShape::kNamespaced, invalid);
  if (!target) return Unexpected(target.error());
  target->qualifier.clear();
  int64_t after = -1;
  if (auto marker = request.QueryParam("Marker"); marker && !marker->empty()) {
    auto decoded = functions::DecodeMarker(*marker);
    auto number = decoded ? functions::ParseVersionName(*decoded) : std::nullopt;
    if (!number)
      return Unexpected(errors::InvalidParameterValue("Invalid marker: " + std::string(*marker)));
    after = *number;
  }
  FunctionState state = functions_.Load(target->id);
  if (auto checked = CheckFunction(state, *target, request.context.account_id,
                                   "lambda:ListVersionsByFunction");
      !checked)
    return Unexpected(checked.error());
  json::array items;
  std::optional<std::string> last;
  bool more = false;
  for (const auto& [number, version] : state.versions) {
    if (number <= after) continue;
    if (static_cast<int>(items.size()) == page_size) {
      more = true;
      break;
    }
    items.push_back(functions::RenderConfiguration(version, Phase::kListed, true));
    last = version.Name();
  }
  json::object output;
  if (more) output["NextMarker"] = functions::EncodeMarker(*last);
  output["Versions"] = std::move(items);
  return functions::JsonReply(std::move(output));
}

OperationResult LambdaService::CreateAlias(OperationRequest& request) {
  const json::object& body = request.input;
  ValidationErrors invalid;
  auto name = functions::BodyString(body, "Name", "name", invalid);
  if (name)
    CheckAliasName(*name, invalid);
  else
    invalid.Add("null", "name", "Member must not be null");
  auto version = functions::BodyString(body, "FunctionVersion", "functionVersion", invalid);
  if (version)
    CheckVersion(*version, invalid);
  else
    invalid.Add("null", "functionVersion", "Member must not be null");
  auto description = functions::BodyString(body, "Description", "description", invalid);
  if (description) invalid.Length(*description, "description", 0, 256);
  auto weights = ParseRouting(body, invalid);
  auto target = UnqualifiedTarget(request, NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  Alias alias;
  alias.name = *name;
  alias.function_version = *version;
  alias.description = description.value_or("");
  alias.weights = weights.value_or(std::map<std::string, double>());
  alias.revision_id = NewUuid();
  auto created =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto checked =
                CheckFunction(state, *target, request.context.account_id, "lambda:CreateAlias");
            !checked)
          return checked;
        if (state.FindAlias(alias.name) != nullptr)
          return Unexpected(errors::AliasExists(target->id.Arn(alias.name)));
        if (auto exists = CheckVersionExists(state, alias.function_version); !exists) return exists;
        if (auto routing = CheckRouting(state, alias.function_version, alias.weights); !routing)
          return routing;
        state.aliases[alias.name] = alias;
        return {};
      });
  if (!created) return Unexpected(created.error());
  return functions::JsonReply(functions::RenderAlias(target->id, alias), 201);
}

OperationResult LambdaService::GetAlias(OperationRequest& request) {
  ValidationErrors invalid;
  std::string name = functions::Label(request, "Name");
  CheckAliasName(name, invalid);
  auto target = UnqualifiedTarget(request, NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  FunctionState state = functions_.Load(target->id);
  if (auto checked = CheckFunction(state, *target, request.context.account_id, "lambda:GetAlias");
      !checked)
    return Unexpected(checked.error());
  const Alias* alias = state.FindAlias(name);
  if (alias == nullptr) return Unexpected(errors::AliasNotFound(target->id.Arn(name)));
  return functions::JsonReply(functions::RenderAlias(target->id, *alias));
}

OperationResult LambdaService::UpdateAlias(OperationRequest& request) {
  const json::object& body = request.input;
  ValidationErrors invalid;
  std::string name = functions::Label(request, "Name");
  CheckAliasName(name, invalid);
  auto version = functions::BodyString(body, "FunctionVersion", "functionVersion", invalid);
  if (version) CheckVersion(*version, invalid);
  auto description = functions::BodyString(body, "Description", "description", invalid);
  if (description) invalid.Length(*description, "description", 0, 256);
  auto weights = ParseRouting(body, invalid);
  auto revision = functions::BodyString(body, "RevisionId", "revisionId", invalid);
  auto target = UnqualifiedTarget(request, NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  Alias updated_alias;
  auto updated =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto checked =
                CheckFunction(state, *target, request.context.account_id, "lambda:UpdateAlias");
            !checked)
          return checked;
        Alias* alias = state.FindAlias(name);
        if (alias == nullptr) return Unexpected(errors::AliasNotFound(target->id.Arn(name)));
        if (revision && *revision != alias->revision_id)
          return Unexpected(errors::FunctionPreconditionFailed());
        if (version) {
          if (auto exists = CheckVersionExists(state, *version); !exists) return exists;
          alias->function_version = *version;
        }
        if (weights) alias->weights = *weights;
        if (auto routing = CheckRouting(state, alias->function_version, alias->weights); !routing)
          return routing;
        if (description) alias->description = *description;
        alias->revision_id = NewUuid();
        updated_alias = *alias;
        return {};
      });
  if (!updated) return Unexpected(updated.error());
  return functions::JsonReply(functions::RenderAlias(target->id, updated_alias));
}

OperationResult LambdaService::DeleteAlias(OperationRequest& request) {
  ValidationErrors invalid;
  std::string name = functions::Label(request, "Name");
  CheckAliasName(name, invalid);
  auto target = UnqualifiedTarget(request, NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  auto deleted =
      functions_.Modify(target->id, [&](FunctionState& state) -> Expected<void, AwsError> {
        if (auto checked =
                CheckFunction(state, *target, request.context.account_id, "lambda:DeleteAlias");
            !checked)
          return checked;
        // Deleting an alias that is not there succeeds, as on AWS.
        state.aliases.erase(name);
        return {};
      });
  if (!deleted) return Unexpected(deleted.error());
  return functions::NoContent();
}

OperationResult LambdaService::ListAliases(OperationRequest& request) {
  ValidationErrors invalid;
  int page_size = functions::ParseMaxItems(request, invalid);
  auto version = request.QueryParam("FunctionVersion");
  if (version) CheckVersion(*version, invalid);
  auto target = UnqualifiedTarget(request, NameShape::kPlain, invalid);
  if (!target) return Unexpected(target.error());
  std::string after;
  if (auto marker = request.QueryParam("Marker"); marker && !marker->empty()) {
    auto decoded = functions::DecodeMarker(*marker);
    if (!decoded || !functions::IsAliasName(*decoded))
      return Unexpected(errors::InvalidParameterValue("Invalid marker: " + std::string(*marker)));
    after = *decoded;
  }
  FunctionState state = functions_.Load(target->id);
  if (auto checked =
          CheckFunction(state, *target, request.context.account_id, "lambda:ListAliases");
      !checked)
    return Unexpected(checked.error());
  json::array items;
  std::string last;
  bool more = false;
  for (const auto& [name, alias] : state.aliases) {
    if (!after.empty() && name <= after) continue;
    if (version && alias.function_version != *version &&
        !alias.weights.count(std::string(*version)))
      continue;
    if (static_cast<int>(items.size()) == page_size) {
      more = true;
      break;
    }
    items.push_back(functions::RenderAlias(target->id, alias));
    last = name;
  }
  json::object output;
  if (more) output["NextMarker"] = functions::EncodeMarker(last);
  output["Aliases"] = std::move(items);
  return functions::JsonReply(std::move(output));
}

}  // namespace lamina::lambda
