#pragma once

// Amazon DynamoDB (awsJson 1.0, X-Amz-Target DynamoDB_20120810.*). One dispatch table in
// service.cc maps each operation to its handler; handlers live by family in table_ops.cc,
// item_ops.cc, query_ops.cc, batch_ops.cc, transact_ops.cc and partiql.cc.
//
// Thread-safety: handlers run concurrently. Read-modify-write on one item is serialized by a
// striped lock, so conditional writes are linearizable.

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "dynamodb/catalog.h"
#include "protocol/service.h"
#include "storage/engine.h"

namespace lamina::dynamodb {

struct PrimaryKey;
struct Expressions;

class DynamoDbService {
 public:
  DynamoDbService(storage::Engine& engine, Clock& clock);

  // Loads the tables from storage; call before serving.
  Status Load();
  // Drops cached state after the engine was reset.
  void Reset();
  ServiceDescriptor Describe();

  // table_ops.cc — https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_<Name>.html
  OperationResult CreateTable(OperationRequest& request);
  OperationResult DescribeTable(OperationRequest& request);
  OperationResult ListTables(OperationRequest& request);
  OperationResult DeleteTable(OperationRequest& request);
  OperationResult TagResource(OperationRequest& request);
  OperationResult UntagResource(OperationRequest& request);
  OperationResult ListTagsOfResource(OperationRequest& request);
  OperationResult DescribeLimits(OperationRequest& request);
  OperationResult DescribeEndpoints(OperationRequest& request);

  // item_ops.cc
  OperationResult PutItem(OperationRequest& request);
  OperationResult GetItem(OperationRequest& request);
  OperationResult UpdateItem(OperationRequest& request);
  OperationResult DeleteItem(OperationRequest& request);

  // query_ops.cc
  OperationResult Query(OperationRequest& request);
  OperationResult Scan(OperationRequest& request);

  // batch_ops.cc
  OperationResult BatchGetItem(OperationRequest& request);
  OperationResult BatchWriteItem(OperationRequest& request);

  // transact_ops.cc
  OperationResult TransactWriteItems(OperationRequest& request);
  OperationResult TransactGetItems(OperationRequest& request);

  // partiql.cc
  OperationResult ExecuteStatement(OperationRequest& request);
  // Up to 25 statements, each run on its own, all reads or all writes: the reply is 200 with one
  // response per statement, in order, each holding its Item or its Error.
  OperationResult BatchExecuteStatement(OperationRequest& request);
  // Up to 100 statements, all writes (one TransactWriteItems) or all reads of whole keys (one
  // TransactGetItems); a cancelled transaction gives its reasons in statement order.
  OperationResult ExecuteTransaction(OperationRequest& request);

  // ttl.cc
  OperationResult UpdateTimeToLive(OperationRequest& request);
  OperationResult DescribeTimeToLive(OperationRequest& request);
  // Deletes up to `max_deletes` expired items across every table with time to live enabled:
  // items whose TTL attribute is a Number of epoch seconds in the past of the services' clock
  // (and not more than five years in the past: DynamoDB ignores those). Each deletion checks
  // again under the item's lock, so an update that extends the TTL meanwhile wins. Returns the
  // number deleted.
  size_t SweepExpired(size_t max_deletes);

 private:
  // The stored item at `storage_key`, or nullopt when absent.
  Expected<std::optional<Item>, AwsError> ReadItem(const std::string& storage_key) const;
  std::mutex& LockFor(std::string_view storage_key);
  // The locks of every key, taken in index order (so two callers cannot deadlock).
  std::vector<std::unique_lock<std::mutex>> LockAll(const std::vector<std::string>& storage_keys);
  // Counts a table's items and bytes (DescribeTable's ItemCount and TableSizeBytes).
  void CountItems(const Table& table, int64_t* items, int64_t* bytes) const;
  json::object DescribeTableJson(const Table& table, bool with_counts) const;

  storage::Engine& engine_;
  Clock& clock_;
  Catalog catalog_;
  std::array<std::mutex, 1024> locks_;
  // TransactWriteItems' ClientRequestToken → (request fingerprint, when), kept 10 minutes.
  std::mutex tokens_mutex_;
  std::map<std::string, std::pair<std::string, double>> tokens_;
};

}  // namespace lamina::dynamodb
