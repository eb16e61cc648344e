#pragma once

// The paging tokens and ids CloudWatch Logs hands out: GetLogEvents' nextForwardToken and
// nextBackwardToken ("f/…" and "b/…" with 56 digits, as AWS's look), FilterLogEvents'
// nextToken and eventIds, the Describe* operations' nextToken, and sequence tokens.
// Clients treat them as opaque; they are positions, not snapshots, so a token stays valid while
// events are added. Pure and thread-safe.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lamina::logs {

// Where an event sits in its stream: streams read in (timestamp, sequence) order, the sequence
// counting the stream's events in the order they were stored.
struct StreamPosition {
  int64_t timestamp = 0;
  uint64_t sequence = 0;
  auto operator<=>(const StreamPosition&) const = default;
};

// Before every event of any stream.
inline constexpr StreamPosition kBeforeAllEvents{INT64_MIN, 0};

// The next and previous positions in (timestamp, sequence) order, saturating at the ends.
StreamPosition Successor(StreamPosition position);
StreamPosition Predecessor(StreamPosition position);

// GetLogEvents: a forward token reads the events after `position`; a backward token the events
// before it.
struct StreamToken {
  bool forward = true;
  uint64_t stream_id = 0;
  StreamPosition position;
};

// "f/" or "b/" and 56 digits: the stream id (16), the timestamp (20, offset so that negative
// ones order first) and the sequence (20).
std::string EncodeStreamToken(const StreamToken& token);
// nullopt when `text` is not a token EncodeStreamToken made.
std::optional<StreamToken> DecodeStreamToken(std::string_view text);

// Where an event sits among a log group's events, interleaved across streams: FilterLogEvents
// reads in (timestamp, stream id, sequence) order.
struct GroupPosition {
  int64_t timestamp = 0;
  uint64_t stream_id = 0;
  uint64_t sequence = 0;
  auto operator<=>(const GroupPosition&) const = default;
};

// FilterLogEvents' nextToken: resume after `position` in the group `group_id`.
std::string EncodeFilterToken(uint64_t group_id, const GroupPosition& position);
std::optional<std::pair<uint64_t, GroupPosition>> DecodeFilterToken(std::string_view text);

// An event's id: 56 digits, stable for the event's life (so `aws logs tail --follow`, which
// drops events whose id it has seen, never prints one twice).
std::string EventId(const GroupPosition& position);

// Describe* paging: resume after a name (DescribeLogGroups; DescribeLogStreams by name) ...
std::string EncodeNameToken(std::string_view name);
std::optional<std::string> DecodeNameToken(std::string_view text);
// ... or after (last event time, name) (DescribeLogStreams by LastEventTime).
std::string EncodeTimeNameToken(int64_t time, std::string_view name);
std::optional<std::pair<int64_t, std::string>> DecodeTimeNameToken(std::string_view text);

// PutLogEvents' nextSequenceToken and DescribeLogStreams' uploadSequenceToken: 56 digits.
std::string SequenceToken(uint64_t value);

}  // namespace lamina::logs
