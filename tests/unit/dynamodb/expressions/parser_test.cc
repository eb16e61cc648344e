#include "dynamodb/expressions/parser.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dynamodb/expressions/lexer.h"
#include "dynamodb/expressions/reserved_words.h"

namespace lamina::dynamodb::expr {
namespace {

namespace json = boost::json;

// ---- Wire JSON to AttributeValue, kept local so that these tests only exercise the parser.

std::string Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

AttributeValue FromWire(const json::value& wire) {
  const json::object& object = wire.as_object();
  const auto& [type, body] = *object.begin();
  auto strings = [&body](bool binary) {
    std::vector<std::string> members;
    for (const json::value& member : body.as_array()) {
      std::string text(member.as_string());
      members.push_back(binary ? Base64Decode(text) : text);
    }
    return members;
  };
  if (type == "S") return AttributeValue::String(std::string(body.as_string()));
  if (type == "N") return AttributeValue::NumberText(std::string(body.as_string()));
  if (type == "B") return AttributeValue::Binary(Base64Decode(body.as_string()));
  if (type == "BOOL") return AttributeValue::Bool(body.as_bool());
  if (type == "NULL") return AttributeValue::Null();
  if (type == "SS") return AttributeValue::Set(Type::kSS, strings(false));
  if (type == "NS") return AttributeValue::Set(Type::kNS, strings(false));
  if (type == "BS") return AttributeValue::Set(Type::kBS, strings(true));
  if (type == "L") {
    AttributeList list;
    for (const json::value& member : body.as_array()) list.push_back(FromWire(member));
    return AttributeValue::List(std::move(list));
  }
  AttributeMap map;
  for (const auto& [name, member] : body.as_object()) map[std::string(name)] = FromWire(member);
  return AttributeValue::Map(std::move(map));
}

// ---- The golden file: tests/unit/data/expressions/parse_cases.txt (format in its header).

struct Case {
  int line = 0;
  std::string kind;
  std::string expression;
  std::optional<Placeholders::Names> names;
  std::optional<AttributeMap> values;
  std::string expected;
};

std::vector<std::string> Split(const std::string& line, std::string_view separator) {
  std::vector<std::string> fields;
  size_t from = 0;
  while (true) {
    size_t at = line.find(separator, from);
    std::string field = line.substr(from, at == std::string::npos ? std::string::npos : at - from);
    // Exactly one space on each side belongs to the separator.
    if (!field.empty() && field.front() == ' ') field.erase(0, 1);
    if (!field.empty() && field.back() == ' ') field.pop_back();
    fields.push_back(field);
    if (at == std::string::npos) return fields;
    from = at + separator.size();
  }
}

std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() &&
        std::string_view("tnr").find(text[i + 1]) != std::string_view::npos) {
      char c = text[++i];
      out += c == 't' ? '\t' : c == 'n' ? '\n' : '\r';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<Case> LoadCases() {
  std::ifstream file(std::string(LAMINA_TEST_DATA_DIR) + "/expressions/parse_cases.txt");
  EXPECT_TRUE(file.is_open());
  std::vector<Case> cases;
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields = Split(line, "\u27c2");
    if (fields.size() != 5) {
      ADD_FAILURE() << "line " << number << ": expected 5 fields, got " << fields.size();
      continue;
    }
    Case c;
    c.line = number;
    c.kind = fields[0];
    c.expression = Unescape(fields[1]);
    if (fields[2] != "-") {
      c.names.emplace();
      json::value parsed = json::parse(fields[2]);
      for (const auto& [key, name] : parsed.as_object()) {
        (*c.names)[std::string(key)] = std::string(name.as_string());
      }
    }
    if (fields[3] != "-") {
      c.values.emplace();
      json::value parsed = json::parse(fields[3]);
      for (const auto& [key, value] : parsed.as_object()) {
        (*c.values)[std::string(key)] = FromWire(value);
      }
    }
    c.expected = fields[4];
    cases.push_back(std::move(c));
  }
  return cases;
}

// The parse error, else the unused-placeholder error, else the dump.
std::string RunCase(const Case& c) {
  Placeholders placeholders(c.names ? &*c.names : nullptr, c.values ? &*c.values : nullptr);
  auto outcome = [&](const auto& result) {
    if (!result) return "ERROR: " + result.error();
    if (auto unused = placeholders.Unused()) return "ERROR: " + *unused;
    return Dump(*result);
  };
  if (c.kind == "condition")
    return outcome(ParseCondition(c.expression, "ConditionExpression", placeholders));
  if (c.kind == "filter")
    return outcome(ParseCondition(c.expression, "FilterExpression", placeholders));
  if (c.kind == "key")
    return outcome(ParseCondition(c.expression, "KeyConditionExpression", placeholders));
  if (c.kind == "update") return outcome(ParseUpdate(c.expression, placeholders));
  if (c.kind == "projection") return outcome(ParseProjection(c.expression, placeholders));
  return "unknown kind " + c.kind;
}

TEST(ParseCases, GoldenFile) {
  std::vector<Case> cases = LoadCases();
  EXPECT_GE(cases.size(), 150u);
  for (const Case& c : cases) {
    EXPECT_EQ(RunCase(c), c.expected)
        << "parse_cases.txt line " << c.line << ": " << c.kind << " " << c.expression;
  }
}

// ---- Cases too long for one line of the golden file.

AttributeMap Values(int count) {
  AttributeMap values;
  for (int i = 0; i < count; ++i) {
    values[":v" + std::to_string(i)] = AttributeValue::NumberText(std::to_string(i));
  }
  return values;
}

std::string InList(int count) {
  std::string text = "a IN (";
  for (int i = 0; i < count; ++i)
    text += (i > 0 ? "," : "") + std::string(":v") + std::to_string(i);
  return text + ")";
}

TEST(ParseLimits, InTakesAtMostOneHundredOperands) {
  AttributeMap values = Values(101);
  Placeholders hundred(nullptr, &values);
  auto ok = ParseCondition(InList(100), "ConditionExpression", hundred);
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->operands.size(), 101u);

  Placeholders too_many(nullptr, &values);
  auto error = ParseCondition(InList(101), "FilterExpression", too_many);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error(),
            "Invalid FilterExpression: The IN operator is provided with too many operands; "
            "number of operands: 101");
}

TEST(ParseLimits, ExpressionOfAtMost4096Characters) {
  AttributeMap values = {{":v", AttributeValue::String("x")}};
  std::string name(4096 - 5, 'a');  // "<name> = :v"
  Placeholders fits(nullptr, &values);
  EXPECT_TRUE(ParseCondition(name + " = :v", "ConditionExpression", fits));

  Placeholders too_long(nullptr, &values);
  auto condition = ParseCondition(name + "a = :v", "FilterExpression", too_long);
  ASSERT_FALSE(condition);
  EXPECT_EQ(condition.error(),
            "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; "
            "expression size: 4097");
  auto update = ParseUpdate("SET " + name + " = :v", too_long);
  ASSERT_FALSE(update);
  EXPECT_EQ(update.error(),
            "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;");
  auto projection = ParseProjection(std::string(4097, 'a'), too_long);
  ASSERT_FALSE(projection);
  EXPECT_EQ(projection.error(),
            "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size;");
  // Measured in UTF-16 units, as DynamoDB does: "é" is one, an emoji two.
  auto multibyte = ParseProjection(std::string(4094, 'a') + "\xF0\x9F\x98\x80", too_long);
  ASSERT_FALSE(multibyte);
  EXPECT_NE(multibyte.error().find("Syntax error"), std::string::npos) << multibyte.error();
}

TEST(ParseLimits, DocumentPathsOfAtMost32Elements) {
  std::string path = "a";
  for (int i = 1; i < 32; ++i) path += ".a";
  Placeholders placeholders(nullptr, nullptr);
  EXPECT_TRUE(ParseProjection(path, placeholders));
  auto deep = ParseProjection(path + "[0]", placeholders);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error(),
            "Invalid ProjectionExpression: The document path has too many nesting levels; "
            "nesting levels: 33");
}

TEST(ParseLimits, AtMost300Operators) {
  // 150 comparisons joined by 149 ANDs: 299 operators; one more comparison makes 301.
  AttributeMap values = {{":v", AttributeValue::String("x")}};
  auto conjunction = [](int comparisons) {
    std::string text;
    for (int i = 0; i < comparisons; ++i) text += (i > 0 ? " AND " : "") + std::string("a = :v");
    return text;
  };
  Placeholders ok(nullptr, &values);
  EXPECT_TRUE(ParseCondition(conjunction(150), "ConditionExpression", ok));
  Placeholders too_many(nullptr, &values);
  auto error = ParseCondition(conjunction(151), "ConditionExpression", too_many);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error(),
            "Invalid ConditionExpression: The expression contains too many operators; "
            "operator count: 301");
}

TEST(ParseLimits, DeepNestingIsRejectedWithoutExhaustingTheStack) {
  AttributeMap values = {{":v", AttributeValue::String("x")}};
  Placeholders placeholders(nullptr, &values);
  // 2,040 parentheses: the deepest a 4 KB expression can nest.
  std::string parens = std::string(2040, '(') + "a" + std::string(2040, ')') + " = :v";
  auto deep = ParseCondition(parens, "ConditionExpression", placeholders);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error(),
            "Invalid ConditionExpression: The expression has too many nesting levels; maximum "
            "nesting levels: 500");
  std::string functions;
  for (int i = 0; i < 800; ++i) functions += "size(";
  functions += "a" + std::string(800, ')') + " = :v";
  EXPECT_FALSE(ParseCondition(functions, "ConditionExpression", placeholders));
  // NOT chains are not nested calls: 1,000 NOTs parse, and fail on the operator count.
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "NOT ";
  auto negations = ParseCondition(nots + "a = :v", "ConditionExpression", placeholders);
  ASSERT_FALSE(negations);
  EXPECT_EQ(negations.error(),
            "Invalid ConditionExpression: The expression contains too many operators; operator "
            "count: 301");
  // Up to the limit nesting is fine (a grouping per level is not redundant with NOT between).
  std::string nested;
  for (int i = 0; i < 120; ++i) nested += "(NOT ";
  nested += "a = :v" + std::string(120, ')');
  EXPECT_TRUE(ParseCondition(nested, "ConditionExpression", placeholders));
}

TEST(ParseWhitespace, TabsAndNewlinesSeparateTokens) {
  AttributeMap values = {{":v", AttributeValue::String("x")}};
  Placeholders placeholders(nullptr, &values);
  auto condition =
      ParseCondition("\ta\r\n.\tb [ 1 ]\n=\n:v\n", "ConditionExpression", placeholders);
  ASSERT_TRUE(condition) << condition.error();
  EXPECT_EQ(Dump(*condition), "(a.b[1] = {S:x})");
  auto error = ParseCondition("a =\n\t", "ConditionExpression", placeholders);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error(),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\n\t\"");
}

// ---- Placeholders shared by the expressions of one request.

TEST(Placeholders, UnusedAcrossExpressions) {
  Placeholders::Names names = {{"#a", "a"}, {"#b", "b"}, {"#c", "c"}};
  AttributeMap values = {{":x", AttributeValue::String("x")}, {":y", AttributeValue::String("y")}};
  Placeholders placeholders(&names, &values);
  ASSERT_TRUE(ParseCondition("#a = :x", "ConditionExpression", placeholders));
  EXPECT_EQ(placeholders.Unused(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}");
  ASSERT_TRUE(ParseUpdate("SET #b = :x", placeholders));
  EXPECT_EQ(placeholders.Unused(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#c}");
  ASSERT_TRUE(ParseProjection("#c, #a", placeholders));
  EXPECT_EQ(placeholders.Unused(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y}");
  ASSERT_TRUE(ParseCondition("b = :y", "FilterExpression", placeholders));
  EXPECT_EQ(placeholders.Unused(), std::nullopt);
}

TEST(Placeholders, AbsentMapsAreNeverUnused) {
  Placeholders placeholders(nullptr, nullptr);
  EXPECT_EQ(placeholders.Unused(), std::nullopt);
  EXPECT_EQ(placeholders.Name("#a"), nullptr);
  EXPECT_EQ(placeholders.Value(":a"), nullptr);
  auto error = ParseCondition("#a = :b", "ConditionExpression", placeholders);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error(),
            "Invalid ConditionExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #a");
}

TEST(Placeholders, NamesAreReportedBeforeValues) {
  Placeholders::Names names = {{"#unused", "x"}};
  AttributeMap values = {{":unused", AttributeValue::String("x")},
                         {":v", AttributeValue::String("x")}};
  Placeholders placeholders(&names, &values);
  ASSERT_TRUE(ParseCondition("a = :v", "ConditionExpression", placeholders));
  EXPECT_EQ(placeholders.Unused(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}");
}

// ---- Pieces.

TEST(ReservedWords, CaseInsensitiveLookup) {
  EXPECT_TRUE(IsReservedWord("status"));
  EXPECT_TRUE(IsReservedWord("STATUS"));
  EXPECT_TRUE(IsReservedWord("sTaTuS"));
  EXPECT_TRUE(IsReservedWord("ABORT"));
  EXPECT_TRUE(IsReservedWord("zone"));
  EXPECT_TRUE(IsReservedWord("Flattern"));
  EXPECT_FALSE(IsReservedWord("statuses"));
  EXPECT_FALSE(IsReservedWord("stat"));
  EXPECT_FALSE(IsReservedWord("a"));
  EXPECT_FALSE(IsReservedWord(""));
  EXPECT_FALSE(IsReservedWord("zones"));
}

TEST(Lexer, SplitsAsDynamoDBDoes) {
  std::vector<Token> tokens = Lex("a01 <=<> 01 #x:y # : 'q' \xC3\xBC");
  std::vector<std::string> texts;
  for (const Token& token : tokens) texts.emplace_back(token.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"a01", "<=", "<>", "0", "1", "#x", ":y", "#", ":",
                                             "'q'", "\xC3\xBC", ""}));
  EXPECT_EQ(tokens[0].kind, TokenKind::kIdentifier);
  EXPECT_EQ(tokens[3].kind, TokenKind::kIndex);
  EXPECT_EQ(tokens[7].kind, TokenKind::kUnknown);
  EXPECT_EQ(tokens[9].kind, TokenKind::kString);
  EXPECT_EQ(tokens.back().kind, TokenKind::kEnd);
}

TEST(PathForMessage, ListsElements) {
  Path path;
  path.elements = {PathElement{PathElement::Kind::kName, "a", 0},
                   PathElement{PathElement::Kind::kName, "b", 0},
                   PathElement{PathElement::Kind::kIndex, "", 3},
                   PathElement{PathElement::Kind::kName, "c d", 0}};
  EXPECT_EQ(PathForMessage(path), "[a, b, [3], c d]");
}

TEST(ParseAst, ShapesForTheEvaluator) {
  AttributeMap values = {{":s", AttributeValue::String("abc")},
                         {":n", AttributeValue::NumberText("1")}};
  Placeholders placeholders(nullptr, &values);
  auto size =
      ParseCondition("size(:s) > :n AND size(a.b) > :n", "ConditionExpression", placeholders);
  ASSERT_TRUE(size) << size.error();
  const Operand& of_value = size->children[0].operands[0];
  EXPECT_EQ(of_value.kind, Operand::Kind::kSize);
  ASSERT_EQ(of_value.arguments.size(), 1u);
  EXPECT_EQ(of_value.arguments[0].kind, Operand::Kind::kValue);
  EXPECT_TRUE(of_value.path.elements.empty());
  const Operand& of_path = size->children[1].operands[0];
  EXPECT_EQ(PathForMessage(of_path.path), "[a, b]");

  auto update = ParseUpdate("SET a = if_not_exists(b, :n)", placeholders);
  ASSERT_TRUE(update) << update.error();
  const Operand& value = update->actions[0].value;
  EXPECT_EQ(value.kind, Operand::Kind::kIfNotExists);
  EXPECT_EQ(PathForMessage(value.path), "[b]");
  ASSERT_EQ(value.arguments.size(), 1u);
  EXPECT_EQ(value.arguments[0].kind, Operand::Kind::kValue);
}

}  // namespace
}  // namespace lamina::dynamodb::expr
