#include "layer/glob.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace lamina::layer {
namespace {

TEST(Glob, GoldenCases) {
  std::ifstream in(std::string(LAMINA_TEST_DATA_DIR) + "/layer/glob_cases.txt");
  ASSERT_TRUE(in);
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string pattern, path, expected;
    fields >> pattern >> path >> expected;
    ASSERT_TRUE(expected == "true" || expected == "false") << line;
    EXPECT_EQ(GlobMatches(pattern, path), expected == "true") << line;
    ++cases;
  }
  EXPECT_GT(cases, 25);
}

}  // namespace
}  // namespace lamina::layer
