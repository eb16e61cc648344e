#include "dynamodb/legacy.h"

#include "dynamodb/request.h"

namespace lamina::dynamodb {

namespace {

using expr::Condition;
using expr::Operand;

Operand PathOperand(std::string_view name) {
  Operand operand;
  operand.kind = Operand::Kind::kPath;
  operand.path.elements.push_back({expr::PathElement::Kind::kName, std::string(name), 0});
  return operand;
}

Operand ValueOperand(AttributeValue value) {
  Operand operand;
  operand.kind = Operand::Kind::kValue;
  operand.value = std::move(value);
  return operand;
}

Condition Function(Condition::Kind kind, std::vector<Operand> operands) {
  Condition condition;
  condition.kind = kind;
  condition.operands = std::move(operands);
  return condition;
}

Condition Compare(expr::Comparator comparator, Operand left, Operand right) {
  Condition condition = Function(Condition::Kind::kCompare, {std::move(left), std::move(right)});
  condition.comparator = comparator;
  return condition;
}

Condition Combine(Condition::Kind kind, Condition left, Condition right) {
  Condition condition;
  condition.kind = kind;
  condition.children.push_back(std::move(left));
  condition.children.push_back(std::move(right));
  return condition;
}

Condition Not(Condition inner) {
  Condition condition;
  condition.kind = Condition::Kind::kNot;
  condition.children.push_back(std::move(inner));
  return condition;
}

// One legacy condition on one attribute: {ComparisonOperator, AttributeValueList} or, in
// Expected, {Value, Exists}.
Expected<Condition, AwsError> ConvertOne(std::string_view attribute, const json::value& wire,
                                         bool allow_exists) {
  if (!wire.is_object()) return Unexpected(errors::Serialization("Expected a condition object"));
  const json::object& condition = wire.get_object();
  const json::value* op = condition.if_contains("ComparisonOperator");
  const json::value* list = condition.if_contains("AttributeValueList");
  const json::value* value = condition.if_contains("Value");
  const json::value* exists = condition.if_contains("Exists");
  std::string name(attribute);

  if (allow_exists && (op == nullptr || op->is_null())) {
    bool must_exist =
        exists == nullptr || exists->is_null() || (exists->is_bool() && exists->get_bool());
    if (value != nullptr && !value->is_null()) {
      if (!must_exist)
        return Unexpected(errors::InvalidParameters(
            "Value cannot be used when Exists is false for Attribute: " + name));
      auto parsed = ParseAttributeValue(*value);
      if (!parsed) return Unexpected(errors::FromValueError(parsed.error()));
      return Compare(expr::Comparator::kEqual, PathOperand(name), ValueOperand(std::move(*parsed)));
    }
    if (must_exist)
      return Unexpected(errors::InvalidParameters(
          "Value must be provided when Exists is true for Attribute: " + name));
    return Function(Condition::Kind::kAttributeNotExists, {PathOperand(name)});
  }
  if (op == nullptr || !op->is_string()) return Unexpected(MissingMember("comparisonOperator"));
  std::string_view comparison = op->get_string();
  std::vector<AttributeValue> values;
  if (list != nullptr && !list->is_null()) {
    if (!list->is_array())
      return Unexpected(errors::Serialization("AttributeValueList must be a list"));
    for (const auto& element : list->get_array()) {
      auto parsed = ParseAttributeValue(element);
      if (!parsed) return Unexpected(errors::FromValueError(parsed.error()));
      values.push_back(std::move(*parsed));
    }
  }
  auto expect = [&](size_t count) -> Expected<void, AwsError> {
    if (values.size() != count)
      return Unexpected(errors::InvalidParameters("Invalid number of argument(s) for the " +
                                                  std::string(comparison) + " ComparisonOperator"));
    return {};
  };
  struct Simple {
    std::string_view name;
    expr::Comparator comparator;
  };
  static constexpr Simple kComparators[] = {
      {"EQ", expr::Comparator::kEqual},          {"NE", expr::Comparator::kNotEqual},
      {"LE", expr::Comparator::kLessOrEqual},    {"LT", expr::Comparator::kLess},
      {"GE", expr::Comparator::kGreaterOrEqual}, {"GT", expr::Comparator::kGreater},
  };
  for (const auto& simple : kComparators) {
    if (comparison != simple.name) continue;
    if (auto ok = expect(1); !ok) return Unexpected(ok.error());
    return Compare(simple.comparator, PathOperand(name), ValueOperand(std::move(values[0])));
  }
  if (comparison == "NULL" || comparison == "NOT_NULL") {
    if (auto ok = expect(0); !ok) return Unexpected(ok.error());
    return Function(comparison == "NULL" ? Condition::Kind::kAttributeNotExists
                                         : Condition::Kind::kAttributeExists,
                    {PathOperand(name)});
  }
  if (comparison == "BEGINS_WITH" || comparison == "CONTAINS" || comparison == "NOT_CONTAINS") {
    if (auto ok = expect(1); !ok) return Unexpected(ok.error());
    Condition::Kind kind =
        comparison == "BEGINS_WITH" ? Condition::Kind::kBeginsWith : Condition::Kind::kContains;
    Condition condition = Function(kind, {PathOperand(name), ValueOperand(std::move(values[0]))});
    if (comparison != "NOT_CONTAINS") return condition;
    // NOT_CONTAINS is false for a missing attribute.
    return Combine(Condition::Kind::kAnd,
                   Function(Condition::Kind::kAttributeExists, {PathOperand(name)}),
                   Not(std::move(condition)));
  }
  if (comparison == "BETWEEN") {
    if (auto ok = expect(2); !ok) return Unexpected(ok.error());
    return Function(Condition::Kind::kBetween,
                    {PathOperand(name), ValueOperand(std::move(values[0])),
                     ValueOperand(std::move(values[1]))});
  }
  if (comparison == "IN") {
    if (values.empty())
      return Unexpected(
          errors::InvalidParameters("Invalid number of argument(s) for the IN ComparisonOperator"));
    std::vector<Operand> operands = {PathOperand(name)};
    for (auto& element : values) operands.push_back(ValueOperand(std::move(element)));
    return Function(Condition::Kind::kIn, std::move(operands));
  }
  return Unexpected(errors::Validation(
      "1 validation error detected: Value '" + std::string(comparison) +
      "' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value "
      "set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, "
      "CONTAINS]"));
}

Expected<std::optional<Condition>, AwsError> ConvertConditions(const json::object& input,
                                                               std::string_view member,
                                                               bool allow_exists,
                                                               bool use_operator) {
  const json::value* wire = input.if_contains(member);
  if (wire == nullptr || wire->is_null()) return std::optional<Condition>();
  if (!wire->is_object())
    return Unexpected(errors::Serialization(std::string(member) + " must be a map"));
  Condition::Kind join = Condition::Kind::kAnd;
  if (use_operator) {
    auto op = OptionalEnum(input, "ConditionalOperator", {"AND", "OR"}, "conditionalOperator");
    if (!op) return Unexpected(op.error());
    if (op->has_value() && **op == "OR") join = Condition::Kind::kOr;
  }
  std::optional<Condition> result;
  for (const auto& member_condition : wire->get_object()) {
    auto converted = ConvertOne(member_condition.key(), member_condition.value(), allow_exists);
    if (!converted) return Unexpected(converted.error());
    result =
        result ? Combine(join, std::move(*result), std::move(*converted)) : std::move(*converted);
  }
  return result;
}

bool Has(const json::object& input, std::string_view name) {
  const json::value* value = input.if_contains(name);
  return value != nullptr && !value->is_null();
}

}  // namespace

Expected<void, AwsError> CheckLegacyConflicts(const json::object& input, bool condition,
                                              bool filter, bool key_condition, bool update,
                                              bool projection) {
  std::vector<std::string> legacy;
  for (const char* name : {"AttributesToGet", "Expected", "KeyConditions", "QueryFilter",
                           "ScanFilter", "AttributeUpdates", "ConditionalOperator"})
    if (Has(input, name)) legacy.push_back(name);
  std::vector<std::string> modern;
  if (condition) modern.push_back("ConditionExpression");
  if (filter) modern.push_back("FilterExpression");
  if (key_condition) modern.push_back("KeyConditionExpression");
  if (update) modern.push_back("UpdateExpression");
  if (projection) modern.push_back("ProjectionExpression");
  if (legacy.empty() || modern.empty()) return {};
  auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
  };
  return Unexpected(errors::Validation(
      "Can not use both expression and non-expression parameters in the same request: "
      "Non-expression parameters: {" +
      join(legacy) + "} Expression parameters: {" + join(modern) + "}"));
}

Expected<void, AwsError> ConvertLegacy(const json::object& input,
                                       const ExpressionParameters& allowed,
                                       Expressions& expressions) {
  if (allowed.projection && !expressions.projection && Has(input, "AttributesToGet")) {
    const json::value& names = input.at("AttributesToGet");
    if (!names.is_array() || names.get_array().empty())
      return Unexpected(errors::Validation(
          "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy "
          "constraint: Member must have length greater than or equal to 1"));
    expr::Projection projection;
    for (const auto& name : names.get_array()) {
      if (!name.is_string())
        return Unexpected(errors::Serialization("AttributesToGet must list strings"));
      projection.paths.push_back(PathOperand(name.get_string()).path);
    }
    expressions.projection = std::move(projection);
  }
  if (allowed.condition && !expressions.condition) {
    auto converted = ConvertConditions(input, "Expected", true, true);
    if (!converted) return Unexpected(converted.error());
    if (*converted) expressions.condition = std::move(**converted);
  }
  if (allowed.key_condition && !expressions.key_condition) {
    auto converted = ConvertConditions(input, "KeyConditions", false, false);
    if (!converted) return Unexpected(converted.error());
    if (*converted) expressions.key_condition = std::move(**converted);
  }
  if (allowed.filter && !expressions.filter) {
    for (const char* member : {"QueryFilter", "ScanFilter"}) {
      auto converted = ConvertConditions(input, member, false, true);
      if (!converted) return Unexpected(converted.error());
      if (*converted) expressions.filter = std::move(**converted);
    }
  }
  if (allowed.update && !expressions.update && Has(input, "AttributeUpdates")) {
    const json::value& updates = input.at("AttributeUpdates");
    if (!updates.is_object())
      return Unexpected(errors::Serialization("AttributeUpdates must be a map"));
    expr::UpdateExpression update;
    for (const auto& member : updates.get_object()) {
      if (!member.value().is_object())
        return Unexpected(errors::Serialization("AttributeUpdates values must be objects"));
      const json::object& change = member.value().get_object();
      auto action =
          OptionalEnum(change, "Action", {"ADD", "PUT", "DELETE"}, "attributeUpdates.action");
      if (!action) return Unexpected(action.error());
      std::string_view kind = action->value_or("PUT");
      std::optional<AttributeValue> value;
      if (Has(change, "Value")) {
        auto parsed = ParseAttributeValue(change.at("Value"));
        if (!parsed) return Unexpected(errors::FromValueError(parsed.error()));
        value = std::move(*parsed);
      }
      expr::UpdateAction converted;
      converted.path = PathOperand(member.key()).path;
      if (kind == "PUT") {
        if (!value)
          return Unexpected(
              errors::InvalidParameters("Only DELETE action is allowed when no attribute value is "
                                        "specified"));
        converted.kind = expr::UpdateAction::Kind::kSet;
        converted.value = ValueOperand(std::move(*value));
      } else if (kind == "DELETE") {
        converted.kind =
            value ? expr::UpdateAction::Kind::kDelete : expr::UpdateAction::Kind::kRemove;
        if (value) converted.value = ValueOperand(std::move(*value));
      } else {
        if (!value)
          return Unexpected(
              errors::InvalidParameters("Only DELETE action is allowed when no attribute value is "
                                        "specified"));
        converted.kind = expr::UpdateAction::Kind::kAdd;
        converted.value = ValueOperand(std::move(*value));
      }
      update.actions.push_back(std::move(converted));
    }
    expressions.update = std::move(update);
  }
  return {};
}

}  // namespace lamina::dynamodb
