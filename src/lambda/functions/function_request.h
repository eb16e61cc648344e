#pragma once

// What the function operations (functions/*_ops.cc) share: reading FunctionName, Qualifier,
// paging and body members as AWS validates them, and rendering FunctionConfiguration and
// AliasConfiguration.
//
// Thread-safety: the functions are pure.

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "lambda/functions/function_model.h"
#include "lambda/functions/function_store.h"
#include "lambda/validation.h"
#include "protocol/operation.h"

namespace lamina::lambda::functions {

inline constexpr const char* kFunctionNamePattern =
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
    "([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";
inline constexpr const char* kNamespacedFunctionNamePattern =
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
    "([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";
inline constexpr const char* kQualifierPattern = "(|[a-zA-Z0-9$_-]+)";
// A function's own name: 1-64 characters.
inline constexpr size_t kMaxFunctionNameLength = 64;
// List operations return at most this many items per page, whatever MaxItems says.
inline constexpr int kMaxPageItems = 50;

// Which FunctionName shape an operation takes: FunctionName (≤ 140, no dots) or
// NamespacedFunctionName (≤ 170, dots allowed).
enum class NameShape { kPlain, kNamespaced };

// A function a request names, and the qualifier it names (empty: none).
struct FunctionTarget {
  FunctionId id;
  std::string qualifier;
};

// Checks FunctionName `value` into `invalid` (member `member`); the parsed reference when
// it matches the pattern.
std::optional<FunctionRef> CheckFunctionName(std::string_view value, NameShape shape,
                                             ValidationErrors& invalid,
                                             std::string_view member = "functionName");
void CheckQualifier(std::string_view value, ValidationErrors& invalid);

// The function of `function_name` (any form) for a caller of `context`, with the qualifier
// from the name or from `qualifier` (the Qualifier member, when sent). Errors: the
// ValidationException of both members (with `invalid`'s earlier findings), the qualifier
// clash, and a region other than the request's (ResourceNotFoundException).
Expected<FunctionTarget, AwsError> ParseFunctionTarget(const RequestContext& context,
                                                       std::string_view function_name,
                                                       std::optional<std::string_view> qualifier,
                                                       NameShape shape,
                                                       ValidationErrors invalid = {});

// A URI label, or "" when absent.
std::string Label(const OperationRequest& request, std::string_view name);

// Members of the JSON body; absent or null is nullopt, the wrong JSON type a validation error.
std::optional<std::string> BodyString(const json::object& body, std::string_view member,
                                      std::string_view wire_name, ValidationErrors& invalid);
std::optional<int64_t> BodyInteger(const json::object& body, std::string_view member,
                                   std::string_view wire_name, ValidationErrors& invalid);
std::optional<bool> BodyBool(const json::object& body, std::string_view member,
                             std::string_view wire_name, ValidationErrors& invalid);
const json::object* BodyObject(const json::object& body, std::string_view member,
                               std::string_view wire_name, ValidationErrors& invalid);
std::optional<std::vector<std::string>> BodyStringList(const json::object& body,
                                                       std::string_view member,
                                                       std::string_view wire_name,
                                                       ValidationErrors& invalid);
std::optional<std::map<std::string, std::string>> BodyStringMap(const json::object& body,
                                                                std::string_view member,
                                                                std::string_view wire_name,
                                                                ValidationErrors& invalid);

// MaxItems (1-10000) as a page size of at most kMaxPageItems; kMaxPageItems when absent.
int ParseMaxItems(const OperationRequest& request, ValidationErrors& invalid);
// Markers are opaque to clients: the base64 of where the page ended.
std::string EncodeMarker(std::string_view position);
std::optional<std::string> DecodeMarker(std::string_view marker);

// What a FunctionConfiguration says about the function's state.
enum class Phase {
  kSteady,    // State Active, LastUpdateStatus Successful
  kCreating,  // CreateFunction: State Pending, StateReasonCode Creating
  kUpdating,  // UpdateFunctionCode/Configuration: LastUpdateStatus InProgress
  kListed,    // ListFunctions, ListVersionsByFunction: no state members
};
// FunctionConfiguration of `version`; FunctionArn qualified with its version when
// `qualified_arn`.
json::object RenderConfiguration(const FunctionVersion& version, Phase phase, bool qualified_arn);
// AliasConfiguration.
json::object RenderAlias(const FunctionId& id, const Alias& alias);

OperationResponse JsonReply(json::value output, int status = 200);
// 204 with no body.
OperationResponse NoContent();

// What a qualified name resolves to: the version, and the alias when it named one.
struct Resolved {
  const FunctionVersion* version = nullptr;
  const Alias* alias = nullptr;
};
// The version `target` names in `state`: $LATEST (no qualifier or "$LATEST"), a published
// version or an alias's (primary) version. When the function is another account's, the
// resource's policy must grant `action` to `caller` (AccessDeniedException otherwise, also for
// a function that does not exist). ResourceNotFoundException "Function not found: ARN" for a
// missing function, version or alias.
Expected<Resolved, AwsError> ResolveQualified(const FunctionState& state,
                                              const FunctionTarget& target,
                                              const std::string& caller, std::string_view action);
// The policy statements of the resource `qualifier` names (the function's for none or
// "$LATEST"); nullptr when that version or alias does not exist.
const std::vector<json::object>* ResourcePolicy(const FunctionState& state,
                                                std::string_view qualifier);
// AccessDeniedException unless `caller` owns the function or the policy of the resource
// `target` names grants `action`.
Expected<void, AwsError> Authorize(const FunctionState& state, const FunctionTarget& target,
                                   const std::string& caller, std::string_view action);

// A published version `number` of `latest`, made at `now` (AWS's timestamp form): its own
// revisions, no policy, and `description` instead of $LATEST's when given.
FunctionVersion PublishedCopy(const FunctionVersion& latest, int64_t number, std::string now,
                              const std::optional<std::string>& description);

// Publishes $LATEST of `state` as its next version, made at `now`, unless $LATEST has not changed
// since the newest published version was made from it (as AWS does): returns the version
// number either way.
int64_t PublishLatest(FunctionState& state, const std::string& now,
                      const std::optional<std::string>& description);

// At most 50 tags, keys of 1-128 characters not starting with "aws:", values of 0-256:
// InvalidParameterValueException as Lambda answers otherwise.
Expected<void, AwsError> CheckTags(const std::map<std::string, std::string>& tags);

// Whether some statement of `policy` lets `caller` perform `action`.
bool PolicyAllows(const std::vector<json::object>& policy, const std::string& caller,
                  std::string_view action);

}  // namespace lamina::lambda::functions
