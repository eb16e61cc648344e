// FilterLogEvents: a log group's events across its streams, interleaved by time, matched
// against a filter pattern (filter_pattern.h).
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html

#include <algorithm>
#include <limits>
#include <optional>
#include <queue>

#include "logs/errors.h"
#include "logs/filter_pattern.h"
#include "logs/request.h"
#include "logs/service.h"
#include "logs/tokens.h"

namespace lamina::logs {

namespace {

// Events one call reads, matching or not, before it answers with what it found and a
// nextToken (AWS: "This operation can return empty results while there are more log events
// available through the token"). Bounds the time a pattern that matches little can take.
constexpr size_t kMaxScannedEvents = 100000;

// One stream being read, and where its cursor stands in the group's order.
struct StreamRead {
  const LogStream* stream;
  EventCursor cursor;
};

}  // namespace

OperationResult LogsService::FilterLogEvents(OperationRequest& request) {
  const json::object& input = request.input;
  auto group_name = GroupNameOf(request, true);
  if (!group_name) return Unexpected(group_name.error());
  auto names = OptionalArray(input, "logStreamNames");
  if (!names) return Unexpected(names.error());
  std::vector<std::string> stream_names;
  if (*names != nullptr) {
    if ((*names)->empty())
      return Unexpected(errors::CollectionConstraintViolation(
          "logStreamNames", "Member must have length greater than or equal to 1"));
    if ((*names)->size() > kMaxFilterStreams)
      return Unexpected(errors::CollectionConstraintViolation(
          "logStreamNames",
          "Member must have length less than or equal to " + std::to_string(kMaxFilterStreams)));
    for (const json::value& name : **names) {
      if (!name.is_string())
        return Unexpected(errors::Serialization(
            "Unexpected value type for logStreamNames: expected a list of strings"));
      if (auto valid = ValidateStreamName(name.get_string(), "logStreamNames"); !valid)
        return Unexpected(valid.error());
      stream_names.emplace_back(name.get_string());
    }
  }
  auto prefix = OptionalString(input, "logStreamNamePrefix");
  if (!prefix) return Unexpected(prefix.error());
  if (*prefix)
    if (auto valid = ValidateStreamName(**prefix, "logStreamNamePrefix"); !valid)
      return Unexpected(valid.error());
  if (*names != nullptr && *prefix) return Unexpected(errors::StreamNamesAndPrefix());
  auto start_time = OptionalBoundedInteger(input, "startTime", 0, INT64_MAX);
  if (!start_time) return Unexpected(start_time.error());
  auto end_time = OptionalBoundedInteger(input, "endTime", 0, INT64_MAX);
  if (!end_time) return Unexpected(end_time.error());
  auto pattern_text = OptionalString(input, "filterPattern");
  if (!pattern_text) return Unexpected(pattern_text.error());
  FilterPattern pattern;
  if (*pattern_text) {
    if (auto length = CheckLength(**pattern_text, "filterPattern", 0, FilterPattern::kMaxLength);
        !length)
      return Unexpected(length.error());
    auto parsed = FilterPattern::Parse(**pattern_text);
    if (!parsed) return Unexpected(errors::InvalidFilterPattern(parsed.error()));
    pattern = std::move(*parsed);
  }
  auto limit = OptionalBoundedInteger(input, "limit", 1, kMaxEventsLimit);
  if (!limit) return Unexpected(limit.error());
  // Both accepted and ignored: AWS always interleaves since 2019, and lamina masks nothing.
  if (auto interleaved = OptionalBool(input, "interleaved"); !interleaved)
    return Unexpected(interleaved.error());
  if (auto unmask = OptionalBool(input, "unmask"); !unmask) return Unexpected(unmask.error());
  auto token_text = OptionalString(input, "nextToken");
  if (!token_text) return Unexpected(token_text.error());
  if (*token_text)
    if (auto length = CheckLength(**token_text, "nextToken", 1, SIZE_MAX); !length)
      return Unexpected(length.error());

  auto group = FindGroup(request.context, *group_name);
  if (!group) return Unexpected(group.error());
  // Resume strictly after this position in the group's (timestamp, stream, sequence) order.
  std::optional<GroupPosition> resume;
  if (*token_text) {
    auto token = DecodeFilterToken(**token_text);
    if (!token || token->first != group->id) return Unexpected(errors::InvalidNextToken());
    resume = token->second;
  }

  std::vector<LogStream> streams;
  if (*names != nullptr) {
    std::sort(stream_names.begin(), stream_names.end());
    stream_names.erase(std::unique(stream_names.begin(), stream_names.end()), stream_names.end());
    for (const std::string& name : stream_names) {
      auto stream = store_.FindStream(group->id, name);
      if (!stream)
        return Unexpected(
            errors::Internal("cannot read the log stream: " + stream.error().message()));
      if (!*stream) return Unexpected(errors::LogStreamNotFound());
      streams.push_back(std::move(**stream));
    }
  } else {
    streams = store_.ListStreams(group->id, *prefix ? **prefix : std::string_view());
  }

  // The window: startTime and endTime both inclusive ("Events with a timestamp later than
  // this time are not returned"), and nothing past the group's retention.
  int64_t lowest = start_time->value_or(0);
  if (auto retained = RetainedFrom(*group)) lowest = std::max(lowest, *retained);
  int64_t highest = end_time->value_or(std::numeric_limits<int64_t>::max());
  StreamPosition lower{lowest, 0};
  StreamPosition upper = highest == std::numeric_limits<int64_t>::max()
                             ? StreamPosition{highest, std::numeric_limits<uint64_t>::max()}
                             : StreamPosition{highest + 1, 0};

  // One cursor per stream that may hold events in the window, merged by a heap.
  std::vector<StreamRead> reads;
  reads.reserve(streams.size());
  for (const LogStream& stream : streams) {
    if (!stream.first_event_timestamp || !stream.last_event_timestamp) continue;
    if (*stream.last_event_timestamp < lowest || *stream.first_event_timestamp > highest) continue;
    StreamPosition from = lower;
    if (resume) {
      // The first position of this stream that comes after `resume` in the group's order.
      StreamPosition at{resume->timestamp, 0};
      if (stream.id < resume->stream_id)
        at = {resume->timestamp, std::numeric_limits<uint64_t>::max()};
      else if (stream.id == resume->stream_id)
        at = {resume->timestamp, resume->sequence};
      if (stream.id <= resume->stream_id) at = Successor(at);
      from = std::max(from, at);
    }
    StreamRead read{&stream, store_.Events(group->id, stream.id, lower, upper)};
    read.cursor.Seek(from);
    if (read.cursor.Valid()) reads.push_back(std::move(read));
  }
  auto position_of = [&](size_t index) {
    StreamPosition at = reads[index].cursor.position();
    return GroupPosition{at.timestamp, reads[index].stream->id, at.sequence};
  };
  auto later = [&](size_t a, size_t b) { return position_of(a) > position_of(b); };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t i = 0; i < reads.size(); ++i) heap.push(i);

  size_t max_events = static_cast<size_t>(limit->value_or(kMaxEventsLimit));
  json::array events;
  int64_t bytes = 0;
  size_t scanned = 0;
  std::optional<GroupPosition> last_read;
  while (!heap.empty() && events.size() < max_events && scanned < kMaxScannedEvents) {
    size_t index = heap.top();
    EventCursor& cursor = reads[index].cursor;
    std::string_view message = cursor.message();
    GroupPosition position = position_of(index);
    if (pattern.Matches(message)) {
      int64_t size = static_cast<int64_t>(message.size()) + kEventOverheadBytes;
      if (!events.empty() && bytes + size > kMaxReplyBytes) break;
      bytes += size;
      events.push_back(json::object{{"logStreamName", reads[index].stream->name},
                                    {"timestamp", position.timestamp},
                                    {"message", message},
                                    {"ingestionTime", cursor.ingestion_time()},
                                    {"eventId", EventId(position)}});
    }
    ++scanned;
    last_read = position;
    heap.pop();
    cursor.Next();
    if (cursor.Valid()) {
      heap.push(index);
    } else if (Status status = cursor.status(); !status.ok()) {
      return Unexpected(errors::Internal("cannot read the log events: " + status.message()));
    }
  }

  json::object output{{"events", std::move(events)}, {"searchedLogStreams", json::array()}};
  if (!heap.empty() && last_read) output["nextToken"] = EncodeFilterToken(group->id, *last_read);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

}  // namespace lamina::logs
