#pragma once

// DynamoDB's legacy parameters, accepted as DynamoDB accepts them by translating them into the
// expression AST: AttributesToGet, Expected, KeyConditions, QueryFilter, ScanFilter,
// AttributeUpdates and ConditionalOperator.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LegacyConditionalParameters.html

#include <boost/json.hpp>

#include "common/expected.h"
#include "protocol/aws_error.h"

namespace lamina::dynamodb {

struct Expressions;
struct ExpressionParameters;

// Rejects a request that mixes a legacy parameter with its expression counterpart, with
// DynamoDB's message.
Expected<void, AwsError> CheckLegacyConflicts(const boost::json::object& input, bool condition,
                                              bool filter, bool key_condition, bool update,
                                              bool projection);

// Fills the members of `expressions` that the request expressed with legacy parameters.
Expected<void, AwsError> ConvertLegacy(const boost::json::object& input,
                                       const ExpressionParameters& allowed,
                                       Expressions& expressions);

}  // namespace lamina::dynamodb
