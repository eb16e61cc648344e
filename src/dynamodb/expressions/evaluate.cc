#include "dynamodb/expressions/evaluate.h"

#include <algorithm>
#include <map>

#include "dynamodb/number.h"

namespace lamina::dynamodb::expr {

namespace {

// An operand's value: borrowed from the item or the request, or computed (size()).
struct Value {
  const AttributeValue* pointer = nullptr;
  AttributeValue owned;
  bool from_request = false;

  const AttributeValue* get() const { return pointer; }
};

bool IsComparable(const AttributeValue* value) {
  return value != nullptr &&
         (value->type() == Type::kS || value->type() == Type::kN || value->type() == Type::kB);
}

std::string Describe(const AttributeValue& value) {
  return "{" + std::string(TypeName(value.type())) + ":" +
         (value.type() == Type::kS || value.type() == Type::kN ? value.scalar()
                                                               : std::string("…")) +
         "}";
}

Expected<void, std::string> ResolveOperand(const Operand& operand, const Item& item,
                                           std::string_view kind, Value* out) {
  switch (operand.kind) {
    case Operand::Kind::kPath:
      out->pointer = Resolve(item, operand.path);
      return {};
    case Operand::Kind::kValue:
      out->pointer = &operand.value;
      out->from_request = true;
      return {};
    case Operand::Kind::kSize: {
      // size() of a path, or of a value from the request.
      const AttributeValue* target = nullptr;
      if (!operand.path.elements.empty())
        target = Resolve(item, operand.path);
      else if (!operand.arguments.empty() && operand.arguments[0].kind == Operand::Kind::kValue)
        target = &operand.arguments[0].value;
      if (target == nullptr) return {};
      size_t size = 0;
      switch (target->type()) {
        case Type::kS:
        case Type::kB:
          size = target->scalar().size();
          break;
        case Type::kSS:
        case Type::kNS:
        case Type::kBS:
          size = target->set().size();
          break;
        case Type::kL:
          size = target->list().size();
          break;
        case Type::kM:
          size = target->map().size();
          break;
        default:
          return {};  // size() of a number, boolean or null: no value, so comparisons fail
      }
      out->owned = AttributeValue::NumberText(std::to_string(size));
      out->pointer = &out->owned;
      return {};
    }
    default:
      return Unexpected("Invalid " + std::string(kind) +
                        ": The function is not allowed to be used this way in an expression");
  }
}

bool Equal(const AttributeValue* a, const AttributeValue* b) {
  return a != nullptr && b != nullptr && *a == *b;
}

Expected<bool, std::string> EvaluateCompare(Comparator comparator, const Value& left,
                                            const Value& right, std::string_view kind) {
  if (comparator == Comparator::kEqual) return Equal(left.get(), right.get());
  if (comparator == Comparator::kNotEqual) return !Equal(left.get(), right.get());
  for (const Value* side : {&left, &right}) {
    if (side->from_request && !IsComparable(side->get()))
      return Unexpected("Invalid " + std::string(kind) +
                        ": Incorrect operand type for operator or function; operator or "
                        "function: comparison, operand type: " +
                        std::string(TypeName(side->get()->type())));
  }
  if (!IsComparable(left.get()) || !IsComparable(right.get())) return false;
  if (left.get()->type() != right.get()->type()) return false;
  int order = CompareScalars(*left.get(), *right.get());
  switch (comparator) {
    case Comparator::kLess:
      return order < 0;
    case Comparator::kLessOrEqual:
      return order <= 0;
    case Comparator::kGreater:
      return order > 0;
    case Comparator::kGreaterOrEqual:
      return order >= 0;
    default:
      return false;
  }
}

bool BeginsWith(const AttributeValue* value, const AttributeValue* prefix) {
  if (value == nullptr || prefix == nullptr || value->type() != prefix->type()) return false;
  if (value->type() != Type::kS && value->type() != Type::kB) return false;
  return std::string_view(value->scalar()).substr(0, prefix->scalar().size()) == prefix->scalar();
}

bool Contains(const AttributeValue* value, const AttributeValue* needle) {
  if (value == nullptr || needle == nullptr) return false;
  switch (value->type()) {
    case Type::kS:
    case Type::kB:
      return needle->type() == value->type() &&
             value->scalar().find(needle->scalar()) != std::string::npos;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS: {
      Type member = value->type() == Type::kSS   ? Type::kS
                    : value->type() == Type::kNS ? Type::kN
                                                 : Type::kB;
      if (needle->type() != member) return false;
      return std::find(value->set().begin(), value->set().end(), needle->scalar()) !=
             value->set().end();
    }
    case Type::kL:
      for (const auto& element : value->list())
        if (element == *needle) return true;
      return false;
    default:
      return false;
  }
}

Expected<Type, std::string> ParseTypeName(const AttributeValue& value, std::string_view kind) {
  if (value.type() == Type::kS) {
    for (Type type : {Type::kS, Type::kN, Type::kB, Type::kBool, Type::kNull, Type::kM, Type::kL,
                      Type::kSS, Type::kNS, Type::kBS})
      if (TypeName(type) == value.scalar()) return type;
  }
  return Unexpected("Invalid " + std::string(kind) + ": Invalid attribute type name found; type: " +
                    (value.type() == Type::kS ? value.scalar() : Describe(value)) +
                    ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
}

}  // namespace

const AttributeValue* Resolve(const Item& item, const Path& path) {
  if (path.elements.empty() || path.elements[0].kind != PathElement::Kind::kName) return nullptr;
  auto top = item.find(path.elements[0].name);
  if (top == item.end()) return nullptr;
  const AttributeValue* current = &top->second;
  for (size_t i = 1; i < path.elements.size(); ++i) {
    const PathElement& element = path.elements[i];
    if (element.kind == PathElement::Kind::kName) {
      if (current->type() != Type::kM) return nullptr;
      auto found = current->map().find(element.name);
      if (found == current->map().end()) return nullptr;
      current = &found->second;
    } else {
      if (current->type() != Type::kL || element.index >= current->list().size()) return nullptr;
      current = &current->list()[element.index];
    }
  }
  return current;
}

int CompareScalars(const AttributeValue& a, const AttributeValue& b) {
  if (a.type() != b.type()) return static_cast<int>(a.type()) - static_cast<int>(b.type());
  if (a.type() == Type::kN) {
    auto left = Number::Parse(a.scalar());
    auto right = Number::Parse(b.scalar());
    if (left && right) return left->Compare(*right);
  }
  if (a.type() == Type::kS || a.type() == Type::kB || a.type() == Type::kN) {
    // std::string compares as unsigned bytes (char_traits<char>::compare is memcmp).
    int order = a.scalar().compare(b.scalar());
    return order < 0 ? -1 : order > 0 ? 1 : 0;
  }
  return 0;
}

Expected<bool, std::string> Evaluate(const Condition& condition, const Item& item,
                                     std::string_view kind) {
  switch (condition.kind) {
    case Condition::Kind::kAnd: {
      auto left = Evaluate(condition.children[0], item, kind);
      if (!left || !*left) return left;
      return Evaluate(condition.children[1], item, kind);
    }
    case Condition::Kind::kOr: {
      auto left = Evaluate(condition.children[0], item, kind);
      if (!left || *left) return left;
      return Evaluate(condition.children[1], item, kind);
    }
    case Condition::Kind::kNot: {
      auto inner = Evaluate(condition.children[0], item, kind);
      if (!inner) return inner;
      return !*inner;
    }
    case Condition::Kind::kAttributeExists:
      return Resolve(item, condition.operands[0].path) != nullptr;
    case Condition::Kind::kAttributeNotExists:
      return Resolve(item, condition.operands[0].path) == nullptr;
    default:
      break;
  }

  std::vector<Value> values(condition.operands.size());
  for (size_t i = 0; i < condition.operands.size(); ++i) {
    auto resolved = ResolveOperand(condition.operands[i], item, kind, &values[i]);
    if (!resolved) return Unexpected(resolved.error());
  }

  switch (condition.kind) {
    case Condition::Kind::kCompare:
      return EvaluateCompare(condition.comparator, values[0], values[1], kind);
    case Condition::Kind::kBetween: {
      const Value& lower = values[1];
      const Value& upper = values[2];
      if (lower.from_request && upper.from_request && IsComparable(lower.get()) &&
          IsComparable(upper.get()) && lower.get()->type() == upper.get()->type() &&
          CompareScalars(*lower.get(), *upper.get()) > 0)
        return Unexpected("Invalid " + std::string(kind) +
                          ": The BETWEEN operator requires upper bound to be greater than or "
                          "equal to lower bound; lower bound operand: AttributeValue: " +
                          Describe(*lower.get()) +
                          ", upper bound operand: AttributeValue: " + Describe(*upper.get()));
      auto above = EvaluateCompare(Comparator::kGreaterOrEqual, values[0], lower, kind);
      if (!above || !*above) return above;
      return EvaluateCompare(Comparator::kLessOrEqual, values[0], upper, kind);
    }
    case Condition::Kind::kIn:
      for (size_t i = 1; i < values.size(); ++i)
        if (Equal(values[0].get(), values[i].get())) return true;
      return false;
    case Condition::Kind::kAttributeType: {
      if (values[1].get() == nullptr) return false;
      auto type = ParseTypeName(*values[1].get(), kind);
      if (!type) return Unexpected(type.error());
      return values[0].get() != nullptr && values[0].get()->type() == *type;
    }
    case Condition::Kind::kBeginsWith: {
      const AttributeValue* prefix = values[1].get();
      if (values[1].from_request && prefix != nullptr && prefix->type() != Type::kS &&
          prefix->type() != Type::kB)
        return Unexpected("Invalid " + std::string(kind) +
                          ": Incorrect operand type for operator or function; operator or "
                          "function: begins_with, operand type: " +
                          std::string(TypeName(prefix->type())));
      return BeginsWith(values[0].get(), prefix);
    }
    case Condition::Kind::kContains:
      return Contains(values[0].get(), values[1].get());
    default:
      return false;
  }
}

namespace {

// Projection: the parts of `value` named by `paths` (all sharing the elements before `depth`).
// Returns false when none of them exists.
bool ProjectInto(const AttributeValue& value, const std::vector<const Path*>& paths, size_t depth,
                 AttributeValue* out) {
  for (const Path* path : paths) {
    if (path->elements.size() == depth) {
      *out = value;  // the whole value is wanted
      return true;
    }
  }
  if (value.type() == Type::kM) {
    std::map<std::string, std::vector<const Path*>, std::less<>> by_name;
    for (const Path* path : paths)
      if (path->elements[depth].kind == PathElement::Kind::kName)
        by_name[path->elements[depth].name].push_back(path);
    AttributeMap projected;
    for (const auto& [name, group] : by_name) {
      auto found = value.map().find(name);
      AttributeValue child;
      if (found != value.map().end() && ProjectInto(found->second, group, depth + 1, &child))
        projected.emplace(name, std::move(child));
    }
    if (projected.empty()) return false;
    *out = AttributeValue::Map(std::move(projected));
    return true;
  }
  if (value.type() == Type::kL) {
    std::map<uint32_t, std::vector<const Path*>> by_index;
    for (const Path* path : paths)
      if (path->elements[depth].kind == PathElement::Kind::kIndex)
        by_index[path->elements[depth].index].push_back(path);
    AttributeList projected;
    for (const auto& [index, group] : by_index) {
      AttributeValue child;
      if (index < value.list().size() && ProjectInto(value.list()[index], group, depth + 1, &child))
        projected.push_back(std::move(child));
    }
    if (projected.empty()) return false;
    *out = AttributeValue::List(std::move(projected));
    return true;
  }
  return false;
}

}  // namespace

Item Project(const Item& item, const std::vector<Path>& paths) {
  std::map<std::string, std::vector<const Path*>, std::less<>> by_name;
  for (const Path& path : paths)
    if (!path.elements.empty()) by_name[path.elements[0].name].push_back(&path);
  Item projected;
  for (const auto& [name, group] : by_name) {
    auto found = item.find(name);
    AttributeValue value;
    if (found != item.end() && ProjectInto(found->second, group, 1, &value))
      projected.emplace(name, std::move(value));
  }
  return projected;
}

Item Project(const Item& item, const Projection& projection) {
  return Project(item, projection.paths);
}

}  // namespace lamina::dynamodb::expr
