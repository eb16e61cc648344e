#pragma once

// Helpers every DynamoDB operation shares: reading typed input members, finding the table,
// parsing and validating keys and items, the request's expressions, and consumed capacity.
// All return the AwsError DynamoDB would. Thread-safe (no shared state).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dynamodb/attribute_value.h"
#include "dynamodb/catalog.h"
#include "dynamodb/errors.h"
#include "dynamodb/expressions/ast.h"
#include "dynamodb/expressions/parser.h"
#include "protocol/operation.h"

namespace lamina::dynamodb {

// DynamoDB's limits.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
constexpr size_t kMaxItemBytes = 400 * 1024;
constexpr size_t kMaxPartitionKeyBytes = 2048;
constexpr size_t kMaxSortKeyBytes = 1024;
constexpr size_t kMaxPageBytes = 1024 * 1024;
constexpr size_t kMaxBatchWriteRequests = 25;
constexpr size_t kMaxBatchGetKeys = 100;
constexpr size_t kMaxBatchGetBytes = 16 * 1024 * 1024;

// Optional members of the input, type-checked (a wrong JSON type is a SerializationException).
Expected<std::optional<std::string_view>, AwsError> OptionalString(const json::object& input,
                                                                   std::string_view name);
Expected<std::optional<bool>, AwsError> OptionalBool(const json::object& input,
                                                     std::string_view name);
Expected<std::optional<int64_t>, AwsError> OptionalInteger(const json::object& input,
                                                           std::string_view name);
// An enum-valued member; nullopt when absent. A value outside `allowed` is a
// ValidationException in the AWS model-validation format.
Expected<std::optional<std::string_view>, AwsError> OptionalEnum(
    const json::object& input, std::string_view name,
    std::initializer_list<std::string_view> allowed, std::string_view path_for_message);

// "1 validation error detected: Value '<value>' at '<path>' failed to satisfy constraint: ..."
AwsError ConstraintViolation(std::string_view value, std::string_view path,
                             std::string_view constraint);

// "1 validation error detected: Value null at '<path>' failed to satisfy constraint: Member must
// not be null".
AwsError MissingMember(std::string_view path);

// input["TableName"], present and valid (3–255 of [a-zA-Z0-9_.-]).
Expected<std::string_view, AwsError> TableNameOf(const json::object& input);

// Validates a table name (3–255 of [a-zA-Z0-9_.-]) as the 'tableName' member.
Expected<void, AwsError> ValidateTableName(std::string_view name, std::string_view path);

// The table named by input["TableName"], or ResourceNotFoundException.
Expected<std::shared_ptr<const Table>, AwsError> FindTable(const Catalog& catalog,
                                                           const OperationRequest& request,
                                                           const json::object& input);

// A primary key: its attributes and its storage key.
struct PrimaryKey {
  Item attributes;
  std::string storage_key;
};

// input Key → PrimaryKey, validated against the schema ("The provided key element does not
// match the schema").
Expected<PrimaryKey, AwsError> ParseKey(const Table& table, const json::value* wire);
// The key of a full item: validates presence and types of the key attributes ("Missing the key
// pk in the item", "Type mismatch for key ...") and their sizes.
Expected<PrimaryKey, AwsError> KeyOfItem(const Table& table, const Item& item);
// The key attributes of an item (for LastEvaluatedKey, UnprocessedKeys).
Item KeyAttributes(const Table& table, const Item& item);
std::string StorageKey(const Table& table, const Item& key_attributes);

// The expressions of one request, parsed with its placeholders. Members are set when the
// request carried them.
struct Expressions {
  std::optional<expr::Condition> condition;
  std::optional<expr::Condition> filter;
  std::optional<expr::Condition> key_condition;
  std::optional<expr::UpdateExpression> update;
  std::optional<expr::Projection> projection;
};

// Which expression parameters an operation accepts.
struct ExpressionParameters {
  bool condition = false;
  bool filter = false;
  bool key_condition = false;
  bool update = false;
  bool projection = false;
};

// Parses the allowed expressions of `input` with its ExpressionAttributeNames/Values, checks
// that every placeholder is used and that none is sent without an expression.
Expected<Expressions, AwsError> ParseExpressions(const json::object& input,
                                                 const ExpressionParameters& allowed);

// Evaluates a condition; its errors are ValidationExceptions.
Expected<bool, AwsError> Check(const expr::Condition& condition, const Item& item,
                               std::string_view kind);

// ConsumedCapacity for ReturnConsumedCapacity TOTAL or INDEXES (nullopt for NONE/absent).
std::optional<json::object> ConsumedCapacity(const json::object& input, const Table& table,
                                             double units, bool is_write);
// Capacity units: writes 1 per KB (rounded up, at least 1); reads 1 per 4 KB (at least 1),
// halved when eventually consistent.
double WriteUnits(size_t bytes);
double ReadUnits(size_t bytes, bool consistent);

}  // namespace lamina::dynamodb
