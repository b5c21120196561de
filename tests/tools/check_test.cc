// check_lib: the generated PyTorch models pass, a wrong expected output fails with its worst element, a model
// with unknown operators is skipped naming them; compare_tensors' tolerance rules.
#include "tools/check.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "tests/tools/test_util.h"

namespace sofie::tools {
namespace {

using testing::runfile;

CheckSummary check_or_fail(const std::vector<std::string>& paths, const CheckOptions& options = {}) {
  absl::StatusOr<CheckSummary> summary = check_paths(paths, options);
  INFO(summary.status().ToString());
  REQUIRE(summary.ok());
  for (const CaseResult& r : summary->cases) UNSCOPED_INFO(format_case_line(r));
  return *summary;
}

TEST_CASE("generated PyTorch models pass on both data sets") {
  for (const char* name : {"mlp", "dense_net"}) {
    CheckSummary s = check_or_fail({runfile(std::string("tools/models/") + name)});
    INFO(name << ": " << format_summary(s));
    REQUIRE(s.cases.size() == 1);
    CHECK(s.cases[0].name == name);
    CHECK(s.cases[0].status == CaseStatus::kPass);
    CHECK(s.cases[0].data_sets == 2);
    CHECK(format_summary(s) == "1 passed, 0 failed, 0 skipped");
  }
}

TEST_CASE("a folder of cases is searched and sorted by name") {
  CheckSummary s = check_or_fail({runfile("tools/models")});
  REQUIRE(s.cases.size() == 2);
  CHECK(s.cases[0].name == "dense_net");
  CHECK(s.cases[1].name == "mlp");
  CHECK(format_summary(s) == "2 passed, 0 failed, 0 skipped");
}

TEST_CASE("a wrong expected output fails, reporting the worst element") {
  const std::string dir = testing::fresh_temp_dir("wrong_output") + "/mlp_wrong";
  testing::write_wrong_output_case(runfile("tools/models/mlp"), dir, 0, 0.25f);
  CheckSummary s = check_or_fail({dir});
  REQUIRE(s.cases.size() == 1);
  const CaseResult& r = s.cases[0];
  CHECK(r.status == CaseStatus::kFail);
  const std::string line = format_case_line(r);
  INFO(line);
  CHECK(line.rfind("FAIL mlp_wrong: output worst element at [0,0]: got ", 0) == 0);
  CHECK(line.find(" expected ") != std::string::npos);
  CHECK(line.find("(shape [1,1], 1 of 1 elements differ") != std::string::npos);
  CHECK(format_summary(s) == "0 passed, 1 failed, 0 skipped");

  // A tolerance wider than the error lets it pass.
  CheckOptions loose;
  loose.atol = 0.5;
  CHECK(check_or_fail({dir}, loose).passed == 1);
}

TEST_CASE("a model with unknown operators is skipped, naming all of them") {
  const std::string dir = testing::fresh_temp_dir("unknown_op") + "/frobnicate";
  testing::write_unknown_op_case(dir);
  CheckSummary s = check_or_fail({dir});
  REQUIRE(s.cases.size() == 1);
  const CaseResult& r = s.cases[0];
  INFO(format_case_line(r));
  CHECK(r.status == CaseStatus::kSkip);
  CHECK(r.message.find("FrobnicateXYZ (opset 13)") != std::string::npos);
  CHECK(r.message.find("com.example.Blorp (opset 1)") != std::string::npos);
  CHECK(r.message.find("Relu") == std::string::npos);
  CHECK(format_summary(s) == "0 passed, 0 failed, 1 skipped");
}

TEST_CASE("a model with an element type sofie lacks is skipped, naming it") {
  const std::string dir = testing::fresh_temp_dir("float16") + "/half";
  testing::write_float16_case(dir);
  CheckSummary s = check_or_fail({dir});
  REQUIRE(s.cases.size() == 1);
  INFO(format_case_line(s.cases[0]));
  CHECK(s.cases[0].status == CaseStatus::kSkip);
  CHECK(format_case_line(s.cases[0]) == "SKIP half: unsupported element types: float16");
}

TEST_CASE("a model feature sofie does not implement (an Unimplemented load error) is skipped") {
  const std::string dir = testing::fresh_temp_dir("segmented") + "/segmented";
  testing::write_segmented_initializer_case(dir);
  CheckSummary s = check_or_fail({dir});
  REQUIRE(s.cases.size() == 1);
  const std::string line = format_case_line(s.cases[0]);
  INFO(line);
  CHECK(s.cases[0].status == CaseStatus::kSkip);
  CHECK(line.rfind("SKIP segmented: unsupported: ", 0) == 0);
  CHECK(line.find("segmented") != std::string::npos);
  CHECK(line.find("model.onnx") == std::string::npos);  // the loader's path prefix is dropped
}

TEST_CASE("bad paths are errors, not results") {
  CHECK(absl::IsNotFound(check_paths({testing::fresh_temp_dir("empty") + "/missing"}, {}).status()));
  CHECK(!check_paths({testing::fresh_temp_dir("empty")}, {}).ok());  // exists, holds no case
}

TEST_CASE("compare_tensors: float tolerance, NaN and infinities") {
  CheckOptions o;  // rtol 1e-3, atol 1e-5
  const float expected[4] = {1.0f, 100.0f, std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::infinity()};
  const float close[4] = {1.000005f, 100.09f, std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity()};
  CHECK(compare_tensors("y", TensorView::of(close, {2, 2}), TensorView::of(expected, {2, 2}), o).ok());

  const float far[4] = {1.01f, 100.5f, 0.0f, std::numeric_limits<float>::infinity()};
  absl::Status s = compare_tensors("y", TensorView::of(far, {2, 2}), TensorView::of(expected, {2, 2}), o);
  INFO(s.message());
  REQUIRE(!s.ok());
  // NaN expected but 0 got is infinitely wrong: the worst element.
  CHECK(std::string(s.message()).rfind("y worst element at [1,0]: got 0 expected nan (shape [2,2], 3 of 4", 0) ==
        0);

  const float neg_inf[1] = {-std::numeric_limits<float>::infinity()};
  const float pos_inf[1] = {std::numeric_limits<float>::infinity()};
  CHECK(!compare_tensors("y", TensorView::of(neg_inf, {1}), TensorView::of(pos_inf, {1}), o).ok());
}

TEST_CASE("compare_tensors: the worst element is the one furthest out of tolerance") {
  const float expected[6] = {0, 1, 2, 3, 4, 5};
  const float got[6] = {0, 1.1f, 2, 3, 4, 7};
  absl::Status s = compare_tensors("out", TensorView::of(got, {2, 3}), TensorView::of(expected, {2, 3}), {});
  INFO(s.message());
  CHECK(std::string(s.message()).rfind("out worst element at [1,2]: got 7 expected 5 (shape [2,3], 2 of 6", 0) ==
        0);
}

TEST_CASE("compare_tensors: integers and bools exactly, dtypes and shapes exactly") {
  const int64_t a[3] = {1, 2, 3};
  const int64_t b[3] = {1, 2, 4};
  CHECK(compare_tensors("i", TensorView::of(a, {3}), TensorView::of(a, {3}), {}).ok());
  absl::Status s = compare_tensors("i", TensorView::of(a, {3}), TensorView::of(b, {3}), {});
  CHECK(s.message() == "i worst element at [2]: got 3 expected 4 (shape [3], 1 of 3 elements differ)");

  const bool t[2] = {true, false};
  const bool f[2] = {true, true};
  CHECK(compare_tensors("b", TensorView::of(t, {2}), TensorView::of(f, {2}), {}).message() ==
        "b worst element at [1]: got false expected true (shape [2], 1 of 2 elements differ)");

  const float x[3] = {1, 2, 3};
  const double xd[3] = {1, 2, 3};
  CHECK(compare_tensors("x", TensorView::of(x, {3}), TensorView::of(xd, {3}), {}).message() ==
        "x: got dtype float32, expected float64");
  CHECK(compare_tensors("x", TensorView::of(x, {3}), TensorView::of(x, {1, 3}), {}).message() ==
        "x: got shape [3], expected [1,3]");

  // Huge relative tolerance still never forgives an integer.
  CheckOptions loose;
  loose.rtol = 10;
  loose.atol = 10;
  CHECK(!compare_tensors("i", TensorView::of(a, {3}), TensorView::of(b, {3}), loose).ok());
}

TEST_CASE("case lines and the summary line") {
  CaseResult r;
  r.name = "Abs";
  r.status = CaseStatus::kPass;
  CHECK(format_case_line(r) == "PASS Abs");
  r.status = CaseStatus::kSkip;
  r.message = "unsupported ops: TopK (opset 11)";
  CHECK(format_case_line(r) == "SKIP Abs: unsupported ops: TopK (opset 11)");
  CheckSummary s;
  s.passed = 12;
  s.skipped = 84;
  CHECK(format_summary(s) == "12 passed, 0 failed, 84 skipped");
}

}  // namespace
}  // namespace sofie::tools
