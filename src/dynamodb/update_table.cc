// UpdateTable: billing mode, provisioned throughput, streams, table class, deletion protection,
// and global secondary indexes created (backfilled in the background: CREATING, then ACTIVE),
// changed or deleted.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html

#include <set>

#include "common/log.h"
#include "dynamodb/indexes.h"
#include "dynamodb/item_codec.h"
#include "dynamodb/request.h"
#include "dynamodb/schema.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

// How many keys the backfill reads per pass (each then written under its own lock).
constexpr size_t kBackfillBatch = 256;

Index* FindGlobal(Table& table, std::string_view name) {
  for (Index& index : table.indexes)
    if (index.global && index.name == name) return &index;
  return nullptr;
}

// The GSI an Update or Delete action names (its IndexName at `path`), or the error.
Expected<Index*, AwsError> ExistingGlobal(Table& table, const json::value& action,
                                          const std::string& path) {
  if (!action.is_object())
    return Unexpected(errors::Serialization("GlobalSecondaryIndexUpdate actions must be objects"));
  auto name = OptionalString(action.get_object(), "IndexName");
  if (!name) return Unexpected(name.error());
  if (!name->has_value()) return Unexpected(MissingMember(path + ".indexName"));
  Index* index = FindGlobal(table, **name);
  if (index == nullptr)
    return Unexpected(errors::ResourceNotFound(
        "Requested resource not found: Index: " + std::string(**name) + " not found"));
  return index;
}

// Sets a throughput object to new units, stamping when it last rose or fell as DynamoDB does.
void SetThroughput(json::object& throughput, int64_t read, int64_t write, double now) {
  int64_t old_read = throughput["ReadCapacityUnits"].to_number<int64_t>();
  int64_t old_write = throughput["WriteCapacityUnits"].to_number<int64_t>();
  if (read > old_read || write > old_write) throughput["LastIncreaseDateTime"] = now;
  if ((read < old_read || write < old_write) && old_read > 0) {
    throughput["LastDecreaseDateTime"] = now;
    throughput["NumberOfDecreasesToday"] =
        throughput["NumberOfDecreasesToday"].to_number<int64_t>() + 1;
  }
  throughput["ReadCapacityUnits"] = read;
  throughput["WriteCapacityUnits"] = write;
}

// AttributeDefinitions listing exactly the key attributes of the table and its indexes.
json::array UsedDefinitions(const Table& table, const AttributeTypes& defined) {
  std::set<std::string, std::less<>> used = KeyAttributeNames(table);
  json::array definitions;
  for (const auto& [name, type] : defined)
    if (used.count(name))
      definitions.push_back(
          json::object{{"AttributeName", name}, {"AttributeType", TypeName(type)}});
  return definitions;
}

}  // namespace

OperationResult DynamoDbService::UpdateTable(OperationRequest& request) {
  const json::object& input = request.input;
  std::lock_guard schema_lock(schema_mutex_);
  auto found = FindTable(catalog_, request, input);
  if (!found) return Unexpected(found.error());
  auto table = std::make_shared<Table>(**found);
  json::object& description = table->description;
  double now = EpochSeconds(clock_.Now());
  bool changed = false;

  // AttributeDefinitions: what new index keys need, merged with the table's.
  AttributeTypes defined = DefinedAttributes(description);
  if (const json::value* wire = input.if_contains("AttributeDefinitions");
      wire != nullptr && !wire->is_null()) {
    if (!wire->is_array())
      return Unexpected(errors::Serialization("AttributeDefinitions must be a list"));
    auto given = ParseAttributeDefinitions(wire->get_array());
    if (!given) return Unexpected(given.error());
    for (const auto& [name, type] : *given) {
      auto existing = defined.find(name);
      if (existing != defined.end() && existing->second != type)
        return Unexpected(
            errors::InvalidParameters("Cannot change the type of key attribute " + name));
      defined[name] = type;
    }
  }

  // BillingMode and the table's ProvisionedThroughput.
  json::object& billing = description["BillingModeSummary"].as_object();
  std::string current_mode(billing.at("BillingMode").as_string());
  auto mode = OptionalEnum(input, "BillingMode", {"PROVISIONED", "PAY_PER_REQUEST"}, "billingMode");
  if (!mode) return Unexpected(mode.error());
  std::string new_mode(mode->value_or(current_mode));
  bool pay_per_request = new_mode == "PAY_PER_REQUEST";
  const json::value* throughput = input.if_contains("ProvisionedThroughput");
  bool has_throughput = throughput != nullptr && !throughput->is_null();
  if (pay_per_request && has_throughput)
    return Unexpected(errors::InvalidParameters(
        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
        "BillingMode is PAY_PER_REQUEST"));
  if (!pay_per_request && current_mode == "PAY_PER_REQUEST" && !has_throughput)
    return Unexpected(
        errors::InvalidParameters("ProvisionedThroughput must be specified when BillingMode is "
                                  "PROVISIONED"));
  json::object& table_throughput = description["ProvisionedThroughput"].as_object();
  if (new_mode != current_mode) {
    changed = true;
    billing["BillingMode"] = new_mode;
    if (pay_per_request) {
      billing["LastUpdateToPayPerRequestDateTime"] = now;
      table_throughput["ReadCapacityUnits"] = 0;
      table_throughput["WriteCapacityUnits"] = 0;
      for (Index& index : table->indexes) index.read_units = index.write_units = 0;
    }
  }
  if (has_throughput) {
    auto units = ParseThroughput(*throughput, "provisionedThroughput");
    if (!units) return Unexpected(units.error());
    int64_t read = table_throughput["ReadCapacityUnits"].to_number<int64_t>();
    int64_t write = table_throughput["WriteCapacityUnits"].to_number<int64_t>();
    if (units->first == read && units->second == write && new_mode == current_mode &&
        input.if_contains("GlobalSecondaryIndexUpdates") == nullptr)
      return Unexpected(errors::Validation(
          "The provisioned throughput for the table will not change. The requested value equals "
          "the current value. Current ReadCapacityUnitsForTable: " +
          std::to_string(read) +
          ". Requested ReadCapacityUnitsForTable: " + std::to_string(units->first) +
          ". Current WriteCapacityUnitsForTable: " + std::to_string(write) +
          ". Requested WriteCapacityUnitsForTable: " + std::to_string(units->second) + "."));
    SetThroughput(table_throughput, units->first, units->second, now);
    changed = true;
  }

  // GlobalSecondaryIndexUpdates: Create, Update, Delete.
  std::string created;
  std::vector<Index> deleted;
  if (const json::value* updates = input.if_contains("GlobalSecondaryIndexUpdates");
      updates != nullptr && !updates->is_null()) {
    if (!updates->is_array())
      return Unexpected(errors::Serialization("GlobalSecondaryIndexUpdates must be a list"));
    for (size_t i = 0; i < updates->get_array().size(); ++i) {
      const json::value& update = updates->get_array()[i];
      if (!update.is_object())
        return Unexpected(errors::Serialization("GlobalSecondaryIndexUpdates must list objects"));
      std::string path = "globalSecondaryIndexUpdates." + std::to_string(i + 1) + ".member";
      const json::value* create = update.get_object().if_contains("Create");
      const json::value* change = update.get_object().if_contains("Update");
      const json::value* remove = update.get_object().if_contains("Delete");
      int actions = (create && !create->is_null()) + (change && !change->is_null()) +
                    (remove && !remove->is_null());
      if (actions != 1)
        return Unexpected(errors::InvalidParameters(
            "One of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update or "
            "GlobalSecondaryIndexUpdate.Delete must be specified"));
      bool online = create != nullptr && !create->is_null();
      if (online || (remove != nullptr && !remove->is_null())) {
        bool busy = !created.empty() || !deleted.empty();
        for (const Index& index : table->indexes) busy = busy || index.status != "ACTIVE";
        if (busy)
          return Unexpected(errors::LimitExceeded(
              "Subscriber limit exceeded: Only 1 online index can be created or deleted "
              "simultaneously per table"));
      }
      if (online) {
        auto index = ParseIndex(*create, true, path + ".create", *table, defined, pay_per_request);
        if (!index) return Unexpected(index.error());
        if (table->FindIndex(index->name) != nullptr)
          return Unexpected(
              errors::InvalidParameters("Index with name " + index->name + " already exists"));
        index->status = "CREATING";
        created = index->name;
        table->indexes.push_back(std::move(*index));
      } else if (change != nullptr && !change->is_null()) {
        auto found = ExistingGlobal(*table, *change, path + ".update");
        if (!found) return Unexpected(found.error());
        Index* index = *found;
        const json::value* units_wire = change->get_object().if_contains("ProvisionedThroughput");
        if (pay_per_request && units_wire != nullptr && !units_wire->is_null())
          return Unexpected(errors::InvalidParameters(
              "ProvisionedThroughput should not be specified for index: " + index->name +
              " when BillingMode is PAY_PER_REQUEST"));
        if (units_wire == nullptr || units_wire->is_null()) {
          if (!pay_per_request)
            return Unexpected(MissingMember(path + ".update.provisionedThroughput"));
          continue;
        }
        auto units = ParseThroughput(*units_wire, path + ".update.provisionedThroughput");
        if (!units) return Unexpected(units.error());
        index->read_units = units->first;
        index->write_units = units->second;
      } else {
        auto found = ExistingGlobal(*table, *remove, path + ".delete");
        if (!found) return Unexpected(found.error());
        Index* index = *found;
        deleted.push_back(*index);
        table->indexes.erase(table->indexes.begin() + (index - table->indexes.data()));
      }
      changed = true;
    }
  }
  if (!pay_per_request) {
    for (const Index& index : table->indexes)
      if (index.global && index.read_units == 0)
        return Unexpected(errors::InvalidParameters(
            "ProvisionedThroughput must be specified for index: " + index.name));
  }
  if (auto limits = CheckIndexLimits(table->indexes); !limits) return Unexpected(limits.error());
  description["AttributeDefinitions"] = UsedDefinitions(*table, defined);

  // StreamSpecification.
  auto stream = ParseStreamSpecification(input);
  if (!stream) return Unexpected(stream.error());
  if (*stream) {
    const json::value* current = description.if_contains("StreamSpecification");
    bool enabled = current != nullptr && current->at("StreamEnabled").as_bool();
    if ((*stream)->enabled && enabled)
      return Unexpected(
          errors::Validation("Table already has an enabled stream: TableName: " + table->name));
    if (!(*stream)->enabled && !enabled)
      return Unexpected(
          errors::Validation("Table has no stream to disable: TableName: " + table->name));
    if ((*stream)->enabled)
      StartStream(description, table->arn, (*stream)->view_type, clock_.Now());
    else
      description.erase("StreamSpecification");
    changed = true;
  }

  // TableClass and DeletionProtectionEnabled.
  auto table_class =
      OptionalEnum(input, "TableClass", {"STANDARD", "STANDARD_INFREQUENT_ACCESS"}, "tableClass");
  if (!table_class) return Unexpected(table_class.error());
  if (table_class->has_value()) {
    description["TableClassSummary"] =
        json::object{{"TableClass", **table_class}, {"LastUpdateDateTime", now}};
    changed = true;
  }
  auto protection = OptionalBool(input, "DeletionProtectionEnabled");
  if (!protection) return Unexpected(protection.error());
  if (protection->has_value()) {
    description["DeletionProtectionEnabled"] = **protection;
    changed = true;
  }
  if (!changed)
    return Unexpected(errors::Validation(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
        "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"));

  auto stored = catalog_.Update(table);
  if (!stored) return Unexpected(stored.error());
  // Writers that saw the deleted index finish before its entries go.
  if (!deleted.empty()) LockBarrier();
  for (const Index& index : deleted)
    if (Status status = catalog_.DropIndexEntries(index.id); !status.ok())
      LogWarn("dynamodb: cannot drop the entries of a deleted index: " + status.message());
  if (!created.empty()) {
    const Index* index = (*stored)->FindIndex(created);
    StartBackfill(*stored, index->id);
  }

  json::object reply = DescribeTableJson(**stored, false);
  reply["TableStatus"] = "UPDATING";
  if (json::value* global = reply.if_contains("GlobalSecondaryIndexes")) {
    for (auto& entry : global->as_array())
      if (entry.at("IndexName").as_string() == created) entry.as_object()["Backfilling"] = false;
  }
  for (const Index& index : deleted) {
    json::object entry = DescribeIndex(**stored, index, 0, 0);
    entry["IndexStatus"] = "DELETING";
    if (!reply.contains("GlobalSecondaryIndexes")) reply["GlobalSecondaryIndexes"] = json::array();
    reply["GlobalSecondaryIndexes"].as_array().push_back(std::move(entry));
  }
  OperationResponse response;
  response.output = json::object{{"TableDescription", std::move(reply)}};
  return response;
}

void DynamoDbService::StartBackfill(std::shared_ptr<const Table> table, uint64_t index_id) {
  std::lock_guard lock(background_mutex_);
  backfills_.emplace_back(
      [this, table = std::move(table), index_id] { Backfill(table, index_id); });
}

void DynamoDbService::StopBackground() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(background_mutex_);
    threads.swap(backfills_);
    stopping_ = true;
  }
  for (auto& thread : threads) thread.join();
  stopping_ = false;
}

void DynamoDbService::Backfill(std::shared_ptr<const Table> table, uint64_t index_id) {
  // Every writer from now on sees the new index and keeps it in step itself; the backfill
  // writes the entries of the items already there, each under the item's lock.
  LockBarrier();
  std::string from = TablePrefix(table->id);
  while (!stopping_) {
    std::vector<std::string> keys;
    {
      auto iterator = engine_.NewIterator(catalog_.items(), TableEnd(table->id));
      for (iterator->Seek(from); iterator->Valid() && keys.size() < kBackfillBatch;
           iterator->Next())
        keys.emplace_back(iterator->key());
      if (!iterator->status().ok()) {
        LogError("dynamodb: index backfill cannot read items: " + iterator->status().message());
        return;
      }
    }
    if (keys.empty()) break;
    for (const std::string& key : keys) {
      std::lock_guard lock(LockFor(key));
      auto now = TableNow(table);
      if (!now) return;  // the table is gone
      table = *now;
      const Index* index = nullptr;
      for (const Index& candidate : table->indexes)
        if (candidate.id == index_id) index = &candidate;
      if (index == nullptr) return;  // the index was deleted meanwhile
      auto item = ReadItem(key);
      if (!item || !*item) continue;
      // Items whose index key has another type are left out, as DynamoDB's backfill does.
      auto entry = IndexEntryKey(*index, **item, key);
      if (!entry) continue;
      Status status =
          engine_.Put(catalog_.items(), *entry, EncodeItem(ProjectToIndex(*table, *index, **item)));
      if (!status.ok()) {
        LogError("dynamodb: index backfill cannot write: " + status.message());
        return;
      }
    }
    from = keys.back();
    from.push_back('\0');
  }
  if (stopping_) return;
  std::lock_guard schema_lock(schema_mutex_);
  auto current = catalog_.Find(table->account, table->region, table->name);
  if (!current || current->id != table->id) return;
  auto updated = std::make_shared<Table>(*current);
  for (Index& index : updated->indexes)
    if (index.id == index_id) index.status = "ACTIVE";
  if (auto stored = catalog_.Update(updated); !stored)
    LogError("dynamodb: cannot mark a backfilled index active: " + stored.error().message);
}

}  // namespace lamina::dynamodb
