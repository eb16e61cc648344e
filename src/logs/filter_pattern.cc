#include "logs/filter_pattern.h"

#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>

#include "logs/filter_regex.h"

namespace lamina::logs {

namespace json = boost::json;

namespace {

constexpr std::string_view kInvalid = "Invalid filter pattern";
// Parentheses nested deeper than this are refused rather than recursed into.
constexpr int kMaxDepth = 64;

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIsNull, kIsTrue, kIsFalse, kNotExists };

// The right-hand side of a comparison.
struct Value {
  enum class Kind { kNone, kString, kNumber, kBool, kRegex } kind = Kind::kNone;
  std::string text;  // the string (unescaped, '*' a wildcard), or a number's text
  double number = 0;
  bool boolean = false;
  std::shared_ptr<const FilterRegex> regex;
};

// A node of an expression tree: && and || over comparisons, in a vector with child indexes.
struct Node {
  enum class Kind { kAnd, kOr, kCompare } kind = Kind::kCompare;
  int left = -1;
  int right = -1;
  Op op = Op::kEq;
  Value value;
  // JSON: the selector's steps (below). Space-delimited: the field's name, and `present`
  // when the field has no condition at all.
  struct Step {
    std::string name;
    size_t index = 0;
    bool is_index = false;
  };
  std::vector<Step> selector;
  std::string field;
  bool present = false;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsOrdering(Op op) { return op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe; }

// `pattern` against `text`, where '*' in the pattern matches any run of characters.
bool GlobMatches(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// `text` as a number when all of it is one.
std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  char first = text[0];
  if (!std::isdigit(static_cast<unsigned char>(first)) && first != '-' && first != '+' &&
      first != '.')
    return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  double number = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return number;
}

// Reads a double-quoted string starting at text[*pos] == '"'; \" and \\ are escapes, any other
// backslash stays. nullopt when the closing quote is missing.
std::optional<std::string> ReadQuoted(std::string_view text, size_t* pos) {
  std::string out;
  size_t i = *pos + 1;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
      out += text[i + 1];
      i += 2;
      continue;
    }
    if (c == '"') {
      *pos = i + 1;
      return out;
    }
    out += c;
    ++i;
  }
  return std::nullopt;
}

// Whether `candidate` (a string) equals the value: a glob, a regex, or a number's text.
bool TextEquals(const Value& value, std::string_view candidate) {
  switch (value.kind) {
    case Value::Kind::kRegex:
      return value.regex->Search(candidate);
    case Value::Kind::kNumber:
      if (auto number = ParseNumber(candidate)) return *number == value.number;
      return candidate == value.text;
    case Value::Kind::kString:
    case Value::Kind::kBool:
      return GlobMatches(value.text, candidate);
    case Value::Kind::kNone:
      break;
  }
  return false;
}

bool CompareNumbers(Op op, double left, double right) {
  switch (op) {
    case Op::kLt:
      return left < right;
    case Op::kLe:
      return left <= right;
    case Op::kGt:
      return left > right;
    case Op::kGe:
      return left >= right;
    case Op::kEq:
      return left == right;
    case Op::kNe:
      return left != right;
    default:
      return false;
  }
}

// What the JSON and space-delimited parsers share: a position in the pattern, the first error,
// and the && / || / ( ) grammar over comparisons the derived parser reads.
class ExpressionParser {
 public:
  ExpressionParser(std::string_view text, std::vector<Node>& nodes) : text_(text), nodes_(nodes) {}
  virtual ~ExpressionParser() = default;

  const std::string& error() const { return error_; }

 protected:
  // One comparison (no && or ||), added to nodes_; its index, or -1 after Fail.
  virtual int ParseComparison() = 0;
  // Where a bare value ends, besides whitespace, "&&" and "||".
  virtual bool EndsBareValue(char c) const = 0;

  int Fail(std::string_view what) {
    if (error_.empty())
      error_ = std::string(kInvalid) + ": " + std::string(what) + " at position " +
               std::to_string(pos_ + 1);
    return -1;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  bool Consume(std::string_view token) {
    SkipSpace();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  // A keyword (case-insensitive) followed by a non-identifier character.
  bool ConsumeKeyword(std::string_view keyword) {
    SkipSpace();
    if (pos_ + keyword.size() > text_.size()) return false;
    for (size_t i = 0; i < keyword.size(); ++i)
      if (std::toupper(static_cast<unsigned char>(text_[pos_ + i])) != keyword[i]) return false;
    size_t end = pos_ + keyword.size();
    if (end < text_.size() && std::isalnum(static_cast<unsigned char>(text_[end]))) return false;
    pos_ = end;
    return true;
  }

  int Add(Node node) {
    nodes_.push_back(std::move(node));
    return static_cast<int>(nodes_.size() - 1);
  }

  int ParseOr(int depth) {
    int left = ParseAnd(depth);
    while (left >= 0 && Consume("||")) {
      int right = ParseAnd(depth);
      if (right < 0) return -1;
      left = Combine(Node::Kind::kOr, left, right);
    }
    return left;
  }

  // = != < <= > >=, or false when none comes next.
  bool ParseOperator(Op* op) {
    static constexpr std::pair<std::string_view, Op> kOperators[] = {
        {"!=", Op::kNe}, {"<=", Op::kLe}, {">=", Op::kGe},
        {"=", Op::kEq},  {"<", Op::kLt},  {">", Op::kGt}};
    for (const auto& [token, found] : kOperators) {
      if (Consume(token)) {
        *op = found;
        return true;
      }
    }
    return false;
  }

  // A quoted string, a %regex%, or a bare word (a number, true/false, or text).
  bool ParseValue(Value* value) {
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '"') {
      auto quoted = ReadQuoted(text_, &pos_);
      if (!quoted) return false;
      value->kind = Value::Kind::kString;
      value->text = std::move(*quoted);
      return true;
    }
    if (text_[pos_] == '%') {
      size_t end = text_.find('%', pos_ + 1);
      if (end == std::string_view::npos) return Fail("unclosed '%'") >= 0;
      auto regex = FilterRegex::Compile(text_.substr(pos_ + 1, end - pos_ - 1));
      if (!regex) {
        if (error_.empty()) error_ = regex.error();
        return false;
      }
      value->kind = Value::Kind::kRegex;
      value->regex = std::make_shared<const FilterRegex>(std::move(*regex));
      pos_ = end + 1;
      return true;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && !IsSpace(text_[pos_]) && !EndsBareValue(text_[pos_]) &&
           text_.substr(pos_, 2) != "&&" && text_.substr(pos_, 2) != "||")
      ++pos_;
    if (pos_ == start) return false;
    value->text = std::string(text_.substr(start, pos_ - start));
    if (value->text == "true" || value->text == "false") {
      value->kind = Value::Kind::kBool;
      value->boolean = value->text == "true";
    } else if (auto number = ParseNumber(value->text)) {
      value->kind = Value::Kind::kNumber;
      value->number = *number;
    } else {
      value->kind = Value::Kind::kString;
    }
    return true;
  }

  std::string_view text_;
  std::vector<Node>& nodes_;
  size_t pos_ = 0;
  std::string error_;

 private:
  int Combine(Node::Kind kind, int left, int right) {
    Node node;
    node.kind = kind;
    node.left = left;
    node.right = right;
    return Add(std::move(node));
  }

  int ParseAnd(int depth) {
    int left = ParseUnary(depth);
    while (left >= 0 && Consume("&&")) {
      int right = ParseUnary(depth);
      if (right < 0) return -1;
      left = Combine(Node::Kind::kAnd, left, right);
    }
    return left;
  }

  int ParseUnary(int depth) {
    if (Consume("(")) {
      if (depth >= kMaxDepth) return Fail("parentheses nested too deeply");
      int inner = ParseOr(depth + 1);
      if (inner < 0) return -1;
      if (!Consume(")")) return Fail("expected ')'");
      return inner;
    }
    return ParseComparison();
  }
};

// Evaluates the tree at `index`, deciding each comparison with `compare`.
template <typename Compare>
bool Evaluate(const std::vector<Node>& nodes, int index, const Compare& compare) {
  const Node& node = nodes[static_cast<size_t>(index)];
  switch (node.kind) {
    case Node::Kind::kAnd:
      return Evaluate(nodes, node.left, compare) && Evaluate(nodes, node.right, compare);
    case Node::Kind::kOr:
      return Evaluate(nodes, node.left, compare) || Evaluate(nodes, node.right, compare);
    case Node::Kind::kCompare:
      break;
  }
  return compare(node);
}

}  // namespace

// ---- JSON patterns: { $.a.b[0] = "x" && ... }

struct FilterPattern::Json {
  std::vector<Node> nodes;
  int root = -1;
};

namespace {

class JsonParser final : public ExpressionParser {
 public:
  JsonParser(std::string_view text, FilterPattern::Json& out)
      : ExpressionParser(text, out.nodes), out_(out) {}

  // Parses the whole text, which starts with '{'.
  Expected<void, std::string> Run() {
    std::string_view trimmed = text_;
    while (!trimmed.empty() && IsSpace(trimmed.back())) trimmed.remove_suffix(1);
    if (trimmed.empty() || trimmed.back() != '}')
      return Unexpected(std::string("If a filter pattern starts with '{' it must end with '}'"));
    text_ = trimmed;
    SkipSpace();
    ++pos_;  // '{'
    int root = ParseOr(0);
    if (root < 0) return Unexpected(error_);
    SkipSpace();
    if (pos_ + 1 != text_.size() || text_[pos_] != '}') {
      Fail("unexpected text");
      return Unexpected(error_);
    }
    out_.root = root;
    return {};
  }

 private:
  bool EndsBareValue(char c) const override { return c == ')' || c == '}'; }

  bool ParseSelector(std::vector<Node::Step>* steps) {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '$') return false;
    ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '.') {
        ++pos_;
        size_t start = pos_;
        while (pos_ < text_.size() && !IsSpace(text_[pos_]) &&
               std::string_view(".[]=!<>()&|}\"").find(text_[pos_]) == std::string_view::npos)
          ++pos_;
        if (pos_ == start) return false;
        steps->push_back({std::string(text_.substr(start, pos_ - start)), 0, false});
      } else if (c == '[') {
        ++pos_;
        size_t start = pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '*') {
          Fail("lamina does not support [*] in JSON selectors");
          return false;
        }
        if (pos_ == start || pos_ >= text_.size() || text_[pos_] != ']' || pos_ - start > 9)
          return false;
        steps->push_back(
            {{},
             static_cast<size_t>(std::stoul(std::string(text_.substr(start, pos_ - start)))),
             true});
        ++pos_;
      } else {
        break;
      }
    }
    return !steps->empty();
  }

  int ParseComparison() override {
    Node node;
    if (!ParseSelector(&node.selector)) return Fail("expected a selector such as $.field");
    if (ConsumeKeyword("IS")) {
      if (ConsumeKeyword("NULL"))
        node.op = Op::kIsNull;
      else if (ConsumeKeyword("TRUE"))
        node.op = Op::kIsTrue;
      else if (ConsumeKeyword("FALSE"))
        node.op = Op::kIsFalse;
      else
        return Fail("expected NULL, TRUE or FALSE after IS");
      return Add(std::move(node));
    }
    if (ConsumeKeyword("NOT")) {
      if (!ConsumeKeyword("EXISTS")) return Fail("expected EXISTS after NOT");
      node.op = Op::kNotExists;
      return Add(std::move(node));
    }
    if (!ParseOperator(&node.op)) return Fail("expected a comparison operator");
    if (!ParseValue(&node.value)) return Fail("expected a value");
    if (IsOrdering(node.op) && node.value.kind != Value::Kind::kNumber)
      return Fail("<, <=, > and >= compare numbers only");
    return Add(std::move(node));
  }

  FilterPattern::Json& out_;
};

const json::value* Resolve(const json::value& root, const std::vector<Node::Step>& steps) {
  const json::value* current = &root;
  for (const Node::Step& step : steps) {
    if (step.is_index) {
      if (!current->is_array() || step.index >= current->get_array().size()) return nullptr;
      current = &current->get_array()[step.index];
    } else {
      if (!current->is_object()) return nullptr;
      current = current->get_object().if_contains(step.name);
      if (current == nullptr) return nullptr;
    }
  }
  return current;
}

bool IsJsonNumber(const json::value& value) {
  return value.is_int64() || value.is_uint64() || value.is_double();
}

double JsonNumber(const json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  return value.get_double();
}

bool JsonEquals(const json::value& value, const Value& expected) {
  if (expected.kind == Value::Kind::kNumber && IsJsonNumber(value))
    return JsonNumber(value) == expected.number;
  if (expected.kind == Value::Kind::kBool)
    return value.is_bool() && value.get_bool() == expected.boolean;
  if (value.is_string()) return TextEquals(expected, value.get_string());
  if (IsJsonNumber(value) || value.is_bool()) return TextEquals(expected, json::serialize(value));
  return false;
}

bool JsonCompare(const json::value& root, const Node& node) {
  const json::value* value = Resolve(root, node.selector);
  switch (node.op) {
    case Op::kNotExists:
      return value == nullptr;
    case Op::kIsNull:
      return value != nullptr && value->is_null();
    case Op::kIsTrue:
      return value != nullptr && value->is_bool() && value->get_bool();
    case Op::kIsFalse:
      return value != nullptr && value->is_bool() && !value->get_bool();
    case Op::kEq:
      return value != nullptr && JsonEquals(*value, node.value);
    case Op::kNe:
      return value != nullptr && !JsonEquals(*value, node.value);
    default:
      break;
  }
  if (value == nullptr || !IsJsonNumber(*value)) return false;
  return CompareNumbers(node.op, JsonNumber(*value), node.value.number);
}

}  // namespace

// ---- Space-delimited patterns: [ip, user, ..., status = 4*, bytes > 1000]

struct FilterPattern::Delimited {
  struct Field {
    bool ellipsis = false;
    std::string name;  // of the first comparison; empty for `...`
    int root = -1;     // the field's conditions, in nodes
  };
  std::vector<Node> nodes;
  std::vector<Field> fields;
  bool has_ellipsis = false;
};

namespace {

using Delimited = FilterPattern::Delimited;

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == '$' || c == '@';
}

class DelimitedParser final : public ExpressionParser {
 public:
  DelimitedParser(std::string_view text, Delimited& out)
      : ExpressionParser(text, out.nodes), out_(out) {}

  // Parses the whole text, which starts with '['.
  Expected<void, std::string> Run() {
    SkipSpace();
    ++pos_;  // '['
    while (true) {
      SkipSpace();
      Delimited::Field field;
      if (Consume("...")) {
        field.ellipsis = true;
        out_.has_ellipsis = true;
      } else {
        first_name_.clear();
        field.root = ParseOr(0);
        if (field.root < 0) return Unexpected(error_);
        field.name = first_name_;
      }
      out_.fields.push_back(std::move(field));
      if (Consume(",")) continue;
      if (Consume("]")) break;
      Fail("expected ',' or ']'");
      return Unexpected(error_);
    }
    SkipSpace();
    if (pos_ != text_.size()) {
      Fail("unexpected text after ']'");
      return Unexpected(error_);
    }
    return {};
  }

 private:
  bool EndsBareValue(char c) const override { return c == ',' || c == ']' || c == ')'; }

  int ParseComparison() override {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    if (pos_ == start) return Fail("expected a field name");
    Node node;
    node.field = std::string(text_.substr(start, pos_ - start));
    if (first_name_.empty()) first_name_ = node.field;
    SkipSpace();
    if (pos_ >= text_.size() || (text_[pos_] == ',' || text_[pos_] == ']' || text_[pos_] == ')' ||
                                 text_.substr(pos_, 2) == "&&" || text_.substr(pos_, 2) == "||")) {
      node.present = true;
      return Add(std::move(node));
    }
    if (!ParseOperator(&node.op)) return Fail("expected a comparison operator");
    if (!ParseValue(&node.value)) return Fail("expected a value");
    if (IsOrdering(node.op) && node.value.kind != Value::Kind::kNumber)
      return Fail("<, <=, > and >= compare numbers only");
    return Add(std::move(node));
  }

  Delimited& out_;
  std::string first_name_;
};

// The message's fields: split at spaces, with "quoted" and [bracketed] text one field each
// (without its quotes or brackets).
std::vector<std::string_view> SplitFields(std::string_view message) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < message.size()) {
    if (message[i] == ' ' || message[i] == '\t') {
      ++i;
      continue;
    }
    char close = message[i] == '"' ? '"' : message[i] == '[' ? ']' : '\0';
    if (close != '\0') {
      size_t end = message.find(close, i + 1);
      if (end == std::string_view::npos) end = message.size();
      fields.push_back(message.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    size_t end = i;
    while (end < message.size() && message[end] != ' ' && message[end] != '\t') ++end;
    fields.push_back(message.substr(i, end - i));
    i = end;
  }
  return fields;
}

bool FieldCompare(const Node& node, std::string_view field) {
  if (node.present) return true;
  if (IsOrdering(node.op)) {
    auto number = ParseNumber(field);
    return number && CompareNumbers(node.op, *number, node.value.number);
  }
  bool equal = TextEquals(node.value, field);
  return node.op == Op::kEq ? equal : !equal;
}

bool DelimitedMatches(const Delimited& pattern, std::string_view message) {
  std::vector<std::string_view> fields = SplitFields(message);
  const std::vector<Delimited::Field>& slots = pattern.fields;
  if (!pattern.has_ellipsis && fields.size() != slots.size()) return false;
  // While aligning, a slot checks only the conditions on its own name; conditions naming
  // another field are decided once every field is bound.
  auto local = [&](size_t slot, std::string_view field) {
    const Delimited::Field& spec = slots[slot];
    return Evaluate(pattern.nodes, spec.root, [&](const Node& node) {
      return node.field != spec.name || FieldCompare(node, field);
    });
  };
  // Wildcard matching, `...` the wildcard: linear unless it must back up to the last `...`.
  std::vector<size_t> bound(slots.size(), 0);
  size_t slot = 0, field = 0, resume = 0;
  std::optional<size_t> star;
  while (field < fields.size()) {
    if (slot < slots.size() && slots[slot].ellipsis) {
      star = slot++;
      resume = field;
    } else if (slot < slots.size() && local(slot, fields[field])) {
      bound[slot++] = field++;
    } else if (star) {
      slot = *star + 1;
      field = ++resume;
    } else {
      return false;
    }
  }
  while (slot < slots.size() && slots[slot].ellipsis) ++slot;
  if (slot != slots.size()) return false;
  std::map<std::string_view, std::string_view> by_name;
  for (size_t i = 0; i < slots.size(); ++i)
    if (!slots[i].ellipsis) by_name.emplace(slots[i].name, fields[bound[i]]);
  for (const Delimited::Field& spec : slots) {
    if (spec.ellipsis) continue;
    bool ok = Evaluate(pattern.nodes, spec.root, [&](const Node& node) {
      auto found = by_name.find(node.field);
      return found != by_name.end() && FieldCompare(node, found->second);
    });
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// ---- FilterPattern

FilterPattern::FilterPattern() = default;
FilterPattern::~FilterPattern() = default;
FilterPattern::FilterPattern(FilterPattern&&) noexcept = default;
FilterPattern& FilterPattern::operator=(FilterPattern&&) noexcept = default;

Expected<FilterPattern, std::string> FilterPattern::Parse(std::string_view text) {
  FilterPattern pattern;
  size_t start = 0;
  while (start < text.size() && IsSpace(text[start])) ++start;
  if (start == text.size()) return pattern;
  std::string_view trimmed = text.substr(start);
  while (IsSpace(trimmed.back())) trimmed.remove_suffix(1);
  if (trimmed.front() == '{') {
    pattern.json_ = std::make_unique<Json>();
    JsonParser parser(trimmed, *pattern.json_);
    if (auto parsed = parser.Run(); !parsed) return Unexpected(parsed.error());
    return pattern;
  }
  if (trimmed.front() == '[') {
    pattern.delimited_ = std::make_unique<Delimited>();
    DelimitedParser parser(trimmed, *pattern.delimited_);
    if (auto parsed = parser.Run(); !parsed) return Unexpected(parsed.error());
    return pattern;
  }
  if (trimmed.front() == '%') {
    if (trimmed.size() < 2 || trimmed.back() != '%')
      return Unexpected(std::string(kInvalid) +
                        ": a regular expression must be enclosed in '%' signs");
    auto regex = FilterRegex::Compile(trimmed.substr(1, trimmed.size() - 2));
    if (!regex) return Unexpected(regex.error());
    pattern.regex_ = std::make_unique<FilterRegex>(std::move(*regex));
    return pattern;
  }

  size_t pos = start;
  while (pos < text.size()) {
    if (IsSpace(text[pos])) {
      ++pos;
      continue;
    }
    std::vector<std::string>* into = &pattern.required_;
    if ((text[pos] == '?' || text[pos] == '-') && pos + 1 < text.size() &&
        !IsSpace(text[pos + 1])) {
      into = text[pos] == '?' ? &pattern.any_of_ : &pattern.excluded_;
      ++pos;
    }
    std::string term;
    if (text[pos] == '"') {
      size_t begin = pos;
      auto quoted = ReadQuoted(text, &pos);
      if (!quoted || quoted->empty()) {
        size_t end = pos;
        while (end < text.size() && !IsSpace(text[end])) ++end;
        if (!quoted) end = text.size();
        return Unexpected(std::string(kInvalid) + ": Invalid character(s) in term '" +
                          std::string(text.substr(begin, end - begin)) + "'");
      }
      term = std::move(*quoted);
      // " " is AWS's spelling of "every event".
      if (term.find_first_not_of(" \t") == std::string::npos) continue;
    } else {
      size_t begin = pos;
      while (pos < text.size() && !IsSpace(text[pos])) ++pos;
      term = std::string(text.substr(begin, pos - begin));
    }
    into->push_back(std::move(term));
  }
  return pattern;
}

bool FilterPattern::MatchesEverything() const {
  return json_ == nullptr && delimited_ == nullptr && regex_ == nullptr && required_.empty() &&
         any_of_.empty() && excluded_.empty();
}

bool FilterPattern::Matches(std::string_view message) const {
  if (json_ != nullptr) {
    boost::system::error_code error;
    json::value root = json::parse(message, error);
    if (error) return false;
    return Evaluate(json_->nodes, json_->root,
                    [&](const Node& node) { return JsonCompare(root, node); });
  }
  if (delimited_ != nullptr) return DelimitedMatches(*delimited_, message);
  if (regex_ != nullptr) return regex_->Search(message);
  for (const std::string& term : required_)
    if (message.find(term) == std::string_view::npos) return false;
  for (const std::string& term : excluded_)
    if (message.find(term) != std::string_view::npos) return false;
  if (any_of_.empty()) return true;
  for (const std::string& term : any_of_)
    if (message.find(term) != std::string_view::npos) return true;
  return false;
}

}  // namespace lamina::logs
