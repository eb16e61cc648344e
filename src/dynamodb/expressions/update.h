#pragma once

// Applying an UpdateExpression to an item, as DynamoDB does: every right-hand side is
// evaluated against the item as it was before the update, then the actions are applied.
// Pure functions; thread-safe.

#include <string>

#include "common/expected.h"
#include "dynamodb/expressions/ast.h"

namespace lamina::dynamodb::expr {

// Updates `item` in place. On error returns the ValidationException message and leaves
// `item` unspecified (callers update a copy).
Expected<void, std::string> ApplyUpdate(const UpdateExpression& update, Item& item);

// The paths an update writes (for ReturnValues UPDATED_OLD / UPDATED_NEW).
std::vector<Path> UpdatedPaths(const UpdateExpression& update);

}  // namespace lamina::dynamodb::expr
