// BatchGetItem and BatchWriteItem.

#include <algorithm>
#include <set>

#include "dynamodb/expressions/evaluate.h"
#include "dynamodb/indexes.h"
#include "dynamodb/item_codec.h"
#include "dynamodb/request.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

Expected<const json::object*, AwsError> RequestItems(const json::object& input) {
  const json::value* wire = input.if_contains("RequestItems");
  if (wire == nullptr || wire->is_null()) return Unexpected(MissingMember("requestItems"));
  if (!wire->is_object()) return Unexpected(errors::Serialization("RequestItems must be a map"));
  if (wire->get_object().empty())
    return Unexpected(errors::Validation(
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"));
  return &wire->get_object();
}

Expected<std::shared_ptr<const Table>, AwsError> TableNamed(const Catalog& catalog,
                                                            const OperationRequest& request,
                                                            std::string_view name) {
  auto valid = ValidateTableName(name, "requestItems.key");
  if (!valid) return Unexpected(valid.error());
  auto table = catalog.Find(request.context.account_id, request.context.region, name);
  if (!table) return Unexpected(errors::TableNotFound(std::string(name)));
  return table;
}

}  // namespace

OperationResult DynamoDbService::BatchGetItem(OperationRequest& request) {
  auto request_items = RequestItems(request.input);
  if (!request_items) return Unexpected(request_items.error());

  struct TableRequest {
    std::shared_ptr<const Table> table;
    std::string name;
    std::vector<PrimaryKey> keys;
    Expressions expressions;
    bool consistent = false;
    json::object echo;  // the request minus Keys, for UnprocessedKeys
  };
  std::vector<TableRequest> tables;
  size_t total_keys = 0;
  for (const auto& member : **request_items) {
    TableRequest entry;
    entry.name = std::string(member.key());
    auto table = TableNamed(catalog_, request, entry.name);
    if (!table) return Unexpected(table.error());
    entry.table = *table;
    if (!member.value().is_object())
      return Unexpected(errors::Serialization("RequestItems values must be objects"));
    const json::object& spec = member.value().get_object();
    const json::value* keys = spec.if_contains("Keys");
    if (keys == nullptr || !keys->is_array() || keys->get_array().empty())
      return Unexpected(errors::Validation(
          "1 validation error detected: Value at 'requestItems." + entry.name +
          ".member.keys' failed to satisfy constraint: Member must have length greater than or "
          "equal to 1"));
    std::set<std::string> seen;
    for (const auto& wire : keys->get_array()) {
      auto key = ParseKey(*entry.table, &wire);
      if (!key) return Unexpected(key.error());
      if (!seen.insert(key->storage_key).second)
        return Unexpected(errors::Validation("Provided list of item keys contains duplicates"));
      entry.keys.push_back(std::move(*key));
    }
    total_keys += entry.keys.size();
    auto consistent = OptionalBool(spec, "ConsistentRead");
    if (!consistent) return Unexpected(consistent.error());
    entry.consistent = consistent->value_or(false);
    auto expressions = ParseExpressions(spec, {.projection = true});
    if (!expressions) return Unexpected(expressions.error());
    entry.expressions = std::move(*expressions);
    entry.echo = spec;
    entry.echo.erase("Keys");
    tables.push_back(std::move(entry));
  }
  if (total_keys > kMaxBatchGetKeys)
    return Unexpected(errors::Validation("Too many items requested for the BatchGetItem call"));

  json::object responses;
  json::object unprocessed;
  json::array capacities;
  size_t bytes = 0;
  bool full = false;
  for (auto& entry : tables) {
    json::array items;
    json::array left;
    size_t table_bytes = 0;
    for (const auto& key : entry.keys) {
      if (full) {
        left.push_back(ToJson(key.attributes));
        continue;
      }
      auto item = ReadItem(key.storage_key);
      if (!item) return Unexpected(item.error());
      if (!*item) continue;
      size_t size = ItemSize(**item);
      // A reply never exceeds 16 MB: the item that would cross it, and every key after it,
      // go back as UnprocessedKeys.
      if (bytes + size > kMaxBatchGetBytes) {
        full = true;
        left.push_back(ToJson(key.attributes));
        continue;
      }
      bytes += size;
      table_bytes += size;
      items.push_back(entry.expressions.projection
                          ? ToJson(expr::Project(**item, *entry.expressions.projection))
                          : ToJson(**item));
    }
    responses[entry.name] = std::move(items);
    if (!left.empty()) {
      json::object spec = entry.echo;
      spec["Keys"] = std::move(left);
      unprocessed[entry.name] = std::move(spec);
    }
    if (auto capacity = ConsumedCapacity(request.input, *entry.table,
                                         ReadUnits(table_bytes, entry.consistent), false))
      capacities.push_back(std::move(*capacity));
  }
  json::object output{{"Responses", std::move(responses)},
                      {"UnprocessedKeys", std::move(unprocessed)}};
  if (!capacities.empty()) output["ConsumedCapacity"] = std::move(capacities);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

OperationResult DynamoDbService::BatchWriteItem(OperationRequest& request) {
  auto request_items = RequestItems(request.input);
  if (!request_items) return Unexpected(request_items.error());

  struct Write {
    std::shared_ptr<const Table> table;
    std::string storage_key;
    std::optional<std::string> encoded;  // nullopt: delete
    std::optional<Item> item;            // what a put writes
    size_t size = 0;
  };
  std::vector<Write> writes;
  std::map<std::string, std::pair<std::shared_ptr<const Table>, double>> units_by_table;
  size_t total = 0;
  for (const auto& member : **request_items) {
    std::string name(member.key());
    auto table = TableNamed(catalog_, request, name);
    if (!table) return Unexpected(table.error());
    if (!member.value().is_array())
      return Unexpected(errors::Serialization("RequestItems values must be lists"));
    const json::array& requests = member.value().get_array();
    total += requests.size();
    if (requests.empty() || total > kMaxBatchWriteRequests)
      return Unexpected(errors::Validation(
          "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
          "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
          "Member must have length greater than or equal to 1]"));
    std::set<std::string> seen;
    for (const auto& wire : requests) {
      if (!wire.is_object())
        return Unexpected(errors::Serialization("WriteRequest must be an object"));
      const json::value* put = wire.get_object().if_contains("PutRequest");
      const json::value* del = wire.get_object().if_contains("DeleteRequest");
      bool has_put = put != nullptr && !put->is_null();
      bool has_delete = del != nullptr && !del->is_null();
      if (has_put == has_delete)
        return Unexpected(errors::Validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes"));
      Write write;
      write.table = *table;
      if (has_put) {
        const json::value* item_wire =
            put->is_object() ? put->get_object().if_contains("Item") : nullptr;
        if (item_wire == nullptr)
          return Unexpected(MissingMember("requestItems." + name + ".member.putRequest.item"));
        auto item = ParseAttributeMap(*item_wire);
        if (!item) return Unexpected(errors::FromValueError(item.error()));
        auto key = KeyOfItem(**table, *item);
        if (!key) return Unexpected(key.error());
        write.size = ItemSize(*item);
        if (write.size > kMaxItemBytes)
          return Unexpected(errors::Validation("Item size has exceeded the maximum allowed size"));
        write.storage_key = std::move(key->storage_key);
        write.encoded = EncodeItem(*item);
        write.item = std::move(*item);
      } else {
        const json::value* key_wire =
            del->is_object() ? del->get_object().if_contains("Key") : nullptr;
        auto key = ParseKey(**table, key_wire);
        if (!key) return Unexpected(key.error());
        write.storage_key = std::move(key->storage_key);
      }
      if (!seen.insert(write.storage_key).second)
        return Unexpected(errors::Validation("Provided list of item keys contains duplicates"));
      auto& [unit_table, units] = units_by_table[name];
      unit_table = *table;
      units += WriteUnits(write.size);
      writes.push_back(std::move(write));
    }
  }

  // Lock every item's stripe (in stripe order, so batches never deadlock), then write all.
  std::vector<std::string> keys;
  for (const auto& write : writes) keys.push_back(write.storage_key);
  auto held = LockAll(keys);
  storage::WriteBatch batch;
  std::vector<std::optional<Item>> olds;
  for (auto& write : writes) {
    auto table = TableNow(write.table);
    if (!table) return Unexpected(table.error());
    write.table = *table;
    if (write.item) {
      if (auto valid = CheckIndexKeys(**table, *write.item); !valid)
        return Unexpected(valid.error());
    }
    std::optional<Item> old;
    // The old item: its index entries go, and a listener is told of it.
    if (!(*table)->indexes.empty() || listener_) {
      auto current = ReadItem(write.storage_key);
      if (!current) return Unexpected(current.error());
      old = std::move(*current);
    }
    StageItemChange(batch, catalog_.items(), **table, write.storage_key, old ? &*old : nullptr,
                    write.item ? &*write.item : nullptr, write.encoded.value_or(""));
    olds.push_back(std::move(old));
  }
  Status status = engine_.Write(batch);
  if (status.ok() && listener_) {
    for (size_t i = 0; i < writes.size(); ++i)
      Notify(*writes[i].table, olds[i] ? &*olds[i] : nullptr,
             writes[i].item ? &*writes[i].item : nullptr);
  }
  held.clear();
  if (!status.ok()) return Unexpected(errors::Internal("cannot write items: " + status.message()));

  json::object output{{"UnprocessedItems", json::object()}};
  json::array capacities;
  for (const auto& [name, entry] : units_by_table)
    if (auto capacity = ConsumedCapacity(request.input, *entry.first, entry.second, true))
      capacities.push_back(std::move(*capacity));
  if (!capacities.empty()) output["ConsumedCapacity"] = std::move(capacities);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

}  // namespace lamina::dynamodb
