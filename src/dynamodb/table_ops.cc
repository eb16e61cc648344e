// Control plane: CreateTable, DescribeTable, ListTables, DeleteTable, tags, limits, endpoints.

#include <algorithm>
#include <set>

#include "common/ids.h"
#include "dynamodb/request.h"
#include "dynamodb/schema.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

Expected<const json::array*, AwsError> RequiredArray(const json::object& input,
                                                     std::string_view name, std::string_view path) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return Unexpected(MissingMember(path));
  if (!value->is_array())
    return Unexpected(errors::Serialization(std::string(name) + " must be a list"));
  return &value->get_array();
}

Expected<json::array, AwsError> ParseTags(const json::value* wire) {
  json::array tags;
  if (wire == nullptr || wire->is_null()) return tags;
  if (!wire->is_array()) return Unexpected(errors::Serialization("Tags must be a list"));
  for (const auto& tag : wire->get_array()) {
    if (!tag.is_object()) return Unexpected(errors::Serialization("Tags must list objects"));
    auto key = OptionalString(tag.get_object(), "Key");
    auto value = OptionalString(tag.get_object(), "Value");
    if (!key) return Unexpected(key.error());
    if (!value) return Unexpected(value.error());
    if (!key->has_value() || (*key)->empty() || (*key)->size() > 128)
      return Unexpected(errors::Validation(
          "1 validation error detected: Value at 'tags.member.key' failed to satisfy constraint: "
          "Member must have length between 1 and 128"));
    if (!value->has_value() || (*value)->size() > 256)
      return Unexpected(errors::Validation(
          "1 validation error detected: Value at 'tags.member.value' failed to satisfy "
          "constraint: Member must have length less than or equal to 256"));
    tags.push_back(json::object{{"Key", **key}, {"Value", **value}});
  }
  return tags;
}

void MergeTags(json::array& into, const json::array& added) {
  for (const auto& tag : added) {
    bool replaced = false;
    for (auto& existing : into) {
      if (existing.at("Key") == tag.at("Key")) {
        existing = tag;
        replaced = true;
      }
    }
    if (!replaced) into.push_back(tag);
  }
}

}  // namespace

json::object DynamoDbService::DescribeTableJson(const Table& table, bool with_counts) const {
  json::object description = table.description;
  int64_t items = 0, bytes = 0;
  if (with_counts) CountItems(table.id, &items, &bytes);
  description["ItemCount"] = items;
  description["TableSizeBytes"] = bytes;
  json::array local, global;
  for (const Index& index : table.indexes) {
    items = bytes = 0;
    if (with_counts) CountItems(index.id, &items, &bytes);
    (index.global ? global : local).push_back(DescribeIndex(table, index, items, bytes));
  }
  if (!local.empty()) description["LocalSecondaryIndexes"] = std::move(local);
  if (!global.empty()) description["GlobalSecondaryIndexes"] = std::move(global);
  return description;
}

OperationResult DynamoDbService::CreateTable(OperationRequest& request) {
  const json::object& input = request.input;
  auto name = TableNameOf(input);
  if (!name) return Unexpected(name.error());
  auto key_schema = RequiredArray(input, "KeySchema", "keySchema");
  if (!key_schema) return Unexpected(key_schema.error());
  auto definitions = RequiredArray(input, "AttributeDefinitions", "attributeDefinitions");
  if (!definitions) return Unexpected(definitions.error());

  Table table;
  table.account = request.context.account_id;
  table.region = request.context.region;
  table.name = std::string(*name);
  auto defined = ParseAttributeDefinitions(**definitions);
  if (!defined) return Unexpected(defined.error());
  if (auto valid = ParseKeySchema(**key_schema, "keySchema", *defined, &table.partition_key,
                                  &table.sort_key);
      !valid)
    return Unexpected(valid.error());

  auto billing =
      OptionalEnum(input, "BillingMode", {"PROVISIONED", "PAY_PER_REQUEST"}, "billingMode");
  if (!billing) return Unexpected(billing.error());
  std::string billing_mode(billing->value_or("PROVISIONED"));
  const json::value* throughput = input.if_contains("ProvisionedThroughput");
  bool has_throughput = throughput != nullptr && !throughput->is_null();
  int64_t read_units = 0, write_units = 0;
  if (billing_mode == "PAY_PER_REQUEST") {
    if (has_throughput)
      return Unexpected(
          errors::InvalidParameters("Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                                    "specified when BillingMode is PAY_PER_REQUEST"));
  } else {
    if (!has_throughput && billing->has_value())
      return Unexpected(errors::InvalidParameters(
          "ReadCapacityUnits and WriteCapacityUnits must both be specified "
          "when BillingMode is PROVISIONED"));
    if (!has_throughput)
      return Unexpected(errors::Validation("No provisioned throughput specified for the table"));
    if (!throughput->is_object())
      return Unexpected(errors::Serialization("ProvisionedThroughput must be an object"));
    auto read = OptionalInteger(throughput->get_object(), "ReadCapacityUnits");
    auto write = OptionalInteger(throughput->get_object(), "WriteCapacityUnits");
    if (!read) return Unexpected(read.error());
    if (!write) return Unexpected(write.error());
    if (!read->has_value() || !write->has_value())
      return Unexpected(errors::InvalidParameters(
          "ReadCapacityUnits and WriteCapacityUnits must both be specified "
          "when BillingMode is PROVISIONED"));
    if (**read < 1 || **write < 1)
      return Unexpected(ConstraintViolation(std::to_string(std::min(**read, **write)),
                                            **read < 1 ? "provisionedThroughput.readCapacityUnits"
                                                       : "provisionedThroughput.writeCapacityUnits",
                                            "Member must have value greater than or equal to 1"));
    read_units = **read;
    write_units = **write;
  }
  auto indexes = ParseIndexes(input, table, *defined, billing_mode == "PAY_PER_REQUEST");
  if (!indexes) return Unexpected(indexes.error());
  table.indexes = std::move(*indexes);
  if (auto used = CheckDefinitionsUsed(table, *defined); !used) return Unexpected(used.error());
  auto tags = ParseTags(input.if_contains("Tags"));
  if (!tags) return Unexpected(tags.error());
  table.tags = std::move(*tags);

  auto now = clock_.Now();
  table.arn = "arn:aws:dynamodb:" + table.region + ":" + table.account + ":table/" + table.name;
  json::object description{
      {"AttributeDefinitions", **definitions},
      {"TableName", table.name},
      {"KeySchema", **key_schema},
      {"TableStatus", "ACTIVE"},
      {"CreationDateTime", EpochSeconds(now)},
      {"ProvisionedThroughput", json::object{{"NumberOfDecreasesToday", 0},
                                             {"ReadCapacityUnits", read_units},
                                             {"WriteCapacityUnits", write_units}}},
      {"TableArn", table.arn},
      {"TableId", NewUuid()},
      {"DeletionProtectionEnabled", false},
  };
  json::object billing_summary{{"BillingMode", billing_mode}};
  if (billing_mode == "PAY_PER_REQUEST")
    billing_summary["LastUpdateToPayPerRequestDateTime"] = EpochSeconds(now);
  description["BillingModeSummary"] = std::move(billing_summary);

  auto stream = ParseStreamSpecification(input);
  if (!stream) return Unexpected(stream.error());
  if (*stream && (*stream)->enabled) StartStream(description, table.arn, (*stream)->view_type, now);
  if (const json::value* sse = input.if_contains("SSESpecification");
      sse != nullptr && sse->is_object()) {
    auto enabled = OptionalBool(sse->get_object(), "Enabled");
    if (!enabled) return Unexpected(enabled.error());
    if (enabled->value_or(false)) {
      auto key = OptionalString(sse->get_object(), "KMSMasterKeyId");
      if (!key) return Unexpected(key.error());
      std::string key_arn = key->has_value() ? std::string(**key)
                                             : "arn:aws:kms:" + table.region + ":" + table.account +
                                                   ":key/" + NewUuid();
      description["SSEDescription"] =
          json::object{{"Status", "ENABLED"}, {"SSEType", "KMS"}, {"KMSMasterKeyArn", key_arn}};
    }
  }
  if (auto table_class = OptionalEnum(input, "TableClass",
                                      {"STANDARD", "STANDARD_INFREQUENT_ACCESS"}, "tableClass");
      !table_class) {
    return Unexpected(table_class.error());
  } else if (table_class->has_value()) {
    description["TableClassSummary"] = json::object{{"TableClass", **table_class}};
  }
  table.description = std::move(description);

  auto created = catalog_.Create(std::move(table));
  if (!created) return Unexpected(created.error());
  json::object reply_description = DescribeTableJson(**created, false);
  reply_description["TableStatus"] = "CREATING";
  OperationResponse response;
  response.output = json::object{{"TableDescription", std::move(reply_description)}};
  return response;
}

OperationResult DynamoDbService::DescribeTable(OperationRequest& request) {
  auto table = FindTable(catalog_, request, request.input);
  if (!table) return Unexpected(table.error());
  OperationResponse response;
  response.output = json::object{{"Table", DescribeTableJson(**table, true)}};
  return response;
}

OperationResult DynamoDbService::ListTables(OperationRequest& request) {
  auto limit = OptionalInteger(request.input, "Limit");
  if (!limit) return Unexpected(limit.error());
  if (limit->has_value() && (**limit < 1 || **limit > 100))
    return Unexpected(
        ConstraintViolation(std::to_string(**limit), "limit",
                            **limit < 1 ? "Member must have value greater than or equal to 1"
                                        : "Member must have value less than or equal to 100"));
  auto start = OptionalString(request.input, "ExclusiveStartTableName");
  if (!start) return Unexpected(start.error());
  size_t page = limit->has_value() ? static_cast<size_t>(**limit) : 100;
  json::array names;
  std::string last;
  bool more = false;
  for (const auto& name : catalog_.List(request.context.account_id, request.context.region)) {
    if (start->has_value() && name <= **start) continue;
    if (names.size() == page) {
      more = true;
      break;
    }
    names.emplace_back(name);
    last = name;
  }
  OperationResponse response;
  json::object output{{"TableNames", std::move(names)}};
  if (more) output["LastEvaluatedTableName"] = last;
  response.output = std::move(output);
  return response;
}

OperationResult DynamoDbService::DeleteTable(OperationRequest& request) {
  auto table = FindTable(catalog_, request, request.input);
  if (!table) return Unexpected(table.error());
  json::object description = DescribeTableJson(**table, true);
  auto deleted =
      catalog_.Delete(request.context.account_id, request.context.region, (*table)->name);
  if (!deleted) return Unexpected(deleted.error());
  description["TableStatus"] = "DELETING";
  OperationResponse response;
  response.output = json::object{{"TableDescription", std::move(description)}};
  return response;
}

namespace {

Expected<std::shared_ptr<const Table>, AwsError> TableByArn(const Catalog& catalog,
                                                            const OperationRequest& request) {
  auto arn = OptionalString(request.input, "ResourceArn");
  if (!arn) return Unexpected(arn.error());
  if (!arn->has_value()) return Unexpected(MissingMember("resourceArn"));
  auto table = catalog.FindByArn(**arn);
  if (!table || table->account != request.context.account_id)
    return Unexpected(errors::ResourceNotFound(
        "Requested resource not found: ResourcArn: " + std::string(**arn) + " not found"));
  return table;
}

}  // namespace

OperationResult DynamoDbService::TagResource(OperationRequest& request) {
  auto table = TableByArn(catalog_, request);
  if (!table) return Unexpected(table.error());
  auto tags = ParseTags(request.input.if_contains("Tags"));
  if (!tags) return Unexpected(tags.error());
  auto updated = std::make_shared<Table>(**table);
  MergeTags(updated->tags, *tags);
  if (updated->tags.size() > 50)
    return Unexpected(errors::LimitExceeded("The number of tags exceeds the limit of 50"));
  if (auto stored = catalog_.Update(updated); !stored) return Unexpected(stored.error());
  return OperationResponse{};
}

OperationResult DynamoDbService::UntagResource(OperationRequest& request) {
  auto table = TableByArn(catalog_, request);
  if (!table) return Unexpected(table.error());
  const json::value* keys = request.input.if_contains("TagKeys");
  if (keys == nullptr || !keys->is_array()) return Unexpected(MissingMember("tagKeys"));
  auto updated = std::make_shared<Table>(**table);
  json::array kept;
  for (const auto& tag : updated->tags) {
    bool removed = false;
    for (const auto& key : keys->get_array()) removed = removed || tag.at("Key") == key;
    if (!removed) kept.push_back(tag);
  }
  updated->tags = std::move(kept);
  if (auto stored = catalog_.Update(updated); !stored) return Unexpected(stored.error());
  return OperationResponse{};
}

OperationResult DynamoDbService::ListTagsOfResource(OperationRequest& request) {
  auto table = TableByArn(catalog_, request);
  if (!table) return Unexpected(table.error());
  OperationResponse response;
  response.output = json::object{{"Tags", (*table)->tags}};
  return response;
}

OperationResult DynamoDbService::DescribeLimits(OperationRequest&) {
  OperationResponse response;
  response.output = json::object{{"AccountMaxReadCapacityUnits", 80000},
                                 {"AccountMaxWriteCapacityUnits", 80000},
                                 {"TableMaxReadCapacityUnits", 40000},
                                 {"TableMaxWriteCapacityUnits", 40000}};
  return response;
}

OperationResult DynamoDbService::DescribeEndpoints(OperationRequest& request) {
  std::string address(
      request.Header("host").value_or("dynamodb." + request.context.region + ".amazonaws.com"));
  OperationResponse response;
  response.output = json::object{
      {"Endpoints",
       json::array{json::object{{"Address", address}, {"CachePeriodInMinutes", 1440}}}}};
  return response;
}

}  // namespace lamina::dynamodb
