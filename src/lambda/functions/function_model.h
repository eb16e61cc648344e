#pragma once

// What a Lambda function is made of, as plain values: its versions ($LATEST and the published
// ones), aliases, resource-based policy statements and function-wide settings; how each is
// stored (JSON records) and the pure rules around them (function name and ARN forms, policy
// statements as AWS renders them, reserved environment variables).
//
// Thread-safety: plain values; the functions are pure.

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/expected.h"

namespace lamina::lambda::functions {

namespace json = boost::json;

inline constexpr std::string_view kLatest = "$LATEST";
// Version number 0 stands for $LATEST in records and keys.
inline constexpr int64_t kLatestNumber = 0;

// A FunctionName parameter as the model's pattern reads it: a name, a partial ARN
// (ACCOUNT:function:NAME) or a full ARN, each optionally followed by ":QUALIFIER".
struct FunctionRef {
  std::string name;
  std::string account;    // empty: the caller's
  std::string region;     // empty: the request's
  std::string qualifier;  // empty: none
  bool is_arn = false;    // written as arn:…
};

// nullopt when `text` does not match
// (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?
// ([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?  ('.' only when `allow_dots`).
std::optional<FunctionRef> ParseFunctionRef(std::string_view text, bool allow_dots);

std::string FunctionArn(const std::string& region, const std::string& account,
                        const std::string& name);

// "$LATEST" or the digits of a published version.
std::string VersionName(int64_t version);
// The version a qualifier names when it is "$LATEST" or digits; nullopt for an alias name.
std::optional<int64_t> ParseVersionName(std::string_view qualifier);
// (?!^[0-9]+$)([a-zA-Z0-9-_]+)
bool IsAliasName(std::string_view text);

// A layer version a function version uses. The function holds its own reference to the
// layer's blob, so the layer version may be deleted without breaking the function.
struct LayerUse {
  std::string arn;  // the layer version ARN
  uint64_t code_size = 0;
  std::string blob_id;
  uint64_t unzipped_size = 0;
};

// $LATEST or a published version of one function, with everything its configuration says.
struct FunctionVersion {
  std::string account;
  std::string region;
  std::string name;
  int64_t version = kLatestNumber;

  std::string runtime;
  std::string handler;
  std::string role;
  std::string description;
  int timeout = 3;           // seconds
  int memory_size = 128;     // MB
  int ephemeral_size = 512;  // MB of /tmp
  std::string architecture = "x86_64";
  std::optional<std::map<std::string, std::string>> environment;
  std::string tracing_mode = "PassThrough";
  std::vector<LayerUse> layers;
  std::string code_blob;  // hex SHA-256 of the zip
  uint64_t code_size = 0;
  uint64_t unzipped_size = 0;
  std::string last_modified;  // AWS's form, 2024-01-01T12:00:00.000+0000
  std::string package_type = "Zip";
  std::string snap_start = "None";  // ApplyOn
  std::string log_format = "Text";
  std::string log_group;  // empty: /aws/lambda/NAME
  std::string application_log_level;
  std::string system_log_level;
  std::string kms_key_arn;
  std::string dead_letter_target;
  std::vector<std::string> subnet_ids;
  std::vector<std::string> security_group_ids;

  // RevisionId: a new uuid at every change of this version (configuration, code, policy).
  std::string revision_id;
  // Changes only with what running the version depends on (code and configuration): whether
  // $LATEST changed since a version was published, and the executor's revision.
  std::string config_revision;
  // Published versions: the $LATEST config_revision they were published from.
  std::string source_revision;
  // The resource-based policy of this version (of the unqualified function for $LATEST), each
  // statement as AWS renders it.
  std::vector<json::object> policy;

  bool IsLatest() const { return version == kLatestNumber; }
  std::string Name() const { return VersionName(version); }
  std::string UnqualifiedArn() const { return FunctionArn(region, account, name); }
  std::string QualifiedArn() const { return UnqualifiedArn() + ":" + Name(); }
  std::string LogGroup() const { return log_group.empty() ? "/aws/lambda/" + name : log_group; }
  // The blobs this version holds a reference to: its code, then its layers in order.
  std::vector<std::string> BlobIds() const;
};

struct Alias {
  std::string name;
  std::string function_version;  // "$LATEST" or digits
  std::string description;
  std::map<std::string, double> weights;  // RoutingConfig.AdditionalVersionWeights
  std::string revision_id;
  std::vector<json::object> policy;
};

// What belongs to the function as a whole rather than to a version.
struct FunctionSettings {
  int64_t next_version = 1;  // never reused, even after versions are deleted
  std::map<std::string, std::string> tags;
  std::optional<int> reserved_concurrency;
};

std::string SerializeVersion(const FunctionVersion& version);
// `version` identifies the record; its other fields come from `text`. nullopt when unreadable.
std::optional<FunctionVersion> ParseVersion(std::string_view text, FunctionVersion identity);
std::string SerializeAlias(const Alias& alias);
std::optional<Alias> ParseAlias(std::string_view text, std::string name);
std::string SerializeSettings(const FunctionSettings& settings);
std::optional<FunctionSettings> ParseSettings(std::string_view text);

// --- Resource-based policies ---------------------------------------------------------------

struct PermissionGrant {
  std::string statement_id;
  std::string action;
  std::string principal;
  std::string source_arn;
  std::string source_account;
  std::string principal_org_id;
  std::string event_source_token;
  std::string function_url_auth_type;
};

// The statement as AWS renders it for `resource`: Principal "*", {"AWS": "arn:aws:iam::N:root"}
// for an account id, {"AWS": ARN} for an IAM ARN, {"Service": P} for a service principal, and
// the conditions under StringEquals / ArnLike. An error message when the principal is none.
Expected<json::object, std::string> BuildStatement(const PermissionGrant& grant,
                                                   const std::string& resource);
// Whether `statement` lets a caller of `account` (an account's own credentials, not a service)
// perform `action`: the action matches (or is lambda:* / *), the principal is "*" or the
// account, and no condition restricts it (a caller carries no source ARN, source account or
// organization here).
bool StatementAllows(const json::object& statement, const std::string& account,
                     std::string_view action);
// {"Version":"2012-10-17","Id":"default","Statement":[…]}.
std::string PolicyDocument(const std::vector<json::object>& statements);

// --- Configuration rules ---------------------------------------------------------------------

// The keys of `variables` that Lambda sets itself and refuses to take, in order.
std::vector<std::string> ReservedEnvironmentKeys(
    const std::map<std::string, std::string>& variables);
// The variables as Lambda measures them against the 4 KB limit: compact JSON.
std::string MeasuredEnvironment(const std::map<std::string, std::string>& variables);
// Total size Lambda allows for a function's environment variables.
inline constexpr size_t kMaxEnvironmentBytes = 4096;
// [a-zA-Z]([a-zA-Z0-9_])+
bool IsEnvironmentKey(std::string_view key);

// AWS prints function dates as 2024-01-01T12:00:00.000+0000.
std::string LambdaTimestamp(Clock::TimePoint time);
// CodeSha256: the base64 of the digest whose hex is `blob_id`.
std::string CodeSha256(const std::string& blob_id);

}  // namespace lamina::lambda::functions
