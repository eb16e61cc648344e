#pragma once

// The version-specific configuration members CreateFunction and UpdateFunctionConfiguration
// share (Runtime, Handler, Role, Timeout, MemorySize, Environment, EphemeralStorage, …): read
// and checked against the model's constraints and Lambda's rules, then applied to a version.
//
// Thread-safety: the functions are pure.

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "lambda/functions/function_model.h"
#include "lambda/validation.h"
#include "protocol/aws_error.h"

namespace lamina::lambda::functions {

// Each member as sent; nullopt when absent (left as it is by an update).
struct ConfigInput {
  std::optional<std::string> runtime;
  std::optional<std::string> role;
  std::optional<std::string> handler;
  std::optional<std::string> description;
  std::optional<int64_t> timeout;
  std::optional<int64_t> memory_size;
  std::optional<int64_t> ephemeral_size;
  // Environment.Variables; an empty map clears them.
  std::optional<std::map<std::string, std::string>> environment;
  std::optional<std::string> tracing_mode;
  std::optional<std::vector<std::string>> layers;
  std::optional<std::vector<std::string>> architectures;
  std::optional<std::string> kms_key_arn;
  std::optional<std::string> dead_letter_target;
  std::optional<std::vector<std::string>> subnet_ids;
  std::optional<std::vector<std::string>> security_group_ids;
  std::optional<std::string> snap_start;
  std::optional<std::string> log_format;
  std::optional<std::string> log_group;
  std::optional<std::string> application_log_level;
  std::optional<std::string> system_log_level;
};

// Reads the configuration members of `body` (Architectures too: CreateFunction's), every
// violation of the model's constraints added to `invalid`.
ConfigInput ParseConfigInput(const json::object& body, ValidationErrors& invalid);

// Lambda's rules beyond the model, as InvalidParameterValueException: a runtime no longer
// allowed for new or updated functions, reserved environment variable names, variables over 4 KB.
Expected<void, AwsError> CheckConfigRules(const ConfigInput& input);

// The runtime AWS recommends instead of a blocked `runtime` (the newest of its family).
std::string RecommendedRuntime(std::string_view runtime);

// Sets every member `input` carries on `version` (Layers excepted: they are resolved first).
void ApplyConfig(const ConfigInput& input, FunctionVersion& version);

// arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+
bool IsRoleArn(std::string_view text);

}  // namespace lamina::lambda::functions
