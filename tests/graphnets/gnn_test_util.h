// Helpers shared by the GNN tests: runfiles, reading data sets in the ONNX backend layout, comparing outputs,
// and deterministic random graphs.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/model.h"
#include "runtime/tensor.h"

namespace sofie::gnn_testing {

// Loads `path` on `tier` with ModelT::try_load (sofie::Model, graphnets::Model); fails the current test with
// the error if it does not load. Models load with sofie's on-disk cache off (set by this library before any
// test runs), so that what a test sees does not depend on the machine's history; code compiled earlier in the
// process for the same graph may still serve a new model without a compile (tier_stats().compiles counts a
// model's own compiles).
template <typename ModelT>
ModelT load_model(const std::string& path, Tier tier) {
  LoadOptions options;
  options.tier = tier;
  auto model = ModelT::try_load(path, options);
  INFO(path << " (" << tier_name(tier) << "): " << model.status().message());
  REQUIRE(model.ok());
  return *std::move(model);
}

// A runfile by workspace-relative path ("tools/gnn/models/particlenet/model.onnx"): $TEST_SRCDIR/$TEST_WORKSPACE
// when set, else the path itself.
std::string runfile(const std::string& path);

// <dir>/<prefix>_0.pb, <prefix>_1.pb, ... up to the first missing one; fails the current test on a bad file.
std::vector<Tensor> read_numbered_tensors(const std::string& dir, const std::string& prefix);

std::vector<TensorView> views(const std::vector<Tensor>& tensors);

// Empty when `got` matches `want` (same dtype and shape; floats within atol + rtol * |want|, integers exactly);
// else a description of the worst element.
std::string compare(const TensorView& got, const TensorView& want, double rtol, double atol);

// Deterministic generator for test inputs (splitmix64).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next();
  float uniform(float low, float high);     // [low, high)
  int64_t integer(int64_t low, int64_t high);  // [low, high)
  std::vector<float> floats(size_t n, float low = -1, float high = 1);
  std::vector<int64_t> integers(size_t n, int64_t low, int64_t high);

 private:
  uint64_t state_;
};

}  // namespace sofie::gnn_testing
