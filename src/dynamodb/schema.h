#pragma once

// A table's schema as CreateTable and UpdateTable take it: AttributeDefinitions, KeySchema and
// the secondary index definitions, validated with DynamoDB's messages, and the index
// descriptions DescribeTable returns. Pure functions; thread-safe.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/expected.h"
#include "dynamodb/catalog.h"
#include "protocol/aws_error.h"

namespace lamina::dynamodb {

// AttributeDefinitions: name → type.
using AttributeTypes = std::map<std::string, Type, std::less<>>;

// DynamoDB's limits on indexes.
constexpr size_t kMaxLocalIndexes = 5;
constexpr size_t kMaxGlobalIndexes = 20;
constexpr size_t kMaxProjectedAttributes = 100;

// A ProvisionedThroughput object at `path`: (read, write) units, both present and at least 1.
Expected<std::pair<int64_t, int64_t>, AwsError> ParseThroughput(const json::value& wire,
                                                                const std::string& path);

Expected<AttributeTypes, AwsError> ParseAttributeDefinitions(const json::array& definitions);

// A KeySchema list (HASH, then optionally RANGE) whose attributes must be defined; `path` is its
// place in the request for model-validation messages ("keySchema",
// "globalSecondaryIndexes.1.member.keySchema").
Expected<void, AwsError> ParseKeySchema(const json::array& key_schema, std::string_view path,
                                        const AttributeTypes& defined, KeyAttribute* partition,
                                        std::optional<KeyAttribute>* sort);

// One index definition (a GlobalSecondaryIndex or LocalSecondaryIndex), checked against the
// table's keys; `pay_per_request` is the table's billing mode.
Expected<Index, AwsError> ParseIndex(const json::value& wire, bool global, const std::string& path,
                                     const Table& table, const AttributeTypes& defined,
                                     bool pay_per_request);

// CreateTable's LocalSecondaryIndexes and GlobalSecondaryIndexes (local ones first).
Expected<std::vector<Index>, AwsError> ParseIndexes(const json::object& input, const Table& table,
                                                    const AttributeTypes& defined,
                                                    bool pay_per_request);

// The key attributes of a table and of its indexes.
std::set<std::string, std::less<>> KeyAttributeNames(const Table& table);
// The AttributeDefinitions a table's description lists.
AttributeTypes DefinedAttributes(const json::object& description);
// Every definition must be a key attribute of the table or an index, or DynamoDB refuses it.
Expected<void, AwsError> CheckDefinitionsUsed(const Table& table, const AttributeTypes& defined);
// Index-wide checks over a table's indexes: unique names, per-table limits, projected attributes.
Expected<void, AwsError> CheckIndexLimits(const std::vector<Index>& indexes);

json::array KeySchemaJson(const KeyAttribute& partition, const std::optional<KeyAttribute>& sort);
// An entry of DescribeTable's GlobalSecondaryIndexes or LocalSecondaryIndexes.
json::object DescribeIndex(const Table& table, const Index& index, int64_t items, int64_t bytes);
std::string IndexArn(const Table& table, const Index& index);

// A StreamSpecification: enable with a view type, or disable.
struct StreamRequest {
  bool enabled = false;
  std::string view_type;
};
// input["StreamSpecification"], validated; nullopt when absent.
Expected<std::optional<StreamRequest>, AwsError> ParseStreamSpecification(
    const json::object& input);
// Starts a new stream on a table's description: StreamSpecification, LatestStreamLabel,
// LatestStreamArn.
void StartStream(json::object& description, const std::string& table_arn,
                 const std::string& view_type, Clock::TimePoint now);

// A time as DynamoDB's descriptions carry it: epoch seconds with milliseconds.
double EpochSeconds(Clock::TimePoint time);

}  // namespace lamina::dynamodb
