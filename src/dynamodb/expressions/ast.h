#pragma once

// The parsed form of DynamoDB's expressions (condition, filter, key condition, update,
// projection). Placeholders are already resolved: `#name` became its attribute name and
// `:value` its AttributeValue, so evaluation never looks at ExpressionAttributeNames/Values.
// See "Expressions.OperatorsAndFunctions" and "Update expressions" in the DynamoDB guide.

#include <cstdint>
#include <string>
#include <vector>

#include "dynamodb/attribute_value.h"

namespace lamina::dynamodb::expr {

struct PathElement {
  enum class Kind { kName, kIndex };
  Kind kind = Kind::kName;
  std::string name;    // kName: the attribute or map key, resolved
  uint32_t index = 0;  // kIndex: list position

  bool operator==(const PathElement& other) const {
    return kind == other.kind && name == other.name && index == other.index;
  }
};

// A document path such as a.b[3].c; never empty, and it always starts with a name.
struct Path {
  std::vector<PathElement> elements;
  bool operator==(const Path& other) const { return elements == other.elements; }
};

// Renders a path as DynamoDB's error messages do: "[a, b, [3], c]".
std::string PathForMessage(const Path& path);

struct Operand {
  enum class Kind {
    kPath,         // path
    kValue,        // value (from ExpressionAttributeValues)
    kSize,         // size(path)
    kIfNotExists,  // if_not_exists(path, arguments[0])       (update SET only)
    kListAppend,   // list_append(arguments[0], arguments[1])  (update SET only)
    kPlus,         // arguments[0] + arguments[1]              (update SET only)
    kMinus,        // arguments[0] - arguments[1]              (update SET only)
  };
  Kind kind = Kind::kPath;
  Path path;
  AttributeValue value;
  std::vector<Operand> arguments;
};

enum class Comparator { kEqual, kNotEqual, kLess, kLessOrEqual, kGreater, kGreaterOrEqual };

struct Condition {
  enum class Kind {
    kCompare,             // operands[0] comparator operands[1]
    kBetween,             // operands[0] BETWEEN operands[1] AND operands[2]
    kIn,                  // operands[0] IN (operands[1..])
    kAnd,                 // children[0] AND children[1]
    kOr,                  // children[0] OR children[1]
    kNot,                 // NOT children[0]
    kAttributeExists,     // attribute_exists(operands[0] as path)
    kAttributeNotExists,  // attribute_not_exists(operands[0] as path)
    kAttributeType,       // attribute_type(operands[0] path, operands[1] value)
    kBeginsWith,          // begins_with(operands[0], operands[1])
    kContains,            // contains(operands[0], operands[1])
  };
  Kind kind = Kind::kCompare;
  Comparator comparator = Comparator::kEqual;
  std::vector<Operand> operands;
  std::vector<Condition> children;
};

struct UpdateAction {
  enum class Kind { kSet, kRemove, kAdd, kDelete };
  Kind kind = Kind::kSet;
  Path path;
  Operand value;  // kSet: the right-hand side; kAdd / kDelete: a kValue operand; kRemove: unused
};

struct UpdateExpression {
  std::vector<UpdateAction> actions;  // in the order written
};

struct Projection {
  std::vector<Path> paths;
};

}  // namespace lamina::dynamodb::expr
