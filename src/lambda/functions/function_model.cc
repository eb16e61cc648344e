#include "lambda/functions/function_model.h"

#include <charconv>

#include "common/hashing.h"
#include "common/json_fields.h"
#include "common/strings.h"
#include "lambda/validation.h"

namespace lamina::lambda::functions {

namespace {

using json_fields::FromArray;
using json_fields::StringOf;
using json_fields::ToArray;

bool IsNameChars(std::string_view text, bool allow_dots) {
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || (allow_dots && c == '.')))
      return false;
  return true;
}

bool IsPartition(std::string_view text) {
  if (text.empty()) return true;
  if (text.substr(0, 3) != "aws") return false;
  for (char c : text.substr(3))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
  return true;
}

template <typename Number>
Number NumberOf(const json::object& object, std::string_view name, Number fallback) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_number()) return fallback;
  boost::system::error_code error;
  Number number = value->to_number<Number>(error);
  return error ? fallback : number;
}

json::array PolicyToJson(const std::vector<json::object>& policy) {
  json::array array;
  for (const auto& statement : policy) array.push_back(statement);
  return array;
}

std::vector<json::object> PolicyFromJson(const json::value* value) {
  std::vector<json::object> policy;
  if (value == nullptr || !value->is_array()) return policy;
  for (const auto& element : value->get_array())
    if (element.is_object()) policy.push_back(element.get_object());
  return policy;
}

std::optional<json::object> ParseObject(std::string_view text) {
  boost::system::error_code error;
  json::value parsed = json::parse(text, error);
  if (error || !parsed.is_object()) return std::nullopt;
  return std::move(parsed.get_object());
}

}  // namespace

std::optional<FunctionRef> ParseFunctionRef(std::string_view text, bool allow_dots) {
  std::vector<std::string_view> tokens = Split(text, ':');
  FunctionRef ref;
  size_t at = 0;
  // A function may be named "arn": only four or more parts make an ARN.
  if (tokens[0] == "arn" && tokens.size() >= 4) {
    if (!IsPartition(tokens[1]) || tokens[2] != "lambda") return std::nullopt;
    ref.is_arn = true;
    at = 3;
  }
  // The optional parts are taken only while a name still follows them.
  auto remaining = [&] { return tokens.size() - at; };
  if (remaining() >= 2 && IsRegionName(tokens[at])) ref.region = std::string(tokens[at++]);
  if (remaining() >= 2 && IsAccountId(tokens[at])) ref.account = std::string(tokens[at++]);
  if (remaining() >= 2 && tokens[at] == "function") ++at;
  if (remaining() == 0 || !IsNameChars(tokens[at], allow_dots)) return std::nullopt;
  ref.name = std::string(tokens[at++]);
  if (remaining() == 1) {
    std::string_view qualifier = tokens[at++];
    if (qualifier != kLatest && !IsNameChars(qualifier, false)) return std::nullopt;
    ref.qualifier = std::string(qualifier);
  }
  if (remaining() != 0) return std::nullopt;
  return ref;
}

std::string FunctionArn(const std::string& region, const std::string& account,
                        const std::string& name) {
  return "arn:aws:lambda:" + region + ":" + account + ":function:" + name;
}

std::string VersionName(int64_t version) {
  return version == kLatestNumber ? std::string(kLatest) : std::to_string(version);
}

std::optional<int64_t> ParseVersionName(std::string_view qualifier) {
  if (qualifier == kLatest) return kLatestNumber;
  int64_t number = 0;
  auto [end, error] =
      std::from_chars(qualifier.data(), qualifier.data() + qualifier.size(), number);
  if (qualifier.empty() || error != std::errc() || end != qualifier.data() + qualifier.size() ||
      qualifier[0] == '-' || qualifier[0] == '+')
    return std::nullopt;
  return number;
}

bool IsAliasName(std::string_view text) {
  if (!IsNameChars(text, false)) return false;
  for (char c : text)
    if (c < '0' || c > '9') return true;
  return false;
}

std::vector<std::string> FunctionVersion::BlobIds() const {
  std::vector<std::string> ids;
  if (!code_blob.empty()) ids.push_back(code_blob);
  for (const LayerUse& layer : layers) ids.push_back(layer.blob_id);
  return ids;
}

std::string SerializeVersion(const FunctionVersion& version) {
  json::object record;
  record["runtime"] = version.runtime;
  record["handler"] = version.handler;
  record["role"] = version.role;
  record["description"] = version.description;
  record["timeout"] = version.timeout;
  record["memory"] = version.memory_size;
  record["ephemeral"] = version.ephemeral_size;
  record["architecture"] = version.architecture;
  if (version.environment) {
    json::object variables;
    for (const auto& [key, value] : *version.environment) variables[key] = value;
    record["environment"] = std::move(variables);
  }
  record["tracing"] = version.tracing_mode;
  json::array layers;
  for (const LayerUse& layer : version.layers)
    layers.push_back(json::object{{"arn", layer.arn},
                                  {"size", layer.code_size},
                                  {"blob", layer.blob_id},
                                  {"unzipped", layer.unzipped_size}});
  record["layers"] = std::move(layers);
  record["blob"] = version.code_blob;
  record["size"] = version.code_size;
  record["unzipped"] = version.unzipped_size;
  record["modified"] = version.last_modified;
  record["package"] = version.package_type;
  record["snap_start"] = version.snap_start;
  record["log_format"] = version.log_format;
  record["log_group"] = version.log_group;
  record["app_log_level"] = version.application_log_level;
  record["system_log_level"] = version.system_log_level;
  record["kms"] = version.kms_key_arn;
  record["dead_letter"] = version.dead_letter_target;
  record["subnets"] = ToArray(version.subnet_ids);
  record["security_groups"] = ToArray(version.security_group_ids);
  record["revision"] = version.revision_id;
  record["config_revision"] = version.config_revision;
  record["source_revision"] = version.source_revision;
  record["policy"] = PolicyToJson(version.policy);
  return json::serialize(record);
}

std::optional<FunctionVersion> ParseVersion(std::string_view text, FunctionVersion identity) {
  auto parsed = ParseObject(text);
  if (!parsed) return std::nullopt;
  const json::object& record = *parsed;
  FunctionVersion version = std::move(identity);
  version.runtime = StringOf(record, "runtime");
  version.handler = StringOf(record, "handler");
  version.role = StringOf(record, "role");
  version.description = StringOf(record, "description");
  version.timeout = NumberOf<int>(record, "timeout", 3);
  version.memory_size = NumberOf<int>(record, "memory", 128);
  version.ephemeral_size = NumberOf<int>(record, "ephemeral", 512);
  version.architecture = StringOf(record, "architecture");
  if (const json::value* variables = record.if_contains("environment");
      variables != nullptr && variables->is_object()) {
    std::map<std::string, std::string> environment;
    for (const auto& member : variables->get_object())
      if (member.value().is_string())
        environment[std::string(member.key())] = std::string(member.value().get_string());
    version.environment = std::move(environment);
  }
  version.tracing_mode = StringOf(record, "tracing");
  if (const json::value* layers = record.if_contains("layers"); layers && layers->is_array()) {
    for (const auto& element : layers->get_array()) {
      if (!element.is_object()) continue;
      const json::object& layer = element.get_object();
      version.layers.push_back(
          LayerUse{StringOf(layer, "arn"), NumberOf<uint64_t>(layer, "size", 0),
                   StringOf(layer, "blob"), NumberOf<uint64_t>(layer, "unzipped", 0)});
    }
  }
  version.code_blob = StringOf(record, "blob");
  version.code_size = NumberOf<uint64_t>(record, "size", 0);
  version.unzipped_size = NumberOf<uint64_t>(record, "unzipped", 0);
  version.last_modified = StringOf(record, "modified");
  version.package_type = StringOf(record, "package");
  version.snap_start = StringOf(record, "snap_start");
  version.log_format = StringOf(record, "log_format");
  version.log_group = StringOf(record, "log_group");
  version.application_log_level = StringOf(record, "app_log_level");
  version.system_log_level = StringOf(record, "system_log_level");
  version.kms_key_arn = StringOf(record, "kms");
  version.dead_letter_target = StringOf(record, "dead_letter");
  version.subnet_ids = FromArray(record.if_contains("subnets"));
  version.security_group_ids = FromArray(record.if_contains("security_groups"));
  version.revision_id = StringOf(record, "revision");
  version.config_revision = StringOf(record, "config_revision");
  version.source_revision = StringOf(record, "source_revision");
  version.policy = PolicyFromJson(record.if_contains("policy"));
  return version;
}

std::string SerializeAlias(const Alias& alias) {
  json::object record;
  record["version"] = alias.function_version;
  record["description"] = alias.description;
  json::object weights;
  for (const auto& [version, weight] : alias.weights) weights[version] = weight;
  record["weights"] = std::move(weights);
  record["revision"] = alias.revision_id;
  record["policy"] = PolicyToJson(alias.policy);
  return json::serialize(record);
}

std::optional<Alias> ParseAlias(std::string_view text, std::string name) {
  auto parsed = ParseObject(text);
  if (!parsed) return std::nullopt;
  const json::object& record = *parsed;
  Alias alias;
  alias.name = std::move(name);
  alias.function_version = StringOf(record, "version");
  alias.description = StringOf(record, "description");
  if (const json::value* weights = record.if_contains("weights"); weights && weights->is_object())
    for (const auto& member : weights->get_object())
      if (member.value().is_number())
        alias.weights[std::string(member.key())] = member.value().to_number<double>();
  alias.revision_id = StringOf(record, "revision");
  alias.policy = PolicyFromJson(record.if_contains("policy"));
  return alias;
}

std::string SerializeSettings(const FunctionSettings& settings) {
  json::object record;
  record["next"] = settings.next_version;
  json::object tags;
  for (const auto& [key, value] : settings.tags) tags[key] = value;
  record["tags"] = std::move(tags);
  if (settings.reserved_concurrency) record["concurrency"] = *settings.reserved_concurrency;
  return json::serialize(record);
}

std::optional<FunctionSettings> ParseSettings(std::string_view text) {
  auto parsed = ParseObject(text);
  if (!parsed) return std::nullopt;
  const json::object& record = *parsed;
  FunctionSettings settings;
  settings.next_version = NumberOf<int64_t>(record, "next", 1);
  if (const json::value* tags = record.if_contains("tags"); tags && tags->is_object())
    for (const auto& member : tags->get_object())
      if (member.value().is_string())
        settings.tags[std::string(member.key())] = std::string(member.value().get_string());
  if (record.contains("concurrency"))
    settings.reserved_concurrency = NumberOf<int>(record, "concurrency", 0);
  return settings;
}

Expected<json::object, std::string> BuildStatement(const PermissionGrant& grant,
                                                   const std::string& resource) {
  json::value principal;
  const std::string& given = grant.principal;
  auto ends_with = [&](std::string_view suffix) {
    return given.size() > suffix.size() &&
           given.compare(given.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (given == "*") {
    principal = "*";
  } else if (IsAccountId(given)) {
    principal = json::object{{"AWS", "arn:aws:iam::" + given + ":root"}};
  } else if (given.rfind("arn:aws", 0) == 0 && given.find(":iam::") != std::string::npos) {
    principal = json::object{{"AWS", given}};
  } else if (ends_with(".amazonaws.com") || ends_with(".amazon.com")) {
    principal = json::object{{"Service", given}};
  } else {
    return Unexpected(
        std::string("The provided principal was invalid. Please check the principal and try "
                    "again."));
  }
  json::object statement;
  statement["Sid"] = grant.statement_id;
  statement["Effect"] = "Allow";
  statement["Principal"] = std::move(principal);
  statement["Action"] = grant.action;
  statement["Resource"] = resource;
  json::object string_equals;
  if (!grant.source_account.empty()) string_equals["AWS:SourceAccount"] = grant.source_account;
  if (!grant.principal_org_id.empty()) string_equals["aws:PrincipalOrgID"] = grant.principal_org_id;
  if (!grant.event_source_token.empty())
    string_equals["lambda:EventSourceToken"] = grant.event_source_token;
  if (!grant.function_url_auth_type.empty())
    string_equals["lambda:FunctionUrlAuthType"] = grant.function_url_auth_type;
  json::object condition;
  if (!string_equals.empty()) condition["StringEquals"] = std::move(string_equals);
  if (!grant.source_arn.empty())
    condition["ArnLike"] = json::object{{"AWS:SourceArn", grant.source_arn}};
  if (!condition.empty()) statement["Condition"] = std::move(condition);
  return statement;
}

bool StatementAllows(const json::object& statement, const std::string& account,
                     std::string_view action) {
  if (statement.contains("Condition")) return false;
  const json::value* granted = statement.if_contains("Action");
  if (granted == nullptr || !granted->is_string()) return false;
  std::string_view granted_action = granted->get_string();
  if (granted_action != action && granted_action != "lambda:*" && granted_action != "*")
    return false;
  const json::value* principal = statement.if_contains("Principal");
  if (principal == nullptr) return false;
  if (principal->is_string()) return principal->get_string() == "*";
  if (!principal->is_object()) return false;
  const json::value* aws = principal->get_object().if_contains("AWS");
  if (aws == nullptr || !aws->is_string()) return false;
  std::string_view named = aws->get_string();
  return named == "*" || named == "arn:aws:iam::" + account + ":root";
}

std::string PolicyDocument(const std::vector<json::object>& statements) {
  return json::serialize(json::object{
      {"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", PolicyToJson(statements)}});
}

std::vector<std::string> ReservedEnvironmentKeys(
    const std::map<std::string, std::string>& variables) {
  // The variables Lambda sets in every environment ("Defined runtime environment variables").
  static const std::vector<std::string_view> reserved = {"_HANDLER",
                                                         "_X_AMZN_TRACE_ID",
                                                         "AWS_DEFAULT_REGION",
                                                         "AWS_REGION",
                                                         "AWS_EXECUTION_ENV",
                                                         "AWS_LAMBDA_FUNCTION_NAME",
                                                         "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                                         "AWS_LAMBDA_FUNCTION_VERSION",
                                                         "AWS_LAMBDA_INITIALIZATION_TYPE",
                                                         "AWS_LAMBDA_LOG_GROUP_NAME",
                                                         "AWS_LAMBDA_LOG_STREAM_NAME",
                                                         "AWS_ACCESS_KEY",
                                                         "AWS_ACCESS_KEY_ID",
                                                         "AWS_SECRET_ACCESS_KEY",
                                                         "AWS_SESSION_TOKEN",
                                                         "AWS_LAMBDA_RUNTIME_API",
                                                         "LAMBDA_TASK_ROOT",
                                                         "LAMBDA_RUNTIME_DIR"};
  std::vector<std::string> found;
  for (const auto& [key, value] : variables)
    for (std::string_view candidate : reserved)
      if (key == candidate) found.push_back(key);
  return found;
}

std::string MeasuredEnvironment(const std::map<std::string, std::string>& variables) {
  json::object object;
  for (const auto& [key, value] : variables) object[key] = value;
  return json::serialize(object);
}

bool IsEnvironmentKey(std::string_view key) {
  if (key.size() < 2) return false;
  if (!((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z'))) return false;
  for (char c : key.substr(1))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

std::string LambdaTimestamp(Clock::TimePoint time) {
  std::string text = FormatIso8601(time);
  if (!text.empty() && text.back() == 'Z') text.replace(text.size() - 1, 1, "+0000");
  return text;
}

std::string CodeSha256(const std::string& blob_id) {
  std::string bytes;
  for (size_t i = 0; i + 1 < blob_id.size(); i += 2) {
    unsigned value = 0;
    std::from_chars(blob_id.data() + i, blob_id.data() + i + 2, value, 16);
    bytes.push_back(static_cast<char>(value));
  }
  return Base64Encode(bytes);
}

}  // namespace lamina::lambda::functions
