#include "logs/service.h"

#include <chrono>
#include <functional>

#include "logs/errors.h"
#include "logs/request.h"

namespace lamina::logs {

LogsService::LogsService(storage::Engine& engine, Clock& clock) : clock_(clock), store_(engine) {}

Status LogsService::Load() { return store_.Load(); }

void LogsService::Reset() { store_.Reset(); }

ServiceDescriptor LogsService::Describe() {
  ServiceDescriptor service;
  service.name = "logs";
  service.protocol = Protocol::kAwsJson11;
  service.json_target_prefix = "Logs_20140328";
  auto bind = [this](OperationResult (LogsService::*handler)(OperationRequest&)) {
    return [this, handler](OperationRequest& request) { return (this->*handler)(request); };
  };
  service.operations = {
      {"CreateLogGroup", bind(&LogsService::CreateLogGroup)},
      {"DeleteLogGroup", bind(&LogsService::DeleteLogGroup)},
      {"DescribeLogGroups", bind(&LogsService::DescribeLogGroups)},
      {"PutRetentionPolicy", bind(&LogsService::PutRetentionPolicy)},
      {"DeleteRetentionPolicy", bind(&LogsService::DeleteRetentionPolicy)},
      {"TagLogGroup", bind(&LogsService::TagLogGroup)},
      {"UntagLogGroup", bind(&LogsService::UntagLogGroup)},
      {"ListTagsLogGroup", bind(&LogsService::ListTagsLogGroup)},
      {"TagResource", bind(&LogsService::TagResource)},
      {"UntagResource", bind(&LogsService::UntagResource)},
      {"ListTagsForResource", bind(&LogsService::ListTagsForResource)},
      {"CreateLogStream", bind(&LogsService::CreateLogStream)},
      {"DeleteLogStream", bind(&LogsService::DeleteLogStream)},
      {"DescribeLogStreams", bind(&LogsService::DescribeLogStreams)},
      {"PutLogEvents", bind(&LogsService::PutLogEvents)},
      {"GetLogEvents", bind(&LogsService::GetLogEvents)},
      {"FilterLogEvents", bind(&LogsService::FilterLogEvents)},
  };
  return service;
}

std::shared_mutex& LogsService::GroupLock(const std::string& account, const std::string& region,
                                          std::string_view name) {
  size_t hash = std::hash<std::string_view>()(name) ^
                (std::hash<std::string>()(account) * 31 + std::hash<std::string>()(region));
  return group_locks_[hash % group_locks_.size()];
}

std::mutex& LogsService::StreamLock(uint64_t group_id, std::string_view stream) {
  size_t hash = std::hash<std::string_view>()(stream) ^ std::hash<uint64_t>()(group_id);
  return stream_locks_[hash % stream_locks_.size()];
}

int64_t LogsService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

std::optional<int64_t> LogsService::RetainedFrom(const LogGroup& group) const {
  if (!group.retention_days) return std::nullopt;
  return NowMs() - static_cast<int64_t>(*group.retention_days) * kMsPerDay;
}

Expected<LogGroup, AwsError> LogsService::FindGroup(const RequestContext& context,
                                                    const std::string& name) const {
  auto group = store_.FindGroup(context.account_id, context.region, name);
  if (!group)
    return Unexpected(errors::Internal("cannot read the log group: " + group.error().message()));
  if (!*group) return Unexpected(errors::LogGroupNotFound());
  return std::move(**group);
}

}  // namespace lamina::logs
