#pragma once

// The tables of every account and region: their schema and description, persisted in the
// "dynamodb_tables" keyspace and cached in memory. Items live in "dynamodb_items" under the
// table's numeric id (never its name), so a re-created table starts empty.
//
// Thread-safety: every method may be called from any thread.

#include <atomic>
#include <boost/json.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/expected.h"
#include "dynamodb/attribute_value.h"
#include "protocol/aws_error.h"
#include "storage/engine.h"

namespace lamina::dynamodb {

struct KeyAttribute {
  std::string name;
  Type type = Type::kS;
};

// A secondary index. Its entries live in the items keyspace under the index's own id:
// index id · hash(index partition key) · index partition key · [index sort key] · table key,
// each holding the item as the index projects it (see indexes.h).
struct Index {
  enum class Projection { kKeysOnly, kInclude, kAll };

  std::string name;
  uint64_t id = 0;  // storage prefix of its entries; assigned by the catalog
  bool global = true;
  KeyAttribute partition_key;
  std::optional<KeyAttribute> sort_key;
  Projection projection = Projection::kAll;
  std::vector<std::string> non_key_attributes;  // INCLUDE's NonKeyAttributes
  // CREATING while a GSI added by UpdateTable is backfilled, then ACTIVE.
  std::string status = "ACTIVE";
  // A GSI's ProvisionedThroughput (0 when the table is billed per request).
  int64_t read_units = 0;
  int64_t write_units = 0;
};

// Set on a table's description once the catalog holds a newer one, so a writer that looked the
// table up before a schema change can tell, under its item lock, that it must look again.
class SupersededFlag {
 public:
  SupersededFlag() = default;
  SupersededFlag(const SupersededFlag&) {}
  SupersededFlag& operator=(const SupersededFlag&) { return *this; }
  void Set() const { value_.store(true, std::memory_order_release); }
  bool IsSet() const { return value_.load(std::memory_order_acquire); }

 private:
  mutable std::atomic<bool> value_{false};
};

struct Table {
  uint64_t id = 0;  // storage prefix of its items
  std::string account;
  std::string region;
  std::string name;
  KeyAttribute partition_key;
  std::optional<KeyAttribute> sort_key;
  // The persisted part of DescribeTable's TableDescription (no ItemCount, TableSizeBytes).
  json::object description;
  // [{"Key": k, "Value": v}], in the order added.
  json::array tags;
  std::string arn;
  // The TTL attribute when time to live is enabled (UpdateTimeToLive); empty when disabled.
  std::string ttl_attribute;
  // Local indexes first, then global ones, in the order created.
  std::vector<Index> indexes;
  SupersededFlag superseded;

  const Index* FindIndex(std::string_view index_name) const;
};

class Catalog {
 public:
  // The storage keyspaces DynamoDB uses.
  static constexpr const char* kTablesKeyspace = "dynamodb_tables";
  static constexpr const char* kItemsKeyspace = "dynamodb_items";

  explicit Catalog(storage::Engine& engine);

  // Reads every table from storage. Call once before serving.
  Status Load();
  // Forgets cached tables (after the engine was reset).
  void Reset();

  std::shared_ptr<const Table> Find(std::string_view account, std::string_view region,
                                    std::string_view name) const;
  std::shared_ptr<const Table> FindByArn(std::string_view arn) const;
  // Stores a new table, assigning its id. ResourceInUseException when the name is taken.
  Expected<std::shared_ptr<const Table>, AwsError> Create(Table table);
  // Replaces a table's description, tags or indexes (same id), assigning ids to new indexes;
  // the replaced description is marked superseded. Returns what is now stored.
  Expected<std::shared_ptr<const Table>, AwsError> Update(std::shared_ptr<Table> table);
  // Deletes every entry of a removed index.
  Status DropIndexEntries(uint64_t index_id);
  // Removes the table and all of its items at once.
  Expected<std::shared_ptr<const Table>, AwsError> Delete(std::string_view account,
                                                          std::string_view region,
                                                          std::string_view name);
  // Every table of every account and region (the TTL sweeper's work list).
  std::vector<std::shared_ptr<const Table>> All() const;
  // Table names of one account and region, sorted.
  std::vector<std::string> List(std::string_view account, std::string_view region) const;

  storage::Engine& engine() const { return engine_; }
  storage::Keyspace* items() const { return items_; }

 private:
  static std::string Key(std::string_view account, std::string_view region, std::string_view name);

  storage::Engine& engine_;
  storage::Keyspace* tables_;
  storage::Keyspace* items_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Table>> by_key_;
  uint64_t next_id_ = 1;
};

}  // namespace lamina::dynamodb
