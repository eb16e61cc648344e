#pragma once

// Parsing DynamoDB's expressions into the AST of ast.h, with DynamoDB's own validation and
// ValidationException messages: the grammar and error order of DynamoDB's parser (syntax
// errors and redundant parentheses first, then misused functions, reserved words and list
// indexes in the order written, then undefined placeholders, operand counts and types,
// overlapping paths and the like). See "Expressions.OperatorsAndFunctions",
// "Expressions.UpdateExpressions", "Expressions.ProjectionExpressions" and
// "Expressions.ExpressionAttributeNames" in the DynamoDB developer guide.
//
// Checks that need the item or the table (key conditions, types of stored attributes) are the
// callers'. The functions are thread-safe; a Placeholders object is not (one per request).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "dynamodb/attribute_value.h"
#include "dynamodb/expressions/ast.h"

namespace lamina::dynamodb::expr {

// Limits DynamoDB applies while parsing (AWS "Service, account, and table quotas" and
// DynamoDB's messages).
inline constexpr size_t kMaxExpressionLength = 4096;  // characters (UTF-16 units, as DynamoDB)
inline constexpr size_t kMaxPathDepth = 32;           // elements of one document path
inline constexpr int kMaxOperators = 300;             // operators and functions per expression
inline constexpr size_t kMaxInOperands = 100;         // values in one IN list
// lamina's own guard against deep recursion: parentheses and function calls nested deeper
// than this are rejected ("The expression has too many nesting levels; ..."). DynamoDB itself
// would reject such an expression only for its operator count.
inline constexpr int kMaxNestingLevels = 500;

// The placeholders of one request, shared by all of its expressions (a condition plus an
// update plus a projection), so that unused ones are reported once every expression is parsed.
class Placeholders {
 public:
  using Names = std::map<std::string, std::string, std::less<>>;

  // Either may be null (the request did not send it). Both must outlive this object.
  Placeholders(const Names* names, const AttributeMap* values) : names_(names), values_(values) {}

  // After parsing every expression of the request: the ValidationException message when a
  // name or value was never used ("Value provided in ExpressionAttributeNames unused in
  // expressions: keys: {#a, #b}" / same for ExpressionAttributeValues; keys in sorted order),
  // else nullopt. Names are checked first.
  std::optional<std::string> Unused() const;

  // The attribute name `#key` stands for, marking it used; nullptr when it is not defined.
  const std::string* Name(std::string_view key);
  // The value `:key` stands for, marking it used; nullptr when it is not defined.
  const AttributeValue* Value(std::string_view key);

 private:
  const Names* names_;
  const AttributeMap* values_;
  std::set<std::string, std::less<>> used_names_;
  std::set<std::string, std::less<>> used_values_;
};

// Each returns the AST, or the full ValidationException message, e.g.
// "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :b\"".
// `kind` is the request parameter name used in messages: "ConditionExpression",
// "FilterExpression", "KeyConditionExpression".
//
// AST shapes worth knowing: AND and OR chains are right-associative (a AND b AND c is
// a AND (b AND c)), as in DynamoDB; size() keeps its argument in `arguments[0]` too, and sets
// `path` only when that argument is a path (size(:v) of a value is valid DynamoDB);
// attribute_type, begins_with and contains may have a value as their first operand.
Expected<Condition, std::string> ParseCondition(std::string_view text, std::string_view kind,
                                                Placeholders& placeholders);
// Messages say "Invalid UpdateExpression: ...". Actions are in the order written.
Expected<UpdateExpression, std::string> ParseUpdate(std::string_view text,
                                                    Placeholders& placeholders);
// Messages say "Invalid ProjectionExpression: ...".
Expected<Projection, std::string> ParseProjection(std::string_view text,
                                                  Placeholders& placeholders);

// A canonical, fully parenthesized dump of an AST for golden tests, e.g.
// "(a.b[3] = {S:x})", "SET a = (b + {N:1}); REMOVE c", "a, b.c[0]". Names that are not plain
// identifiers are quoted ("a.\"x y\""); values print as {TYPE:value}. Defined in ast.cc.
std::string Dump(const Condition& condition);
std::string Dump(const UpdateExpression& update);
std::string Dump(const Projection& projection);
std::string Dump(const Operand& operand);
std::string Dump(const AttributeValue& value);

}  // namespace lamina::dynamodb::expr
