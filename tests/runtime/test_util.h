// Helpers shared by the runtime tests: locating generated test data in the runfiles, reading files and
// tensors, comparing tensors with a tolerance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/tensor.h"

namespace sofie::testing {

// Path of a runfile given its workspace-relative path ("tests/runtime/torch_models/mlp/model.onnx").
std::string runfile(const std::string& workspace_path);
// Folder of a generated torch model ("mlp" -> ".../tests/runtime/torch_models/mlp").
std::string torch_model_dir(const std::string& model);
// Path of a generated loader-test model ("tiny.onnx" -> ".../tests/runtime/bad_models/tiny.onnx").
std::string bad_model(const std::string& relative);

// Whole file as bytes; fails the current test if unreadable.
std::string read_file(const std::string& path);
// A tensor file (.pb or .npy); fails the current test if unreadable.
Tensor read_tensor(const std::string& path);

// Message of a status, for Catch2's CHECK_THAT(..., Contains(...)).
std::string message(const absl::Status& status);

// Every element |got - want| <= atol + rtol * |want|, shapes and dtypes equal (float32 only). Reports
// the first mismatches through Catch2.
void check_close(const TensorView& got, const TensorView& want, double rtol, double atol);
// Same dtype, shape and bytes.
bool bit_equal(const TensorView& a, const TensorView& b);

// Deterministic float32 values in [-2, 2).
std::vector<float> random_floats(size_t n, uint32_t seed);

}  // namespace sofie::testing
