#include "dynamodb/schema.h"

#include <set>

#include "dynamodb/request.h"

namespace lamina::dynamodb {

namespace {

Type TypeFromLetter(std::string_view letter) {
  return letter == "N" ? Type::kN : letter == "B" ? Type::kB : Type::kS;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

std::string_view ProjectionName(Index::Projection projection) {
  switch (projection) {
    case Index::Projection::kKeysOnly:
      return "KEYS_ONLY";
    case Index::Projection::kInclude:
      return "INCLUDE";
    case Index::Projection::kAll:
      break;
  }
  return "ALL";
}

}  // namespace

Expected<std::pair<int64_t, int64_t>, AwsError> ParseThroughput(const json::value& wire,
                                                                const std::string& path) {
  if (!wire.is_object())
    return Unexpected(errors::Serialization("ProvisionedThroughput must be an object"));
  auto read = OptionalInteger(wire.get_object(), "ReadCapacityUnits");
  if (!read) return Unexpected(read.error());
  auto write = OptionalInteger(wire.get_object(), "WriteCapacityUnits");
  if (!write) return Unexpected(write.error());
  if (!read->has_value()) return Unexpected(MissingMember(path + ".readCapacityUnits"));
  if (!write->has_value()) return Unexpected(MissingMember(path + ".writeCapacityUnits"));
  if (**read < 1 || **write < 1)
    return Unexpected(
        ConstraintViolation(std::to_string(std::min(**read, **write)),
                            path + (**read < 1 ? ".readCapacityUnits" : ".writeCapacityUnits"),
                            "Member must have value greater than or equal to 1"));
  return std::pair{**read, **write};
}

Expected<AttributeTypes, AwsError> ParseAttributeDefinitions(const json::array& definitions) {
  AttributeTypes defined;
  for (size_t i = 0; i < definitions.size(); ++i) {
    const json::value& definition = definitions[i];
    if (!definition.is_object())
      return Unexpected(errors::Serialization("AttributeDefinitions must list objects"));
    std::string path = "attributeDefinitions." + std::to_string(i + 1) + ".member.";
    auto name = OptionalString(definition.get_object(), "AttributeName");
    if (!name) return Unexpected(name.error());
    auto type = OptionalEnum(definition.get_object(), "AttributeType", {"B", "N", "S"},
                             path + "attributeType");
    if (!type) return Unexpected(type.error());
    if (!name->has_value() || !type->has_value())
      return Unexpected(
          MissingMember(path + (name->has_value() ? "attributeType" : "attributeName")));
    if (!defined.emplace(std::string(**name), TypeFromLetter(**type)).second)
      return Unexpected(errors::InvalidParameters(
          "Duplicate AttributeName in AttributeDefinitions: " + std::string(**name)));
  }
  return defined;
}

Expected<void, AwsError> ParseKeySchema(const json::array& key_schema, std::string_view path,
                                        const AttributeTypes& defined, KeyAttribute* partition,
                                        std::optional<KeyAttribute>* sort) {
  if (key_schema.empty() || key_schema.size() > 2)
    return Unexpected(ConstraintViolation(json::serialize(key_schema), path,
                                          key_schema.empty()
                                              ? "Member must have length greater than or equal to 1"
                                              : "Member must have length less than or equal to 2"));
  std::vector<std::string> names;
  for (size_t i = 0; i < key_schema.size(); ++i) {
    const json::value& element = key_schema[i];
    if (!element.is_object())
      return Unexpected(errors::Serialization("KeySchema must list objects"));
    std::string member = std::string(path) + "." + std::to_string(i + 1) + ".member.";
    auto name = OptionalString(element.get_object(), "AttributeName");
    if (!name) return Unexpected(name.error());
    auto type =
        OptionalEnum(element.get_object(), "KeyType", {"HASH", "RANGE"}, member + "keyType");
    if (!type) return Unexpected(type.error());
    if (!name->has_value() || !type->has_value())
      return Unexpected(MissingMember(member + (name->has_value() ? "keyType" : "attributeName")));
    if ((*name)->empty() || (*name)->size() > 255)
      return Unexpected(ConstraintViolation(
          **name, member + "attributeName",
          (*name)->empty() ? "Member must have length greater than or equal to 1"
                           : "Member must have length less than or equal to 255"));
    if (i == 0 && **type != "HASH")
      return Unexpected(errors::InvalidParameters(
          "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
    if (i == 1 && **type != "RANGE")
      return Unexpected(errors::InvalidParameters(
          "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"));
    names.emplace_back(**name);
  }
  if (names.size() == 2 && names[0] == names[1])
    return Unexpected(errors::InvalidParameters(
        "Both the Hash Key and the Range Key element in the KeySchema have the same name"));
  for (const auto& name : names) {
    if (defined.count(name)) continue;
    std::vector<std::string> attributes;
    for (const auto& [attribute, type] : defined) attributes.push_back(attribute);
    return Unexpected(errors::InvalidParameters(
        "Some index key attributes are not defined in AttributeDefinitions. Keys: [" +
        JoinNames(names) + "], AttributeDefinitions: [" + JoinNames(attributes) + "]"));
  }
  *partition = {names[0], defined.find(names[0])->second};
  sort->reset();
  if (names.size() == 2) *sort = KeyAttribute{names[1], defined.find(names[1])->second};
  return {};
}

Expected<Index, AwsError> ParseIndex(const json::value& wire, bool global, const std::string& path,
                                     const Table& table, const AttributeTypes& defined,
                                     bool pay_per_request) {
  if (!wire.is_object())
    return Unexpected(errors::Serialization("SecondaryIndexes must list objects"));
  const json::object& object = wire.get_object();
  Index index;
  index.global = global;
  auto name = OptionalString(object, "IndexName");
  if (!name) return Unexpected(name.error());
  if (!name->has_value()) return Unexpected(MissingMember(path + ".indexName"));
  if ((*name)->size() < 3 || (*name)->size() > 255)
    return Unexpected(ConstraintViolation(
        **name, path + ".indexName",
        (*name)->size() < 3 ? "Member must have length greater than or equal to 3"
                            : "Member must have length less than or equal to 255"));
  for (char c : **name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return Unexpected(ConstraintViolation(**name, path + ".indexName",
                                            "Member must satisfy regular expression pattern: "
                                            "[a-zA-Z0-9_.-]+"));
  index.name = std::string(**name);

  const json::value* key_schema = object.if_contains("KeySchema");
  if (key_schema == nullptr || key_schema->is_null())
    return Unexpected(MissingMember(path + ".keySchema"));
  if (!key_schema->is_array()) return Unexpected(errors::Serialization("KeySchema must be a list"));
  if (auto parsed = ParseKeySchema(key_schema->get_array(), path + ".keySchema", defined,
                                   &index.partition_key, &index.sort_key);
      !parsed)
    return Unexpected(parsed.error());
  if (!global) {
    if (!table.sort_key)
      return Unexpected(errors::InvalidParameters(
          "Table KeySchema does not have a range key, which is required when specifying "
          "a LocalSecondaryIndex"));
    if (index.partition_key.name != table.partition_key.name)
      return Unexpected(errors::InvalidParameters(
          "Index KeySchema does not have the same leading hash key as table KeySchema for index: " +
          index.name + ". index hash key: " + index.partition_key.name +
          ", table hash key: " + table.partition_key.name));
    if (!index.sort_key)
      return Unexpected(errors::InvalidParameters(
          "Index KeySchema does not have a range key for index: " + index.name +
          ", which is required for a LocalSecondaryIndex"));
  }

  const json::value* projection = object.if_contains("Projection");
  if (projection == nullptr || projection->is_null())
    return Unexpected(MissingMember(path + ".projection"));
  if (!projection->is_object())
    return Unexpected(errors::Serialization("Projection must be an object"));
  auto type = OptionalEnum(projection->get_object(), "ProjectionType",
                           {"ALL", "KEYS_ONLY", "INCLUDE"}, path + ".projection.projectionType");
  if (!type) return Unexpected(type.error());
  if (!type->has_value())
    return Unexpected(errors::InvalidParameters("Unknown ProjectionType: null"));
  index.projection = **type == "ALL"         ? Index::Projection::kAll
                     : **type == "KEYS_ONLY" ? Index::Projection::kKeysOnly
                                             : Index::Projection::kInclude;
  const json::value* non_key = projection->get_object().if_contains("NonKeyAttributes");
  bool has_non_key = non_key != nullptr && !non_key->is_null();
  if (index.projection == Index::Projection::kInclude && !has_non_key)
    return Unexpected(errors::InvalidParameters(
        "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"));
  if (index.projection != Index::Projection::kInclude && has_non_key)
    return Unexpected(errors::InvalidParameters("ProjectionType is " + std::string(**type) +
                                                ", but NonKeyAttributes is specified"));
  if (has_non_key) {
    if (!non_key->is_array())
      return Unexpected(errors::Serialization("NonKeyAttributes must be a list"));
    const json::array& names = non_key->get_array();
    if (names.empty() || names.size() > 20)
      return Unexpected(
          ConstraintViolation(json::serialize(names), path + ".projection.nonKeyAttributes",
                              names.empty() ? "Member must have length greater than or equal to 1"
                                            : "Member must have length less than or equal to 20"));
    std::set<std::string, std::less<>> seen;
    for (const auto& attribute : names) {
      if (!attribute.is_string() || attribute.get_string().empty())
        return Unexpected(errors::Serialization("NonKeyAttributes must list names"));
      std::string attribute_name(attribute.get_string());
      if (!seen.insert(attribute_name).second)
        return Unexpected(errors::InvalidParameters("Duplicate NonKeyAttribute: " + attribute_name +
                                                    " for index: " + index.name));
      index.non_key_attributes.push_back(std::move(attribute_name));
    }
  }

  const json::value* throughput = object.if_contains("ProvisionedThroughput");
  bool has_throughput = throughput != nullptr && !throughput->is_null();
  if (global && pay_per_request && has_throughput)
    return Unexpected(errors::InvalidParameters(
        "ProvisionedThroughput should not be specified for index: " + index.name +
        " when BillingMode is PAY_PER_REQUEST"));
  if (global && !pay_per_request) {
    if (!has_throughput)
      return Unexpected(errors::InvalidParameters(
          "ProvisionedThroughput must be specified for index: " + index.name));
    auto units = ParseThroughput(*throughput, path + ".provisionedThroughput");
    if (!units) return Unexpected(units.error());
    index.read_units = units->first;
    index.write_units = units->second;
  }
  return index;
}

Expected<std::vector<Index>, AwsError> ParseIndexes(const json::object& input, const Table& table,
                                                    const AttributeTypes& defined,
                                                    bool pay_per_request) {
  std::vector<Index> indexes;
  for (bool global : {false, true}) {
    const char* member = global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes";
    const json::value* list = input.if_contains(member);
    if (list == nullptr || list->is_null()) continue;
    if (!list->is_array())
      return Unexpected(errors::Serialization(std::string(member) + " must be a list"));
    if (list->get_array().empty())
      return Unexpected(errors::InvalidParameters("List of " + std::string(member) + " is empty"));
    std::string path = global ? "globalSecondaryIndexes." : "localSecondaryIndexes.";
    for (size_t i = 0; i < list->get_array().size(); ++i) {
      auto index =
          ParseIndex(list->get_array()[i], global, path + std::to_string(i + 1) + ".member", table,
                     defined, pay_per_request);
      if (!index) return Unexpected(index.error());
      indexes.push_back(std::move(*index));
    }
  }
  if (auto checked = CheckIndexLimits(indexes); !checked) return Unexpected(checked.error());
  return indexes;
}

Expected<void, AwsError> CheckIndexLimits(const std::vector<Index>& indexes) {
  std::set<std::string, std::less<>> names;
  size_t local = 0, global = 0, projected = 0;
  for (const Index& index : indexes) {
    if (!names.insert(index.name).second)
      return Unexpected(errors::InvalidParameters("Duplicate index name: " + index.name));
    ++(index.global ? global : local);
    projected += index.non_key_attributes.size();
  }
  if (local > kMaxLocalIndexes)
    return Unexpected(
        errors::InvalidParameters("Number of LocalSecondaryIndexes exceeds per-table limit of " +
                                  std::to_string(kMaxLocalIndexes)));
  if (global > kMaxGlobalIndexes)
    return Unexpected(
        errors::InvalidParameters("Number of GlobalSecondaryIndexes exceeds per-table limit of " +
                                  std::to_string(kMaxGlobalIndexes)));
  if (projected > kMaxProjectedAttributes)
    return Unexpected(errors::InvalidParameters(
        "The number of attributes in key schema and projection of all indexes exceeds "
        "the limit of " +
        std::to_string(kMaxProjectedAttributes)));
  return {};
}

std::set<std::string, std::less<>> KeyAttributeNames(const Table& table) {
  std::set<std::string, std::less<>> names = {table.partition_key.name};
  if (table.sort_key) names.insert(table.sort_key->name);
  for (const Index& index : table.indexes) {
    names.insert(index.partition_key.name);
    if (index.sort_key) names.insert(index.sort_key->name);
  }
  return names;
}

AttributeTypes DefinedAttributes(const json::object& description) {
  AttributeTypes defined;
  for (const auto& definition : description.at("AttributeDefinitions").as_array())
    defined[std::string(definition.at("AttributeName").as_string())] =
        TypeFromLetter(definition.at("AttributeType").as_string());
  return defined;
}

Expected<void, AwsError> CheckDefinitionsUsed(const Table& table, const AttributeTypes& defined) {
  std::set<std::string, std::less<>> used = KeyAttributeNames(table);
  for (const auto& [name, type] : defined) {
    if (used.count(name)) continue;
    if (table.indexes.empty())
      return Unexpected(errors::InvalidParameters(
          "Number of attributes in KeySchema does not exactly match number of attributes "
          "defined in AttributeDefinitions"));
    std::vector<std::string> all, keys(used.begin(), used.end());
    for (const auto& [attribute, attribute_type] : defined) all.push_back(attribute);
    return Unexpected(errors::InvalidParameters(
        "Some AttributeDefinitions are not used. AttributeDefinitions: [" + JoinNames(all) +
        "], keys used: [" + JoinNames(keys) + "]"));
  }
  return {};
}

json::array KeySchemaJson(const KeyAttribute& partition, const std::optional<KeyAttribute>& sort) {
  json::array schema{json::object{{"AttributeName", partition.name}, {"KeyType", "HASH"}}};
  if (sort) schema.push_back(json::object{{"AttributeName", sort->name}, {"KeyType", "RANGE"}});
  return schema;
}

std::string IndexArn(const Table& table, const Index& index) {
  return table.arn + "/index/" + index.name;
}

json::object DescribeIndex(const Table& table, const Index& index, int64_t items, int64_t bytes) {
  json::object projection{{"ProjectionType", ProjectionName(index.projection)}};
  if (!index.non_key_attributes.empty()) {
    json::array names;
    for (const auto& name : index.non_key_attributes) names.emplace_back(name);
    projection["NonKeyAttributes"] = std::move(names);
  }
  json::object description{{"IndexName", index.name},
                           {"KeySchema", KeySchemaJson(index.partition_key, index.sort_key)},
                           {"Projection", std::move(projection)},
                           {"IndexSizeBytes", bytes},
                           {"ItemCount", items},
                           {"IndexArn", IndexArn(table, index)}};
  if (index.global) {
    description["IndexStatus"] = index.status;
    if (index.status == "CREATING") description["Backfilling"] = true;
    description["ProvisionedThroughput"] = json::object{{"NumberOfDecreasesToday", 0},
                                                        {"ReadCapacityUnits", index.read_units},
                                                        {"WriteCapacityUnits", index.write_units}};
  }
  return description;
}

Expected<std::optional<StreamRequest>, AwsError> ParseStreamSpecification(
    const json::object& input) {
  const json::value* stream = input.if_contains("StreamSpecification");
  if (stream == nullptr || stream->is_null()) return std::optional<StreamRequest>();
  if (!stream->is_object())
    return Unexpected(errors::Serialization("StreamSpecification must be an object"));
  auto enabled = OptionalBool(stream->get_object(), "StreamEnabled");
  if (!enabled) return Unexpected(enabled.error());
  if (!enabled->has_value()) return Unexpected(MissingMember("streamSpecification.streamEnabled"));
  auto view = OptionalEnum(stream->get_object(), "StreamViewType",
                           {"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"},
                           "streamSpecification.streamViewType");
  if (!view) return Unexpected(view.error());
  StreamRequest request{**enabled, std::string(view->value_or(""))};
  if (request.enabled && request.view_type.empty())
    return Unexpected(
        errors::InvalidParameters("StreamViewType is required when StreamEnabled is true"));
  return std::optional<StreamRequest>(std::move(request));
}

void StartStream(json::object& description, const std::string& table_arn,
                 const std::string& view_type, Clock::TimePoint now) {
  std::string label = FormatIso8601(now);
  label.pop_back();  // AWS's stream labels have no trailing Z
  description["StreamSpecification"] =
      json::object{{"StreamEnabled", true}, {"StreamViewType", view_type}};
  description["LatestStreamLabel"] = label;
  description["LatestStreamArn"] = table_arn + "/stream/" + label;
}

double EpochSeconds(Clock::TimePoint time) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  return static_cast<double>(millis) / 1000.0;
}

}  // namespace lamina::dynamodb
