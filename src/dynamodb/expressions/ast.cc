#include "dynamodb/expressions/ast.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dynamodb/expressions/parser.h"

namespace lamina::dynamodb::expr {

namespace {

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t chunk = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) chunk |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) chunk |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string DumpPath(const Path& path) {
  std::string out;
  for (const PathElement& element : path.elements) {
    if (element.kind == PathElement::Kind::kIndex) {
      out += "[" + std::to_string(element.index) + "]";
      continue;
    }
    if (!out.empty()) out += ".";
    if (IsPlainName(element.name)) {
      out += element.name;
      continue;
    }
    out += '"';
    for (char c : element.name) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

std::string Join(const std::vector<Operand>& operands, size_t from) {
  std::string out;
  for (size_t i = from; i < operands.size(); ++i) {
    if (i > from) out += ", ";
    out += Dump(operands[i]);
  }
  return out;
}

std::string_view ComparatorSymbol(Comparator comparator) {
  static constexpr std::string_view kSymbols[] = {"=", "<>", "<", "<=", ">", ">="};
  return kSymbols[static_cast<int>(comparator)];
}

std::string_view TypeSymbol(Type type) {
  static constexpr std::string_view kSymbols[] = {"S", "N", "B",  "BOOL", "NULL",
                                                  "M", "L", "SS", "NS",   "BS"};
  return kSymbols[static_cast<int>(type)];
}

}  // namespace

std::string PathForMessage(const Path& path) {
  std::string out = "[";
  for (size_t i = 0; i < path.elements.size(); ++i) {
    if (i > 0) out += ", ";
    const PathElement& element = path.elements[i];
    if (element.kind == PathElement::Kind::kIndex) {
      out += "[" + std::to_string(element.index) + "]";
    } else {
      out += element.name;
    }
  }
  return out + "]";
}

// Also the form DynamoDB prints values in some messages ("AttributeValue: {N:5}").
std::string Dump(const AttributeValue& value) {
  std::string out = "{";
  out += TypeSymbol(value.type());
  out += ":";
  switch (value.type()) {
    case Type::kS:
    case Type::kN:
      out += value.scalar();
      break;
    case Type::kB:
      out += Base64(value.scalar());
      break;
    case Type::kBool:
      out += value.boolean() ? "true" : "false";
      break;
    case Type::kNull:
      out += "true";
      break;
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      out += "[";
      for (size_t i = 0; i < value.set().size(); ++i) {
        if (i > 0) out += ",";
        out += value.type() == Type::kBS ? Base64(value.set()[i]) : value.set()[i];
      }
      out += "]";
      break;
    case Type::kL:
      out += "[";
      for (size_t i = 0; i < value.list().size(); ++i) {
        if (i > 0) out += ",";
        out += Dump(value.list()[i]);
      }
      out += "]";
      break;
    case Type::kM: {
      out += "{";
      bool first = true;
      for (const auto& [name, member] : value.map()) {
        if (!first) out += ",";
        first = false;
        out += name + ":" + Dump(member);
      }
      out += "}";
      break;
    }
  }
  return out + "}";
}

std::string Dump(const Operand& operand) {
  switch (operand.kind) {
    case Operand::Kind::kPath:
      return DumpPath(operand.path);
    case Operand::Kind::kValue:
      return Dump(operand.value);
    case Operand::Kind::kSize:
      return "size(" +
             (operand.arguments.empty() ? DumpPath(operand.path) : Join(operand.arguments, 0)) +
             ")";
    case Operand::Kind::kIfNotExists:
      return "if_not_exists(" + DumpPath(operand.path) + ", " + Join(operand.arguments, 0) + ")";
    case Operand::Kind::kListAppend:
      return "list_append(" + Join(operand.arguments, 0) + ")";
    case Operand::Kind::kPlus:
    case Operand::Kind::kMinus:
      if (operand.arguments.size() != 2) return "(?)";
      return "(" + Dump(operand.arguments[0]) +
             (operand.kind == Operand::Kind::kPlus ? " + " : " - ") + Dump(operand.arguments[1]) +
             ")";
  }
  return "?";
}

std::string Dump(const Condition& condition) {
  const std::vector<Operand>& operands = condition.operands;
  auto call = [&](std::string_view name) {
    return std::string(name) + "(" + Join(operands, 0) + ")";
  };
  auto logical = [&](std::string_view op) {
    if (condition.children.size() != 2) return std::string("(?)");
    return "(" + Dump(condition.children[0]) + " " + std::string(op) + " " +
           Dump(condition.children[1]) + ")";
  };
  switch (condition.kind) {
    case Condition::Kind::kCompare:
      if (operands.size() != 2) return "(?)";
      return "(" + Dump(operands[0]) + " " + std::string(ComparatorSymbol(condition.comparator)) +
             " " + Dump(operands[1]) + ")";
    case Condition::Kind::kBetween:
      if (operands.size() != 3) return "(?)";
      return "(" + Dump(operands[0]) + " BETWEEN " + Dump(operands[1]) + " AND " +
             Dump(operands[2]) + ")";
    case Condition::Kind::kIn:
      if (operands.empty()) return "(?)";
      return "(" + Dump(operands[0]) + " IN (" + Join(operands, 1) + "))";
    case Condition::Kind::kAnd:
      return logical("AND");
    case Condition::Kind::kOr:
      return logical("OR");
    case Condition::Kind::kNot:
      if (condition.children.size() != 1) return "(?)";
      return "(NOT " + Dump(condition.children[0]) + ")";
    case Condition::Kind::kAttributeExists:
      return call("attribute_exists");
    case Condition::Kind::kAttributeNotExists:
      return call("attribute_not_exists");
    case Condition::Kind::kAttributeType:
      return call("attribute_type");
    case Condition::Kind::kBeginsWith:
      return call("begins_with");
    case Condition::Kind::kContains:
      return call("contains");
  }
  return "?";
}

std::string Dump(const UpdateExpression& update) {
  std::string out;
  for (const UpdateAction& action : update.actions) {
    if (!out.empty()) out += "; ";
    switch (action.kind) {
      case UpdateAction::Kind::kSet:
        out += "SET " + DumpPath(action.path) + " = " + Dump(action.value);
        break;
      case UpdateAction::Kind::kRemove:
        out += "REMOVE " + DumpPath(action.path);
        break;
      case UpdateAction::Kind::kAdd:
        out += "ADD " + DumpPath(action.path) + " " + Dump(action.value);
        break;
      case UpdateAction::Kind::kDelete:
        out += "DELETE " + DumpPath(action.path) + " " + Dump(action.value);
        break;
    }
  }
  return out;
}

std::string Dump(const Projection& projection) {
  std::string out;
  for (const Path& path : projection.paths) {
    if (!out.empty()) out += ", ";
    out += DumpPath(path);
  }
  return out;
}

}  // namespace lamina::dynamodb::expr
