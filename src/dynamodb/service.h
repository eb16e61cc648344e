#pragma once

// Amazon DynamoDB (awsJson 1.0, X-Amz-Target DynamoDB_20120810.*). One dispatch table in
// service.cc maps each operation to its handler; handlers live by family in table_ops.cc,
// item_ops.cc, query_ops.cc, batch_ops.cc, transact_ops.cc and partiql.cc.
//
// Thread-safety: handlers run concurrently. Read-modify-write on one item is serialized by a
// striped lock, so conditional writes are linearizable.

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "dynamodb/catalog.h"
#include "protocol/service.h"
#include "storage/engine.h"

namespace lamina::dynamodb {

struct PrimaryKey;
struct Expressions;

// Who made an item change: a caller, or DynamoDB itself deleting an expired item (a stream
// record of such a deletion names the service as its userIdentity).
enum class ChangeOrigin { kCaller, kTimeToLive };

// One committed item change: `old` null for a new item, `updated` null for a deletion.
struct ItemChange {
  const Table& table;
  const Item* old;
  const Item* updated;
  ChangeOrigin origin;
};
// Told of every committed item change, while the item's lock is still held (so the changes of
// one item arrive in the order they were made). Must not call back into the service.
using ChangeListener = std::function<void(const ItemChange&)>;

class DynamoDbService {
 public:
  DynamoDbService(storage::Engine& engine, Clock& clock);
  ~DynamoDbService();
  DynamoDbService(const DynamoDbService&) = delete;
  DynamoDbService& operator=(const DynamoDbService&) = delete;

  // Loads the tables from storage and resumes unfinished index backfills; call before serving.
  Status Load();
  // Drops cached state after the engine was reset.
  void Reset();
  // Stops background work (index backfills) and waits for it; before the engine is reset.
  void StopBackground();
  ServiceDescriptor Describe();
  // Installs the listener told of item changes (before serving; at most one).
  void SetChangeListener(ChangeListener listener) { listener_ = std::move(listener); }

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

  // update_table.cc
  OperationResult UpdateTable(OperationRequest& request);

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
  // Under an item's lock: the table as the catalog holds it now (a schema change may have come
  // since the request looked it up), or ResourceNotFoundException when it is gone.
  Expected<std::shared_ptr<const Table>, AwsError> TableNow(
      const std::shared_ptr<const Table>& table) const;
  // Writes one item change (`updated` null deletes) with its index entries, atomically, and
  // tells the listener.
  Status ApplyChange(const Table& table, const std::string& storage_key, const Item* old,
                     const Item* updated, std::string_view encoded,
                     ChangeOrigin origin = ChangeOrigin::kCaller);
  // Tells the listener of a change committed by a batch.
  void Notify(const Table& table, const Item* old, const Item* updated,
              ChangeOrigin origin = ChangeOrigin::kCaller) const {
    if (listener_) listener_(ItemChange{table, old, updated, origin});
  }
  // Waits until every item lock taken before the call is released (after a schema change, so
  // every later writer sees it).
  void LockBarrier();
  // The items a running TransactWriteItems holds, from before it takes their locks until after
  // it releases them. Claim returns the positions of `keys` another transaction holds (and then
  // claims nothing); Claimed is one atomic load while no transaction runs.
  std::vector<size_t> Claim(const std::vector<std::string>& keys);
  void Release(const std::vector<std::string>& keys);
  bool Claimed(const std::string& storage_key);
  // The locks of every key, taken in index order (so two callers cannot deadlock).
  std::vector<std::unique_lock<std::mutex>> LockAll(const std::vector<std::string>& storage_keys);
  // Writes the entries of a new index for the items already in the table, then marks it ACTIVE;
  // on a thread of its own.
  void StartBackfill(std::shared_ptr<const Table> table, uint64_t index_id);
  void Backfill(std::shared_ptr<const Table> table, uint64_t index_id);
  // Counts the items and bytes under a table's or an index's id (DescribeTable's ItemCount and
  // TableSizeBytes, an index's ItemCount and IndexSizeBytes).
  void CountItems(uint64_t id, int64_t* items, int64_t* bytes) const;
  json::object DescribeTableJson(const Table& table, bool with_counts) const;

  storage::Engine& engine_;
  Clock& clock_;
  Catalog catalog_;
  ChangeListener listener_;
  // Serializes schema changes (UpdateTable, an index becoming ACTIVE).
  std::mutex schema_mutex_;
  std::mutex background_mutex_;
  std::vector<std::thread> backfills_;
  std::atomic<bool> stopping_{false};
  std::array<std::mutex, 1024> locks_;
  std::mutex claims_mutex_;
  std::set<std::string, std::less<>> claimed_;
  std::atomic<size_t> claim_count_{0};
  // TransactWriteItems' ClientRequestToken → (request fingerprint, when), kept 10 minutes.
  std::mutex tokens_mutex_;
  std::map<std::string, std::pair<std::string, double>> tokens_;
};

}  // namespace lamina::dynamodb
