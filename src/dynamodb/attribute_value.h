#pragma once

// DynamoDB's AttributeValue: the ten types, parsed from and rendered to the wire's JSON
// ({"S": "x"}, {"N": "1"}, {"M": {...}}, ...), with DynamoDB's own validation messages, and
// DynamoDB's item size arithmetic. Values are plain data: not thread-safe to mutate, safe to
// read from many threads.

#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/expected.h"

namespace lamina::dynamodb {

namespace json = boost::json;

enum class Type : uint8_t { kS, kN, kB, kBool, kNull, kM, kL, kSS, kNS, kBS };

// "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
std::string_view TypeName(Type type);

class AttributeValue;
using AttributeMap = std::map<std::string, AttributeValue, std::less<>>;
using AttributeList = std::vector<AttributeValue>;
// An item is its top-level attributes.
using Item = AttributeMap;

class AttributeValue {
 public:
  AttributeValue() : type_(Type::kNull), value_(std::monostate{}) {}

  static AttributeValue String(std::string text) {
    return AttributeValue(Type::kS, std::move(text));
  }
  // `text` must already be a normalized number (Number::ToString()).
  static AttributeValue NumberText(std::string text) {
    return AttributeValue(Type::kN, std::move(text));
  }
  static AttributeValue Binary(std::string bytes) {
    return AttributeValue(Type::kB, std::move(bytes));
  }
  static AttributeValue Bool(bool value) { return AttributeValue(Type::kBool, value); }
  static AttributeValue Null() { return AttributeValue(); }
  static AttributeValue Map(AttributeMap map) { return AttributeValue(Type::kM, std::move(map)); }
  static AttributeValue List(AttributeList list) {
    return AttributeValue(Type::kL, std::move(list));
  }
  // Members of SS, NS (normalized numbers) or BS (raw bytes). Callers keep them unique.
  static AttributeValue Set(Type type, std::vector<std::string> members) {
    return AttributeValue(type, std::move(members));
  }

  Type type() const { return type_; }
  bool IsSet() const { return type_ == Type::kSS || type_ == Type::kNS || type_ == Type::kBS; }

  // S text, N normalized number text, B raw bytes.
  const std::string& scalar() const { return std::get<std::string>(value_); }
  bool boolean() const { return std::get<bool>(value_); }
  const AttributeMap& map() const { return std::get<AttributeMap>(value_); }
  AttributeMap& map() { return std::get<AttributeMap>(value_); }
  const AttributeList& list() const { return std::get<AttributeList>(value_); }
  AttributeList& list() { return std::get<AttributeList>(value_); }
  const std::vector<std::string>& set() const { return std::get<std::vector<std::string>>(value_); }
  std::vector<std::string>& set() { return std::get<std::vector<std::string>>(value_); }

  bool operator==(const AttributeValue& other) const;
  bool operator!=(const AttributeValue& other) const { return !(*this == other); }

 private:
  using Storage = std::variant<std::monostate, std::string, bool, AttributeMap, AttributeList,
                               std::vector<std::string>>;
  template <typename T>
  AttributeValue(Type type, T value) : type_(type), value_(std::move(value)) {}

  Type type_;
  Storage value_;
};

// Why a wire value was rejected: DynamoDB answers ValidationException for bad values and
// SerializationException for JSON that is not an AttributeValue shape at all.
struct ValueError {
  bool serialization = false;
  std::string message;
};

// Parses one wire AttributeValue ({"S": "x"}), validating as DynamoDB does: exactly one type,
// numbers valid and normalized, sets non-empty without duplicates, NULL true, base64 binary.
Expected<AttributeValue, ValueError> ParseAttributeValue(const json::value& wire);
// Parses a wire map of attributes (an Item, a Key, ExpressionAttributeValues).
Expected<AttributeMap, ValueError> ParseAttributeMap(const json::value& wire);

json::value ToJson(const AttributeValue& value);
json::object ToJson(const AttributeMap& map);

// DynamoDB's size of a value (not counting its name): strings and binaries their byte length,
// numbers per Number::SizeBytes, BOOL and NULL 1, lists and maps 3 bytes of overhead plus
// 1 byte per element plus their elements (and names).
size_t ValueSize(const AttributeValue& value);
// The size of a number given as (normalized) text, per Number::SizeBytes.
size_t NumberTextSize(std::string_view text);
// An item's size: each attribute's name length plus its value size.
size_t ItemSize(const AttributeMap& item);

}  // namespace lamina::dynamodb
