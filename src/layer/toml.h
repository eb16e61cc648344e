#pragma once

// The part of TOML (https://toml.io/en/v1.0.0) that layer manifests use, parsed into JSON
// values: comments, bare and quoted keys, dotted keys, basic and literal strings (with
// escapes), integers, floats, booleans, arrays (multi-line, trailing comma), inline tables,
// [tables] and [[arrays of tables]]. Dates and multi-line strings are rejected with a clear
// error rather than misread.
//
// Thread-safety: pure function.

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace lamina::layer {

// The document as a JSON object, or "line N: what is wrong".
Expected<boost::json::object, std::string> ParseToml(std::string_view text);

}  // namespace lamina::layer
