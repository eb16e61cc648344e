// The item change listener: every committed change is reported once with its old and new item,
// and deletions made by time to live are marked as the service's own. A listener that waits also
// holds a transaction open, which shows how other writers meet a running transaction.

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/clock.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {
namespace {

struct Seen {
  std::optional<Item> old;
  std::optional<Item> updated;
  ChangeOrigin origin;
};

class ChangeListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions options;
    options.in_memory = true;
    engine_ = std::move(storage::Engine::Open(options).value());
    service_ = std::make_unique<DynamoDbService>(*engine_, clock_);
    ASSERT_TRUE(service_->Load().ok());
    service_->SetChangeListener([this](const ItemChange& change) {
      if (hold_) {
        held_.set_value();
        release_.get_future().wait();
        hold_ = false;
      }
      seen_.push_back({change.old ? std::optional<Item>(*change.old) : std::nullopt,
                       change.updated ? std::optional<Item>(*change.updated) : std::nullopt,
                       change.origin});
    });
    Call(&DynamoDbService::CreateTable,
         R"({"TableName": "events", "BillingMode": "PAY_PER_REQUEST",
             "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})");
    Call(&DynamoDbService::UpdateTimeToLive,
         R"({"TableName": "events", "TimeToLiveSpecification":
             {"Enabled": true, "AttributeName": "expires"}})");
  }

  OperationResult Run(OperationResult (DynamoDbService::*handler)(OperationRequest&),
                      std::string_view input) {
    OperationRequest request;
    request.context.account_id = "000000000000";
    request.context.region = "us-east-1";
    request.input = json::parse(input).as_object();
    return ((*service_).*handler)(request);
  }

  json::object Call(OperationResult (DynamoDbService::*handler)(OperationRequest&),
                    std::string_view input) {
    auto result = Run(handler, input);
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
    if (!result) return {};
    if (result->raw_body) return json::parse(*result->raw_body).as_object();
    return result->output.is_object() ? result->output.as_object() : json::object();
  }

  Clock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<DynamoDbService> service_;
  std::vector<Seen> seen_;
  // When set, the next change waits for `release_` after signalling `held_`.
  std::atomic<bool> hold_{false};
  std::promise<void> held_;
  std::promise<void> release_;
};

std::string Text(const std::optional<Item>& item, const std::string& name) {
  if (!item || !item->count(name)) return "";
  return item->at(name).scalar();
}

TEST_F(ChangeListenerTest, ReportsWritesWithTheirImagesAndTheirOrigin) {
  Call(&DynamoDbService::PutItem,
       R"({"TableName": "events", "Item": {"pk": {"S": "a"}, "v": {"S": "1"}}})");
  Call(&DynamoDbService::UpdateItem,
       R"({"TableName": "events", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :v",
           "ExpressionAttributeValues": {":v": {"S": "2"}}})");
  Call(&DynamoDbService::BatchWriteItem,
       R"({"RequestItems": {"events": [{"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}]}})");
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_FALSE(seen_[0].old);
  EXPECT_EQ(Text(seen_[0].updated, "v"), "1");
  EXPECT_EQ(Text(seen_[1].old, "v"), "1");
  EXPECT_EQ(Text(seen_[1].updated, "v"), "2");
  EXPECT_EQ(Text(seen_[2].old, "v"), "2");
  EXPECT_FALSE(seen_[2].updated);
  for (const Seen& change : seen_) EXPECT_EQ(change.origin, ChangeOrigin::kCaller);
}

TEST_F(ChangeListenerTest, TimeToLiveDeletionsAreMarkedAsTheService) {
  std::string expires = std::to_string(static_cast<int64_t>(clock_.NowEpochSeconds()) + 60);
  Call(&DynamoDbService::PutItem, R"({"TableName": "events", "Item": {"pk": {"S": "old"},
       "expires": {"N": ")" + expires +
                                      R"("}}})");
  Call(&DynamoDbService::PutItem, R"({"TableName": "events", "Item": {"pk": {"S": "kept"}}})");
  EXPECT_EQ(service_->SweepExpired(100), 0u);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(service_->SweepExpired(100), 1u);
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[2].origin, ChangeOrigin::kTimeToLive);
  EXPECT_EQ(Text(seen_[2].old, "pk"), "old");
  EXPECT_FALSE(seen_[2].updated);
  // A caller's delete of the same kind of item is the caller's.
  Call(&DynamoDbService::DeleteItem, R"({"TableName": "events", "Key": {"pk": {"S": "kept"}}})");
  ASSERT_EQ(seen_.size(), 4u);
  EXPECT_EQ(seen_[3].origin, ChangeOrigin::kCaller);
}

TEST_F(ChangeListenerTest, WritersMeetingARunningTransactionAreRefused) {
  hold_ = true;
  std::thread transaction([this] {
    Call(&DynamoDbService::TransactWriteItems,
         R"({"TransactItems": [{"Put": {"TableName": "events", "Item": {"pk": {"S": "t"},
             "v": {"S": "from the transaction"}}}}]})");
  });
  held_.get_future().wait();
  // The transaction has written and still holds the item.
  auto single = Run(&DynamoDbService::PutItem,
                    R"({"TableName": "events", "Item": {"pk": {"S": "t"}, "v": {"S": "single"}}})");
  ASSERT_FALSE(single.has_value());
  EXPECT_EQ(single.error().code, "TransactionConflictException");
  auto other = Run(&DynamoDbService::TransactWriteItems,
                   R"({"TransactItems": [
                       {"Put": {"TableName": "events", "Item": {"pk": {"S": "free"}}}},
                       {"Delete": {"TableName": "events", "Key": {"pk": {"S": "t"}}}}]})");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, "TransactionCanceledException");
  EXPECT_EQ(json::serialize(other.error().json_members.at("CancellationReasons")),
            R"([{"Code":"None"},{"Code":"TransactionConflict",)"
            R"("Message":"Transaction is ongoing for the item"}])");
  auto read = Run(&DynamoDbService::TransactGetItems,
                  R"({"TransactItems": [{"Get": {"TableName": "events",
                      "Key": {"pk": {"S": "t"}}}}]})");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, "TransactionCanceledException");
  release_.set_value();
  transaction.join();
  // Once it is over, the item is free again, and nothing the refused writers sent was applied.
  auto item = Call(&DynamoDbService::GetItem,
                   R"({"TableName": "events", "Key": {"pk": {"S": "t"}}, "ConsistentRead": true})");
  EXPECT_EQ(json::serialize(item.at("Item")),
            R"({"pk":{"S":"t"},"v":{"S":"from the transaction"}})");
  auto free = Call(&DynamoDbService::GetItem, R"({"TableName": "events",
                   "Key": {"pk": {"S": "free"}}})");
  EXPECT_FALSE(free.contains("Item"));
  EXPECT_TRUE(
      Run(&DynamoDbService::PutItem, R"({"TableName": "events", "Item": {"pk": {"S": "t"}}})")
          .has_value());
}

}  // namespace
}  // namespace lamina::dynamodb
