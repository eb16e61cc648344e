// Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <tuple>

#include "logs/errors.h"
#include "logs/request.h"
#include "logs/service.h"
#include "logs/tokens.h"

namespace lamina::logs {

namespace {

Expected<std::string_view, AwsError> StreamNameOf(const json::object& input) {
  auto name = RequiredString(input, "logStreamName");
  if (!name) return Unexpected(name.error());
  if (auto valid = ValidateStreamName(*name, "logStreamName"); !valid)
    return Unexpected(valid.error());
  return *name;
}

json::object DescribeStreamJson(const LogGroup& group, const LogStream& stream) {
  json::object object{
      {"logStreamName", stream.name},
      {"creationTime", stream.creation_time},
      {"arn", "arn:aws:logs:" + group.region + ":" + group.account + ":log-group:" + group.name +
                  ":log-stream:" + stream.name},
      // AWS has reported zero for log streams since June 2019; log groups keep the real number.
      {"storedBytes", 0}};
  if (stream.first_event_timestamp) object["firstEventTimestamp"] = *stream.first_event_timestamp;
  if (stream.last_event_timestamp) object["lastEventTimestamp"] = *stream.last_event_timestamp;
  if (stream.last_ingestion_time) object["lastIngestionTime"] = *stream.last_ingestion_time;
  if (stream.next_sequence > 0) object["uploadSequenceToken"] = SequenceToken(stream.next_sequence);
  return object;
}

}  // namespace

OperationResult LogsService::CreateLogStream(OperationRequest& request) {
  auto group_name = GroupNameOf(request, false);
  if (!group_name) return Unexpected(group_name.error());
  auto stream_name = StreamNameOf(request.input);
  if (!stream_name) return Unexpected(stream_name.error());
  const RequestContext& context = request.context;
  std::shared_lock group_lock(GroupLock(context.account_id, context.region, *group_name));
  auto group = FindGroup(context, *group_name);
  if (!group) return Unexpected(group.error());
  std::lock_guard stream_lock(StreamLock(group->id, *stream_name));
  auto existing = store_.FindStream(group->id, *stream_name);
  if (!existing)
    return Unexpected(
        errors::Internal("cannot read the log stream: " + existing.error().message()));
  if (*existing) return Unexpected(errors::LogStreamExists());
  auto id = store_.NewId();
  if (!id) return Unexpected(errors::Internal("cannot allocate an id: " + id.error().message()));
  LogStream stream;
  stream.name = std::string(*stream_name);
  stream.id = *id;
  stream.creation_time = NowMs();
  if (Status status = store_.PutStream(group->id, stream); !status.ok())
    return Unexpected(errors::Internal("cannot store the log stream: " + status.message()));
  return OperationResponse{};
}

OperationResult LogsService::DeleteLogStream(OperationRequest& request) {
  auto group_name = GroupNameOf(request, false);
  if (!group_name) return Unexpected(group_name.error());
  auto stream_name = StreamNameOf(request.input);
  if (!stream_name) return Unexpected(stream_name.error());
  const RequestContext& context = request.context;
  std::shared_lock group_lock(GroupLock(context.account_id, context.region, *group_name));
  auto group = FindGroup(context, *group_name);
  if (!group) return Unexpected(group.error());
  std::lock_guard stream_lock(StreamLock(group->id, *stream_name));
  auto stream = store_.FindStream(group->id, *stream_name);
  if (!stream)
    return Unexpected(errors::Internal("cannot read the log stream: " + stream.error().message()));
  if (!*stream) return Unexpected(errors::LogStreamNotFound());
  if (Status status = store_.DeleteStream(group->id, **stream); !status.ok())
    return Unexpected(errors::Internal("cannot delete the log stream: " + status.message()));
  return OperationResponse{};
}

OperationResult LogsService::DescribeLogStreams(OperationRequest& request) {
  const json::object& input = request.input;
  auto group_name = GroupNameOf(request, true);
  if (!group_name) return Unexpected(group_name.error());
  auto prefix = OptionalString(input, "logStreamNamePrefix");
  if (!prefix) return Unexpected(prefix.error());
  if (*prefix)
    if (auto valid = ValidateStreamName(**prefix, "logStreamNamePrefix"); !valid)
      return Unexpected(valid.error());
  auto order = OptionalString(input, "orderBy");
  if (!order) return Unexpected(order.error());
  bool by_time = false;
  if (*order) {
    if (**order != "LogStreamName" && **order != "LastEventTime")
      return Unexpected(errors::ConstraintViolation(
          **order, "orderBy",
          "Member must satisfy enum value set: [LogStreamName, LastEventTime]"));
    by_time = **order == "LastEventTime";
  }
  auto descending = OptionalBool(input, "descending");
  if (!descending) return Unexpected(descending.error());
  auto limit = OptionalBoundedInteger(input, "limit", 1, kMaxDescribeLimit);
  if (!limit) return Unexpected(limit.error());
  auto token = OptionalString(input, "nextToken");
  if (!token) return Unexpected(token.error());
  if (by_time && *prefix)
    return Unexpected(
        errors::InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix."));

  // Where the previous page ended, in this ordering: (last event time, name).
  std::optional<std::pair<int64_t, std::string>> after;
  if (*token) {
    if (by_time) {
      after = DecodeTimeNameToken(**token);
    } else if (auto name = DecodeNameToken(**token)) {
      after = std::make_pair(int64_t{0}, std::move(*name));
    }
    if (!after) return Unexpected(errors::InvalidNextToken());
  }

  auto group = FindGroup(request.context, *group_name);
  if (!group) return Unexpected(group.error());
  std::vector<LogStream> streams =
      store_.ListStreams(group->id, *prefix ? **prefix : std::string_view());
  auto sort_key = [by_time](const LogStream& stream) {
    return std::make_pair(by_time ? stream.last_event_timestamp.value_or(0) : int64_t{0},
                          std::string_view(stream.name));
  };
  bool reverse = descending->value_or(false);
  if (by_time)
    std::stable_sort(streams.begin(), streams.end(), [&](const LogStream& a, const LogStream& b) {
      return sort_key(a) < sort_key(b);
    });
  if (reverse) std::reverse(streams.begin(), streams.end());

  size_t page = static_cast<size_t>(limit->value_or(kMaxDescribeLimit));
  json::array list;
  const LogStream* last = nullptr;
  bool more = false;
  for (const LogStream& stream : streams) {
    if (after) {
      auto key = sort_key(stream);
      std::pair<int64_t, std::string_view> resume(after->first, after->second);
      if (reverse ? key >= resume : key <= resume) continue;
    }
    if (list.size() == page) {
      more = true;
      break;
    }
    list.push_back(DescribeStreamJson(*group, stream));
    last = &stream;
  }
  json::object output{{"logStreams", std::move(list)}};
  if (more && last != nullptr)
    output["nextToken"] =
        by_time ? EncodeTimeNameToken(last->last_event_timestamp.value_or(0), last->name)
                : EncodeNameToken(last->name);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

}  // namespace lamina::logs
