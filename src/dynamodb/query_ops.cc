// Query and Scan: one range scan over the table's keys, Limit applied before the filter, pages
// of at most 1 MB, LastEvaluatedKey / ExclusiveStartKey, parallel Scan segments.

#include <algorithm>

#include "dynamodb/expressions/evaluate.h"
#include "dynamodb/indexes.h"
#include "dynamodb/item_codec.h"
#include "dynamodb/request.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

using expr::Condition;
using expr::Operand;

// A Query's key condition, taken apart: the partition key's value and the sort key's condition.
struct KeyRange {
  AttributeValue partition;
  const Condition* sort = nullptr;  // points into the parsed key condition
};

AwsError KeyConditionError(const std::string& message) { return errors::Validation(message); }

// Splits `condition` into the partition-key equality and at most one sort-key condition.
Expected<void, AwsError> CollectKeyConditions(const Condition& condition,
                                              std::vector<const Condition*>& parts) {
  switch (condition.kind) {
    case Condition::Kind::kAnd:
      for (const auto& child : condition.children)
        if (auto ok = CollectKeyConditions(child, parts); !ok) return ok;
      return {};
    case Condition::Kind::kCompare:
      if (condition.comparator == expr::Comparator::kNotEqual)
        return Unexpected(
            KeyConditionError("Unsupported operator on KeyConditionExpression: operator: <>"));
      parts.push_back(&condition);
      return {};
    case Condition::Kind::kBetween:
    case Condition::Kind::kBeginsWith:
      parts.push_back(&condition);
      return {};
    case Condition::Kind::kOr:
      return Unexpected(KeyConditionError("Invalid operator used in KeyConditionExpression: OR"));
    case Condition::Kind::kNot:
      return Unexpected(KeyConditionError("Invalid operator used in KeyConditionExpression: NOT"));
    case Condition::Kind::kIn:
      return Unexpected(KeyConditionError("Invalid operator used in KeyConditionExpression: IN"));
    case Condition::Kind::kAttributeExists:
      return Unexpected(
          KeyConditionError("Invalid operator used in KeyConditionExpression: attribute_exists"));
    case Condition::Kind::kAttributeNotExists:
      return Unexpected(KeyConditionError(
          "Invalid operator used in KeyConditionExpression: attribute_not_exists"));
    case Condition::Kind::kAttributeType:
      return Unexpected(
          KeyConditionError("Invalid operator used in KeyConditionExpression: attribute_type"));
    case Condition::Kind::kContains:
      return Unexpected(
          KeyConditionError("Invalid operator used in KeyConditionExpression: contains"));
  }
  return {};
}

// The key a Query or Scan reads by: the table's, or the index's.
struct KeySchema {
  const KeyAttribute& partition_key;
  const std::optional<KeyAttribute>& sort_key;
};

KeySchema SchemaOf(const Table& table, const Index* index) {
  if (index != nullptr) return {index->partition_key, index->sort_key};
  return {table.partition_key, table.sort_key};
}

Expected<KeyRange, AwsError> AnalyzeKeyCondition(const KeySchema& table,
                                                 const Condition& condition) {
  std::vector<const Condition*> parts;
  if (auto ok = CollectKeyConditions(condition, parts); !ok) return Unexpected(ok.error());
  KeyRange range;
  bool have_partition = false;
  for (const Condition* part : parts) {
    const Operand* subject = &part->operands[0];
    const Operand* other = part->operands.size() > 1 ? &part->operands[1] : nullptr;
    // `:v = pk` is as valid as `pk = :v`.
    if (part->kind == Condition::Kind::kCompare && subject->kind == Operand::Kind::kValue &&
        other != nullptr && other->kind == Operand::Kind::kPath)
      std::swap(subject, other);
    if (subject->kind != Operand::Kind::kPath || subject->path.elements.size() != 1)
      return Unexpected(
          KeyConditionError("Invalid KeyConditionExpression: the key condition must name "
                            "key attributes"));
    const std::string& name = subject->path.elements[0].name;
    for (size_t i = 0; i < part->operands.size(); ++i) {
      const Operand& operand = part->operands[i];
      if (&operand == subject) continue;
      if (operand.kind != Operand::Kind::kValue)
        return Unexpected(
            KeyConditionError("Invalid KeyConditionExpression: key conditions compare "
                              "a key attribute with values"));
    }
    if (name == table.partition_key.name) {
      if (part->kind != Condition::Kind::kCompare || part->comparator != expr::Comparator::kEqual)
        return Unexpected(KeyConditionError("Query key condition not supported"));
      if (have_partition)
        return Unexpected(
            KeyConditionError("KeyConditionExpressions must only contain one condition per key"));
      if (other->value.type() != table.partition_key.type)
        return Unexpected(KeyConditionError(
            "One or more parameter values were invalid: Condition parameter type does not match "
            "schema type"));
      range.partition = other->value;
      have_partition = true;
    } else if (table.sort_key && name == table.sort_key->name) {
      if (range.sort != nullptr)
        return Unexpected(
            KeyConditionError("KeyConditionExpressions must only contain one condition per key"));
      for (size_t i = 1; i < part->operands.size(); ++i) {
        const AttributeValue& value = part->operands[i].kind == Operand::Kind::kValue
                                          ? part->operands[i].value
                                          : part->operands[0].value;
        if (value.type() != table.sort_key->type)
          return Unexpected(KeyConditionError(
              "One or more parameter values were invalid: Condition parameter type does not "
              "match schema type"));
      }
      if (part->kind == Condition::Kind::kBeginsWith && table.sort_key->type == Type::kN)
        return Unexpected(KeyConditionError(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N"));
      range.sort = part;
    } else {
      return Unexpected(KeyConditionError("Query condition missed key schema element: " +
                                          table.partition_key.name));
    }
  }
  if (!have_partition)
    return Unexpected(KeyConditionError("Query condition missed key schema element: " +
                                        table.partition_key.name));
  return range;
}

// The first key attribute a Query's filter names, if any (DynamoDB filters only non-key
// attributes in a Query).
const std::string* KeyAttributeIn(const KeySchema& table, const Condition& condition) {
  for (const auto& child : condition.children)
    if (const std::string* found = KeyAttributeIn(table, child)) return found;
  std::vector<const Operand*> pending;
  for (const auto& operand : condition.operands) pending.push_back(&operand);
  while (!pending.empty()) {
    const Operand* operand = pending.back();
    pending.pop_back();
    if (!operand->path.elements.empty()) {
      const std::string& name = operand->path.elements[0].name;
      if (name == table.partition_key.name) return &table.partition_key.name;
      if (table.sort_key && name == table.sort_key->name) return &table.sort_key->name;
    }
    for (const auto& argument : operand->arguments) pending.push_back(&argument);
  }
  return nullptr;
}

struct PageOptions {
  const Table* table = nullptr;
  const Index* index = nullptr;  // when reading an index
  // A local index's entries lack attributes the request wants: each item is read from the table.
  bool fetch_from_table = false;
  std::optional<int64_t> limit;
  bool forward = true;
  bool consistent = false;
  bool count_only = false;
  const expr::Condition* filter = nullptr;
  const expr::Condition* sort_condition = nullptr;
  const expr::Projection* projection = nullptr;
};

struct Page {
  std::string items;  // the matching items as JSON, comma-separated
  int64_t count = 0;
  int64_t scanned = 0;
  size_t bytes = 0;
  std::optional<Item> last_key;
};

// Where a Query or Scan starts: after ExclusiveStartKey (empty when absent).
Expected<std::string, AwsError> StartKey(const Table& table, const Index* index,
                                         const json::object& input) {
  const json::value* wire = input.if_contains("ExclusiveStartKey");
  if (wire == nullptr || wire->is_null()) return std::string();
  if (index != nullptr) return IndexStartKey(table, *index, *wire);
  auto key = ParseKey(table, wire);
  if (!key)
    return Unexpected(
        errors::Validation("The provided starting key is invalid: " + key.error().message));
  return key->storage_key;
}

// Whether a projection names an attribute the index does not project.
bool NeedsUnprojected(const Table& table, const Index& index, const expr::Projection& projection) {
  if (index.projection == Index::Projection::kAll) return false;
  auto projected = [&](const std::string& name) {
    if (name == table.partition_key.name || (table.sort_key && name == table.sort_key->name) ||
        name == index.partition_key.name || (index.sort_key && name == index.sort_key->name))
      return true;
    return std::find(index.non_key_attributes.begin(), index.non_key_attributes.end(), name) !=
           index.non_key_attributes.end();
  };
  for (const auto& path : projection.paths)
    if (!projected(path.elements[0].name)) return true;
  return false;
}

// Shared by Query and Scan: validates IndexName, Select, Limit, ConsistentRead.
Expected<PageOptions, AwsError> ParsePageOptions(const json::object& input, const Table& table,
                                                 const Expressions& expressions) {
  PageOptions options;
  options.table = &table;
  auto index_name = OptionalString(input, "IndexName");
  if (!index_name) return Unexpected(index_name.error());
  if (index_name->has_value()) {
    options.index = table.FindIndex(**index_name);
    if (options.index == nullptr)
      return Unexpected(errors::Validation("The table does not have the specified index: " +
                                           std::string(**index_name)));
  }
  const Index* index = options.index;
  auto limit = OptionalInteger(input, "Limit");
  if (!limit) return Unexpected(limit.error());
  if (limit->has_value() && **limit < 1)
    return Unexpected(ConstraintViolation(std::to_string(**limit), "limit",
                                          "Member must have value greater than or equal to 1"));
  options.limit = *limit;
  auto consistent = OptionalBool(input, "ConsistentRead");
  if (!consistent) return Unexpected(consistent.error());
  options.consistent = consistent->value_or(false);
  if (index != nullptr && index->global && options.consistent)
    return Unexpected(
        errors::Validation("Consistent reads are not supported on global secondary indexes"));
  if (index != nullptr && index->status != "ACTIVE")
    return Unexpected(
        errors::Validation("Cannot read from backfilling global secondary index: " + index->name));
  auto select = OptionalEnum(
      input, "Select",
      {"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"}, "select");
  if (!select) return Unexpected(select.error());
  if (select->has_value()) {
    std::string_view mode = **select;
    if (mode == "ALL_PROJECTED_ATTRIBUTES" && index == nullptr)
      return Unexpected(errors::Validation(
          "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is "
          "supported only when querying an index"));
    if (mode == "SPECIFIC_ATTRIBUTES" && !expressions.projection)
      return Unexpected(errors::Validation(
          "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires "
          "ProjectionExpression or AttributesToGet"));
    if (mode != "SPECIFIC_ATTRIBUTES" && expressions.projection)
      return Unexpected(errors::Validation(
          "One or more parameter values were invalid: Cannot specify the ProjectionExpression "
          "when choosing to get " +
          std::string(mode)));
    if (mode == "ALL_ATTRIBUTES" && index != nullptr &&
        index->projection != Index::Projection::kAll) {
      if (index->global)
        return Unexpected(errors::Validation(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
            "supported for global secondary index " +
            index->name + " because its projection type is not ALL"));
      options.fetch_from_table = true;
    }
    options.count_only = mode == "COUNT";
  }
  if (index != nullptr && !index->global && expressions.projection &&
      NeedsUnprojected(table, *index, *expressions.projection))
    options.fetch_from_table = true;
  options.filter = expressions.filter ? &*expressions.filter : nullptr;
  options.projection = expressions.projection ? &*expressions.projection : nullptr;
  return options;
}

// Reads [begin, end) forward or backward, after `start_after` (exclusive) when set.
Expected<Page, AwsError> ReadPage(const storage::Engine& engine, storage::Keyspace* keyspace,
                                  const std::string& begin, const std::string& end,
                                  const std::string& start_after, const PageOptions& options) {
  Page page;
  auto iterator = engine.NewIterator(keyspace, end);
  if (options.forward) {
    if (!start_after.empty() && start_after >= begin) {
      iterator->Seek(start_after);
      if (iterator->Valid() && iterator->key() == start_after) iterator->Next();
    } else {
      iterator->Seek(begin);
    }
  } else {
    if (!start_after.empty() && start_after < end) {
      iterator->SeekForPrev(start_after);
      if (iterator->Valid() && iterator->key() == start_after) iterator->Prev();
    } else {
      iterator->SeekToLast();
    }
  }
  const Table& table = *options.table;
  std::string fetched;
  for (; iterator->Valid(); options.forward ? iterator->Next() : iterator->Prev()) {
    if (iterator->key() < begin) break;
    std::string_view bytes = iterator->value();
    // The item is decoded only when a condition, a projection or the last key needs it;
    // otherwise its JSON is written straight from the stored bytes.
    std::optional<Item> item;
    auto decoded = [&]() -> const Item* {
      if (!item) item = DecodeItem(bytes);
      return item ? &*item : nullptr;
    };
    if (options.fetch_from_table) {
      if (decoded() == nullptr) return Unexpected(errors::Internal("stored item is corrupt"));
      Status status =
          engine.Get(keyspace, StorageKey(table, KeyAttributes(table, *item)), &fetched);
      if (status.IsNotFound()) continue;  // deleted since the entry was read
      if (!status.ok())
        return Unexpected(errors::Internal("cannot read item: " + status.message()));
      bytes = fetched;
      item.reset();
    }
    if (options.sort_condition != nullptr) {
      if (decoded() == nullptr) return Unexpected(errors::Internal("stored item is corrupt"));
      auto in_range = Check(*options.sort_condition, *item, "KeyConditionExpression");
      if (!in_range) return Unexpected(in_range.error());
      if (!*in_range) continue;
    }
    ++page.scanned;
    page.bytes += EncodedItemSize(bytes);
    bool matches = true;
    if (options.filter != nullptr) {
      if (decoded() == nullptr) return Unexpected(errors::Internal("stored item is corrupt"));
      auto passed = Check(*options.filter, *item, "FilterExpression");
      if (!passed) return Unexpected(passed.error());
      matches = *passed;
    }
    if (matches) {
      ++page.count;
      if (!options.count_only) {
        if (!page.items.empty()) page.items.push_back(',');
        if (options.projection != nullptr) {
          if (decoded() == nullptr) return Unexpected(errors::Internal("stored item is corrupt"));
          page.items += json::serialize(ToJson(expr::Project(*item, *options.projection)));
        } else if (!AppendItemJson(bytes, &page.items)) {
          return Unexpected(errors::Internal("stored item is corrupt"));
        }
      }
    }
    if ((options.limit && page.scanned >= *options.limit) || page.bytes >= kMaxPageBytes) {
      if (decoded() == nullptr) return Unexpected(errors::Internal("stored item is corrupt"));
      page.last_key = options.index != nullptr ? IndexKeyAttributes(table, *options.index, *item)
                                               : KeyAttributes(table, *item);
      break;
    }
  }
  if (Status status = iterator->status(); !status.ok())
    return Unexpected(errors::Internal("cannot read items: " + status.message()));
  return page;
}

// The reply, serialized by hand around the items' JSON.
std::string PageOutput(Page& page, const json::object& input, const Table& table,
                       const PageOptions& options) {
  std::string output = "{";
  if (!options.count_only) {
    output += "\"Items\":[";
    output += page.items;
    output += "],";
  }
  output += "\"Count\":" + std::to_string(page.count);
  output += ",\"ScannedCount\":" + std::to_string(page.scanned);
  if (page.last_key) output += ",\"LastEvaluatedKey\":" + json::serialize(ToJson(*page.last_key));
  if (auto capacity =
          ConsumedCapacity(input, table, ReadUnits(page.bytes, options.consistent), false))
    output += ",\"ConsumedCapacity\":" + json::serialize(*capacity);
  output += '}';
  return output;
}

// The first key after every key starting with `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

}  // namespace

OperationResult DynamoDbService::Query(OperationRequest& request) {
  const json::object& input = request.input;
  auto table = FindTable(catalog_, request, input);
  if (!table) return Unexpected(table.error());
  auto expressions =
      ParseExpressions(input, {.filter = true, .key_condition = true, .projection = true});
  if (!expressions) return Unexpected(expressions.error());
  if (!expressions->key_condition)
    return Unexpected(errors::Validation(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request."));
  auto options = ParsePageOptions(input, **table, *expressions);
  if (!options) return Unexpected(options.error());
  KeySchema schema = SchemaOf(**table, options->index);
  auto range = AnalyzeKeyCondition(schema, *expressions->key_condition);
  if (!range) return Unexpected(range.error());
  if (expressions->filter) {
    if (const std::string* key = KeyAttributeIn(schema, *expressions->filter)) {
      bool legacy = input.if_contains("QueryFilter") != nullptr;
      return Unexpected(errors::Validation(
          std::string(legacy ? "QueryFilter" : "Filter Expression") +
          " can only contain non-primary key attributes: Primary key attribute: " + *key));
    }
  }
  auto forward = OptionalBool(input, "ScanIndexForward");
  if (!forward) return Unexpected(forward.error());
  options->forward = forward->value_or(true);
  options->sort_condition = range->sort;
  auto start = StartKey(**table, options->index, input);
  if (!start) return Unexpected(start.error());

  uint64_t id = options->index != nullptr ? options->index->id : (*table)->id;
  std::string begin = PartitionPrefix(id, range->partition);
  std::string end = PrefixEnd(begin);
  if (!start->empty() && (*start < begin || *start >= end))
    return Unexpected(errors::Validation("The provided starting key is outside query range"));
  auto page = ReadPage(engine_, catalog_.items(), begin, end, *start, *options);
  if (!page) return Unexpected(page.error());
  OperationResponse response;
  response.raw_body = PageOutput(*page, input, **table, *options);
  return response;
}

OperationResult DynamoDbService::Scan(OperationRequest& request) {
  const json::object& input = request.input;
  auto table = FindTable(catalog_, request, input);
  if (!table) return Unexpected(table.error());
  auto expressions = ParseExpressions(input, {.filter = true, .projection = true});
  if (!expressions) return Unexpected(expressions.error());
  auto options = ParsePageOptions(input, **table, *expressions);
  if (!options) return Unexpected(options.error());
  auto segment = OptionalInteger(input, "Segment");
  if (!segment) return Unexpected(segment.error());
  auto total = OptionalInteger(input, "TotalSegments");
  if (!total) return Unexpected(total.error());
  if (segment->has_value() != total->has_value())
    return Unexpected(errors::Validation(
        segment->has_value()
            ? "The TotalSegments parameter is required but was not present in the request when "
              "Segment parameter is present"
            : "The Segment parameter is required but was not present in the request when "
              "parameter TotalSegments is present"));
  uint64_t id = options->index != nullptr ? options->index->id : (*table)->id;
  std::string begin = TablePrefix(id);
  std::string end = TableEnd(id);
  if (total->has_value()) {
    if (**total < 1 || **total > 1000000)
      return Unexpected(ConstraintViolation(
          std::to_string(**total), "totalSegments",
          **total < 1 ? "Member must have value greater than or equal to 1"
                      : "Member must have value less than or equal to 1000000"));
    if (**segment < 0 || **segment >= **total)
      return Unexpected(errors::Validation(
          "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
          "Segment: " +
          std::to_string(**segment) +
          " is not less than TotalSegments: " + std::to_string(**total)));
    // Segment i covers partition hashes [2^64·i/n, 2^64·(i+1)/n).
    auto boundary = [&](int64_t index) {
      return static_cast<uint64_t>((static_cast<unsigned __int128>(index) << 64) /
                                   static_cast<unsigned __int128>(**total));
    };
    begin = HashPrefix(id, boundary(**segment));
    if (**segment + 1 < **total) end = HashPrefix(id, boundary(**segment + 1));
  }
  auto start = StartKey(**table, options->index, input);
  if (!start) return Unexpected(start.error());
  auto page = ReadPage(engine_, catalog_.items(), begin, end, *start, *options);
  if (!page) return Unexpected(page.error());
  OperationResponse response;
  response.raw_body = PageOutput(*page, input, **table, *options);
  return response;
}

}  // namespace lamina::dynamodb
