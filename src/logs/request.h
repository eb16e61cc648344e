#pragma once

// Helpers every CloudWatch Logs operation shares: typed input members, the model's constraints
// (names, limits, tags, retention values) with AWS's messages, and which log group a request
// names. All return the AwsError CloudWatch Logs would. Thread-safe (no shared state).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "protocol/operation.h"

namespace lamina::logs {

// CloudWatch Logs' limits.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
inline constexpr size_t kMaxNameLength = 512;
inline constexpr int64_t kMsPerDay = 24LL * 3600 * 1000;
inline constexpr int64_t kMaxDescribeLimit = 50;
inline constexpr int64_t kMaxEventsLimit = 10000;
inline constexpr size_t kMaxBatchEvents = 10000;
inline constexpr int64_t kMaxBatchBytes = 1048576;
// One event, message + 26 bytes (AWS raised it from 256 KB to 1 MB).
inline constexpr int64_t kMaxEventBytes = 1048576;
inline constexpr int64_t kMaxBatchSpanMs = 24LL * 3600 * 1000;
inline constexpr int64_t kMaxEventAgeMs = 14LL * 24 * 3600 * 1000;
inline constexpr int64_t kMaxEventFutureMs = 2LL * 3600 * 1000;
inline constexpr size_t kMaxTags = 50;
inline constexpr size_t kMaxFilterStreams = 100;
// A GetLogEvents or FilterLogEvents reply holds at most this many message bytes.
inline constexpr int64_t kMaxReplyBytes = 1048576;

// Optional members, type-checked (a wrong JSON type is a SerializationException).
Expected<std::optional<std::string_view>, AwsError> OptionalString(const json::object& input,
                                                                   std::string_view name);
Expected<std::optional<int64_t>, AwsError> OptionalInteger(const json::object& input,
                                                           std::string_view name);
Expected<std::optional<bool>, AwsError> OptionalBool(const json::object& input,
                                                     std::string_view name);
// A string member that must be present.
Expected<std::string_view, AwsError> RequiredString(const json::object& input,
                                                    std::string_view name);
// A list member, nullptr when absent.
Expected<const json::array*, AwsError> OptionalArray(const json::object& input,
                                                     std::string_view name);

// `value` must be [1, max] characters long ("Member must have length …").
Expected<void, AwsError> CheckLength(std::string_view value, std::string_view path, size_t min,
                                     size_t max);
// A log group name: 1–512 of [.-_/#A-Za-z0-9].
Expected<void, AwsError> ValidateGroupName(std::string_view name, std::string_view path);
// A log stream name: 1–512 characters, none of them ':' or '*'.
Expected<void, AwsError> ValidateStreamName(std::string_view name, std::string_view path);
// An integer member within [min, max]; nullopt when absent.
Expected<std::optional<int64_t>, AwsError> OptionalBoundedInteger(const json::object& input,
                                                                  std::string_view name,
                                                                  int64_t min, int64_t max);
// A retention value PutRetentionPolicy accepts (1, 3, 5, 7, 14, 30, ... 3653).
Expected<void, AwsError> ValidateRetentionDays(int64_t days);

using Tags = std::map<std::string, std::string>;
// A tags map (keys 1–128, values 0–256, of letters, digits, spaces and _.:/=+-@; at most 50),
// nullopt when absent.
Expected<std::optional<Tags>, AwsError> OptionalTags(const json::object& input,
                                                     std::string_view name);
// A list of tag keys, validated as keys.
Expected<std::vector<std::string>, AwsError> TagKeys(const json::object& input,
                                                     std::string_view name, size_t min);

// The log group a request names, by logGroupName or (where the operation has it)
// logGroupIdentifier, its name or ARN. The name is validated; an ARN of another account or
// region names no group lamina has (ResourceNotFoundException).
Expected<std::string, AwsError> GroupNameOf(const OperationRequest& request,
                                            bool identifier_allowed);

// The log group an ARN names (arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME, optionally
// ending ":*"), checked against the request's account and region; nullopt when it is not such
// an ARN or names another account or region.
std::optional<std::string> GroupNameOfArn(const OperationRequest& request, std::string_view arn);

// arn:aws:logs:REGION:ACCOUNT:log-group:NAME (without the ":*" DescribeLogGroups' arn has).
std::string GroupArn(const std::string& region, const std::string& account,
                     const std::string& name);

}  // namespace lamina::logs
