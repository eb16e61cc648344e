#include "dynamodb/service.h"

#include "common/hashing.h"
#include "dynamodb/errors.h"
#include "dynamodb/indexes.h"
#include "dynamodb/item_codec.h"

namespace lamina::dynamodb {

DynamoDbService::DynamoDbService(storage::Engine& engine, Clock& clock)
    : engine_(engine), clock_(clock), catalog_(engine) {}

DynamoDbService::~DynamoDbService() { StopBackground(); }

Status DynamoDbService::Load() {
  Status status = catalog_.Load();
  if (!status.ok()) return status;
  // A backfill the last run did not finish starts again (it is idempotent).
  for (const auto& table : catalog_.All())
    for (const Index& index : table->indexes)
      if (index.status == "CREATING") StartBackfill(table, index.id);
  return status;
}

void DynamoDbService::Reset() { catalog_.Reset(); }

ServiceDescriptor DynamoDbService::Describe() {
  ServiceDescriptor service;
  service.name = "dynamodb";
  service.protocol = Protocol::kAwsJson10;
  service.json_target_prefix = "DynamoDB_20120810";
  service.error_namespace = "com.amazonaws.dynamodb.v20120810";
  auto bind = [this](OperationResult (DynamoDbService::*handler)(OperationRequest&)) {
    return [this, handler](OperationRequest& request) { return (this->*handler)(request); };
  };
  service.operations = {
      {"CreateTable", bind(&DynamoDbService::CreateTable)},
      {"DescribeTable", bind(&DynamoDbService::DescribeTable)},
      {"UpdateTable", bind(&DynamoDbService::UpdateTable)},
      {"ListTables", bind(&DynamoDbService::ListTables)},
      {"DeleteTable", bind(&DynamoDbService::DeleteTable)},
      {"TagResource", bind(&DynamoDbService::TagResource)},
      {"UntagResource", bind(&DynamoDbService::UntagResource)},
      {"ListTagsOfResource", bind(&DynamoDbService::ListTagsOfResource)},
      {"DescribeLimits", bind(&DynamoDbService::DescribeLimits)},
      {"DescribeEndpoints", bind(&DynamoDbService::DescribeEndpoints)},
      {"PutItem", bind(&DynamoDbService::PutItem)},
      {"GetItem", bind(&DynamoDbService::GetItem)},
      {"UpdateItem", bind(&DynamoDbService::UpdateItem)},
      {"DeleteItem", bind(&DynamoDbService::DeleteItem)},
      {"Query", bind(&DynamoDbService::Query)},
      {"Scan", bind(&DynamoDbService::Scan)},
      {"BatchGetItem", bind(&DynamoDbService::BatchGetItem)},
      {"BatchWriteItem", bind(&DynamoDbService::BatchWriteItem)},
      {"ExecuteStatement", bind(&DynamoDbService::ExecuteStatement)},
      {"BatchExecuteStatement", bind(&DynamoDbService::BatchExecuteStatement)},
      {"ExecuteTransaction", bind(&DynamoDbService::ExecuteTransaction)},
      {"TransactWriteItems", bind(&DynamoDbService::TransactWriteItems)},
      {"TransactGetItems", bind(&DynamoDbService::TransactGetItems)},
      {"UpdateTimeToLive", bind(&DynamoDbService::UpdateTimeToLive)},
      {"DescribeTimeToLive", bind(&DynamoDbService::DescribeTimeToLive)},
  };
  return service;
}

Expected<std::optional<Item>, AwsError> DynamoDbService::ReadItem(
    const std::string& storage_key) const {
  std::string bytes;
  Status status = engine_.Get(catalog_.items(), storage_key, &bytes);
  if (status.IsNotFound()) return std::optional<Item>();
  if (!status.ok()) return Unexpected(errors::Internal("cannot read item: " + status.message()));
  auto item = DecodeItem(bytes);
  if (!item) return Unexpected(errors::Internal("stored item is corrupt"));
  return std::optional<Item>(std::move(*item));
}

std::mutex& DynamoDbService::LockFor(std::string_view storage_key) {
  return locks_[PartitionHash(storage_key) % locks_.size()];
}

Expected<std::shared_ptr<const Table>, AwsError> DynamoDbService::TableNow(
    const std::shared_ptr<const Table>& table) const {
  if (!table->superseded.IsSet()) return table;
  auto now = catalog_.Find(table->account, table->region, table->name);
  if (!now || now->id != table->id) return Unexpected(errors::TableNotFound(table->name));
  return now;
}

Status DynamoDbService::ApplyChange(const Table& table, const std::string& storage_key,
                                    const Item* old, const Item* updated, std::string_view encoded,
                                    ChangeOrigin origin) {
  Status status;
  if (table.indexes.empty()) {
    status = updated != nullptr ? engine_.Put(catalog_.items(), storage_key, encoded)
                                : engine_.Delete(catalog_.items(), storage_key);
  } else {
    storage::WriteBatch batch;
    StageItemChange(batch, catalog_.items(), table, storage_key, old, updated, encoded);
    status = engine_.Write(batch);
  }
  if (status.ok()) Notify(table, old, updated, origin);
  return status;
}

std::vector<size_t> DynamoDbService::Claim(const std::vector<std::string>& keys) {
  std::lock_guard lock(claims_mutex_);
  std::vector<size_t> conflicts;
  for (size_t i = 0; i < keys.size(); ++i)
    if (claimed_.count(keys[i])) conflicts.push_back(i);
  if (!conflicts.empty()) return conflicts;
  for (const auto& key : keys) claimed_.insert(key);
  claim_count_.fetch_add(keys.size());
  return conflicts;
}

void DynamoDbService::Release(const std::vector<std::string>& keys) {
  std::lock_guard lock(claims_mutex_);
  for (const auto& key : keys) claimed_.erase(key);
  claim_count_.fetch_sub(keys.size());
}

bool DynamoDbService::Claimed(const std::string& storage_key) {
  if (claim_count_.load() == 0) return false;
  std::lock_guard lock(claims_mutex_);
  return claimed_.count(storage_key) > 0;
}

void DynamoDbService::LockBarrier() {
  for (auto& lock : locks_) std::lock_guard hold(lock);
}

void DynamoDbService::CountItems(uint64_t id, int64_t* items, int64_t* bytes) const {
  *items = 0;
  *bytes = 0;
  auto iterator = engine_.NewIterator(catalog_.items(), TableEnd(id));
  for (iterator->Seek(TablePrefix(id)); iterator->Valid(); iterator->Next()) {
    ++*items;
    *bytes += static_cast<int64_t>(EncodedItemSize(iterator->value()));
  }
}

}  // namespace lamina::dynamodb
