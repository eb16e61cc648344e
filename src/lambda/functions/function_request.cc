#include "lambda/functions/function_request.h"

#include <charconv>

#include "common/hashing.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "lambda/errors.h"

namespace lamina::lambda::functions {

namespace {

using json_fields::ToArray;

bool IsQualifierChars(std::string_view text) {
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '$' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace

std::optional<FunctionRef> CheckFunctionName(std::string_view value, NameShape shape,
                                             ValidationErrors& invalid, std::string_view member) {
  bool namespaced = shape == NameShape::kNamespaced;
  invalid.Length(value, member, 1, namespaced ? 170 : 140);
  auto ref = ParseFunctionRef(value, namespaced);
  if (!value.empty())
    invalid.Pattern(value, member, ref.has_value(),
                    namespaced ? kNamespacedFunctionNamePattern : kFunctionNamePattern);
  return ref;
}

void CheckQualifier(std::string_view value, ValidationErrors& invalid) {
  invalid.Length(value, "qualifier", 1, 128);
  invalid.Pattern(value, "qualifier", IsQualifierChars(value), kQualifierPattern);
}

Expected<FunctionTarget, AwsError> ParseFunctionTarget(const RequestContext& context,
                                                       std::string_view function_name,
                                                       std::optional<std::string_view> qualifier,
                                                       NameShape shape, ValidationErrors invalid) {
  auto ref = CheckFunctionName(function_name, shape, invalid);
  if (qualifier) CheckQualifier(*qualifier, invalid);
  if (auto error = invalid.Error()) return Unexpected(*error);
  if (!ref->region.empty() && ref->region != context.region)
    return Unexpected(errors::UnreachableRegion(ref->region, context.region));
  if (qualifier && !ref->qualifier.empty() && *qualifier != ref->qualifier)
    return Unexpected(errors::QualifierMismatch());
  FunctionTarget target;
  target.id.account = ref->account.empty() ? context.account_id : ref->account;
  target.id.region = context.region;
  target.id.name = ref->name;
  target.qualifier = !ref->qualifier.empty() ? ref->qualifier : std::string(qualifier.value_or(""));
  return target;
}

std::string Label(const OperationRequest& request, std::string_view name) {
  auto found = request.labels.find(name);
  return found == request.labels.end() ? std::string() : found->second;
}

std::optional<std::string> BodyString(const json::object& body, std::string_view member,
                                      std::string_view wire_name, ValidationErrors& invalid) {
  const json::value* value = body.if_contains(member);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_string()) {
    invalid.Add(json::serialize(*value), wire_name, "Member must be a string");
    return std::nullopt;
  }
  return std::string(value->get_string());
}

std::optional<int64_t> BodyInteger(const json::object& body, std::string_view member,
                                   std::string_view wire_name, ValidationErrors& invalid) {
  const json::value* value = body.if_contains(member);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(value->get_uint64());
  invalid.Add(json::serialize(*value), wire_name, "Member must be an integer");
  return std::nullopt;
}

std::optional<bool> BodyBool(const json::object& body, std::string_view member,
                             std::string_view wire_name, ValidationErrors& invalid) {
  const json::value* value = body.if_contains(member);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (value->is_bool()) return value->get_bool();
  invalid.Add(json::serialize(*value), wire_name, "Member must be a boolean");
  return std::nullopt;
}

const json::object* BodyObject(const json::object& body, std::string_view member,
                               std::string_view wire_name, ValidationErrors& invalid) {
  const json::value* value = body.if_contains(member);
  if (value == nullptr || value->is_null()) return nullptr;
  if (value->is_object()) return &value->get_object();
  invalid.Add(json::serialize(*value), wire_name, "Member must be a structure");
  return nullptr;
}

std::optional<std::vector<std::string>> BodyStringList(const json::object& body,
                                                       std::string_view member,
                                                       std::string_view wire_name,
                                                       ValidationErrors& invalid) {
  const json::value* value = body.if_contains(member);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_array()) {
    invalid.Add(json::serialize(*value), wire_name, "Member must be a list");
    return std::nullopt;
  }
  std::vector<std::string> values;
  for (const auto& element : value->get_array()) {
    if (!element.is_string()) {
      invalid.Add(json::serialize(*value), wire_name, "Member must be a list of strings");
      return std::nullopt;
    }
    values.emplace_back(element.get_string());
  }
  return values;
}

std::optional<std::map<std::string, std::string>> BodyStringMap(const json::object& body,
                                                                std::string_view member,
                                                                std::string_view wire_name,
                                                                ValidationErrors& invalid) {
  const json::value* value = body.if_contains(member);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_object()) {
    invalid.Add(json::serialize(*value), wire_name, "Member must be a map");
    return std::nullopt;
  }
  std::map<std::string, std::string> values;
  for (const auto& entry : value->get_object()) {
    if (!entry.value().is_string()) {
      invalid.AddSensitive(wire_name, "Map values must be strings");
      return std::nullopt;
    }
    values[std::string(entry.key())] = std::string(entry.value().get_string());
  }
  return values;
}

int ParseMaxItems(const OperationRequest& request, ValidationErrors& invalid) {
  auto text = request.QueryParam("MaxItems");
  if (!text) return kMaxPageItems;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || error != std::errc() || end != text->data() + text->size()) {
    invalid.Add(*text, "maxItems", "Member must be a number");
    return kMaxPageItems;
  }
  invalid.Range(value, "maxItems", 1, 10000);
  if (value < 1) return kMaxPageItems;
  return static_cast<int>(std::min<int64_t>(value, kMaxPageItems));
}

std::string EncodeMarker(std::string_view position) { return Base64Encode(position); }

std::optional<std::string> DecodeMarker(std::string_view marker) { return Base64Decode(marker); }

json::object RenderConfiguration(const FunctionVersion& version, Phase phase, bool qualified_arn) {
  json::object out;
  out["FunctionName"] = version.name;
  out["FunctionArn"] = qualified_arn ? version.QualifiedArn() : version.UnqualifiedArn();
  if (!version.runtime.empty()) out["Runtime"] = version.runtime;
  out["Role"] = version.role;
  if (!version.handler.empty()) out["Handler"] = version.handler;
  out["CodeSize"] = version.code_size;
  out["Description"] = version.description;
  out["Timeout"] = version.timeout;
  out["MemorySize"] = version.memory_size;
  out["LastModified"] = version.last_modified;
  out["CodeSha256"] = CodeSha256(version.code_blob);
  out["Version"] = version.Name();
  if (!version.subnet_ids.empty() || !version.security_group_ids.empty())
    out["VpcConfig"] = json::object{{"SubnetIds", ToArray(version.subnet_ids)},
                                    {"SecurityGroupIds", ToArray(version.security_group_ids)}};
  if (!version.dead_letter_target.empty())
    out["DeadLetterConfig"] = json::object{{"TargetArn", version.dead_letter_target}};
  if (version.environment) {
    json::object variables;
    for (const auto& [key, value] : *version.environment) variables[key] = value;
    out["Environment"] = json::object{{"Variables", std::move(variables)}};
  }
  if (!version.kms_key_arn.empty()) out["KMSKeyArn"] = version.kms_key_arn;
  out["TracingConfig"] = json::object{{"Mode", version.tracing_mode}};
  out["RevisionId"] = version.revision_id;
  if (!version.layers.empty()) {
    json::array layers;
    for (const LayerUse& layer : version.layers)
      layers.push_back(json::object{{"Arn", layer.arn}, {"CodeSize", layer.code_size}});
    out["Layers"] = std::move(layers);
  }
  switch (phase) {
    case Phase::kCreating:
      out["State"] = "Pending";
      out["StateReason"] = "The function is being created.";
      out["StateReasonCode"] = "Creating";
      break;
    case Phase::kUpdating:
      out["State"] = "Active";
      out["LastUpdateStatus"] = "InProgress";
      out["LastUpdateStatusReason"] = "The function is being created.";
      out["LastUpdateStatusReasonCode"] = "Creating";
      break;
    case Phase::kSteady:
      out["State"] = "Active";
      out["LastUpdateStatus"] = "Successful";
      break;
    case Phase::kListed:
      break;
  }
  out["PackageType"] = version.package_type;
  out["Architectures"] = json::array{json::value(version.architecture)};
  out["EphemeralStorage"] = json::object{{"Size", version.ephemeral_size}};
  out["SnapStart"] = json::object{{"ApplyOn", version.snap_start}, {"OptimizationStatus", "Off"}};
  json::object logging{{"LogFormat", version.log_format}, {"LogGroup", version.LogGroup()}};
  if (version.log_format == "JSON") {
    logging["ApplicationLogLevel"] =
        version.application_log_level.empty() ? "INFO" : version.application_log_level;
    logging["SystemLogLevel"] =
        version.system_log_level.empty() ? "INFO" : version.system_log_level;
  }
  out["LoggingConfig"] = std::move(logging);
  return out;
}

json::object RenderAlias(const FunctionId& id, const Alias& alias) {
  json::object out;
  out["AliasArn"] = id.Arn(alias.name);
  out["Name"] = alias.name;
  out["FunctionVersion"] = alias.function_version;
  out["Description"] = alias.description;
  if (!alias.weights.empty()) {
    json::object weights;
    for (const auto& [version, weight] : alias.weights) weights[version] = weight;
    out["RoutingConfig"] = json::object{{"AdditionalVersionWeights", std::move(weights)}};
  }
  out["RevisionId"] = alias.revision_id;
  return out;
}

OperationResponse JsonReply(json::value output, int status) {
  OperationResponse response;
  response.http_status = status;
  response.output = std::move(output);
  return response;
}

OperationResponse NoContent() {
  OperationResponse response;
  response.http_status = 204;
  response.raw_body = "";
  return response;
}

const std::vector<json::object>* ResourcePolicy(const FunctionState& state,
                                                std::string_view qualifier) {
  if (!state.exists) return nullptr;
  if (qualifier.empty() || qualifier == kLatest) {
    const FunctionVersion* latest = state.Latest();
    return latest == nullptr ? nullptr : &latest->policy;
  }
  if (auto number = ParseVersionName(qualifier)) {
    const FunctionVersion* version = state.Version(*number);
    return version == nullptr ? nullptr : &version->policy;
  }
  const Alias* alias = state.FindAlias(qualifier);
  return alias == nullptr ? nullptr : &alias->policy;
}

Expected<void, AwsError> Authorize(const FunctionState& state, const FunctionTarget& target,
                                   const std::string& caller, std::string_view action) {
  if (target.id.account == caller) return {};
  const std::vector<json::object>* policy = ResourcePolicy(state, target.qualifier);
  if (policy != nullptr && PolicyAllows(*policy, caller, action)) return {};
  return Unexpected(
      errors::AccessDenied(caller, std::string(action), target.id.Arn(target.qualifier)));
}

Expected<Resolved, AwsError> ResolveQualified(const FunctionState& state,
                                              const FunctionTarget& target,
                                              const std::string& caller, std::string_view action) {
  if (auto allowed = Authorize(state, target, caller, action); !allowed)
    return Unexpected(allowed.error());
  std::string arn = target.id.Arn(target.qualifier);
  if (!state.exists) return Unexpected(errors::FunctionNotFound(arn));
  Resolved resolved;
  if (auto number = ParseVersionName(target.qualifier.empty() ? kLatest : target.qualifier)) {
    resolved.version = state.Version(*number);
  } else if ((resolved.alias = state.FindAlias(target.qualifier))) {
    if (auto primary = ParseVersionName(resolved.alias->function_version))
      resolved.version = state.Version(*primary);
  }
  if (resolved.version == nullptr) return Unexpected(errors::FunctionNotFound(arn));
  return resolved;
}

FunctionVersion PublishedCopy(const FunctionVersion& latest, int64_t number, std::string now,
                              const std::optional<std::string>& description) {
  FunctionVersion version = latest;
  version.version = number;
  version.policy.clear();
  version.revision_id = NewUuid();
  version.config_revision = NewUuid();
  version.source_revision = latest.config_revision;
  version.last_modified = std::move(now);
  if (description) version.description = *description;
  return version;
}

int64_t PublishLatest(FunctionState& state, const std::string& now,
                      const std::optional<std::string>& description) {
  const FunctionVersion& latest = *state.Latest();
  if (const FunctionVersion* newest = state.NewestPublished();
      newest != nullptr && !latest.config_revision.empty() &&
      newest->source_revision == latest.config_revision)
    return newest->version;
  int64_t number = state.settings.next_version;
  // Never below a stored version, whatever the settings record says.
  if (const FunctionVersion* newest = state.NewestPublished(); newest && newest->version >= number)
    number = newest->version + 1;
  state.versions[number] = PublishedCopy(latest, number, now, description);
  state.settings.next_version = number + 1;
  return number;
}

Expected<void, AwsError> CheckTags(const std::map<std::string, std::string>& tags) {
  if (tags.size() > 50)
    return Unexpected(errors::InvalidParameterValue("Number of tags exceeds resource tag limit."));
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > 128)
      return Unexpected(errors::InvalidParameterValue(
          "Tag keys must be between 1 and 128 characters in length."));
    if (value.size() > 256)
      return Unexpected(errors::InvalidParameterValue(
          "Tag values must be between 0 and 256 characters in length."));
    if (key.rfind("aws:", 0) == 0)
      return Unexpected(errors::InvalidParameterValue("Tag keys can't start with aws: prefix."));
  }
  return {};
}

bool PolicyAllows(const std::vector<json::object>& policy, const std::string& caller,
                  std::string_view action) {
  for (const json::object& statement : policy)
    if (StatementAllows(statement, caller, action)) return true;
  return false;
}

}  // namespace lamina::lambda::functions
