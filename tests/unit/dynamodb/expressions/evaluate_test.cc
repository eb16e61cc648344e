// Data-driven tests of the evaluator: tests/unit/data/expressions/evaluate_cases.txt.

#include "dynamodb/expressions/evaluate.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/strings.h"
#include "dynamodb/expressions/parser.h"
#include "dynamodb/expressions/update.h"

namespace lamina::dynamodb::expr {
namespace {

struct Case {
  int line = 0;
  std::string kind, expression, values, item, expected;
};

std::vector<Case> LoadCases() {
  std::ifstream in(std::string(LAMINA_TEST_DATA_DIR) + "/expressions/evaluate_cases.txt");
  std::vector<Case> cases;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (Trim(text).empty() || Trim(text)[0] == '#') continue;
    std::vector<std::string_view> parts = Split(text, '|');
    EXPECT_EQ(parts.size(), 5u) << "line " << line << ": " << text;
    if (parts.size() != 5) continue;
    cases.push_back({line, std::string(Trim(parts[0])), std::string(Trim(parts[1])),
                     std::string(Trim(parts[2])), std::string(Trim(parts[3])),
                     std::string(Trim(parts[4]))});
  }
  return cases;
}

AttributeMap ParseMap(const std::string& text) {
  auto map = ParseAttributeMap(json::parse(text));
  EXPECT_TRUE(map.has_value()) << text;
  return map ? *map : AttributeMap{};
}

// The outcome of one case, in the same form as its expected column.
std::string RunCase(const Case& test) {
  AttributeMap values = ParseMap(test.values);
  Placeholders placeholders(nullptr, values.empty() ? nullptr : &values);
  Item item = ParseMap(test.item);
  if (test.kind == "condition") {
    auto condition = ParseCondition(test.expression, "ConditionExpression", placeholders);
    if (!condition) return "ERROR: " + condition.error();
    auto result = Evaluate(*condition, item, "ConditionExpression");
    if (!result) return "ERROR: " + result.error();
    return *result ? "true" : "false";
  }
  if (test.kind == "update") {
    auto update = ParseUpdate(test.expression, placeholders);
    if (!update) return "ERROR: " + update.error();
    auto applied = ApplyUpdate(*update, item);
    if (!applied) return "ERROR: " + applied.error();
    return json::serialize(ToJson(item));
  }
  if (test.kind == "projection") {
    auto projection = ParseProjection(test.expression, placeholders);
    if (!projection) return "ERROR: " + projection.error();
    return json::serialize(ToJson(Project(item, *projection)));
  }
  return "unknown kind " + test.kind;
}

// Item results compare as values (map order and set order are not significant).
bool SameOutcome(const Case& test, const std::string& actual) {
  if (actual == test.expected) return true;
  if (test.kind == "condition" || test.expected.rfind("ERROR", 0) == 0) return false;
  boost::system::error_code error;
  json::value parsed = json::parse(actual, error);
  if (error) return false;
  auto expected = ParseAttributeMap(json::parse(test.expected));
  auto got = ParseAttributeMap(parsed);
  return expected && got && AttributeValue::Map(*expected) == AttributeValue::Map(*got);
}

TEST(Evaluate, GoldenCases) {
  std::vector<Case> cases = LoadCases();
  ASSERT_GT(cases.size(), 80u);
  for (const Case& test : cases) {
    std::string actual = RunCase(test);
    EXPECT_TRUE(SameOutcome(test, actual))
        << "evaluate_cases.txt:" << test.line << ": " << test.kind << " " << test.expression
        << "\n  expected: " << test.expected << "\n  actual:   " << actual;
  }
}

}  // namespace
}  // namespace lamina::dynamodb::expr
