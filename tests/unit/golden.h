// Golden-file comparison for printed traces and generated code. A golden file lives in
// tests/golden/; THUNDER_UPDATE_GOLDEN=1 rewrites it from the actual text, so a change
// to the printer or to codegen shows up as a readable diff in review.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace thunder::testing {

inline void expect_matches_golden(const std::string& actual, const std::string& name) {
  const std::string path = std::string(THUNDER_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("THUNDER_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing golden file " << path
                         << " (run with THUNDER_UPDATE_GOLDEN=1 to create it)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "differs from " << path << " (THUNDER_UPDATE_GOLDEN=1 rewrites it)";
}

} // namespace thunder::testing
