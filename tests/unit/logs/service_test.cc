// LogsService's handlers called directly: PutLogEvents' batch rules, GetLogEvents' tokens,
// FilterLogEvents' interleaving and paging, retention, and the LogWriter path Lambda uses.

#include "logs/service.h"

#include <gtest/gtest.h>

#include <chrono>

#include "common/clock.h"

namespace lamina::logs {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;

class LogsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.in_memory = true;
    engine_ = std::move(storage::Engine::Open(options).value());
    service_ = std::make_unique<LogsService>(*engine_, clock_);
    ASSERT_TRUE(service_->Load().ok());
  }

  OperationResult Run(OperationResult (LogsService::*handler)(OperationRequest&),
                      json::object input) {
    OperationRequest request;
    request.context.account_id = "000000000000";
    request.context.region = "us-east-1";
    request.input = std::move(input);
    return ((*service_).*handler)(request);
  }

  json::object Call(OperationResult (LogsService::*handler)(OperationRequest&),
                    json::object input) {
    auto result = Run(handler, std::move(input));
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
    if (!result) return {};
    return result->output.as_object();
  }

  AwsError Fails(OperationResult (LogsService::*handler)(OperationRequest&), json::object input) {
    auto result = Run(handler, std::move(input));
    EXPECT_FALSE(result.has_value());
    return result ? AwsError() : result.error();
  }

  int64_t Now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
        .count();
  }

  void CreateStream(const std::string& group, const std::string& stream) {
    (void)Run(&LogsService::CreateLogGroup, {{"logGroupName", group}});  // may exist already
    Call(&LogsService::CreateLogStream, {{"logGroupName", group}, {"logStreamName", stream}});
  }

  json::object Put(const std::string& group, const std::string& stream,
                   std::vector<std::pair<int64_t, std::string>> events) {
    json::array list;
    for (auto& [timestamp, message] : events)
      list.push_back(json::object{{"timestamp", timestamp}, {"message", message}});
    return Call(&LogsService::PutLogEvents,
                {{"logGroupName", group}, {"logStreamName", stream}, {"logEvents", list}});
  }

  static std::vector<std::string> Messages(const json::object& output) {
    std::vector<std::string> messages;
    for (const json::value& event : output.at("events").as_array())
      messages.emplace_back(event.at("message").as_string());
    return messages;
  }

  Clock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<LogsService> service_;
};

TEST_F(LogsServiceTest, PutLogEventsReportsRejectedEventsByIndex) {
  CreateStream("g", "s");
  int64_t now = Now();
  json::object output = Put("g", "s",
                            {{now - 15 * kDay, "old0"},
                             {now - 15 * kDay + 1, "old1"},
                             {now - kHour, "ok2"},
                             {now, "ok3"},
                             {now + 3 * kHour, "new4"}});
  json::object rejected = output.at("rejectedLogEventsInfo").as_object();
  EXPECT_EQ(rejected.at("tooOldLogEventEndIndex").as_int64(), 2);  // exclusive
  EXPECT_EQ(rejected.at("tooNewLogEventStartIndex").as_int64(), 4);
  EXPECT_FALSE(rejected.contains("expiredLogEventEndIndex"));
  EXPECT_EQ(output.at("nextSequenceToken").as_string().size(), 56u);
  json::object read =
      Call(&LogsService::GetLogEvents,
           {{"logGroupName", "g"}, {"logStreamName", "s"}, {"startFromHead", true}});
  EXPECT_EQ(Messages(read), (std::vector<std::string>{"ok2", "ok3"}));

  Call(&LogsService::PutRetentionPolicy, {{"logGroupName", "g"}, {"retentionInDays", 1}});
  output = Put("g", "s", {{now - kDay - 2 * kHour, "expired0"}, {now - kDay + kHour, "ok1"}});
  EXPECT_EQ(output.at("rejectedLogEventsInfo").at("expiredLogEventEndIndex").as_int64(), 1);
}

TEST_F(LogsServiceTest, PutLogEventsEnforcesTheBatchRules) {
  CreateStream("g", "s");
  int64_t now = Now();
  auto put = [&](json::array events) {
    return Fails(&LogsService::PutLogEvents,
                 {{"logGroupName", "g"}, {"logStreamName", "s"}, {"logEvents", events}});
  };
  AwsError error = put({json::object{{"timestamp", now}, {"message", "b"}},
                        json::object{{"timestamp", now - 1}, {"message", "a"}}});
  EXPECT_EQ(error.code, "InvalidParameterException");
  EXPECT_EQ(error.message,
            "Log events in a single PutLogEvents request must be in chronological order.");

  error = put({json::object{{"timestamp", now - 2 * kDay}, {"message", "a"}},
               json::object{{"timestamp", now}, {"message", "b"}}});
  EXPECT_EQ(error.message,
            "The batch of log events in a single PutLogEvents request cannot span more than 24 "
            "hours.");
  // Events rejected for their age do not count towards the 24 hours.
  Put("g", "s", {{now - 20 * kDay, "too old"}, {now, "fine"}});

  json::array big;
  for (int i = 0; i < 5; ++i)
    big.push_back(json::object{{"timestamp", now}, {"message", std::string(210000, 'x')}});
  error = put(big);
  EXPECT_EQ(error.message, "Upload too large: 1050130 bytes exceeds limit of 1048576");

  error = put({json::object{{"timestamp", now}, {"message", std::string(1048551, 'x')}}});
  EXPECT_EQ(error.message, "Log event too large: 1048577 bytes exceeds limit of 1048576");
  // Exactly at the limit, with the 26 bytes every event costs.
  Put("g", "s", {{now, std::string(1048550, 'x')}});

  json::array many;
  for (int i = 0; i < 10001; ++i)
    many.push_back(json::object{{"timestamp", now}, {"message", "m"}});
  error = put(many);
  EXPECT_EQ(error.message,
            "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: "
            "Member must have length less than or equal to 10000");

  error = put({json::object{{"timestamp", now}, {"message", ""}}});
  EXPECT_NE(error.message.find("logEvents.1.member.message"), std::string::npos) << error.message;
  error = Fails(&LogsService::PutLogEvents,
                {{"logGroupName", "g"},
                 {"logStreamName", "missing"},
                 {"logEvents", json::array{json::object{{"timestamp", now}, {"message", "m"}}}}});
  EXPECT_EQ(error.code, "ResourceNotFoundException");
  EXPECT_EQ(error.message, "The specified log stream does not exist.");
}

TEST_F(LogsServiceTest, GetLogEventsPagesWithForwardAndBackwardTokens) {
  CreateStream("g", "s");
  int64_t now = Now();
  std::vector<std::pair<int64_t, std::string>> events;
  for (int i = 0; i < 5; ++i) events.push_back({now - 10 + i, "e" + std::to_string(i)});
  Put("g", "s", events);
  json::object base{{"logGroupName", "g"}, {"logStreamName", "s"}, {"limit", 2}};

  // Without a token: the latest events, oldest first.
  json::object latest = Call(&LogsService::GetLogEvents, base);
  EXPECT_EQ(Messages(latest), (std::vector<std::string>{"e3", "e4"}));
  json::object older = base;
  older["nextToken"] = latest.at("nextBackwardToken");
  older = Call(&LogsService::GetLogEvents, older);
  EXPECT_EQ(Messages(older), (std::vector<std::string>{"e1", "e2"}));

  json::object head = base;
  head["startFromHead"] = true;
  json::object page = Call(&LogsService::GetLogEvents, head);
  EXPECT_EQ(Messages(page), (std::vector<std::string>{"e0", "e1"}));
  std::vector<std::string> all = Messages(page);
  for (int i = 0; i < 5; ++i) {
    json::object next = base;
    next["nextToken"] = page.at("nextForwardToken");
    json::object following = Call(&LogsService::GetLogEvents, next);
    std::vector<std::string> messages = Messages(following);
    all.insert(all.end(), messages.begin(), messages.end());
    if (messages.empty()) {
      // At the end: the same token back, so a poller waits where it is.
      EXPECT_EQ(following.at("nextForwardToken"), page.at("nextForwardToken"));
      break;
    }
    page = following;
  }
  EXPECT_EQ(all, (std::vector<std::string>{"e0", "e1", "e2", "e3", "e4"}));

  // New events appear behind the token a poller holds.
  Put("g", "s", {{now, "e5"}});
  json::object poll = base;
  poll["nextToken"] = page.at("nextForwardToken");
  EXPECT_EQ(Messages(Call(&LogsService::GetLogEvents, poll)), (std::vector<std::string>{"e5"}));

  json::object window = base;
  window["startTime"] = now - 9;
  window["endTime"] = now - 7;  // exclusive
  window["startFromHead"] = true;
  EXPECT_EQ(Messages(Call(&LogsService::GetLogEvents, window)),
            (std::vector<std::string>{"e1", "e2"}));

  json::object bad = base;
  bad["nextToken"] = "f/123";
  EXPECT_EQ(Fails(&LogsService::GetLogEvents, bad).message, "The specified nextToken is invalid.");
}

TEST_F(LogsServiceTest, FilterLogEventsInterleavesStreamsAndPages) {
  CreateStream("g", "a");
  CreateStream("g", "b");
  CreateStream("g", "other");
  int64_t now = Now();
  Put("g", "a", {{now - 5, "a ERROR 1"}, {now - 3, "a INFO 2"}, {now - 1, "a ERROR 3"}});
  Put("g", "b", {{now - 4, "b ERROR 1"}, {now - 2, "b ERROR 2"}});
  Put("g", "other", {{now - 6, "o ERROR 0"}});

  json::object all = Call(&LogsService::FilterLogEvents, {{"logGroupName", "g"}});
  EXPECT_EQ(Messages(all), (std::vector<std::string>{"o ERROR 0", "a ERROR 1", "b ERROR 1",
                                                     "a INFO 2", "b ERROR 2", "a ERROR 3"}));
  EXPECT_FALSE(all.contains("nextToken"));
  EXPECT_TRUE(all.at("searchedLogStreams").as_array().empty());
  const json::object& first = all.at("events").at(0).as_object();
  EXPECT_EQ(first.at("logStreamName"), "other");
  EXPECT_EQ(first.at("timestamp").as_int64(), now - 6);
  EXPECT_EQ(first.at("eventId").as_string().size(), 56u);
  EXPECT_TRUE(first.contains("ingestionTime"));

  // Paging two at a time with a pattern.
  json::object request{{"logGroupName", "g"}, {"filterPattern", "ERROR"}, {"limit", 2}};
  std::vector<std::string> paged;
  for (int i = 0; i < 10; ++i) {
    json::object page = Call(&LogsService::FilterLogEvents, request);
    std::vector<std::string> messages = Messages(page);
    EXPECT_LE(messages.size(), 2u);
    paged.insert(paged.end(), messages.begin(), messages.end());
    if (!page.contains("nextToken")) break;
    request["nextToken"] = page.at("nextToken");
  }
  EXPECT_EQ(paged, (std::vector<std::string>{"o ERROR 0", "a ERROR 1", "b ERROR 1", "b ERROR 2",
                                             "a ERROR 3"}));

  json::object named =
      Call(&LogsService::FilterLogEvents, {{"logGroupName", "g"},
                                           {"logStreamNames", json::array{"b", "a"}},
                                           {"startTime", now - 4},
                                           {"endTime", now - 2}});  // both inclusive
  EXPECT_EQ(Messages(named), (std::vector<std::string>{"b ERROR 1", "a INFO 2", "b ERROR 2"}));
  json::object prefixed =
      Call(&LogsService::FilterLogEvents, {{"logGroupName", "g"}, {"logStreamNamePrefix", "o"}});
  EXPECT_EQ(Messages(prefixed), (std::vector<std::string>{"o ERROR 0"}));

  AwsError error = Fails(
      &LogsService::FilterLogEvents,
      {{"logGroupName", "g"}, {"logStreamNames", json::array{"a"}}, {"logStreamNamePrefix", "a"}});
  EXPECT_EQ(error.code, "InvalidParameterException");
  error = Fails(&LogsService::FilterLogEvents,
                {{"logGroupName", "g"}, {"logStreamNames", json::array{"a", "nope"}}});
  EXPECT_EQ(error.message, "The specified log stream does not exist.");
  error = Fails(&LogsService::FilterLogEvents, {{"logGroupName", "g"}, {"filterPattern", "{ $.x"}});
  EXPECT_EQ(error.code, "InvalidParameterException");
  error = Fails(&LogsService::FilterLogEvents, {{"logGroupName", "g"}, {"nextToken", "abc"}});
  EXPECT_EQ(error.message, "The specified nextToken is invalid.");
  error = Fails(&LogsService::FilterLogEvents, {{"logGroupName", "missing"}});
  EXPECT_EQ(error.message, "The specified log group does not exist.");
}

TEST_F(LogsServiceTest, RetentionHidesAtOnceAndTheSweepDeletes) {
  CreateStream("short", "s");
  CreateStream("forever", "s");
  Call(&LogsService::PutRetentionPolicy, {{"logGroupName", "short"}, {"retentionInDays", 1}});
  int64_t now = Now();
  Put("short", "s", {{now - kHour, "old"}, {now, "new"}});
  Put("forever", "s", {{now - kHour, "old"}, {now, "new"}});
  EXPECT_EQ(service_->SweepExpired(100), 0u);

  clock_.Advance(std::chrono::milliseconds(kDay - kHour / 2));
  // "old" is now past one day: not returned, even before the sweep.
  json::object read =
      Call(&LogsService::GetLogEvents,
           {{"logGroupName", "short"}, {"logStreamName", "s"}, {"startFromHead", true}});
  EXPECT_EQ(Messages(read), (std::vector<std::string>{"new"}));
  EXPECT_EQ(Messages(Call(&LogsService::FilterLogEvents, {{"logGroupName", "short"}})),
            (std::vector<std::string>{"new"}));

  auto stored = [&](const std::string& name) {
    json::object groups = Call(&LogsService::DescribeLogGroups, {{"logGroupNamePrefix", name}});
    return groups.at("logGroups").at(0).at("storedBytes").as_int64();
  };
  EXPECT_EQ(stored("short"), 2 * (3 + 26));
  EXPECT_EQ(service_->SweepExpired(100), 1u);
  EXPECT_EQ(stored("short"), 3 + 26);
  EXPECT_EQ(stored("forever"), 2 * (3 + 26));
  EXPECT_EQ(service_->SweepExpired(100), 0u);

  clock_.Advance(std::chrono::milliseconds(kDay));
  EXPECT_EQ(service_->SweepExpired(100), 1u);
  EXPECT_EQ(stored("short"), 0);
  EXPECT_EQ(Messages(Call(&LogsService::FilterLogEvents, {{"logGroupName", "forever"}})),
            (std::vector<std::string>{"old", "new"}));
}

TEST_F(LogsServiceTest, RetentionValuesAreAwsOnes) {
  Call(&LogsService::CreateLogGroup, {{"logGroupName", "g"}});
  for (int days : {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                   365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653})
    Call(&LogsService::PutRetentionPolicy, {{"logGroupName", "g"}, {"retentionInDays", days}});
  AwsError error =
      Fails(&LogsService::PutRetentionPolicy, {{"logGroupName", "g"}, {"retentionInDays", 2}});
  EXPECT_EQ(error.code, "InvalidParameterException");
  EXPECT_EQ(error.message,
            "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy "
            "constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, "
            "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]");
}

TEST_F(LogsServiceTest, WriterCreatesGroupAndStreamAndSortsEvents) {
  int64_t now = Now();
  service_->Write("000000000000", "us-east-1", "/aws/lambda/fn", "2024/01/01/[$LATEST]abc",
                  {{now, "second"}, {now - 5, "first"}, {now, ""}, {now - 30 * kDay, "ancient"}});
  json::object read =
      Call(&LogsService::GetLogEvents, {{"logGroupName", "/aws/lambda/fn"},
                                        {"logStreamName", "2024/01/01/[$LATEST]abc"},
                                        {"startFromHead", true}});
  EXPECT_EQ(Messages(read), (std::vector<std::string>{"first", "second"}));
  // A second write reuses both.
  service_->Write("000000000000", "us-east-1", "/aws/lambda/fn", "2024/01/01/[$LATEST]abc",
                  {{now + 1, "third"}});
  json::object streams =
      Call(&LogsService::DescribeLogStreams, {{"logGroupName", "/aws/lambda/fn"}});
  ASSERT_EQ(streams.at("logStreams").as_array().size(), 1u);
  // A bad name is logged and dropped, never thrown.
  service_->Write("000000000000", "us-east-1", "bad name!", "s", {{now, "x"}});
  EXPECT_TRUE(Call(&LogsService::DescribeLogGroups, {{"logGroupNamePrefix", "bad"}})
                  .at("logGroups")
                  .as_array()
                  .empty());
}

}  // namespace
}  // namespace lamina::logs
