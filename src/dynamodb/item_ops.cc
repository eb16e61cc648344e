// PutItem, GetItem, UpdateItem, DeleteItem.

#include <algorithm>

#include "dynamodb/expressions/evaluate.h"
#include "dynamodb/expressions/update.h"
#include "dynamodb/indexes.h"
#include "dynamodb/item_codec.h"
#include "dynamodb/request.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

enum class Returns { kNone, kAllOld, kUpdatedOld, kAllNew, kUpdatedNew };

Expected<Returns, AwsError> ParseReturnValues(const json::object& input, bool update_allowed) {
  auto value =
      OptionalEnum(input, "ReturnValues",
                   {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}, "returnValues");
  if (!value) return Unexpected(value.error());
  std::string_view text = value->value_or("NONE");
  if (!update_allowed && text != "NONE" && text != "ALL_OLD")
    return Unexpected(errors::Validation("ReturnValues can only be ALL_OLD or NONE"));
  if (text == "ALL_OLD") return Returns::kAllOld;
  if (text == "UPDATED_OLD") return Returns::kUpdatedOld;
  if (text == "ALL_NEW") return Returns::kAllNew;
  if (text == "UPDATED_NEW") return Returns::kUpdatedNew;
  return Returns::kNone;
}

// ReturnValuesOnConditionCheckFailure=ALL_OLD.
Expected<bool, AwsError> OldItemOnFailure(const json::object& input) {
  auto value = OptionalEnum(input, "ReturnValuesOnConditionCheckFailure", {"ALL_OLD", "NONE"},
                            "returnValuesOnConditionCheckFailure");
  if (!value) return Unexpected(value.error());
  return value->has_value() && **value == "ALL_OLD";
}

bool WantsCapacity(const json::object& input) {
  const json::value* mode = input.if_contains("ReturnConsumedCapacity");
  return mode != nullptr && mode->is_string() && mode->get_string() != "NONE";
}

// Validates ReturnConsumedCapacity and ReturnItemCollectionMetrics (accepted, as DynamoDB).
Expected<void, AwsError> ValidateReturnOptions(const json::object& input) {
  auto capacity = OptionalEnum(input, "ReturnConsumedCapacity", {"INDEXES", "TOTAL", "NONE"},
                               "returnConsumedCapacity");
  if (!capacity) return Unexpected(capacity.error());
  auto metrics = OptionalEnum(input, "ReturnItemCollectionMetrics", {"SIZE", "NONE"},
                              "returnItemCollectionMetrics");
  if (!metrics) return Unexpected(metrics.error());
  return {};
}

// Evaluates the request's condition against the current item (or an empty one); a false
// condition is ConditionalCheckFailedException, carrying the item when asked.
Expected<void, AwsError> CheckCondition(const Expressions& expressions,
                                        const std::optional<Item>& current, bool old_on_failure) {
  if (!expressions.condition) return {};
  static const Item kEmpty;
  auto passed = Check(*expressions.condition, current ? *current : kEmpty, "ConditionExpression");
  if (!passed) return Unexpected(passed.error());
  if (!*passed)
    return Unexpected(
        errors::ConditionalCheckFailed(old_on_failure && current ? &*current : nullptr));
  return {};
}

// What PutItem, UpdateItem and DeleteItem share: the table, ReturnValues,
// ReturnValuesOnConditionCheckFailure, the return options and the expressions.
struct WriteRequest {
  std::shared_ptr<const Table> table;
  PrimaryKey key;  // from the Key member (UpdateItem, DeleteItem); PutItem takes it from Item
  Returns returns = Returns::kNone;
  bool old_on_failure = false;
  Expressions expressions;
};

Expected<WriteRequest, AwsError> ParseWriteRequest(const Catalog& catalog,
                                                   const OperationRequest& request, bool is_update,
                                                   bool has_key_member) {
  const json::object& input = request.input;
  WriteRequest write;
  auto table = FindTable(catalog, request, input);
  if (!table) return Unexpected(table.error());
  write.table = std::move(*table);
  if (has_key_member) {
    auto key = ParseKey(*write.table, input.if_contains("Key"));
    if (!key) return Unexpected(key.error());
    write.key = std::move(*key);
  }
  auto returns = ParseReturnValues(input, is_update);
  if (!returns) return Unexpected(returns.error());
  write.returns = *returns;
  auto old_on_failure = OldItemOnFailure(input);
  if (!old_on_failure) return Unexpected(old_on_failure.error());
  write.old_on_failure = *old_on_failure;
  if (auto valid = ValidateReturnOptions(input); !valid) return Unexpected(valid.error());
  auto expressions = ParseExpressions(input, {.condition = true, .update = is_update});
  if (!expressions) return Unexpected(expressions.error());
  write.expressions = std::move(*expressions);
  return write;
}

void AddCapacity(json::object& output, const json::object& input, const Table& table, double units,
                 bool is_write) {
  if (auto capacity = ConsumedCapacity(input, table, units, is_write))
    output["ConsumedCapacity"] = std::move(*capacity);
}

}  // namespace

OperationResult DynamoDbService::PutItem(OperationRequest& request) {
  const json::object& input = request.input;
  auto write = ParseWriteRequest(catalog_, request, false, false);
  if (!write) return Unexpected(write.error());
  const Table& table = *write->table;
  const json::value* wire = input.if_contains("Item");
  if (wire == nullptr || wire->is_null())
    return Unexpected(errors::Validation(
        "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member "
        "must not be null"));
  auto item = ParseAttributeMap(*wire);
  if (!item) return Unexpected(errors::FromValueError(item.error()));
  auto key = KeyOfItem(table, *item);
  if (!key) return Unexpected(key.error());
  size_t size = ItemSize(*item);
  if (size > kMaxItemBytes)
    return Unexpected(errors::Validation("Item size has exceeded the maximum allowed size"));

  std::string encoded = EncodeItem(*item);
  const Expressions* expressions = &write->expressions;
  bool need_old =
      expressions->condition || write->returns == Returns::kAllOld || WantsCapacity(input);
  std::optional<Item> old;
  {
    if (Claimed(key->storage_key)) return Unexpected(errors::TransactionConflict());
    std::lock_guard lock(LockFor(key->storage_key));
    auto now = TableNow(write->table);
    if (!now) return Unexpected(now.error());
    const Table& current_table = **now;
    if (auto valid = CheckIndexKeys(current_table, *item); !valid) return Unexpected(valid.error());
    if (need_old || !current_table.indexes.empty()) {
      auto current = ReadItem(key->storage_key);
      if (!current) return Unexpected(current.error());
      old = std::move(*current);
      if (auto ok = CheckCondition(*expressions, old, write->old_on_failure); !ok)
        return Unexpected(ok.error());
    }
    Status status =
        ApplyChange(current_table, key->storage_key, old ? &*old : nullptr, &*item, encoded);
    if (!status.ok()) return Unexpected(errors::Internal("cannot write item: " + status.message()));
  }
  json::object output;
  if (write->returns == Returns::kAllOld && old) output["Attributes"] = ToJson(*old);
  AddCapacity(output, input, table, WriteUnits(std::max(size, old ? ItemSize(*old) : 0)), true);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

OperationResult DynamoDbService::GetItem(OperationRequest& request) {
  const json::object& input = request.input;
  auto table = FindTable(catalog_, request, input);
  if (!table) return Unexpected(table.error());
  auto key = ParseKey(**table, input.if_contains("Key"));
  if (!key) return Unexpected(key.error());
  auto consistent = OptionalBool(input, "ConsistentRead");
  if (!consistent) return Unexpected(consistent.error());
  if (auto valid = ValidateReturnOptions(input); !valid) return Unexpected(valid.error());
  auto expressions = ParseExpressions(input, {.projection = true});
  if (!expressions) return Unexpected(expressions.error());

  std::string bytes;
  Status status = engine_.Get(catalog_.items(), key->storage_key, &bytes);
  bool found = status.ok();
  if (!found && !status.IsNotFound())
    return Unexpected(errors::Internal("cannot read item: " + status.message()));
  size_t size = found ? EncodedItemSize(bytes) : 0;
  // Without a projection the reply is written straight from the stored bytes.
  std::string output = "{";
  if (found) {
    output += "\"Item\":";
    if (expressions->projection) {
      auto item = DecodeItem(bytes);
      if (!item) return Unexpected(errors::Internal("stored item is corrupt"));
      output += json::serialize(ToJson(expr::Project(*item, *expressions->projection)));
    } else if (!AppendItemJson(bytes, &output)) {
      return Unexpected(errors::Internal("stored item is corrupt"));
    }
  }
  if (auto capacity =
          ConsumedCapacity(input, **table, ReadUnits(size, consistent->value_or(false)), false)) {
    if (found) output += ',';
    output += "\"ConsumedCapacity\":" + json::serialize(*capacity);
  }
  output += '}';
  OperationResponse response;
  response.raw_body = std::move(output);
  return response;
}

OperationResult DynamoDbService::UpdateItem(OperationRequest& request) {
  const json::object& input = request.input;
  auto write = ParseWriteRequest(catalog_, request, true, true);
  if (!write) return Unexpected(write.error());
  const Table& table = *write->table;
  const PrimaryKey* key = &write->key;
  const Expressions* expressions = &write->expressions;
  if (expressions->update) {
    for (const auto& action : expressions->update->actions) {
      const std::string& top = action.path.elements[0].name;
      if (top == table.partition_key.name || (table.sort_key && top == table.sort_key->name))
        return Unexpected(errors::Validation(
            "One or more parameter values were invalid: Cannot update attribute " + top +
            ". This attribute is part of the key"));
    }
  }

  std::optional<Item> old;
  Item updated;
  {
    if (Claimed(key->storage_key)) return Unexpected(errors::TransactionConflict());
    std::lock_guard lock(LockFor(key->storage_key));
    auto now = TableNow(write->table);
    if (!now) return Unexpected(now.error());
    auto current = ReadItem(key->storage_key);
    if (!current) return Unexpected(current.error());
    old = std::move(*current);
    if (auto ok = CheckCondition(*expressions, old, write->old_on_failure); !ok)
      return Unexpected(ok.error());
    updated = old ? *old : key->attributes;
    if (expressions->update) {
      auto applied = expr::ApplyUpdate(*expressions->update, updated);
      if (!applied) return Unexpected(errors::Validation(applied.error()));
    }
    if (ItemSize(updated) > kMaxItemBytes)
      return Unexpected(
          errors::Validation("Item size to update has exceeded the maximum allowed size"));
    // An update made only of REMOVE actions does not create a missing item.
    bool only_removes = expressions->update && !expressions->update->actions.empty() &&
                        std::all_of(expressions->update->actions.begin(),
                                    expressions->update->actions.end(), [](const auto& action) {
                                      return action.kind == expr::UpdateAction::Kind::kRemove;
                                    });
    if (!old && only_removes) return OperationResponse{};
    if (auto valid = CheckIndexKeys(**now, updated); !valid) return Unexpected(valid.error());
    Status status =
        ApplyChange(**now, key->storage_key, old ? &*old : nullptr, &updated, EncodeItem(updated));
    if (!status.ok()) return Unexpected(errors::Internal("cannot write item: " + status.message()));
  }

  json::object output;
  std::vector<expr::Path> paths;
  if (expressions->update) paths = expr::UpdatedPaths(*expressions->update);
  switch (write->returns) {
    case Returns::kAllOld:
      if (old) output["Attributes"] = ToJson(*old);
      break;
    case Returns::kAllNew:
      output["Attributes"] = ToJson(updated);
      break;
    case Returns::kUpdatedOld:
      if (old) {
        Item projected = expr::Project(*old, paths);
        if (!projected.empty()) output["Attributes"] = ToJson(projected);
      }
      break;
    case Returns::kUpdatedNew: {
      Item projected = expr::Project(updated, paths);
      if (!projected.empty()) output["Attributes"] = ToJson(projected);
      break;
    }
    case Returns::kNone:
      break;
  }
  AddCapacity(output, input, table,
              WriteUnits(std::max(ItemSize(updated), old ? ItemSize(*old) : 0)), true);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

OperationResult DynamoDbService::DeleteItem(OperationRequest& request) {
  const json::object& input = request.input;
  auto write = ParseWriteRequest(catalog_, request, false, true);
  if (!write) return Unexpected(write.error());
  const Table& table = *write->table;
  const PrimaryKey* key = &write->key;
  const Expressions* expressions = &write->expressions;

  std::optional<Item> old;
  {
    if (Claimed(key->storage_key)) return Unexpected(errors::TransactionConflict());
    std::lock_guard lock(LockFor(key->storage_key));
    auto now = TableNow(write->table);
    if (!now) return Unexpected(now.error());
    auto current = ReadItem(key->storage_key);
    if (!current) return Unexpected(current.error());
    old = std::move(*current);
    if (auto ok = CheckCondition(*expressions, old, write->old_on_failure); !ok)
      return Unexpected(ok.error());
    if (old) {
      Status status = ApplyChange(**now, key->storage_key, &*old, nullptr, {});
      if (!status.ok())
        return Unexpected(errors::Internal("cannot delete item: " + status.message()));
    }
  }
  json::object output;
  if (write->returns == Returns::kAllOld && old) output["Attributes"] = ToJson(*old);
  AddCapacity(output, input, table, WriteUnits(old ? ItemSize(*old) : 0), true);
  OperationResponse response;
  response.output = std::move(output);
  return response;
}

}  // namespace lamina::dynamodb
