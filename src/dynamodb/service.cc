#include "dynamodb/service.h"

#include "common/hashing.h"
#include "dynamodb/errors.h"
#include "dynamodb/item_codec.h"

namespace lamina::dynamodb {

DynamoDbService::DynamoDbService(storage::Engine& engine, Clock& clock)
    : engine_(engine), clock_(clock), catalog_(engine) {}

Status DynamoDbService::Load() { return catalog_.Load(); }

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

void DynamoDbService::CountItems(const Table& table, int64_t* items, int64_t* bytes) const {
  *items = 0;
  *bytes = 0;
  auto iterator = engine_.NewIterator(catalog_.items(), TableEnd(table.id));
  for (iterator->Seek(TablePrefix(table.id)); iterator->Valid(); iterator->Next()) {
    ++*items;
    auto item = DecodeItem(iterator->value());
    if (item) *bytes += static_cast<int64_t>(ItemSize(*item));
  }
}

}  // namespace lamina::dynamodb
