#include "layer/glob.h"

#include <cstdint>
#include <vector>

namespace lamina::layer {

namespace {

// [abc] / [a-z] / [!abc] at pattern[0] == '['; sets `length` to the class's length.
bool ClassMatches(std::string_view pattern, char c, size_t& length) {
  size_t i = 1;
  bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negate) ++i;
  bool matched = false;
  size_t first = i;
  for (; i < pattern.size() && (pattern[i] != ']' || i == first); ++i) {
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      matched = matched || (c >= pattern[i] && c <= pattern[i + 2]);
      i += 2;
    } else {
      matched = matched || c == pattern[i];
    }
  }
  if (i >= pattern.size()) {  // no closing ']': a literal '['
    length = 1;
    return c == '[';
  }
  length = i + 1;
  return matched != negate;
}

// Matches suffixes of one pattern against suffixes of one path. A state is the pair of suffix
// lengths; remembering the ones already tried keeps patterns like "*a*a*a*a*b" linear-ish
// rather than exponential.
class Matcher {
 public:
  Matcher(std::string_view pattern, std::string_view path)
      : path_size_(path.size()), seen_((pattern.size() + 1) * (path.size() + 1), -1) {}

  bool Match(std::string_view pattern, std::string_view path) {
    int8_t& known = seen_[pattern.size() * (path_size_ + 1) + path.size()];
    if (known < 0) known = Walk(pattern, path) ? 1 : 0;
    return known == 1;
  }

 private:
  bool Walk(std::string_view pattern, std::string_view path);

  size_t path_size_;
  std::vector<int8_t> seen_;
};

bool Matcher::Walk(std::string_view pattern, std::string_view path) {
  while (!pattern.empty()) {
    // "dir/**" also matches "dir" itself, so a rule can name a whole directory.
    if (pattern == "/**" && path.empty()) return true;
    if (pattern.substr(0, 2) == "**") {
      std::string_view rest = pattern.substr(2);
      if (!rest.empty() && rest[0] == '/') {
        rest.remove_prefix(1);
        // "**/" matches nothing, or any run of whole segments.
        if (Match(rest, path)) return true;
        for (size_t i = 0; i < path.size(); ++i)
          if (path[i] == '/' && Match(rest, path.substr(i + 1))) return true;
        return false;
      }
      // A trailing "**" (or "**x"): anything, across segments.
      for (size_t i = 0; i <= path.size(); ++i)
        if (Match(rest, path.substr(i))) return true;
      return false;
    }
    char p = pattern[0];
    if (p == '*') {
      std::string_view rest = pattern.substr(1);
      for (size_t i = 0; i <= path.size(); ++i) {
        if (Match(rest, path.substr(i))) return true;
        if (i < path.size() && path[i] == '/') break;
      }
      return false;
    }
    if (path.empty()) return false;
    if (p == '?') {
      if (path[0] == '/') return false;
    } else if (p == '[') {
      size_t length = 0;
      if (path[0] == '/' || !ClassMatches(pattern, path[0], length)) return false;
      pattern.remove_prefix(length);
      path.remove_prefix(1);
      continue;
    } else if (p != path[0]) {
      return false;
    }
    pattern.remove_prefix(1);
    path.remove_prefix(1);
  }
  return path.empty();
}

}  // namespace

bool GlobMatches(std::string_view pattern, std::string_view path) {
  if (pattern.find('/') == std::string_view::npos) {
    size_t slash = path.rfind('/');
    if (slash != std::string_view::npos) path = path.substr(slash + 1);
  } else if (!pattern.empty() && pattern[0] == '/') {
    pattern.remove_prefix(1);
  }
  return Matcher(pattern, path).Match(pattern, path);
}

}  // namespace lamina::layer
