// Conformance checking of test cases in the ONNX backend test layout:
//   <case>/model.onnx
//   <case>/test_data_set_N/input_K.pb    (K-th graph input, in graph order)
//   <case>/test_data_set_N/output_K.pb   (K-th graph output, expected)
// Each case is loaded, run on every data set and compared output by output. Used by `sofie check` and by tests.
//
// SKIP means "sofie does not support this", never "sofie got it wrong":
//   - the model uses operators or element types sofie lacks (all of them are listed, from tools/inspect.h);
//   - loading, reading a data file or running fails with absl::StatusCode::kUnimplemented, the runtime's and
//     the operators' code for a valid model feature sofie does not implement.
// Every other load or inference error, and every mismatch, is a FAIL.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/tensor.h"
#include "runtime/tiering.h"

namespace sofie::tools {

struct CheckOptions {
  // Floats match when |got - expected| <= atol + rtol * |expected| (NaN matches NaN; same-signed infinities
  // match). Integers and bools must match exactly; dtypes and shapes always exactly.
  double rtol = 1e-3;
  double atol = 1e-5;
  // The tier that runs the cases; kJit compiles each model before its first inference.
  Tier tier = Tier::kInterp;
};

enum class CaseStatus { kPass, kFail, kSkip };
const char* case_status_name(CaseStatus status);  // "PASS", "FAIL", "SKIP"

struct CaseResult {
  std::string name;  // the case folder relative to the searched path ("Abs", "node/test_relu")
  std::string dir;   // the case folder as found
  CaseStatus status = CaseStatus::kFail;
  std::string message;  // why it failed or was skipped; empty on PASS
  int data_sets = 0;    // data sets compared
};

// "PASS Abs", "FAIL Abs: y worst element at [0,3]: got 1 expected 2 (shape [2,4], ...)", "SKIP Abs: ...".
std::string format_case_line(const CaseResult& result);

struct CheckSummary {
  std::vector<CaseResult> cases;  // sorted by name within each searched path
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

// "12 passed, 0 failed, 84 skipped"
std::string format_summary(const CheckSummary& summary);

// True when `dir` holds a model.onnx.
bool is_case_dir(const std::string& dir);

// The case folders at or under `path`, searched recursively, sorted by name. `path` must exist; an existing
// folder without cases gives an empty list.
struct FoundCase {
  std::string name;
  std::string dir;
};
absl::StatusOr<std::vector<FoundCase>> find_cases(const std::string& path);

// Loads, runs and compares one case.
CaseResult check_case(const std::string& dir, const std::string& name, const CheckOptions& options);

// All cases under each of `paths`, in order. `on_case` (optional) sees every result as soon as it is known.
// Errors only for a path that does not exist or holds no case at all.
absl::StatusOr<CheckSummary> check_paths(const std::vector<std::string>& paths, const CheckOptions& options,
                                         const std::function<void(const CaseResult&)>& on_case = nullptr);

// Compares one output: OK, or an error whose message describes the mismatch, e.g.
// "y worst element at [0,3]: got 1.5 expected 2 (shape [2,4], 3 of 8 elements differ)".
absl::Status compare_tensors(const std::string& name, const TensorView& got, const TensorView& expected,
                             const CheckOptions& options);

}  // namespace sofie::tools
