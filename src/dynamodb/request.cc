#include "dynamodb/request.h"

#include <cctype>
#include <cmath>

#include "dynamodb/expressions/evaluate.h"
#include "dynamodb/item_codec.h"
#include "dynamodb/legacy.h"

namespace lamina::dynamodb {

namespace {

AwsError WrongType(std::string_view name, std::string_view expected) {
  return errors::Serialization("Unexpected value type for " + std::string(name) + ": expected " +
                               std::string(expected));
}

// "#name" or ":value": the sigil, then one or more letters, digits or underscores.
bool IsPlaceholderKey(std::string_view key, char sigil) {
  if (key.size() < 2 || key[0] != sigil) return false;
  for (char c : key.substr(1))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

}  // namespace

Expected<std::optional<std::string_view>, AwsError> OptionalString(const json::object& input,
                                                                   std::string_view name) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<std::string_view>();
  if (!value->is_string()) return Unexpected(WrongType(name, "a string"));
  return std::optional<std::string_view>(value->get_string());
}

Expected<std::optional<bool>, AwsError> OptionalBool(const json::object& input,
                                                     std::string_view name) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<bool>();
  if (!value->is_bool()) return Unexpected(WrongType(name, "a boolean"));
  return std::optional<bool>(value->get_bool());
}

Expected<std::optional<int64_t>, AwsError> OptionalInteger(const json::object& input,
                                                           std::string_view name) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<int64_t>();
  if (value->is_int64()) return std::optional<int64_t>(value->get_int64());
  if (value->is_uint64() && value->get_uint64() <= INT64_MAX)
    return std::optional<int64_t>(static_cast<int64_t>(value->get_uint64()));
  if (value->is_double() && std::floor(value->get_double()) == value->get_double() &&
      std::fabs(value->get_double()) < 9e18)
    return std::optional<int64_t>(static_cast<int64_t>(value->get_double()));
  return Unexpected(WrongType(name, "an integer"));
}

AwsError ConstraintViolation(std::string_view value, std::string_view path,
                             std::string_view constraint) {
  return errors::Validation("1 validation error detected: Value '" + std::string(value) + "' at '" +
                            std::string(path) +
                            "' failed to satisfy constraint: " + std::string(constraint));
}

AwsError MissingMember(std::string_view path) {
  return errors::Validation("1 validation error detected: Value null at '" + std::string(path) +
                            "' failed to satisfy constraint: Member must not be null");
}

Expected<std::optional<std::string_view>, AwsError> OptionalEnum(
    const json::object& input, std::string_view name,
    std::initializer_list<std::string_view> allowed, std::string_view path_for_message) {
  auto value = OptionalString(input, name);
  if (!value || !value->has_value()) return value;
  for (std::string_view option : allowed)
    if (**value == option) return value;
  std::string set;
  for (std::string_view option : allowed) {
    if (!set.empty()) set += ", ";
    set += option;
  }
  return Unexpected(ConstraintViolation(**value, path_for_message,
                                        "Member must satisfy enum value set: [" + set + "]"));
}

Expected<void, AwsError> ValidateTableName(std::string_view name, std::string_view path) {
  if (name.size() < 3)
    return Unexpected(
        ConstraintViolation(name, path, "Member must have length greater than or equal to 3"));
  if (name.size() > 255)
    return Unexpected(
        ConstraintViolation(name, path, "Member must have length less than or equal to 255"));
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok)
      return Unexpected(ConstraintViolation(
          name, path, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
  }
  return {};
}

Expected<std::string_view, AwsError> TableNameOf(const json::object& input) {
  auto name = OptionalString(input, "TableName");
  if (!name) return Unexpected(name.error());
  if (!name->has_value()) return Unexpected(MissingMember("tableName"));
  if (auto valid = ValidateTableName(**name, "tableName"); !valid) return Unexpected(valid.error());
  return **name;
}

Expected<std::shared_ptr<const Table>, AwsError> FindTable(const Catalog& catalog,
                                                           const OperationRequest& request,
                                                           const json::object& input) {
  auto name = TableNameOf(input);
  if (!name) return Unexpected(name.error());
  auto table = catalog.Find(request.context.account_id, request.context.region, *name);
  if (!table) return Unexpected(errors::TableNotFound(std::string(*name)));
  return table;
}

namespace {

Expected<void, AwsError> CheckKeyValue(const KeyAttribute& key, const AttributeValue& value,
                                       bool is_partition, bool in_item) {
  if (value.type() != key.type) {
    if (in_item)
      return Unexpected(
          errors::Validation("One or more parameter values were invalid: Type mismatch for key " +
                             key.name + " expected: " + std::string(TypeName(key.type)) +
                             " actual: " + std::string(TypeName(value.type()))));
    return Unexpected(errors::Validation("The provided key element does not match the schema"));
  }
  if ((key.type == Type::kS || key.type == Type::kB) && value.scalar().empty())
    return Unexpected(errors::Validation(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty " +
        std::string(key.type == Type::kS ? "string" : "binary") + " value. Key: " + key.name));
  size_t size = key.type == Type::kN ? ValueSize(value) : value.scalar().size();
  if (is_partition && size > kMaxPartitionKeyBytes)
    return Unexpected(errors::Validation(
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
        "size limit of 2048 bytes"));
  if (!is_partition && size > kMaxSortKeyBytes)
    return Unexpected(errors::Validation(
        "One or more parameter values were invalid: Aggregated size of all range keys has "
        "exceeded the size limit of 1024 bytes"));
  return {};
}

}  // namespace

std::string StorageKey(const Table& table, const Item& key_attributes) {
  const AttributeValue& partition = key_attributes.at(table.partition_key.name);
  const AttributeValue* sort = table.sort_key ? &key_attributes.at(table.sort_key->name) : nullptr;
  return ItemKey(table.id, partition, sort);
}

Expected<PrimaryKey, AwsError> ParseKey(const Table& table, const json::value* wire) {
  if (wire == nullptr || wire->is_null())
    return Unexpected(errors::Validation(
        "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member "
        "must not be null"));
  auto key = ParseAttributeMap(*wire);
  if (!key) return Unexpected(errors::FromValueError(key.error()));
  size_t expected = table.sort_key ? 2 : 1;
  if (key->size() != expected || !key->count(table.partition_key.name) ||
      (table.sort_key && !key->count(table.sort_key->name)))
    return Unexpected(errors::Validation("The provided key element does not match the schema"));
  auto partition =
      CheckKeyValue(table.partition_key, key->at(table.partition_key.name), true, false);
  if (!partition) return Unexpected(partition.error());
  if (table.sort_key) {
    auto sort = CheckKeyValue(*table.sort_key, key->at(table.sort_key->name), false, false);
    if (!sort) return Unexpected(sort.error());
  }
  PrimaryKey result;
  result.storage_key = StorageKey(table, *key);
  result.attributes = std::move(*key);
  return result;
}

Expected<PrimaryKey, AwsError> KeyOfItem(const Table& table, const Item& item) {
  PrimaryKey result;
  std::vector<const KeyAttribute*> keys = {&table.partition_key};
  if (table.sort_key) keys.push_back(&*table.sort_key);
  for (const KeyAttribute* key : keys) {
    auto found = item.find(key->name);
    if (found == item.end())
      return Unexpected(
          errors::Validation("One or more parameter values were invalid: Missing the key " +
                             key->name + " in the item"));
    auto checked = CheckKeyValue(*key, found->second, key == &table.partition_key, true);
    if (!checked) return Unexpected(checked.error());
    result.attributes.emplace(key->name, found->second);
  }
  result.storage_key = StorageKey(table, result.attributes);
  return result;
}

Item KeyAttributes(const Table& table, const Item& item) {
  Item key;
  auto partition = item.find(table.partition_key.name);
  if (partition != item.end()) key.emplace(partition->first, partition->second);
  if (table.sort_key) {
    auto sort = item.find(table.sort_key->name);
    if (sort != item.end()) key.emplace(sort->first, sort->second);
  }
  return key;
}

Expected<Expressions, AwsError> ParseExpressions(const json::object& input,
                                                 const ExpressionParameters& allowed) {
  // Placeholders.
  std::optional<std::map<std::string, std::string, std::less<>>> names;
  if (const json::value* wire = input.if_contains("ExpressionAttributeNames");
      wire != nullptr && !wire->is_null()) {
    if (!wire->is_object()) return Unexpected(WrongType("ExpressionAttributeNames", "a map"));
    if (wire->get_object().empty())
      return Unexpected(errors::Validation("ExpressionAttributeNames must not be empty"));
    names.emplace();
    for (const auto& member : wire->get_object()) {
      if (!IsPlaceholderKey(member.key(), '#'))
        return Unexpected(errors::Validation(
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"" +
            std::string(member.key()) + "\""));
      if (!member.value().is_string())
        return Unexpected(WrongType("ExpressionAttributeNames values", "strings"));
      if (member.value().get_string().empty())
        return Unexpected(errors::Validation(
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key " +
            std::string(member.key())));
      names->emplace(std::string(member.key()), std::string(member.value().get_string()));
    }
  }
  std::optional<AttributeMap> values;
  if (const json::value* wire = input.if_contains("ExpressionAttributeValues");
      wire != nullptr && !wire->is_null()) {
    if (!wire->is_object()) return Unexpected(WrongType("ExpressionAttributeValues", "a map"));
    if (wire->get_object().empty())
      return Unexpected(errors::Validation("ExpressionAttributeValues must not be empty"));
    values.emplace();
    for (const auto& member : wire->get_object()) {
      if (!IsPlaceholderKey(member.key(), ':'))
        return Unexpected(errors::Validation(
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"" +
            std::string(member.key()) + "\""));
      auto value = ParseAttributeValue(member.value());
      if (!value) {
        if (value.error().serialization) return Unexpected(errors::FromValueError(value.error()));
        return Unexpected(errors::Validation(
            "ExpressionAttributeValues contains invalid value: " + value.error().message +
            " for key " + std::string(member.key())));
      }
      values->emplace(std::string(member.key()), std::move(*value));
    }
  }

  struct Source {
    const char* name;
    bool allowed;
  };
  const Source sources[] = {{"ConditionExpression", allowed.condition},
                            {"FilterExpression", allowed.filter},
                            {"KeyConditionExpression", allowed.key_condition},
                            {"UpdateExpression", allowed.update},
                            {"ProjectionExpression", allowed.projection}};
  std::optional<std::string_view> texts[5];
  bool any = false;
  for (size_t i = 0; i < 5; ++i) {
    if (!sources[i].allowed) continue;
    auto text = OptionalString(input, sources[i].name);
    if (!text) return Unexpected(text.error());
    texts[i] = *text;
    any = any || text->has_value();
  }
  if (!any && names)
    return Unexpected(errors::Validation(
        "ExpressionAttributeNames can only be specified when using expressions"));
  if (!any && values)
    return Unexpected(errors::Validation(
        "ExpressionAttributeValues can only be specified when using expressions"));

  auto legacy =
      CheckLegacyConflicts(input, texts[0].has_value(), texts[1].has_value(), texts[2].has_value(),
                           texts[3].has_value(), texts[4].has_value());
  if (!legacy) return Unexpected(legacy.error());

  expr::Placeholders placeholders(names ? &*names : nullptr, values ? &*values : nullptr);
  Expressions expressions;
  auto fail = [](std::string message) {
    return Unexpected(errors::Validation(std::move(message)));
  };
  if (texts[0]) {
    auto parsed = expr::ParseCondition(*texts[0], "ConditionExpression", placeholders);
    if (!parsed) return fail(parsed.error());
    expressions.condition = std::move(*parsed);
  }
  if (texts[1]) {
    auto parsed = expr::ParseCondition(*texts[1], "FilterExpression", placeholders);
    if (!parsed) return fail(parsed.error());
    expressions.filter = std::move(*parsed);
  }
  if (texts[2]) {
    auto parsed = expr::ParseCondition(*texts[2], "KeyConditionExpression", placeholders);
    if (!parsed) return fail(parsed.error());
    expressions.key_condition = std::move(*parsed);
  }
  if (texts[3]) {
    auto parsed = expr::ParseUpdate(*texts[3], placeholders);
    if (!parsed) return fail(parsed.error());
    expressions.update = std::move(*parsed);
  }
  if (texts[4]) {
    auto parsed = expr::ParseProjection(*texts[4], placeholders);
    if (!parsed) return fail(parsed.error());
    expressions.projection = std::move(*parsed);
  }
  if (auto unused = placeholders.Unused()) return fail(*unused);

  auto converted = ConvertLegacy(input, allowed, expressions);
  if (!converted) return Unexpected(converted.error());
  return expressions;
}

Expected<bool, AwsError> Check(const expr::Condition& condition, const Item& item,
                               std::string_view kind) {
  auto result = expr::Evaluate(condition, item, kind);
  if (!result) return Unexpected(errors::Validation(result.error()));
  return *result;
}

double WriteUnits(size_t bytes) {
  return std::max<double>(1.0, std::ceil(static_cast<double>(bytes) / 1024.0));
}

double ReadUnits(size_t bytes, bool consistent) {
  double units = std::max<double>(1.0, std::ceil(static_cast<double>(bytes) / 4096.0));
  return consistent ? units : units / 2;
}

std::optional<json::object> ConsumedCapacity(const json::object& input, const Table& table,
                                             double units, bool is_write) {
  const json::value* mode = input.if_contains("ReturnConsumedCapacity");
  if (mode == nullptr || !mode->is_string() || mode->get_string() == "NONE") return std::nullopt;
  json::object capacity{{"TableName", table.name}, {"CapacityUnits", units}};
  capacity[is_write ? "WriteCapacityUnits" : "ReadCapacityUnits"] = units;
  if (mode->get_string() == "INDEXES") {
    json::object table_capacity{{"CapacityUnits", units}};
    table_capacity[is_write ? "WriteCapacityUnits" : "ReadCapacityUnits"] = units;
    capacity["Table"] = std::move(table_capacity);
  }
  return capacity;
}

}  // namespace lamina::dynamodb
