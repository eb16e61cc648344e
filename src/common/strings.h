#pragma once

// Small string helpers for the wire protocols. Pure and thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lamina {

// ASCII letters only (header names, AWS tokens).
std::string ToLower(std::string_view text);
// Twelve ASCII digits: the shape of an AWS account id.
bool IsAccountId(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string_view Trim(std::string_view text);
std::vector<std::string_view> Split(std::string_view text, char separator);

// Decodes %XX escapes; `plus_is_space` for application/x-www-form-urlencoded.
// Returns nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);
// RFC 3986 encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - _ . ~) stay,
// everything else becomes %XX (upper-case hex); '/' stays when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);

// `text` with every byte sequence that is not valid UTF-8 replaced by U+FFFD, so text echoed
// from a request can go into a JSON or XML reply.
std::string ValidUtf8(std::string_view text);

// Splits "a=1&b=&c" into decoded pairs, in order. Malformed escapes are kept verbatim.
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query,
                                                                  bool plus_is_space);

}  // namespace lamina
