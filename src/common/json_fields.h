#pragma once

// Reading and writing the members of stored JSON records: absent or mistyped members read as
// empty, so a record written by an older lamina still loads.
//
// Thread-safety: pure functions.

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::json_fields {

inline boost::json::array ToArray(const std::vector<std::string>& values) {
  boost::json::array array;
  for (const auto& value : values) array.emplace_back(value);
  return array;
}

// The string elements of an array member; empty when `value` is null or not an array.
inline std::vector<std::string> FromArray(const boost::json::value* value) {
  std::vector<std::string> out;
  if (value == nullptr || !value->is_array()) return out;
  for (const auto& element : value->get_array())
    if (element.is_string()) out.emplace_back(element.get_string());
  return out;
}

// A string member, or "" when absent or not a string.
inline std::string StringOf(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

}  // namespace lamina::json_fields
