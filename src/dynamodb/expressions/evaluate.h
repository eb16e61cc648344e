#pragma once

// Evaluating condition, filter and key-condition expressions against an item, and projection.
// Type problems with values from the request are ValidationExceptions; type problems with the
// item's own attributes simply make the condition false, as in DynamoDB.
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "common/expected.h"
#include "dynamodb/expressions/ast.h"

namespace lamina::dynamodb::expr {

// The value at `path` in `item`, or nullptr when any step is missing or of the wrong type.
const AttributeValue* Resolve(const Item& item, const Path& path);

// `kind` names the parameter in messages ("ConditionExpression", "FilterExpression").
// An absent item is passed as an empty map. Returns the ValidationException message on error.
Expected<bool, std::string> Evaluate(const Condition& condition, const Item& item,
                                     std::string_view kind);

// Total order of two S, N or B values of the same type (<0, 0, >0); numbers numerically,
// strings and binaries by unsigned bytes. Values of other or different types compare by type.
int CompareScalars(const AttributeValue& a, const AttributeValue& b);

// The parts of `item` named by `projection`; nested paths keep their enclosing maps, and list
// elements are kept in index order.
Item Project(const Item& item, const Projection& projection);
Item Project(const Item& item, const std::vector<Path>& paths);

}  // namespace lamina::dynamodb::expr
