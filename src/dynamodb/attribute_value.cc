#include "dynamodb/attribute_value.h"

#include <algorithm>
#include <unordered_set>

#include "common/hashing.h"
#include "dynamodb/number.h"

namespace lamina::dynamodb {

namespace {

constexpr std::string_view kInvalid = "One or more parameter values were invalid: ";

ValueError Validation(std::string message) { return ValueError{false, std::move(message)}; }
ValueError Serialization(std::string message) { return ValueError{true, std::move(message)}; }

struct TypeKey {
  std::string_view key;
  Type type;
};
constexpr TypeKey kTypeKeys[] = {
    {"S", Type::kS},       {"N", Type::kN},   {"B", Type::kB}, {"BOOL", Type::kBool},
    {"NULL", Type::kNull}, {"M", Type::kM},   {"L", Type::kL}, {"SS", Type::kSS},
    {"NS", Type::kNS},     {"BS", Type::kBS},
};

Expected<std::string, ValueError> ParseNumberText(const json::value& wire) {
  if (!wire.is_string())
    return Unexpected(Serialization("NUMBER_VALUE must be sent as a JSON string"));
  auto number = Number::Parse(wire.get_string());
  if (!number) return Unexpected(Validation(number.error()));
  return number->ToString();
}

Expected<std::string, ValueError> ParseBinary(const json::value& wire) {
  if (!wire.is_string()) return Unexpected(Serialization("Binary values must be base64 strings"));
  auto decoded = Base64Decode(wire.get_string());
  if (!decoded)
    return Unexpected(
        Serialization("Base64 encoded length is expected a multiple of 4 bytes but found a value "
                      "that is not valid base64"));
  return std::move(*decoded);
}

std::string DuplicateMessage(const std::vector<std::string>& members, Type type) {
  std::string listed;
  for (const auto& member : members) {
    if (!listed.empty()) listed += ", ";
    listed += type == Type::kBS ? Base64Encode(member) : member;
  }
  return std::string(kInvalid) + "Input collection [" + listed + "] contains duplicates.";
}

// DynamoDB nests documents at most 32 levels deep, a top-level attribute being level 1.
constexpr int kMaxNestingLevels = 32;
// Attribute names are 1 to 65,535 bytes.
constexpr size_t kMaxAttributeNameBytes = 65535;

Expected<AttributeValue, ValueError> ParseValueAt(const json::value& wire, int depth);
Expected<AttributeMap, ValueError> ParseMapAt(const json::value& wire, int depth);

Expected<AttributeValue, ValueError> ParseSet(Type type, const json::value& wire) {
  if (!wire.is_array())
    return Unexpected(
        Serialization("Start of list found where not expected: sets are JSON arrays"));
  const json::array& array = wire.get_array();
  if (array.empty()) {
    if (type == Type::kSS)
      return Unexpected(Validation(std::string(kInvalid) + "An string set  may not be empty"));
    if (type == Type::kNS)
      return Unexpected(Validation(std::string(kInvalid) + "An number set  may not be empty"));
    return Unexpected(Validation(std::string(kInvalid) + "Binary sets should not be empty"));
  }
  std::vector<std::string> members;
  members.reserve(array.size());
  for (const auto& element : array) {
    if (type == Type::kSS) {
      if (!element.is_string())
        return Unexpected(Serialization("STRING_SET members must be JSON strings"));
      members.emplace_back(element.get_string());
    } else if (type == Type::kNS) {
      auto text = ParseNumberText(element);
      if (!text) return Unexpected(text.error());
      members.push_back(std::move(*text));
    } else {
      auto bytes = ParseBinary(element);
      if (!bytes) return Unexpected(bytes.error());
      members.push_back(std::move(*bytes));
    }
  }
  std::unordered_set<std::string_view> seen;
  for (const auto& member : members) {
    if (!seen.insert(member).second) {
      // The message lists the input as sent.
      std::vector<std::string> sent;
      for (const auto& element : array)
        sent.emplace_back(element.is_string() ? std::string(element.get_string()) : "");
      return Unexpected(Validation(DuplicateMessage(type == Type::kBS ? members : sent, type)));
    }
  }
  return AttributeValue::Set(type, std::move(members));
}

}  // namespace

std::string_view TypeName(Type type) {
  for (const auto& entry : kTypeKeys)
    if (entry.type == type) return entry.key;
  return "?";
}

bool AttributeValue::operator==(const AttributeValue& other) const {
  if (type_ != other.type_) return false;
  if (IsSet()) {
    // Sets are unordered.
    if (set().size() != other.set().size()) return false;
    std::vector<std::string_view> mine(set().begin(), set().end());
    std::vector<std::string_view> theirs(other.set().begin(), other.set().end());
    std::sort(mine.begin(), mine.end());
    std::sort(theirs.begin(), theirs.end());
    return mine == theirs;
  }
  return value_ == other.value_;
}

Expected<AttributeValue, ValueError> ParseAttributeValue(const json::value& wire) {
  return ParseValueAt(wire, 1);
}

Expected<AttributeMap, ValueError> ParseAttributeMap(const json::value& wire) {
  return ParseMapAt(wire, 1);
}

namespace {

Expected<AttributeValue, ValueError> ParseValueAt(const json::value& wire, int depth) {
  if (depth > kMaxNestingLevels)
    return Unexpected(
        Validation(std::string(kInvalid) + "Nesting Levels have exceeded supported limits"));
  if (!wire.is_object())
    return Unexpected(
        Serialization("Unexpected value type in payload: an AttributeValue is a JSON object"));
  const json::object& object = wire.get_object();
  const TypeKey* found = nullptr;
  const json::value* payload = nullptr;
  for (const auto& member : object) {
    for (const auto& entry : kTypeKeys) {
      if (member.key() != entry.key) continue;
      if (member.value().is_null()) continue;  // some SDKs send unset members as null
      if (found != nullptr)
        return Unexpected(Validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes"));
      found = &entry;
      payload = &member.value();
    }
  }
  if (found == nullptr)
    return Unexpected(Validation(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"));

  switch (found->type) {
    case Type::kS:
      if (!payload->is_string())
        return Unexpected(Serialization("STRING_VALUE must be a JSON string"));
      return AttributeValue::String(std::string(payload->get_string()));
    case Type::kN: {
      auto text = ParseNumberText(*payload);
      if (!text) return Unexpected(text.error());
      return AttributeValue::NumberText(std::move(*text));
    }
    case Type::kB: {
      auto bytes = ParseBinary(*payload);
      if (!bytes) return Unexpected(bytes.error());
      return AttributeValue::Binary(std::move(*bytes));
    }
    case Type::kBool:
      if (!payload->is_bool()) return Unexpected(Serialization("BOOL must be a JSON boolean"));
      return AttributeValue::Bool(payload->get_bool());
    case Type::kNull:
      if (!payload->is_bool()) return Unexpected(Serialization("NULL must be a JSON boolean"));
      if (!payload->get_bool())
        return Unexpected(Validation(std::string(kInvalid) +
                                     "Null attribute value types must have the value of true"));
      return AttributeValue::Null();
    case Type::kM: {
      auto map = ParseMapAt(*payload, depth + 1);
      if (!map) return Unexpected(map.error());
      return AttributeValue::Map(std::move(*map));
    }
    case Type::kL: {
      if (!payload->is_array()) return Unexpected(Serialization("L must be a JSON array"));
      AttributeList list;
      list.reserve(payload->get_array().size());
      for (const auto& element : payload->get_array()) {
        auto value = ParseValueAt(element, depth + 1);
        if (!value) return Unexpected(value.error());
        list.push_back(std::move(*value));
      }
      return AttributeValue::List(std::move(list));
    }
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      return ParseSet(found->type, *payload);
  }
  return Unexpected(Serialization("unknown AttributeValue type"));
}

Expected<AttributeMap, ValueError> ParseMapAt(const json::value& wire, int depth) {
  if (!wire.is_object())
    return Unexpected(Serialization("Start of structure or map found where not expected"));
  AttributeMap map;
  for (const auto& member : wire.get_object()) {
    if (member.key().empty())
      return Unexpected(Validation(std::string(kInvalid) + "An attribute name may not be empty"));
    if (member.key().size() > kMaxAttributeNameBytes)
      return Unexpected(
          Validation(std::string(kInvalid) + "Attribute name is longer than 65535 bytes"));
    auto value = ParseValueAt(member.value(), depth);
    if (!value) return Unexpected(value.error());
    map.insert_or_assign(std::string(member.key()), std::move(*value));
  }
  return map;
}

}  // namespace

json::value ToJson(const AttributeValue& value) {
  json::object out;
  switch (value.type()) {
    case Type::kS:
    case Type::kN:
      out[TypeName(value.type())] = value.scalar();
      break;
    case Type::kB:
      out["B"] = Base64Encode(value.scalar());
      break;
    case Type::kBool:
      out["BOOL"] = value.boolean();
      break;
    case Type::kNull:
      out["NULL"] = true;
      break;
    case Type::kM:
      out["M"] = ToJson(value.map());
      break;
    case Type::kL: {
      json::array list;
      list.reserve(value.list().size());
      for (const auto& element : value.list()) list.push_back(ToJson(element));
      out["L"] = std::move(list);
      break;
    }
    case Type::kSS:
    case Type::kNS:
    case Type::kBS: {
      json::array members;
      members.reserve(value.set().size());
      for (const auto& member : value.set())
        members.emplace_back(value.type() == Type::kBS ? json::string(Base64Encode(member))
                                                       : json::string(member));
      out[TypeName(value.type())] = std::move(members);
      break;
    }
  }
  return out;
}

json::object ToJson(const AttributeMap& map) {
  json::object out;
  out.reserve(map.size());
  for (const auto& [name, value] : map) out[name] = ToJson(value);
  return out;
}

size_t ValueSize(const AttributeValue& value) {
  switch (value.type()) {
    case Type::kS:
    case Type::kB:
      return value.scalar().size();
    case Type::kN:
      return NumberTextSize(value.scalar());
    case Type::kBool:
    case Type::kNull:
      return 1;
    case Type::kM: {
      size_t size = 3;
      for (const auto& [name, element] : value.map()) size += 1 + name.size() + ValueSize(element);
      return size;
    }
    case Type::kL: {
      size_t size = 3;
      for (const auto& element : value.list()) size += 1 + ValueSize(element);
      return size;
    }
    case Type::kSS:
    case Type::kBS: {
      size_t size = 0;
      for (const auto& member : value.set()) size += member.size();
      return size;
    }
    case Type::kNS: {
      size_t size = 0;
      for (const auto& member : value.set()) size += NumberTextSize(member);
      return size;
    }
  }
  return 0;
}

size_t NumberTextSize(std::string_view text) {
  auto number = Number::Parse(text);
  return number ? number->SizeBytes() : text.size();
}

size_t ItemSize(const AttributeMap& item) {
  size_t size = 0;
  for (const auto& [name, value] : item) size += name.size() + ValueSize(value);
  return size;
}

}  // namespace lamina::dynamodb
