// LogStore: groups, streams and events in the "logs" keyspace, read back in order.

#include "logs/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "common/ids.h"

namespace lamina::logs {
namespace {

constexpr StreamPosition kAfterAll{std::numeric_limits<int64_t>::max(),
                                   std::numeric_limits<uint64_t>::max()};

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.in_memory = true;
    engine_ = std::move(storage::Engine::Open(options).value());
    store_ = std::make_unique<LogStore>(*engine_);
    ASSERT_TRUE(store_->Load().ok());
  }

  LogGroup Group(const std::string& name, const std::string& region = "us-east-1") {
    LogGroup group;
    group.account = "000000000000";
    group.region = region;
    group.name = name;
    group.id = store_->NewId().value();
    EXPECT_TRUE(store_->PutGroup(group).ok());
    return group;
  }

  LogStream Stream(const std::string& name) {
    LogStream stream;
    stream.name = name;
    stream.id = store_->NewId().value();
    return stream;
  }

  // Appends events with these timestamps to `stream`, as LogsService does.
  void Append(uint64_t group_id, LogStream& stream, std::vector<int64_t> timestamps) {
    std::vector<std::string> messages;
    for (int64_t timestamp : timestamps) messages.push_back("m" + std::to_string(timestamp));
    std::vector<NewEvent> events;
    for (size_t i = 0; i < timestamps.size(); ++i) {
      events.push_back({{timestamps[i], stream.next_sequence++}, 1000, messages[i]});
      stream.stored_bytes += static_cast<int64_t>(messages[i].size()) + kEventOverheadBytes;
      stream.first_event_timestamp =
          std::min(stream.first_event_timestamp.value_or(timestamps[i]), timestamps[i]);
      stream.last_event_timestamp =
          std::max(stream.last_event_timestamp.value_or(timestamps[i]), timestamps[i]);
    }
    ASSERT_TRUE(store_->AppendEvents(group_id, stream, events).ok());
  }

  std::vector<int64_t> Timestamps(uint64_t group_id, uint64_t stream_id, bool backward = false) {
    EventCursor cursor = store_->Events(group_id, stream_id, kBeforeAllEvents, kAfterAll);
    std::vector<int64_t> seen;
    if (backward) {
      for (cursor.SeekBefore(kAfterAll); cursor.Valid(); cursor.Prev())
        seen.push_back(cursor.position().timestamp);
    } else {
      for (cursor.Seek(kBeforeAllEvents); cursor.Valid(); cursor.Next())
        seen.push_back(cursor.position().timestamp);
    }
    EXPECT_TRUE(cursor.status().ok());
    return seen;
  }

  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<LogStore> store_;
};

TEST_F(LogStoreTest, ReadsNothingBeforeTheFirstWrite) {
  EXPECT_EQ(engine_->FindKeyspace(LogStore::kKeyspace), nullptr);
  auto group = store_->FindGroup("000000000000", "us-east-1", "g");
  ASSERT_TRUE(group.has_value());
  EXPECT_FALSE(group->has_value());
  bool more = true;
  EXPECT_TRUE(store_->ListGroups("000000000000", "us-east-1", "", "", 10, {}, &more).empty());
  EXPECT_FALSE(more);
  EXPECT_TRUE(Timestamps(1, 2).empty());
}

TEST_F(LogStoreTest, GroupsListByRegionPrefixAndPage) {
  for (const char* name : {"/aws/lambda/a", "/aws/lambda/b", "/aws/lambda/c", "other"}) Group(name);
  Group("/aws/lambda/elsewhere", "eu-west-1");
  bool more = false;
  auto page = store_->ListGroups("000000000000", "us-east-1", "/aws/lambda/", "", 2, {}, &more);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].name, "/aws/lambda/a");
  EXPECT_EQ(page[1].name, "/aws/lambda/b");
  EXPECT_TRUE(more);
  page = store_->ListGroups("000000000000", "us-east-1", "/aws/lambda/", "/aws/lambda/b", 2, {},
                            &more);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].name, "/aws/lambda/c");
  EXPECT_FALSE(more);
  EXPECT_EQ(store_->AllGroups().size(), 5u);
}

TEST_F(LogStoreTest, GroupRecordRoundTrips) {
  LogGroup group = Group("kept");
  group.retention_days = 7;
  group.tags = {{"team", "logs"}};
  group.kms_key_id = "key";
  group.creation_time = 1234;
  ASSERT_TRUE(store_->PutGroup(group).ok());
  auto found = store_->FindGroup("000000000000", "us-east-1", "kept").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, group.id);
  EXPECT_EQ(found->retention_days, 7);
  EXPECT_EQ(found->tags, group.tags);
  EXPECT_EQ(found->kms_key_id, "key");
  EXPECT_EQ(found->creation_time, 1234);
  EXPECT_EQ(found->log_group_class, "STANDARD");
}

TEST_F(LogStoreTest, EventsReadInTimeOrderBothWays) {
  LogGroup group = Group("g");
  LogStream stream = Stream("s");
  Append(group.id, stream, {30, 10, 20});
  Append(group.id, stream, {10, 40});
  EXPECT_EQ(Timestamps(group.id, stream.id), (std::vector<int64_t>{10, 10, 20, 30, 40}));
  EXPECT_EQ(Timestamps(group.id, stream.id, true), (std::vector<int64_t>{40, 30, 20, 10, 10}));
  auto stored = store_->FindStream(group.id, "s").value();
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->next_sequence, 5u);
  EXPECT_EQ(stored->first_event_timestamp, 10);
  EXPECT_EQ(stored->last_event_timestamp, 40);
  EXPECT_EQ(store_->StoredBytes(group.id), stream.stored_bytes);
}

TEST_F(LogStoreTest, CursorBoundsAreHalfOpen) {
  LogGroup group = Group("g");
  LogStream stream = Stream("s");
  Append(group.id, stream, {1, 2, 3, 4, 5});
  EventCursor cursor = store_->Events(group.id, stream.id, {2, 0}, {4, 0});
  std::vector<int64_t> seen;
  for (cursor.Seek(kBeforeAllEvents); cursor.Valid(); cursor.Next())
    seen.push_back(cursor.position().timestamp);
  EXPECT_EQ(seen, (std::vector<int64_t>{2, 3}));
  seen.clear();
  for (cursor.SeekBefore(kAfterAll); cursor.Valid(); cursor.Prev())
    seen.push_back(cursor.position().timestamp);
  EXPECT_EQ(seen, (std::vector<int64_t>{3, 2}));
  cursor.SeekBefore(kBeforeAllEvents);
  EXPECT_FALSE(cursor.Valid());
  cursor.Seek({3, 0});
  ASSERT_TRUE(cursor.Valid());
  EXPECT_EQ(cursor.message(), "m3");
  EXPECT_EQ(cursor.ingestion_time(), 1000);
}

TEST_F(LogStoreTest, StreamsOfAGroupStayApart) {
  LogGroup group = Group("g");
  LogStream first = Stream("a"), second = Stream("b");
  Append(group.id, first, {1, 2});
  Append(group.id, second, {3});
  EXPECT_EQ(Timestamps(group.id, first.id), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Timestamps(group.id, second.id, true), (std::vector<int64_t>{3}));
  ASSERT_EQ(store_->ListStreams(group.id, "").size(), 2u);
  ASSERT_EQ(store_->ListStreams(group.id, "b").size(), 1u);
  ASSERT_TRUE(store_->DeleteStream(group.id, first).ok());
  EXPECT_TRUE(Timestamps(group.id, first.id).empty());
  EXPECT_EQ(Timestamps(group.id, second.id), (std::vector<int64_t>{3}));
  ASSERT_TRUE(store_->DeleteGroup(group).ok());
  EXPECT_TRUE(Timestamps(group.id, second.id).empty());
  EXPECT_TRUE(store_->ListStreams(group.id, "").empty());
  EXPECT_FALSE(store_->FindGroup("000000000000", "us-east-1", "g").value().has_value());
}

TEST_F(LogStoreTest, DeleteEventsBeforeTrimsTheOldestAndTheCounters) {
  LogGroup group = Group("g");
  LogStream stream = Stream("s");
  Append(group.id, stream, {1, 2, 3, 4, 5});
  int64_t per_event = 2 + kEventOverheadBytes;  // "m1".."m5"
  auto deleted = store_->DeleteEventsBefore(group.id, stream, 4, 2);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(*deleted, 2u);  // bounded by max_events
  EXPECT_EQ(stream.first_event_timestamp, 3);
  EXPECT_EQ(stream.stored_bytes, 3 * per_event);
  deleted = store_->DeleteEventsBefore(group.id, stream, 4, 100);
  EXPECT_EQ(deleted.value(), 1u);
  EXPECT_EQ(Timestamps(group.id, stream.id), (std::vector<int64_t>{4, 5}));
  deleted = store_->DeleteEventsBefore(group.id, stream, 100, 100);
  EXPECT_EQ(deleted.value(), 2u);
  EXPECT_FALSE(stream.first_event_timestamp.has_value());
  EXPECT_EQ(stream.stored_bytes, 0);
  auto stored = store_->FindStream(group.id, "s").value();
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->first_event_timestamp.has_value());
  EXPECT_EQ(stored->last_event_timestamp, 5);
  EXPECT_EQ(store_->DeleteEventsBefore(group.id, stream, 100, 100).value(), 0u);
}

TEST_F(LogStoreTest, IdsAreNeverReusedAcrossRestarts) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lamina-logs-test-" + RandomHex(12));
  uint64_t before = 0;
  {
    storage::EngineOptions options;
    options.data_dir = dir.string();
    auto engine = std::move(storage::Engine::Open(options).value());
    LogStore store(*engine);
    ASSERT_TRUE(store.Load().ok());
    for (int i = 0; i < 3; ++i) before = store.NewId().value();
  }
  {
    storage::EngineOptions options;
    options.data_dir = dir.string();
    auto engine = std::move(storage::Engine::Open(options).value());
    LogStore store(*engine);
    ASSERT_TRUE(store.Load().ok());
    EXPECT_GT(store.NewId().value(), before);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lamina::logs
