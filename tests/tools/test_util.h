// Helpers shared by the tools tests: runfiles and temporary paths, and small hand-made test cases in the
// ONNX backend layout.
#pragma once

#include <string>
#include <vector>

namespace sofie::tools::testing {

// A file or folder of the test's runfiles, by workspace-relative path ("tools/models/mlp").
std::string runfile(const std::string& path);

// A fresh, empty folder under $TEST_TMPDIR (or the system temp folder outside Bazel).
std::string fresh_temp_dir(const std::string& name);

// Copies the case at `source` (model.onnx + test_data_set_0/input_*.pb) to `dest`, with test_data_set_0's
// output_0.pb replaced by the original plus `delta` at flat element `element` (float32 outputs).
void write_wrong_output_case(const std::string& source, const std::string& dest, int element, float delta);

// A case whose model chains Relu -> FrobnicateXYZ (default domain, opset 13) -> com.example.Blorp: two
// operators sofie cannot have, so loading fails at the first while inspection must name both.
void write_unknown_op_case(const std::string& dest);

// A case whose float32 input goes through Cast(to=float16) and back: an element type sofie does not have.
void write_float16_case(const std::string& dest);

// A case whose model adds a segmented initializer (TensorProto.segment) to its input: valid ONNX that the
// loader rejects as not implemented.
void write_segmented_initializer_case(const std::string& dest);

// Reads a whole file; empty when missing.
std::string read_file(const std::string& path);

// The built `sofie` binary (runfile tools/sofie) run with `args`, its output captured.
struct SofieRun {
  int exit_code = -1;  // -1: did not exit normally (a crash); -2: could not be started (`err` says why)
  std::string out;
  std::string err;
};
SofieRun run_sofie(const std::vector<std::string>& args);

}  // namespace sofie::tools::testing
