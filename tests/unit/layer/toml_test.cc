#include "layer/toml.h"

#include <gtest/gtest.h>

#include <fstream>

namespace lamina::layer {
namespace {

namespace json = boost::json;

std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'n' || text[i + 1] == 't')) {
      out.push_back(text[i + 1] == 'n' ? '\n' : '\t');
      ++i;
    } else if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'r') {
      out.push_back('\r');
      ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

TEST(Toml, GoldenCases) {
  std::ifstream in(std::string(LAMINA_TEST_DATA_DIR) + "/layer/toml_cases.txt");
  ASSERT_TRUE(in) << "missing toml_cases.txt";
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t split = line.rfind(" || ");
    ASSERT_NE(split, std::string::npos) << line;
    std::string input = Unescape(line.substr(0, split));
    std::string expected = line.substr(split + 4);
    auto parsed = ParseToml(input);
    ++cases;
    if (expected.rfind("error: ", 0) == 0) {
      ASSERT_FALSE(parsed.has_value()) << line << " parsed as " << json::serialize(*parsed);
      EXPECT_NE(parsed.error().find(expected.substr(7)), std::string::npos)
          << line << " gave: " << parsed.error();
      EXPECT_EQ(parsed.error().rfind("line ", 0), 0u) << parsed.error();
    } else {
      ASSERT_TRUE(parsed.has_value()) << line << " failed: " << parsed.error();
      EXPECT_EQ(json::value(*parsed), json::parse(expected)) << line;
    }
  }
  EXPECT_GT(cases, 30);
}

TEST(Toml, ErrorsNameTheLine) {
  auto parsed = ParseToml("a = 1\nb = 2\nc = oops\n");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().rfind("line 3:", 0), 0u) << parsed.error();
}

}  // namespace
}  // namespace lamina::layer
