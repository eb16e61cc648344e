// UpdateTimeToLive, DescribeTimeToLive, and the sweep that expires items.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html

#include "dynamodb/ttl.h"

#include <cstdlib>

#include "common/log.h"
#include "dynamodb/errors.h"
#include "dynamodb/item_codec.h"
#include "dynamodb/request.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

// DynamoDB leaves items whose TTL is more than five years in the past alone.
constexpr double kIgnoredAgeSeconds = 5.0 * 365 * 24 * 3600;
// Expired keys gathered per table before they are deleted one by one.
constexpr size_t kScanBatch = 256;

// The TTL of `item` in epoch seconds, when its attribute is a Number.
std::optional<double> ExpiryOf(const Item& item, const std::string& attribute) {
  auto found = item.find(attribute);
  if (found == item.end() || found->second.type() != Type::kN) return std::nullopt;
  return std::strtod(found->second.scalar().c_str(), nullptr);
}

bool Expired(std::optional<double> expiry, double now) {
  return expiry && *expiry < now && now - *expiry <= kIgnoredAgeSeconds;
}

}  // namespace

OperationResult DynamoDbService::UpdateTimeToLive(OperationRequest& request) {
  const json::object& input = request.input;
  auto name = TableNameOf(input);
  if (!name) return Unexpected(name.error());
  const json::value* specification = input.if_contains("TimeToLiveSpecification");
  if (specification == nullptr || specification->is_null())
    return Unexpected(MissingMember("timeToLiveSpecification"));
  if (!specification->is_object())
    return Unexpected(errors::Serialization("TimeToLiveSpecification must be an object"));
  const json::object& spec = specification->get_object();
  auto enabled = OptionalBool(spec, "Enabled");
  if (!enabled) return Unexpected(enabled.error());
  if (!*enabled) return Unexpected(MissingMember("timeToLiveSpecification.enabled"));
  auto attribute = OptionalString(spec, "AttributeName");
  if (!attribute) return Unexpected(attribute.error());
  if (!*attribute) return Unexpected(MissingMember("timeToLiveSpecification.attributeName"));
  std::string attribute_name(**attribute);
  if (attribute_name.empty() || attribute_name.size() > 255)
    return Unexpected(ConstraintViolation(
        attribute_name, "timeToLiveSpecification.attributeName",
        attribute_name.empty() ? "Member must have length greater than or equal to 1"
                               : "Member must have length less than or equal to 255"));
  auto table = catalog_.Find(request.context.account_id, request.context.region, *name);
  if (!table) return Unexpected(errors::TableNotFound(std::string(*name)));
  bool enable = **enabled;
  if (enable && !table->ttl_attribute.empty())
    return Unexpected(errors::Validation("TimeToLive is already enabled"));
  if (!enable && table->ttl_attribute.empty())
    return Unexpected(errors::Validation("TimeToLive is already disabled"));
  if (!enable && table->ttl_attribute != attribute_name)
    return Unexpected(errors::Validation(
        "TimeToLive is active on a different AttributeName: current AttributeName is " +
        table->ttl_attribute));
  auto updated = std::make_shared<Table>(*table);
  updated->ttl_attribute = enable ? attribute_name : std::string();
  if (auto stored = catalog_.Update(updated); !stored) return Unexpected(stored.error());
  OperationResponse response;
  response.output =
      json::object{{"TimeToLiveSpecification",
                    json::object{{"Enabled", enable}, {"AttributeName", attribute_name}}}};
  return response;
}

OperationResult DynamoDbService::DescribeTimeToLive(OperationRequest& request) {
  auto name = TableNameOf(request.input);
  if (!name) return Unexpected(name.error());
  auto table = catalog_.Find(request.context.account_id, request.context.region, *name);
  if (!table) return Unexpected(errors::TableNotFound(std::string(*name)));
  json::object description{
      {"TimeToLiveStatus", table->ttl_attribute.empty() ? "DISABLED" : "ENABLED"}};
  if (!table->ttl_attribute.empty()) description["AttributeName"] = table->ttl_attribute;
  OperationResponse response;
  response.output = json::object{{"TimeToLiveDescription", std::move(description)}};
  return response;
}

size_t DynamoDbService::SweepExpired(size_t max_deletes) {
  size_t deleted = 0;
  for (const auto& table : catalog_.All()) {
    if (table->ttl_attribute.empty()) continue;
    std::string from = TablePrefix(table->id);
    while (deleted < max_deletes) {
      // Gather a batch of expired keys from a snapshot, then delete each under its lock.
      std::vector<std::string> expired;
      double now = clock_.NowEpochSeconds();
      auto iterator = engine_.NewIterator(catalog_.items(), TableEnd(table->id));
      std::string next;
      for (iterator->Seek(from); iterator->Valid(); iterator->Next()) {
        if (expired.size() >= kScanBatch) {
          next = std::string(iterator->key());
          break;
        }
        auto item = DecodeItem(iterator->value());
        if (item && Expired(ExpiryOf(*item, table->ttl_attribute), now))
          expired.emplace_back(iterator->key());
      }
      for (const std::string& key : expired) {
        if (deleted >= max_deletes) break;
        std::lock_guard lock(LockFor(key));
        auto now_table = TableNow(table);
        if (!now_table) break;
        auto current = ReadItem(key);
        // Checked again: an update may have extended or removed the TTL since the scan.
        if (!current || !*current ||
            !Expired(ExpiryOf(**current, (*now_table)->ttl_attribute), clock_.NowEpochSeconds()))
          continue;
        if (Status status =
                ApplyChange(**now_table, key, &**current, nullptr, {}, ChangeOrigin::kTimeToLive);
            !status.ok()) {
          LogWarn("dynamodb: TTL deletion failed: " + status.message());
          continue;
        }
        ++deleted;
      }
      if (next.empty()) break;
      from = std::move(next);
    }
  }
  return deleted;
}

void TtlSweeper::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
      lock.unlock();
      size_t deleted = service_.SweepExpired(kMaxDeletesPerPass);
      if (deleted > 0) LogInfo("dynamodb: TTL deleted " + std::to_string(deleted) + " item(s)");
      lock.lock();
    }
  });
}

void TtlSweeper::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lamina::dynamodb
