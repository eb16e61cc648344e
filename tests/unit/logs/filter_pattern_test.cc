// Data-driven tests of filter patterns: tests/unit/data/logs/filter_cases.txt.

#include "logs/filter_pattern.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/strings.h"

namespace lamina::logs {
namespace {

struct Case {
  int line = 0;
  std::string pattern, message, expected;
};

std::vector<Case> LoadCases() {
  std::ifstream in(std::string(LAMINA_TEST_DATA_DIR) + "/logs/filter_cases.txt");
  EXPECT_TRUE(in.good()) << "cannot open filter_cases.txt";
  std::vector<Case> cases;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (Trim(text).empty() || Trim(text)[0] == '#') continue;
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t separator = text.find(":::", start);
      parts.emplace_back(Trim(std::string_view(text).substr(
          start, separator == std::string::npos ? std::string::npos : separator - start)));
      if (separator == std::string::npos) break;
      start = separator + 3;
    }
    EXPECT_EQ(parts.size(), 3u) << "line " << line << ": " << text;
    if (parts.size() != 3) continue;
    cases.push_back({line, parts[0], parts[1], parts[2]});
  }
  return cases;
}

std::string Outcome(const Case& test) {
  auto pattern = FilterPattern::Parse(test.pattern);
  if (!pattern) return "ERROR: " + pattern.error();
  return pattern->Matches(test.message) ? "true" : "false";
}

TEST(FilterPattern, Cases) {
  std::vector<Case> cases = LoadCases();
  EXPECT_GT(cases.size(), 100u);
  for (const Case& test : cases) {
    std::string actual = Outcome(test);
    if (test.expected.rfind("ERROR: ", 0) == 0)
      EXPECT_EQ(actual.rfind(test.expected, 0), 0u)
          << "line " << test.line << ": " << test.pattern << "\n  got: " << actual;
    else
      EXPECT_EQ(actual, test.expected)
          << "line " << test.line << ": " << test.pattern << " against " << test.message;
  }
}

TEST(FilterPattern, EmptyAndBlankPatternsMatchEverything) {
  for (std::string_view text : {"", "   ", "\" \""}) {
    auto pattern = FilterPattern::Parse(text);
    ASSERT_TRUE(pattern.has_value()) << text;
    EXPECT_TRUE(pattern->MatchesEverything()) << text;
    EXPECT_TRUE(pattern->Matches("")) << text;
  }
  auto terms = FilterPattern::Parse("ERROR");
  ASSERT_TRUE(terms.has_value());
  EXPECT_FALSE(terms->MatchesEverything());
}

TEST(FilterPattern, DeepNestingIsRefusedNotRecursed) {
  std::string deep = "{ " + std::string(100, '(') + "$.a = 1" + std::string(100, ')') + " }";
  auto pattern = FilterPattern::Parse(deep);
  ASSERT_FALSE(pattern.has_value());
  EXPECT_NE(pattern.error().find("nested too deeply"), std::string::npos) << pattern.error();
}

TEST(FilterPattern, RegexTimeStaysLinearOnHostileInput) {
  // a?^n a^n against a^n takes exponential time in a backtracking matcher.
  std::string expression = "%" + std::string(30, 'a');
  for (int i = 0; i < 30; ++i) expression.insert(1, "a?");
  expression += "%";
  auto pattern = FilterPattern::Parse(expression);
  ASSERT_TRUE(pattern.has_value()) << pattern.error();
  EXPECT_TRUE(pattern->Matches(std::string(30, 'a')));
  EXPECT_FALSE(pattern->Matches(std::string(29, 'a')));
}

TEST(FilterPattern, RegexRepetitionsAreBounded) {
  auto pattern = FilterPattern::Parse("%a{1000}b{1000}%");
  ASSERT_FALSE(pattern.has_value());
  EXPECT_NE(pattern.error().find("too many repetitions"), std::string::npos) << pattern.error();
}

TEST(FilterPattern, SpaceDelimitedEllipsisMatchesLongLines) {
  auto pattern = FilterPattern::Parse("[first, ..., last = end]");
  ASSERT_TRUE(pattern.has_value()) << pattern.error();
  std::string line = "begin";
  for (int i = 0; i < 10000; ++i) line += " x";
  EXPECT_FALSE(pattern->Matches(line));
  EXPECT_TRUE(pattern->Matches(line + " end"));
}

}  // namespace
}  // namespace lamina::logs
