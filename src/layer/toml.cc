#include "layer/toml.h"

#include <charconv>
#include <cstdint>

namespace lamina::layer {

namespace json = boost::json;

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Expected<json::object, std::string> Parse() {
    json::object root;
    json::object* table = &root;
    while (true) {
      SkipBlankLinesAndComments();
      if (AtEnd()) break;
      if (Peek() == '[') {
        bool array = text_.substr(pos_, 2) == "[[";
        pos_ += array ? 2 : 1;
        SkipSpaces();
        auto path = ParseKeyPath();
        if (!path) return Fail(path.error());
        SkipSpaces();
        if (text_.substr(pos_, array ? 2 : 1) != (array ? "]]" : "]"))
          return Fail(array ? "expected ']]' after the table name" : "expected ']'");
        pos_ += array ? 2 : 1;
        auto opened = OpenTable(root, *path, array);
        if (!opened) return Fail(opened.error());
        table = *opened;
      } else {
        auto assigned = ParseKeyValue(*table);
        if (!assigned) return Fail(assigned.error());
      }
      if (!EndOfLine()) return Fail("unexpected text after the value");
    }
    return root;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  Unexpected<std::string> Fail(const std::string& message) const {
    int line = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) line += text_[i] == '\n';
    return Unexpected("line " + std::to_string(line) + ": " + message);
  }

  void SkipSpaces() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
  }

  void SkipComment() {
    if (Peek() == '#')
      while (!AtEnd() && Peek() != '\n') ++pos_;
  }

  void SkipBlankLinesAndComments() {
    while (!AtEnd()) {
      SkipSpaces();
      SkipComment();
      if (Peek() == '\r') ++pos_;
      if (Peek() != '\n') return;
      ++pos_;
    }
  }

  // Whitespace (and newlines, comments) inside arrays.
  void SkipInsideArray() {
    while (!AtEnd()) {
      SkipSpaces();
      SkipComment();
      if (Peek() == '\n' || Peek() == '\r')
        ++pos_;
      else
        return;
    }
  }

  bool EndOfLine() {
    SkipSpaces();
    SkipComment();
    if (Peek() == '\r') ++pos_;
    if (AtEnd()) return true;
    if (Peek() != '\n') return false;
    ++pos_;
    return true;
  }

  static bool IsBareKeyChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  }

  Expected<std::string, std::string> ParseKey() {
    if (Peek() == '"' || Peek() == '\'') return ParseString();
    size_t start = pos_;
    while (!AtEnd() && IsBareKeyChar(Peek())) ++pos_;
    if (start == pos_) return Unexpected(std::string("expected a key"));
    return std::string(text_.substr(start, pos_ - start));
  }

  Expected<std::vector<std::string>, std::string> ParseKeyPath() {
    std::vector<std::string> path;
    while (true) {
      auto key = ParseKey();
      if (!key) return Unexpected(key.error());
      path.push_back(std::move(*key));
      SkipSpaces();
      if (Peek() != '.') return path;
      ++pos_;
      SkipSpaces();
    }
  }

  // Walks `path` from `table`, creating tables; the last step is the key to set.
  static Expected<json::object*, std::string> Descend(json::object& table,
                                                      const std::vector<std::string>& path,
                                                      size_t steps) {
    json::object* current = &table;
    for (size_t i = 0; i < steps; ++i) {
      json::value& next = (*current)[path[i]];
      if (next.is_null()) next = json::object();
      if (next.is_array() && !next.get_array().empty() && next.get_array().back().is_object()) {
        current = &next.get_array().back().get_object();
        continue;
      }
      if (!next.is_object()) return Unexpected("'" + path[i] + "' is not a table");
      current = &next.get_object();
    }
    return current;
  }

  Expected<json::object*, std::string> OpenTable(json::object& root,
                                                 const std::vector<std::string>& path, bool array) {
    auto parent = Descend(root, path, path.size() - 1);
    if (!parent) return Unexpected(parent.error());
    json::value& slot = (**parent)[path.back()];
    if (array) {
      if (slot.is_null()) slot = json::array();
      if (!slot.is_array()) return Unexpected("'" + path.back() + "' is not an array of tables");
      slot.get_array().push_back(json::object());
      return &slot.get_array().back().get_object();
    }
    if (slot.is_null()) slot = json::object();
    if (!slot.is_object()) return Unexpected("'" + path.back() + "' is already a value");
    return &slot.get_object();
  }

  Expected<void, std::string> ParseKeyValue(json::object& table) {
    auto path = ParseKeyPath();
    if (!path) return Unexpected(path.error());
    SkipSpaces();
    if (Peek() != '=') return Unexpected(std::string("expected '=' after the key"));
    ++pos_;
    SkipSpaces();
    auto value = ParseValue();
    if (!value) return Unexpected(value.error());
    auto parent = Descend(table, *path, path->size() - 1);
    if (!parent) return Unexpected(parent.error());
    if ((*parent)->contains(path->back()))
      return Unexpected("'" + path->back() + "' is defined twice");
    (**parent)[path->back()] = std::move(*value);
    return {};
  }

  Expected<std::string, std::string> ParseString() {
    char quote = Peek();
    if (text_.substr(pos_, 3) == std::string(3, quote))
      return Unexpected(std::string("multi-line strings are not supported"));
    ++pos_;
    std::string out;
    while (true) {
      if (AtEnd() || Peek() == '\n') return Unexpected(std::string("unterminated string"));
      char c = text_[pos_++];
      if (c == quote) return out;
      if (c != '\\' || quote == '\'') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) return Unexpected(std::string("unterminated string"));
      char escape = text_[pos_++];
      static constexpr std::pair<char, char> kSimple[] = {{'n', '\n'}, {'t', '\t'}, {'r', '\r'},
                                                          {'b', '\b'}, {'f', '\f'}, {'"', '"'},
                                                          {'\\', '\\'}};
      bool simple = false;
      for (auto [letter, meaning] : kSimple)
        if (escape == letter) {
          out.push_back(meaning);
          simple = true;
        }
      if (simple) continue;
      switch (escape) {
        case 'u':
        case 'U': {
          size_t digits = escape == 'u' ? 4 : 8;
          if (text_.size() - pos_ < digits) return Unexpected(std::string("bad \\u escape"));
          uint32_t code = 0;
          auto [end, error] =
              std::from_chars(text_.data() + pos_, text_.data() + pos_ + digits, code, 16);
          if (error != std::errc() || end != text_.data() + pos_ + digits || code > 0x10FFFF ||
              (code >= 0xD800 && code <= 0xDFFF))
            return Unexpected(std::string("bad \\u escape"));
          pos_ += digits;
          AppendUtf8(out, code);
          break;
        }
        default:
          return Unexpected(std::string("unknown escape \\") + escape);
      }
    }
  }

  static void AppendUtf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  Expected<json::value, std::string> ParseValue() {
    char c = Peek();
    if (c == '"' || c == '\'') {
      auto text = ParseString();
      if (!text) return Unexpected(text.error());
      return json::value(*text);
    }
    if (c == '[') return ParseArray();
    if (c == '{') return ParseInlineTable();
    size_t start = pos_;
    while (!AtEnd() && Peek() != ',' && Peek() != ']' && Peek() != '}' && Peek() != '#' &&
           Peek() != '\n' && Peek() != '\r' && Peek() != ' ' && Peek() != '\t')
      ++pos_;
    std::string token(text_.substr(start, pos_ - start));
    if (token == "true") return json::value(true);
    if (token == "false") return json::value(false);
    if (token.empty()) return Unexpected(std::string("expected a value"));
    std::string digits;
    for (char d : token)
      if (d != '_') digits.push_back(d);
    int64_t integer = 0;
    const char* first = digits.data() + (digits[0] == '+' ? 1 : 0);
    auto [end, error] = std::from_chars(first, digits.data() + digits.size(), integer);
    if (error == std::errc() && end == digits.data() + digits.size()) return json::value(integer);
    double number = 0;
    auto [float_end, float_error] = std::from_chars(first, digits.data() + digits.size(), number);
    if (float_error == std::errc() && float_end == digits.data() + digits.size())
      return json::value(number);
    if (token.find('-') != std::string::npos || token.find(':') != std::string::npos)
      return Unexpected("dates and times are not supported: " + token);
    return Unexpected("not a value: " + token + " (strings need quotes)");
  }

  // Arrays and inline tables nest at most this deep: a hostile file cannot exhaust the stack.
  static constexpr int kMaxDepth = 64;
  // One level of nesting, for as long as it lives.
  class Nesting {
   public:
    explicit Nesting(int& depth) : depth_(++depth) {}
    ~Nesting() { --depth_; }
    bool too_deep() const { return depth_ > kMaxDepth; }

   private:
    int& depth_;
  };

  Expected<json::value, std::string> ParseArray() {
    Nesting nesting(depth_);
    if (nesting.too_deep()) return Unexpected(std::string("values nest too deeply"));
    ++pos_;
    json::array array;
    while (true) {
      SkipInsideArray();
      if (Peek() == ']') {
        ++pos_;
        return json::value(std::move(array));
      }
      auto value = ParseValue();
      if (!value) return Unexpected(value.error());
      array.push_back(std::move(*value));
      SkipInsideArray();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != ']') {
        return Unexpected(std::string("expected ',' or ']' in the array"));
      }
    }
  }

  Expected<json::value, std::string> ParseInlineTable() {
    Nesting nesting(depth_);
    if (nesting.too_deep()) return Unexpected(std::string("values nest too deeply"));
    ++pos_;
    json::object table;
    SkipSpaces();
    if (Peek() == '}') {
      ++pos_;
      return json::value(std::move(table));
    }
    while (true) {
      SkipSpaces();
      auto assigned = ParseKeyValue(table);
      if (!assigned) return Unexpected(assigned.error());
      SkipSpaces();
      if (Peek() == '}') {
        ++pos_;
        return json::value(std::move(table));
      }
      if (Peek() != ',') return Unexpected(std::string("expected ',' or '}' in the inline table"));
      ++pos_;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Expected<boost::json::object, std::string> ParseToml(std::string_view text) {
  return Parser(text).Parse();
}

}  // namespace lamina::layer
