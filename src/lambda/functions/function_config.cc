#include "lambda/functions/function_config.h"

#include "common/strings.h"
#include "lambda/errors.h"
#include "lambda/functions/function_code.h"
#include "lambda/functions/function_request.h"

namespace lamina::lambda::functions {

namespace {

constexpr const char* kRolePattern =
    "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+";
constexpr const char* kEnvironmentKeyPattern = "[a-zA-Z]([a-zA-Z0-9_])+";

bool HasNoWhitespace(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return false;
  return true;
}

void CheckStringList(const std::optional<std::vector<std::string>>& values,
                     std::string_view wire_name, size_t max_items, ValidationErrors& invalid) {
  if (values && values->size() > max_items)
    invalid.Add(QuoteList(*values), wire_name,
                "Member must have length less than or equal to " + std::to_string(max_items));
}

}  // namespace

bool IsRoleArn(std::string_view text) {
  auto take = [&](std::string_view prefix) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    return true;
  };
  if (!take("arn:")) return false;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view partition = text.substr(0, colon);
  if (!partition.empty()) {
    if (partition.substr(0, 3) != "aws") return false;
    for (char c : partition.substr(3))
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
  }
  text.remove_prefix(colon + 1);
  if (!take("iam::") || text.size() < 12 || !IsAccountId(text.substr(0, 12))) return false;
  text.remove_prefix(12);
  if (!take(":role")) return false;
  if (!text.empty() && text[0] == '/') text.remove_prefix(1);
  if (text.empty()) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          std::string_view("_+=,.@-/").find(c) != std::string_view::npos))
      return false;
  return true;
}

ConfigInput ParseConfigInput(const json::object& body, ValidationErrors& invalid) {
  ConfigInput input;
  if ((input.runtime = BodyString(body, "Runtime", "runtime", invalid)))
    invalid.Enum(*input.runtime, "runtime", Runtimes());
  if ((input.role = BodyString(body, "Role", "role", invalid)))
    invalid.Pattern(*input.role, "role", IsRoleArn(*input.role), kRolePattern);
  if ((input.handler = BodyString(body, "Handler", "handler", invalid))) {
    invalid.Length(*input.handler, "handler", 0, 128);
    invalid.Pattern(*input.handler, "handler", HasNoWhitespace(*input.handler), "[^\\s]+");
  }
  if ((input.description = BodyString(body, "Description", "description", invalid)))
    invalid.Length(*input.description, "description", 0, 256);
  if ((input.timeout = BodyInteger(body, "Timeout", "timeout", invalid)))
    invalid.Range(*input.timeout, "timeout", 1, 900);
  if ((input.memory_size = BodyInteger(body, "MemorySize", "memorySize", invalid)))
    invalid.Range(*input.memory_size, "memorySize", 128, 10240);
  if (const json::object* storage =
          BodyObject(body, "EphemeralStorage", "ephemeralStorage", invalid)) {
    input.ephemeral_size = BodyInteger(*storage, "Size", "ephemeralStorage.size", invalid);
    if (!input.ephemeral_size)
      invalid.Add("null", "ephemeralStorage.size", "Member must not be null");
    else
      invalid.Range(*input.ephemeral_size, "ephemeralStorage.size", 512, 10240);
  }
  if (const json::object* environment = BodyObject(body, "Environment", "environment", invalid)) {
    auto variables = BodyStringMap(*environment, "Variables", "environment.variables", invalid);
    input.environment = variables.value_or(std::map<std::string, std::string>());
    for (const auto& [key, value] : *input.environment) {
      if (!IsEnvironmentKey(key)) {
        invalid.AddSensitive("environment.variables",
                             std::string("Map keys must satisfy constraint: [Member must satisfy "
                                         "regular expression pattern: ") +
                                 kEnvironmentKeyPattern + "]");
        break;
      }
    }
  }
  if (const json::object* tracing = BodyObject(body, "TracingConfig", "tracingConfig", invalid)) {
    if ((input.tracing_mode = BodyString(*tracing, "Mode", "tracingConfig.mode", invalid)))
      invalid.Enum(*input.tracing_mode, "tracingConfig.mode", {"Active", "PassThrough"});
  }
  if ((input.layers = BodyStringList(body, "Layers", "layers", invalid)))
    CheckLayerArns(*input.layers, invalid);
  if ((input.architectures = BodyStringList(body, "Architectures", "architectures", invalid))) {
    const auto& values = *input.architectures;
    if (values.empty()) {
      invalid.Add("[]", "architectures", "Member must have length greater than or equal to 1");
    } else if (values.size() > 1) {
      invalid.Add(QuoteList(values), "architectures",
                  "Member must have length less than or equal to 1");
    } else {
      bool known = false;
      for (std::string_view candidate : Architectures()) known = known || candidate == values[0];
      if (!known)
        invalid.Add(QuoteList(values), "architectures",
                    "Member must satisfy constraint: [Member must satisfy enum value set: "
                    "[x86_64, arm64]]");
    }
  }
  input.kms_key_arn = BodyString(body, "KMSKeyArn", "kMSKeyArn", invalid);
  if (const json::object* dead_letter =
          BodyObject(body, "DeadLetterConfig", "deadLetterConfig", invalid))
    input.dead_letter_target =
        BodyString(*dead_letter, "TargetArn", "deadLetterConfig.targetArn", invalid).value_or("");
  if (const json::object* vpc = BodyObject(body, "VpcConfig", "vpcConfig", invalid)) {
    input.subnet_ids = BodyStringList(*vpc, "SubnetIds", "vpcConfig.subnetIds", invalid)
                           .value_or(std::vector<std::string>());
    input.security_group_ids =
        BodyStringList(*vpc, "SecurityGroupIds", "vpcConfig.securityGroupIds", invalid)
            .value_or(std::vector<std::string>());
    CheckStringList(input.subnet_ids, "vpcConfig.subnetIds", 16, invalid);
    CheckStringList(input.security_group_ids, "vpcConfig.securityGroupIds", 5, invalid);
  }
  if (const json::object* snap_start = BodyObject(body, "SnapStart", "snapStart", invalid)) {
    if ((input.snap_start = BodyString(*snap_start, "ApplyOn", "snapStart.applyOn", invalid)))
      invalid.Enum(*input.snap_start, "snapStart.applyOn", {"PublishedVersions", "None"});
  }
  if (const json::object* logging = BodyObject(body, "LoggingConfig", "loggingConfig", invalid)) {
    if ((input.log_format = BodyString(*logging, "LogFormat", "loggingConfig.logFormat", invalid)))
      invalid.Enum(*input.log_format, "loggingConfig.logFormat", {"JSON", "Text"});
    if ((input.application_log_level = BodyString(*logging, "ApplicationLogLevel",
                                                  "loggingConfig.applicationLogLevel", invalid)))
      invalid.Enum(*input.application_log_level, "loggingConfig.applicationLogLevel",
                   {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"});
    if ((input.system_log_level =
             BodyString(*logging, "SystemLogLevel", "loggingConfig.systemLogLevel", invalid)))
      invalid.Enum(*input.system_log_level, "loggingConfig.systemLogLevel",
                   {"DEBUG", "INFO", "WARN"});
    if ((input.log_group = BodyString(*logging, "LogGroup", "loggingConfig.logGroup", invalid)))
      invalid.Length(*input.log_group, "loggingConfig.logGroup", 1, 512);
  }
  return input;
}

std::string RecommendedRuntime(std::string_view runtime) {
  if (runtime.rfind("nodejs", 0) == 0) return "nodejs22.x";
  if (runtime.rfind("python", 0) == 0) return "python3.13";
  if (runtime.rfind("java", 0) == 0) return "java21";
  if (runtime.rfind("dotnet", 0) == 0) return "dotnet8";
  if (runtime.rfind("ruby", 0) == 0) return "ruby3.3";
  return "provided.al2023";
}

Expected<void, AwsError> CheckConfigRules(const ConfigInput& input) {
  if (input.runtime && IsBlockedRuntime(*input.runtime))
    return Unexpected(errors::BlockedRuntime(*input.runtime, RecommendedRuntime(*input.runtime)));
  if (input.environment) {
    std::vector<std::string> reserved = ReservedEnvironmentKeys(*input.environment);
    if (!reserved.empty()) {
      std::string keys;
      for (const auto& key : reserved) keys += (keys.empty() ? "" : ", ") + key;
      return Unexpected(errors::InvalidParameterValue(
          "Lambda was unable to configure your environment variables because the environment "
          "variables you have provided contains reserved keys that are currently not supported "
          "for modification. Reserved keys used in this request: " +
          keys));
    }
    std::string measured = MeasuredEnvironment(*input.environment);
    if (measured.size() > kMaxEnvironmentBytes)
      return Unexpected(errors::InvalidParameterValue(
          "Lambda was unable to configure your environment variables because the environment "
          "variables you have provided exceeded the 4KB limit. String measured: " +
          measured));
  }
  return {};
}

void ApplyConfig(const ConfigInput& input, FunctionVersion& version) {
  if (input.runtime) version.runtime = *input.runtime;
  if (input.role) version.role = *input.role;
  if (input.handler) version.handler = *input.handler;
  if (input.description) version.description = *input.description;
  if (input.timeout) version.timeout = static_cast<int>(*input.timeout);
  if (input.memory_size) version.memory_size = static_cast<int>(*input.memory_size);
  if (input.ephemeral_size) version.ephemeral_size = static_cast<int>(*input.ephemeral_size);
  if (input.environment) {
    if (input.environment->empty())
      version.environment.reset();
    else
      version.environment = *input.environment;
  }
  if (input.tracing_mode) version.tracing_mode = *input.tracing_mode;
  if (input.architectures && input.architectures->size() == 1)
    version.architecture = input.architectures->front();
  if (input.kms_key_arn) version.kms_key_arn = *input.kms_key_arn;
  if (input.dead_letter_target) version.dead_letter_target = *input.dead_letter_target;
  if (input.subnet_ids) version.subnet_ids = *input.subnet_ids;
  if (input.security_group_ids) version.security_group_ids = *input.security_group_ids;
  if (input.snap_start) version.snap_start = *input.snap_start;
  if (input.log_format) version.log_format = *input.log_format;
  if (input.log_group) version.log_group = *input.log_group;
  if (input.application_log_level) version.application_log_level = *input.application_log_level;
  if (input.system_log_level) version.system_log_level = *input.system_log_level;
}

}  // namespace lamina::lambda::functions
