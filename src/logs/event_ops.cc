// Events of one stream: PutLogEvents, GetLogEvents, and LogWriter::Write, the path other
// services (Lambda) write function logs through.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html

#include <algorithm>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "common/log.h"
#include "logs/errors.h"
#include "logs/request.h"
#include "logs/service.h"
#include "logs/tokens.h"

namespace lamina::logs {

namespace {

constexpr StreamPosition kAfterAllEvents{std::numeric_limits<int64_t>::max(),
                                         std::numeric_limits<uint64_t>::max()};

std::string MemberPath(size_t index, std::string_view member) {
  return "logEvents." + std::to_string(index + 1) + ".member." + std::string(member);
}

// `message` cut to at most `max_bytes`, at a UTF-8 character boundary.
std::string_view CutToFit(std::string_view message, size_t max_bytes) {
  if (message.size() <= max_bytes) return message;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) --end;
  return message.substr(0, end);
}

}  // namespace

Expected<LogsService::AppendOutcome, AwsError> LogsService::Append(
    const std::string& account, const std::string& region, const std::string& group_name,
    const std::string& stream_name, const std::vector<InputEvent>& events, bool create_stream) {
  std::shared_lock group_lock(GroupLock(account, region, group_name));
  auto group = store_.FindGroup(account, region, group_name);
  if (!group)
    return Unexpected(errors::Internal("cannot read the log group: " + group.error().message()));
  if (!*group) return Unexpected(errors::LogGroupNotFound());
  uint64_t group_id = (*group)->id;
  std::lock_guard stream_lock(StreamLock(group_id, stream_name));
  auto found = store_.FindStream(group_id, stream_name);
  if (!found)
    return Unexpected(errors::Internal("cannot read the log stream: " + found.error().message()));
  int64_t now = NowMs();
  bool created = false;
  LogStream stream;
  if (*found) {
    stream = std::move(**found);
  } else {
    if (!create_stream) return Unexpected(errors::LogStreamNotFound());
    auto id = store_.NewId();
    if (!id) return Unexpected(errors::Internal("cannot allocate an id: " + id.error().message()));
    stream.name = stream_name;
    stream.id = *id;
    stream.creation_time = now;
    created = true;
  }

  int64_t oldest = now - kMaxEventAgeMs;
  int64_t newest = now + kMaxEventFutureMs;
  int64_t retained_from = RetainedFrom(**group).value_or(std::numeric_limits<int64_t>::min());
  AppendOutcome outcome;
  std::vector<NewEvent> accepted;
  accepted.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    int64_t timestamp = events[i].timestamp;
    // The end indexes are exclusive, the start index inclusive (AWS's RejectedLogEventsInfo).
    if (timestamp < oldest) {
      outcome.too_old_end = i + 1;
    } else if (timestamp < retained_from) {
      outcome.expired_end = i + 1;
    } else if (timestamp > newest) {
      if (!outcome.too_new_start) outcome.too_new_start = i;
    } else {
      accepted.push_back({{timestamp, stream.next_sequence++}, now, events[i].message});
      stream.stored_bytes += static_cast<int64_t>(events[i].message.size()) + kEventOverheadBytes;
    }
  }
  if (!accepted.empty()) {
    int64_t first = accepted.front().position.timestamp;
    int64_t last = accepted.back().position.timestamp;
    stream.first_event_timestamp = std::min(stream.first_event_timestamp.value_or(first), first);
    stream.last_event_timestamp = std::max(stream.last_event_timestamp.value_or(last), last);
    stream.last_ingestion_time = now;
  }
  if (!accepted.empty() || created) {
    if (Status status = store_.AppendEvents(group_id, stream, accepted); !status.ok())
      return Unexpected(errors::Internal("cannot store the log events: " + status.message()));
  }
  outcome.next_sequence = stream.next_sequence;
  return outcome;
}

OperationResult LogsService::PutLogEvents(OperationRequest& request) {
  const json::object& input = request.input;
  auto group_name = GroupNameOf(request, false);
  if (!group_name) return Unexpected(group_name.error());
  auto stream_name = RequiredString(input, "logStreamName");
  if (!stream_name) return Unexpected(stream_name.error());
  if (auto valid = ValidateStreamName(*stream_name, "logStreamName"); !valid)
    return Unexpected(valid.error());
  auto list = OptionalArray(input, "logEvents");
  if (!list) return Unexpected(list.error());
  if (*list == nullptr) return Unexpected(errors::MissingMember("logEvents"));
  if ((*list)->empty())
    return Unexpected(errors::CollectionConstraintViolation(
        "logEvents", "Member must have length greater than or equal to 1"));
  if ((*list)->size() > kMaxBatchEvents)
    return Unexpected(errors::CollectionConstraintViolation(
        "logEvents",
        "Member must have length less than or equal to " + std::to_string(kMaxBatchEvents)));
  // Accepted and ignored, as AWS now does; still type-checked.
  if (auto token = OptionalString(input, "sequenceToken"); !token) return Unexpected(token.error());

  std::vector<InputEvent> events;
  events.reserve((*list)->size());
  for (size_t i = 0; i < (*list)->size(); ++i) {
    const json::value& entry = (**list)[i];
    if (!entry.is_object())
      return Unexpected(
          errors::Serialization("Unexpected value type for logEvents: expected a "
                                "list of objects"));
    auto timestamp = OptionalInteger(entry.get_object(), "timestamp");
    if (!timestamp) return Unexpected(timestamp.error());
    if (!*timestamp) return Unexpected(errors::MissingMember(MemberPath(i, "timestamp")));
    if (**timestamp < 0)
      return Unexpected(
          errors::ConstraintViolation(std::to_string(**timestamp), MemberPath(i, "timestamp"),
                                      "Member must have value greater than or equal to 0"));
    auto message = OptionalString(entry.get_object(), "message");
    if (!message) return Unexpected(message.error());
    if (!*message) return Unexpected(errors::MissingMember(MemberPath(i, "message")));
    if ((*message)->empty())
      return Unexpected(errors::ConstraintViolation(
          "", MemberPath(i, "message"), "Member must have length greater than or equal to 1"));
    events.push_back({**timestamp, **message});
  }

  int64_t batch_bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    int64_t size = static_cast<int64_t>(events[i].message.size()) + kEventOverheadBytes;
    if (size > kMaxEventBytes) return Unexpected(errors::EventTooLarge(size, kMaxEventBytes));
    batch_bytes += size;
    if (i > 0 && events[i].timestamp < events[i - 1].timestamp)
      return Unexpected(errors::EventsNotChronological());
  }
  if (batch_bytes > kMaxBatchBytes)
    return Unexpected(errors::BatchTooLarge(batch_bytes, kMaxBatchBytes));
  // The 24 hours are measured over the events that are not rejected for their age.
  int64_t now = NowMs();
  std::optional<int64_t> first_valid, last_valid;
  for (const InputEvent& event : events) {
    if (event.timestamp < now - kMaxEventAgeMs || event.timestamp > now + kMaxEventFutureMs)
      continue;
    if (!first_valid) first_valid = event.timestamp;
    last_valid = event.timestamp;
  }
  if (first_valid && *last_valid - *first_valid > kMaxBatchSpanMs)
    return Unexpected(errors::BatchSpansTooLong());

  auto outcome = Append(request.context.account_id, request.context.region, *group_name,
                        std::string(*stream_name), events, false);
  if (!outcome) return Unexpected(outcome.error());
  json::object output{{"nextSequenceToken", SequenceToken(outcome->next_sequence)}};
  json::object rejected;
  if (outcome->too_new_start)
    rejected["tooNewLogEventStartIndex"] = static_cast<int64_t>(*outcome->too_new_start);
  if (outcome->too_old_end)
    rejected["tooOldLogEventEndIndex"] = static_cast<int64_t>(*outcome->too_old_end);
  if (outcome->expired_end)
    rejected["expiredLogEventEndIndex"] = static_cast<int64_t>(*outcome->expired_end);
  if (!rejected.empty()) output["rejectedLogEventsInfo"] = std::move(rejected);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

OperationResult LogsService::GetLogEvents(OperationRequest& request) {
  const json::object& input = request.input;
  auto group_name = GroupNameOf(request, true);
  if (!group_name) return Unexpected(group_name.error());
  auto stream_name = RequiredString(input, "logStreamName");
  if (!stream_name) return Unexpected(stream_name.error());
  if (auto valid = ValidateStreamName(*stream_name, "logStreamName"); !valid)
    return Unexpected(valid.error());
  auto start_time = OptionalBoundedInteger(input, "startTime", 0, INT64_MAX);
  if (!start_time) return Unexpected(start_time.error());
  auto end_time = OptionalBoundedInteger(input, "endTime", 0, INT64_MAX);
  if (!end_time) return Unexpected(end_time.error());
  auto limit = OptionalBoundedInteger(input, "limit", 1, kMaxEventsLimit);
  if (!limit) return Unexpected(limit.error());
  auto start_from_head = OptionalBool(input, "startFromHead");
  if (!start_from_head) return Unexpected(start_from_head.error());
  if (auto unmask = OptionalBool(input, "unmask"); !unmask) return Unexpected(unmask.error());
  auto token_text = OptionalString(input, "nextToken");
  if (!token_text) return Unexpected(token_text.error());
  std::optional<StreamToken> token;
  if (*token_text) {
    token = DecodeStreamToken(**token_text);
    if (!token) return Unexpected(errors::InvalidNextToken());
  }

  auto group = FindGroup(request.context, *group_name);
  if (!group) return Unexpected(group.error());
  auto stream = store_.FindStream(group->id, *stream_name);
  if (!stream)
    return Unexpected(errors::Internal("cannot read the log stream: " + stream.error().message()));
  if (!*stream) return Unexpected(errors::LogStreamNotFound());
  if (token && token->stream_id != (*stream)->id) return Unexpected(errors::InvalidNextToken());

  // The window: startTime inclusive, endTime exclusive (as the API reference says). Events
  // past the group's retention are not returned even before the sweeper deletes them.
  StreamPosition lower = *start_time ? StreamPosition{**start_time, 0} : kBeforeAllEvents;
  if (auto retained = RetainedFrom(*group)) lower = std::max(lower, StreamPosition{*retained, 0});
  StreamPosition upper = *end_time ? StreamPosition{**end_time, 0} : kAfterAllEvents;
  EventCursor cursor = store_.Events(group->id, (*stream)->id, lower, upper);
  size_t max_events = static_cast<size_t>(limit->value_or(kMaxEventsLimit));
  bool forward = token ? token->forward : start_from_head->value_or(false);

  struct Found {
    StreamPosition position;
    int64_t ingestion_time;
    std::string message;  // a copy: the cursor's bytes change as it moves
  };
  std::vector<Found> found;
  int64_t bytes = 0;
  auto take = [&]() {
    int64_t size = static_cast<int64_t>(cursor.message().size()) + kEventOverheadBytes;
    if (!found.empty() && bytes + size > kMaxReplyBytes) return false;
    bytes += size;
    found.push_back({cursor.position(), cursor.ingestion_time(), std::string(cursor.message())});
    return true;
  };
  if (forward) {
    cursor.Seek(token ? Successor(token->position) : kBeforeAllEvents);
    for (; cursor.Valid() && found.size() < max_events; cursor.Next())
      if (!take()) break;
  } else {
    cursor.SeekBefore(token ? token->position : kAfterAllEvents);
    for (; cursor.Valid() && found.size() < max_events; cursor.Prev())
      if (!take()) break;
    std::reverse(found.begin(), found.end());
  }
  if (Status status = cursor.status(); !status.ok())
    return Unexpected(errors::Internal("cannot read the log events: " + status.message()));

  uint64_t stream_id = (*stream)->id;
  StreamToken next_forward{true, stream_id, kBeforeAllEvents};
  StreamToken next_backward{false, stream_id, kBeforeAllEvents};
  if (!found.empty()) {
    next_forward.position = found.back().position;
    next_backward.position = found.front().position;
  } else if (token && forward) {
    // At the end: the same forward token again, so pollers keep waiting where they are.
    next_forward.position = token->position;
    next_backward.position = Successor(token->position);
  } else if (token) {
    next_backward.position = token->position;
    next_forward.position = Predecessor(token->position);
  }
  json::array list;
  for (const Found& event : found)
    list.push_back(json::object{{"timestamp", event.position.timestamp},
                                {"message", event.message},
                                {"ingestionTime", event.ingestion_time}});
  OperationResponse response;
  response.output = json::object{{"events", std::move(list)},
                                 {"nextForwardToken", EncodeStreamToken(next_forward)},
                                 {"nextBackwardToken", EncodeStreamToken(next_backward)}};
  return response;
}

void LogsService::Write(const std::string& account, const std::string& region,
                        const std::string& group, const std::string& stream,
                        std::vector<LogEvent> events) {
  if (auto valid = ValidateGroupName(group, "logGroupName"); !valid) {
    LogError("logs: cannot write to log group '" + group + "': " + valid.error().message);
    return;
  }
  if (auto valid = ValidateStreamName(stream, "logStreamName"); !valid) {
    LogError("logs: cannot write to log stream '" + stream + "': " + valid.error().message);
    return;
  }
  std::stable_sort(events.begin(), events.end(), [](const LogEvent& a, const LogEvent& b) {
    return a.timestamp_ms < b.timestamp_ms;
  });
  std::vector<InputEvent> inputs;
  inputs.reserve(events.size());
  for (const LogEvent& event : events) {
    if (event.message.empty()) continue;
    inputs.push_back(
        {event.timestamp_ms,
         CutToFit(event.message, static_cast<size_t>(kMaxEventBytes - kEventOverheadBytes))});
  }
  if (auto ensured = EnsureGroup(account, region, group); !ensured) {
    LogError("logs: cannot create log group '" + group + "': " + ensured.error().message);
    return;
  }
  auto outcome = Append(account, region, group, stream, inputs, true);
  if (!outcome) {
    LogError("logs: cannot write to " + group + "/" + stream + ": " + outcome.error().message);
    return;
  }
  if (outcome->too_old_end || outcome->too_new_start || outcome->expired_end)
    LogWarn("logs: dropped events outside the accepted time window from " + group + "/" + stream);
}

}  // namespace lamina::logs
