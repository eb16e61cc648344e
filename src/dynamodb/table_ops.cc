// Control plane: CreateTable, DescribeTable, ListTables, DeleteTable, tags, limits, endpoints.

#include <algorithm>
#include <set>

#include "common/ids.h"
#include "dynamodb/request.h"
#include "dynamodb/service.h"

namespace lamina::dynamodb {

namespace {

double EpochSeconds(Clock::TimePoint time) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  return static_cast<double>(millis) / 1000.0;
}

AwsError Invalid(const std::string& message) {
  return errors::Validation("One or more parameter values were invalid: " + message);
}

Expected<const json::array*, AwsError> RequiredArray(const json::object& input,
                                                     std::string_view name, std::string_view path) {
  const json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return Unexpected(MissingMember(path));
  if (!value->is_array())
    return Unexpected(errors::Serialization(std::string(name) + " must be a list"));
  return &value->get_array();
}

// Validates KeySchema and AttributeDefinitions; fills the table's key attributes.
Expected<void, AwsError> ValidateSchema(const json::array& key_schema,
                                        const json::array& definitions, Table& table) {
  if (key_schema.empty() || key_schema.size() > 2)
    return Unexpected(ConstraintViolation(json::serialize(key_schema), "keySchema",
                                          key_schema.empty()
                                              ? "Member must have length greater than or equal to 1"
                                              : "Member must have length less than or equal to 2"));
  std::map<std::string, std::string, std::less<>> defined;
  for (size_t i = 0; i < definitions.size(); ++i) {
    const json::value& definition = definitions[i];
    if (!definition.is_object())
      return Unexpected(errors::Serialization("AttributeDefinitions must list objects"));
    auto name = OptionalString(definition.get_object(), "AttributeName");
    if (!name) return Unexpected(name.error());
    auto type =
        OptionalEnum(definition.get_object(), "AttributeType", {"B", "N", "S"},
                     "attributeDefinitions." + std::to_string(i + 1) + ".member.attributeType");
    if (!type) return Unexpected(type.error());
    if (!name->has_value() || !type->has_value())
      return Unexpected(MissingMember("attributeDefinitions." + std::to_string(i + 1) + ".member." +
                                      (name->has_value() ? "attributeType" : "attributeName") +
                                      ""));
    if (!defined.emplace(std::string(**name), std::string(**type)).second)
      return Unexpected(
          Invalid("Duplicate AttributeName in AttributeDefinitions: " + std::string(**name)));
  }
  std::vector<std::string> key_names;
  for (size_t i = 0; i < key_schema.size(); ++i) {
    const json::value& element = key_schema[i];
    if (!element.is_object())
      return Unexpected(errors::Serialization("KeySchema must list objects"));
    auto name = OptionalString(element.get_object(), "AttributeName");
    if (!name) return Unexpected(name.error());
    auto type = OptionalEnum(element.get_object(), "KeyType", {"HASH", "RANGE"},
                             "keySchema." + std::to_string(i + 1) + ".member.keyType");
    if (!type) return Unexpected(type.error());
    if (!name->has_value() || !type->has_value())
      return Unexpected(MissingMember("keySchema." + std::to_string(i + 1) + ".member." +
                                      (name->has_value() ? "keyType" : "attributeName") + ""));
    if ((*name)->empty() || (*name)->size() > 255)
      return Unexpected(ConstraintViolation(
          **name, "keySchema." + std::to_string(i + 1) + ".member.attributeName",
          (*name)->empty() ? "Member must have length greater than or equal to 1"
                           : "Member must have length less than or equal to 255"));
    if (i == 0 && **type != "HASH")
      return Unexpected(
          Invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
    if (i == 1 && **type != "RANGE")
      return Unexpected(
          Invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"));
    key_names.emplace_back(**name);
  }
  if (key_names.size() == 2 && key_names[0] == key_names[1])
    return Unexpected(
        Invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name"));
  std::vector<std::string> missing;
  for (const auto& name : key_names)
    if (!defined.count(name)) missing.push_back(name);
  if (!missing.empty()) {
    std::string keys, attributes;
    for (const auto& name : key_names) keys += (keys.empty() ? "" : ", ") + name;
    for (const auto& [name, type] : defined) attributes += (attributes.empty() ? "" : ", ") + name;
    return Unexpected(
        Invalid("Some index key attributes are not defined in "
                "AttributeDefinitions. Keys: [" +
                keys + "], AttributeDefinitions: [" + attributes + "]"));
  }
  if (defined.size() != key_names.size())
    return Unexpected(Invalid(
        "Number of attributes in KeySchema does not exactly match number of attributes defined "
        "in AttributeDefinitions"));
  auto type_of = [&](const std::string& name) {
    const std::string& type = defined.at(name);
    return type == "N" ? Type::kN : type == "B" ? Type::kB : Type::kS;
  };
  table.partition_key = {key_names[0], type_of(key_names[0])};
  if (key_names.size() == 2) table.sort_key = KeyAttribute{key_names[1], type_of(key_names[1])};
  return {};
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
  if (with_counts) {
    int64_t items = 0, bytes = 0;
    CountItems(table, &items, &bytes);
    description["ItemCount"] = items;
    description["TableSizeBytes"] = bytes;
  } else {
    description["ItemCount"] = 0;
    description["TableSizeBytes"] = 0;
  }
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
  if (auto valid = ValidateSchema(**key_schema, **definitions, table); !valid)
    return Unexpected(valid.error());
  for (const char* index : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    const json::value* indexes = input.if_contains(index);
    if (indexes != nullptr && !indexes->is_null())
      return Unexpected(errors::Validation(std::string(index) +
                                           " are not supported by lamina yet; create the table "
                                           "without them"));
  }

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
          Invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                  "specified when BillingMode is PAY_PER_REQUEST"));
  } else {
    if (!has_throughput && billing->has_value())
      return Unexpected(
          Invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified "
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
      return Unexpected(
          Invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified "
                  "when BillingMode is PROVISIONED"));
    if (**read < 1 || **write < 1)
      return Unexpected(ConstraintViolation(std::to_string(std::min(**read, **write)),
                                            **read < 1 ? "provisionedThroughput.readCapacityUnits"
                                                       : "provisionedThroughput.writeCapacityUnits",
                                            "Member must have value greater than or equal to 1"));
    read_units = **read;
    write_units = **write;
  }
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

  if (const json::value* stream = input.if_contains("StreamSpecification");
      stream != nullptr && stream->is_object()) {
    auto enabled = OptionalBool(stream->get_object(), "StreamEnabled");
    if (!enabled) return Unexpected(enabled.error());
    auto view = OptionalEnum(stream->get_object(), "StreamViewType",
                             {"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"},
                             "streamSpecification.streamViewType");
    if (!view) return Unexpected(view.error());
    if (enabled->value_or(false)) {
      if (!view->has_value())
        return Unexpected(errors::Validation(
            "One or more parameter values were invalid: StreamViewType is required when "
            "StreamEnabled is true"));
      std::string label = FormatIso8601(now);
      label.pop_back();  // AWS's stream labels have no trailing Z
      description["StreamSpecification"] =
          json::object{{"StreamEnabled", true}, {"StreamViewType", **view}};
      description["LatestStreamLabel"] = label;
      description["LatestStreamArn"] = table.arn + "/stream/" + label;
    }
  }
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
