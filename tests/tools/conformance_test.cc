// The conformance suite: ROOT SOFIE's test models with ONNX Runtime's outputs, in the ONNX backend layout,
// kept outside the repository in <workspace>/../shared/conformance/sofie-suite (or
// $SOFIE_SHARED_DIR/conformance/sofie-suite). Every case whose operators and element types sofie has must pass;
// the others are skipped, naming what is missing. When the suite is absent the test says so and counts one skip.
#include <catch2/catch.hpp>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/tools/test_util.h"
#include "tools/check.h"

namespace sofie::tools {
namespace {
namespace fs = std::filesystem;

// Runfiles are symlinks into the source tree: the real path of this test's own source leads back to the
// workspace, whose sibling folder "shared" holds the suite.
std::string suite_path() {
  if (const char* shared = std::getenv("SOFIE_SHARED_DIR"); shared != nullptr && shared[0] != '\0') {
    return (fs::path(shared) / "conformance" / "sofie-suite").string();
  }
  std::error_code ec;
  const fs::path source = fs::canonical(testing::runfile("tests/tools/conformance_test.cc"), ec);
  if (ec) return "(workspace not found from the runfiles: " + ec.message() + ")";
  const fs::path workspace = source.parent_path().parent_path().parent_path();
  return (workspace.parent_path() / "shared" / "conformance" / "sofie-suite").string();
}

TEST_CASE("sofie-suite: every case with supported operators and types passes") {
  const std::string suite = suite_path();
  std::error_code ec;
  if (!fs::is_directory(suite, ec)) {
    const std::string line = "SKIP conformance: " + suite + " not found";
    std::printf("%s\n0 passed, 0 failed, 1 skipped\n", line.c_str());
    WARN(line);
    SUCCEED(line);
    return;
  }
  std::printf("conformance suite: %s\n", suite.c_str());
  absl::StatusOr<CheckSummary> summary = check_paths({suite}, CheckOptions{}, [](const CaseResult& r) {
    std::printf("%s\n", format_case_line(r).c_str());
  });
  REQUIRE(summary.ok());
  const std::string totals = format_summary(*summary);
  std::printf("%s\n", totals.c_str());
  std::fflush(stdout);

  CHECK(!summary->cases.empty());
  std::string failures;
  for (const CaseResult& r : summary->cases) {
    if (r.status == CaseStatus::kFail) failures += format_case_line(r) + "\n";
    // By construction a skip is always for something sofie lacks; anything else would hide a failure.
    if (r.status == CaseStatus::kSkip) CHECK(r.message.rfind("unsupported", 0) == 0);
  }
  INFO(totals << "\n" << failures);
  CHECK(summary->failed == 0);
  WARN("sofie-suite: " << totals);
}

}  // namespace
}  // namespace sofie::tools
