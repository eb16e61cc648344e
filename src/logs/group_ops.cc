// Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, the retention policy, and tags
// (the deprecated TagLogGroup family and the generic TagResource family).
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html

#include <mutex>
#include <shared_mutex>

#include "logs/errors.h"
#include "logs/request.h"
#include "logs/service.h"
#include "logs/tokens.h"

namespace lamina::logs {

namespace {

json::object TagsJson(const Tags& tags) {
  json::object object;
  for (const auto& [key, value] : tags) object[key] = value;
  return object;
}

OperationResponse Reply(json::object output = {}) {
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

// The log group a resourceArn names (TagResource, UntagResource, ListTagsForResource).
Expected<std::string, AwsError> GroupOfResourceArn(const OperationRequest& request) {
  auto arn = RequiredString(request.input, "resourceArn");
  if (!arn) return Unexpected(arn.error());
  if (auto length = CheckLength(*arn, "resourceArn", 1, 1011); !length)
    return Unexpected(length.error());
  if (arn->find(":log-group:") == std::string_view::npos)
    return Unexpected(
        errors::InvalidParameter("The specified resource ARN is not valid: " + std::string(*arn)));
  auto name = GroupNameOfArn(request, *arn);
  if (!name) return Unexpected(errors::ResourceNotFound());
  return std::move(*name);
}

Expected<void, AwsError> MergeTags(LogGroup& group, const Tags& tags) {
  Tags merged = group.tags;
  for (const auto& [key, value] : tags) merged[key] = value;
  if (merged.size() > kMaxTags)
    return Unexpected(errors::TooManyTags(GroupArn(group.region, group.account, group.name)));
  group.tags = std::move(merged);
  return {};
}

}  // namespace

json::object LogsService::DescribeGroupJson(const LogGroup& group) const {
  std::string arn = GroupArn(group.region, group.account, group.name);
  json::object object{{"logGroupName", group.name},
                      {"creationTime", group.creation_time},
                      {"metricFilterCount", 0},
                      {"arn", arn + ":*"},
                      {"storedBytes", store_.StoredBytes(group.id)},
                      {"logGroupClass", group.log_group_class},
                      {"logGroupArn", arn}};
  if (group.retention_days) object["retentionInDays"] = *group.retention_days;
  if (!group.kms_key_id.empty()) object["kmsKeyId"] = group.kms_key_id;
  return object;
}

OperationResult LogsService::ModifyGroup(
    const RequestContext& context, const std::string& name,
    const std::function<Expected<void, AwsError>(LogGroup&)>& change) {
  std::unique_lock lock(GroupLock(context.account_id, context.region, name));
  auto group = FindGroup(context, name);
  if (!group) return Unexpected(group.error());
  if (auto changed = change(*group); !changed) return Unexpected(changed.error());
  if (Status status = store_.PutGroup(*group); !status.ok())
    return Unexpected(errors::Internal("cannot store the log group: " + status.message()));
  return Reply();
}

Expected<void, AwsError> LogsService::EnsureGroup(const std::string& account,
                                                  const std::string& region,
                                                  const std::string& name) {
  // Most writes find the group: no exclusive lock for them.
  if (auto found = store_.FindGroup(account, region, name); found && *found) return {};
  std::unique_lock lock(GroupLock(account, region, name));
  auto existing = store_.FindGroup(account, region, name);
  if (!existing) return Unexpected(errors::Internal(existing.error().message()));
  if (*existing) return {};
  auto id = store_.NewId();
  if (!id) return Unexpected(errors::Internal(id.error().message()));
  LogGroup group;
  group.account = account;
  group.region = region;
  group.name = name;
  group.id = *id;
  group.creation_time = NowMs();
  if (Status status = store_.PutGroup(group); !status.ok())
    return Unexpected(errors::Internal(status.message()));
  return {};
}

OperationResult LogsService::CreateLogGroup(OperationRequest& request) {
  const json::object& input = request.input;
  auto name = RequiredString(input, "logGroupName");
  if (!name) return Unexpected(name.error());
  if (auto valid = ValidateGroupName(*name, "logGroupName"); !valid)
    return Unexpected(valid.error());
  auto kms = OptionalString(input, "kmsKeyId");
  if (!kms) return Unexpected(kms.error());
  if (*kms)
    if (auto length = CheckLength(**kms, "kmsKeyId", 0, 256); !length)
      return Unexpected(length.error());
  auto tags = OptionalTags(input, "tags");
  if (!tags) return Unexpected(tags.error());
  auto log_group_class = OptionalString(input, "logGroupClass");
  if (!log_group_class) return Unexpected(log_group_class.error());
  if (*log_group_class && **log_group_class != "STANDARD" &&
      **log_group_class != "INFREQUENT_ACCESS" && **log_group_class != "DELIVERY")
    return Unexpected(errors::ConstraintViolation(
        **log_group_class, "logGroupClass",
        "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]"));

  const RequestContext& context = request.context;
  std::string group_name(*name);
  std::unique_lock lock(GroupLock(context.account_id, context.region, group_name));
  auto existing = store_.FindGroup(context.account_id, context.region, group_name);
  if (!existing)
    return Unexpected(errors::Internal("cannot read the log group: " + existing.error().message()));
  if (*existing) return Unexpected(errors::LogGroupExists());
  auto id = store_.NewId();
  if (!id) return Unexpected(errors::Internal("cannot allocate an id: " + id.error().message()));
  LogGroup group;
  group.account = context.account_id;
  group.region = context.region;
  group.name = group_name;
  group.id = *id;
  group.creation_time = NowMs();
  if (*kms) group.kms_key_id = std::string(**kms);
  if (*log_group_class) group.log_group_class = std::string(**log_group_class);
  if (*tags) group.tags = std::move(**tags);
  if (Status status = store_.PutGroup(group); !status.ok())
    return Unexpected(errors::Internal("cannot store the log group: " + status.message()));
  return Reply();
}

OperationResult LogsService::DeleteLogGroup(OperationRequest& request) {
  auto name = GroupNameOf(request, false);
  if (!name) return Unexpected(name.error());
  const RequestContext& context = request.context;
  std::unique_lock lock(GroupLock(context.account_id, context.region, *name));
  auto group = FindGroup(context, *name);
  if (!group) return Unexpected(group.error());
  if (Status status = store_.DeleteGroup(*group); !status.ok())
    return Unexpected(errors::Internal("cannot delete the log group: " + status.message()));
  return Reply();
}

OperationResult LogsService::DescribeLogGroups(OperationRequest& request) {
  const json::object& input = request.input;
  auto prefix = OptionalString(input, "logGroupNamePrefix");
  if (!prefix) return Unexpected(prefix.error());
  if (*prefix)
    if (auto valid = ValidateGroupName(**prefix, "logGroupNamePrefix"); !valid)
      return Unexpected(valid.error());
  auto pattern = OptionalString(input, "logGroupNamePattern");
  if (!pattern) return Unexpected(pattern.error());
  if (*pattern && !(*pattern)->empty())
    if (auto valid = ValidateGroupName(**pattern, "logGroupNamePattern"); !valid)
      return Unexpected(valid.error());
  if (*prefix && *pattern)
    return Unexpected(errors::InvalidParameter(
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."));
  auto log_group_class = OptionalString(input, "logGroupClass");
  if (!log_group_class) return Unexpected(log_group_class.error());
  auto limit = OptionalBoundedInteger(input, "limit", 1, kMaxDescribeLimit);
  if (!limit) return Unexpected(limit.error());
  auto token = OptionalString(input, "nextToken");
  if (!token) return Unexpected(token.error());
  std::string after;
  if (*token) {
    auto decoded = DecodeNameToken(**token);
    if (!decoded) return Unexpected(errors::InvalidNextToken());
    after = std::move(*decoded);
  }

  std::string substring = *pattern ? std::string(**pattern) : std::string();
  std::string wanted_class = *log_group_class ? std::string(**log_group_class) : std::string();
  auto keep = [&](const LogGroup& group) {
    if (!substring.empty() && group.name.find(substring) == std::string::npos) return false;
    return wanted_class.empty() || group.log_group_class == wanted_class;
  };
  bool more = false;
  std::vector<LogGroup> groups = store_.ListGroups(
      request.context.account_id, request.context.region, *prefix ? **prefix : std::string_view(),
      after, static_cast<size_t>(limit->value_or(kMaxDescribeLimit)), keep, &more);
  json::array list;
  for (const LogGroup& group : groups) list.push_back(DescribeGroupJson(group));
  json::object output{{"logGroups", std::move(list)}};
  if (more && !groups.empty()) output["nextToken"] = EncodeNameToken(groups.back().name);
  return Reply(std::move(output));
}

OperationResult LogsService::PutRetentionPolicy(OperationRequest& request) {
  auto name = GroupNameOf(request, false);
  if (!name) return Unexpected(name.error());
  auto days = OptionalInteger(request.input, "retentionInDays");
  if (!days) return Unexpected(days.error());
  if (!*days) return Unexpected(errors::MissingMember("retentionInDays"));
  if (auto valid = ValidateRetentionDays(**days); !valid) return Unexpected(valid.error());
  int retention = static_cast<int>(**days);
  return ModifyGroup(request.context, *name, [retention](LogGroup& group) {
    group.retention_days = retention;
    return Expected<void, AwsError>();
  });
}

OperationResult LogsService::DeleteRetentionPolicy(OperationRequest& request) {
  auto name = GroupNameOf(request, false);
  if (!name) return Unexpected(name.error());
  return ModifyGroup(request.context, *name, [](LogGroup& group) {
    group.retention_days.reset();
    return Expected<void, AwsError>();
  });
}

OperationResult LogsService::TagLogGroup(OperationRequest& request) {
  auto name = GroupNameOf(request, false);
  if (!name) return Unexpected(name.error());
  auto tags = OptionalTags(request.input, "tags");
  if (!tags) return Unexpected(tags.error());
  if (!*tags) return Unexpected(errors::MissingMember("tags"));
  return ModifyGroup(request.context, *name, [&](LogGroup& group) -> Expected<void, AwsError> {
    auto merged = MergeTags(group, **tags);
    if (!merged)  // the deprecated API reports it as a bad parameter
      return Unexpected(errors::InvalidParameter(merged.error().message));
    return {};
  });
}

OperationResult LogsService::UntagLogGroup(OperationRequest& request) {
  auto name = GroupNameOf(request, false);
  if (!name) return Unexpected(name.error());
  auto keys = TagKeys(request.input, "tags", 1);
  if (!keys) return Unexpected(keys.error());
  return ModifyGroup(request.context, *name, [&](LogGroup& group) {
    for (const std::string& key : *keys) group.tags.erase(key);
    return Expected<void, AwsError>();
  });
}

OperationResult LogsService::ListTagsLogGroup(OperationRequest& request) {
  auto name = GroupNameOf(request, false);
  if (!name) return Unexpected(name.error());
  auto group = FindGroup(request.context, *name);
  if (!group) return Unexpected(group.error());
  return Reply(json::object{{"tags", TagsJson(group->tags)}});
}

OperationResult LogsService::TagResource(OperationRequest& request) {
  auto name = GroupOfResourceArn(request);
  if (!name) return Unexpected(name.error());
  auto tags = OptionalTags(request.input, "tags");
  if (!tags) return Unexpected(tags.error());
  if (!*tags) return Unexpected(errors::MissingMember("tags"));
  return ModifyGroup(request.context, *name,
                     [&](LogGroup& group) { return MergeTags(group, **tags); });
}

OperationResult LogsService::UntagResource(OperationRequest& request) {
  auto name = GroupOfResourceArn(request);
  if (!name) return Unexpected(name.error());
  auto keys = TagKeys(request.input, "tagKeys", 0);
  if (!keys) return Unexpected(keys.error());
  return ModifyGroup(request.context, *name, [&](LogGroup& group) {
    for (const std::string& key : *keys) group.tags.erase(key);
    return Expected<void, AwsError>();
  });
}

OperationResult LogsService::ListTagsForResource(OperationRequest& request) {
  auto name = GroupOfResourceArn(request);
  if (!name) return Unexpected(name.error());
  auto group = FindGroup(request.context, *name);
  if (!group) return Unexpected(group.error());
  return Reply(json::object{{"tags", TagsJson(group->tags)}});
}

}  // namespace lamina::logs
