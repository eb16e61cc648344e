#include "dynamodb/expressions/update.h"

#include <algorithm>
#include <unordered_set>

#include "dynamodb/expressions/evaluate.h"
#include "dynamodb/number.h"

namespace lamina::dynamodb::expr {

namespace {

constexpr char kInvalidPath[] =
    "The document path provided in the update expression is invalid for update";
constexpr char kMissingOperand[] =
    "The provided expression refers to an attribute that does not exist in the item";
constexpr char kWrongType[] = "An operand in the update expression has an incorrect data type";

// The container holding the last element of `path`, or nullptr when it does not exist. For a
// top-level path the container is the item itself, returned through `top_level`.
AttributeValue* Parent(Item& item, const Path& path, AttributeMap** top_level) {
  *top_level = nullptr;
  if (path.elements.size() == 1) {
    *top_level = &item;
    return nullptr;
  }
  Path prefix{{path.elements.begin(), path.elements.end() - 1}};
  // Resolve only reads; the item is ours to change.
  return const_cast<AttributeValue*>(Resolve(item, prefix));
}

Expected<void, std::string> Assign(Item& item, const Path& path, AttributeValue value) {
  AttributeMap* top_level = nullptr;
  AttributeValue* parent = Parent(item, path, &top_level);
  const PathElement& last = path.elements.back();
  if (top_level != nullptr) {
    (*top_level)[last.name] = std::move(value);
    return {};
  }
  if (parent == nullptr) return Unexpected(std::string(kInvalidPath));
  if (last.kind == PathElement::Kind::kName) {
    if (parent->type() != Type::kM) return Unexpected(std::string(kInvalidPath));
    parent->map()[last.name] = std::move(value);
  } else {
    if (parent->type() != Type::kL) return Unexpected(std::string(kInvalidPath));
    AttributeList& list = parent->list();
    if (last.index < list.size())
      list[last.index] = std::move(value);
    else
      list.push_back(std::move(value));  // past the end appends, as DynamoDB does
  }
  return {};
}

void Remove(Item& item, const Path& path) {
  AttributeMap* top_level = nullptr;
  AttributeValue* parent = Parent(item, path, &top_level);
  const PathElement& last = path.elements.back();
  if (top_level != nullptr) {
    top_level->erase(last.name);
    return;
  }
  if (parent == nullptr) return;
  if (last.kind == PathElement::Kind::kName && parent->type() == Type::kM) {
    parent->map().erase(last.name);
  } else if (last.kind == PathElement::Kind::kIndex && parent->type() == Type::kL &&
             last.index < parent->list().size()) {
    parent->list().erase(parent->list().begin() + last.index);
  }
}

Expected<AttributeValue, std::string> EvaluateOperand(const Operand& operand, const Item& item) {
  switch (operand.kind) {
    case Operand::Kind::kValue:
      return operand.value;
    case Operand::Kind::kPath: {
      const AttributeValue* found = Resolve(item, operand.path);
      if (found == nullptr) return Unexpected(std::string(kMissingOperand));
      return *found;
    }
    case Operand::Kind::kIfNotExists: {
      const AttributeValue* found = Resolve(item, operand.path);
      if (found != nullptr) return *found;
      return EvaluateOperand(operand.arguments[0], item);
    }
    case Operand::Kind::kListAppend: {
      auto first = EvaluateOperand(operand.arguments[0], item);
      if (!first) return first;
      auto second = EvaluateOperand(operand.arguments[1], item);
      if (!second) return second;
      if (first->type() != Type::kL || second->type() != Type::kL)
        return Unexpected(std::string(kWrongType));
      AttributeList joined = std::move(first->list());
      for (auto& element : second->list()) joined.push_back(std::move(element));
      return AttributeValue::List(std::move(joined));
    }
    case Operand::Kind::kPlus:
    case Operand::Kind::kMinus: {
      auto left = EvaluateOperand(operand.arguments[0], item);
      if (!left) return left;
      auto right = EvaluateOperand(operand.arguments[1], item);
      if (!right) return right;
      if (left->type() != Type::kN || right->type() != Type::kN)
        return Unexpected(std::string(kWrongType));
      auto a = Number::Parse(left->scalar());
      auto b = Number::Parse(right->scalar());
      if (!a || !b) return Unexpected(std::string(kWrongType));
      auto result =
          operand.kind == Operand::Kind::kPlus ? Number::Add(*a, *b) : Number::Subtract(*a, *b);
      if (!result) return Unexpected(result.error());
      return AttributeValue::NumberText(result->ToString());
    }
    case Operand::Kind::kSize:
      break;
  }
  return Unexpected(std::string(kWrongType));
}

Expected<AttributeValue, std::string> AddTo(const AttributeValue* existing,
                                            const AttributeValue& value) {
  if (value.type() != Type::kN && !value.IsSet()) return Unexpected(std::string(kWrongType));
  if (existing == nullptr) return value;
  if (existing->type() != value.type()) return Unexpected(std::string(kWrongType));
  if (value.type() == Type::kN) {
    auto a = Number::Parse(existing->scalar());
    auto b = Number::Parse(value.scalar());
    if (!a || !b) return Unexpected(std::string(kWrongType));
    auto sum = Number::Add(*a, *b);
    if (!sum) return Unexpected(sum.error());
    return AttributeValue::NumberText(sum->ToString());
  }
  std::vector<std::string> members = existing->set();
  std::unordered_set<std::string_view> present(members.begin(), members.end());
  std::vector<std::string> added;
  for (const auto& member : value.set())
    if (!present.count(member)) added.push_back(member);
  for (auto& member : added) members.push_back(std::move(member));
  return AttributeValue::Set(value.type(), std::move(members));
}

}  // namespace

Expected<void, std::string> ApplyUpdate(const UpdateExpression& update, Item& item) {
  // Right-hand sides see the item as it was.
  std::vector<AttributeValue> values(update.actions.size());
  for (size_t i = 0; i < update.actions.size(); ++i) {
    const UpdateAction& action = update.actions[i];
    if (action.kind == UpdateAction::Kind::kSet) {
      auto value = EvaluateOperand(action.value, item);
      if (!value) return Unexpected(value.error());
      values[i] = std::move(*value);
    }
  }
  std::vector<const UpdateAction*> removals;
  for (size_t i = 0; i < update.actions.size(); ++i) {
    const UpdateAction& action = update.actions[i];
    switch (action.kind) {
      case UpdateAction::Kind::kSet: {
        auto assigned = Assign(item, action.path, std::move(values[i]));
        if (!assigned) return assigned;
        break;
      }
      case UpdateAction::Kind::kRemove:
        removals.push_back(&action);
        break;
      case UpdateAction::Kind::kAdd: {
        auto sum = AddTo(Resolve(item, action.path), action.value.value);
        if (!sum) return Unexpected(sum.error());
        auto assigned = Assign(item, action.path, std::move(*sum));
        if (!assigned) return assigned;
        break;
      }
      case UpdateAction::Kind::kDelete: {
        const AttributeValue& value = action.value.value;
        if (!value.IsSet()) return Unexpected(std::string(kWrongType));
        const AttributeValue* existing = Resolve(item, action.path);
        if (existing == nullptr) break;
        if (existing->type() != value.type()) return Unexpected(std::string(kWrongType));
        std::unordered_set<std::string_view> drop(value.set().begin(), value.set().end());
        std::vector<std::string> kept;
        for (const auto& member : existing->set())
          if (!drop.count(member)) kept.push_back(member);
        if (kept.empty()) {
          Remove(item, action.path);
        } else {
          auto assigned =
              Assign(item, action.path, AttributeValue::Set(value.type(), std::move(kept)));
          if (!assigned) return assigned;
        }
        break;
      }
    }
  }
  // List elements named by index refer to the list before the update: remove the highest
  // indexes first so earlier removals do not shift later ones.
  std::stable_sort(removals.begin(), removals.end(),
                   [](const UpdateAction* a, const UpdateAction* b) {
                     const PathElement& x = a->path.elements.back();
                     const PathElement& y = b->path.elements.back();
                     return x.kind == PathElement::Kind::kIndex &&
                            y.kind == PathElement::Kind::kIndex && x.index > y.index;
                   });
  for (const UpdateAction* action : removals) Remove(item, action->path);
  return {};
}

std::vector<Path> UpdatedPaths(const UpdateExpression& update) {
  std::vector<Path> paths;
  paths.reserve(update.actions.size());
  for (const auto& action : update.actions) paths.push_back(action.path);
  return paths;
}

}  // namespace lamina::dynamodb::expr
