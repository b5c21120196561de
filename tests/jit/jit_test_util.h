// Helpers shared by the JIT tests: runfiles, Bazel test sharding, waiting for a background compile, and an
// element-wise comparison that names the worst element.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model.h"
#include "runtime/tensor.h"

namespace sofie::jit_testing {

// A file or folder of the test's runfiles by workspace-relative path ("tools/models/mlp/model.onnx"):
// $TEST_SRCDIR, else $RUNFILES_DIR, else <program>.runfiles.
std::string runfile(const std::string& path);

// A fresh, empty folder under $TEST_TMPDIR (or the system temp folder outside Bazel).
std::string fresh_temp_dir(const std::string& name);

// Bazel test sharding: this shard's index and the shard count (0 and 1 when not sharded). The first call
// touches $TEST_SHARD_STATUS_FILE, telling Bazel that the test honours sharding.
struct Shard {
  int index = 0;
  int total = 1;
  // Every total-th item, starting at index.
  bool takes(size_t item) const { return static_cast<int>(item % static_cast<size_t>(total)) == index; }
};
Shard test_shard();

// Polls model.tier_stats() until its state is no longer "compiling" (or `timeout_s` passed); returns the
// last stats seen.
TierStats wait_while_compiling(const Model& model, double timeout_s);
// Polls until the state is `state` (or `timeout_s` passed); returns the last stats seen.
TierStats wait_for_state(const Model& model, const std::string& state, double timeout_s);

// Empty when `got` matches `want`: same dtype and shape; floats within atol + rtol * |want| (NaN matches
// NaN, equal infinities match, a finite value never matches an infinity); integers and bools exactly.
// Else e.g. "worst element at [0,3]: got 1.5, want 2 (3 of 8 elements differ; shape [2,4])".
std::string compare_close(const TensorView& got, const TensorView& want, double rtol, double atol);

// Deterministic pseudo-random floats in [-1, 1).
std::vector<float> random_floats(size_t n, uint64_t seed);

// Milliseconds since an arbitrary origin (steady clock).
double now_ms();

}  // namespace sofie::jit_testing
