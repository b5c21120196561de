// The README's list of supported operators is generated from the registry (`sofie ops --markdown`); this
// test fails when they drift apart, printing the paragraph to paste.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "tools/ops_list.h"

TEST_CASE("README lists exactly the registered operators") {
  const char* dir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  REQUIRE(dir != nullptr);
  std::ifstream in(std::string(dir) + "/" + (ws ? ws : "sofie") + "/README.md");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const std::string begin = "<!-- ops:begin -->\n", end = "<!-- ops:end -->";
  const size_t b = readme.find(begin), e = readme.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string listed = readme.substr(b + begin.size(), e - b - begin.size());
  const std::string expected = sofie::tools::format_ops_markdown();
  INFO("regenerate with: bazel-bin/tools/sofie ops --markdown\n" << expected);
  CHECK(listed == expected);
}
