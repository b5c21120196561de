#include "tests/graphnets/gnn_test_util.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "runtime/tensor_io.h"
#include "tools/check.h"

namespace sofie::gnn_testing {
namespace {
// See load_model: set at start-up, before the first model loads.
const bool kCacheOff = [] { return setenv("SOFIE_CACHE", "off", 1) == 0; }();
}  // namespace

std::string runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) return std::string(srcdir) + "/" + workspace + "/" + path;
  return path;
}

std::vector<Tensor> read_numbered_tensors(const std::string& dir, const std::string& prefix) {
  std::vector<Tensor> out;
  for (int k = 0;; ++k) {
    const std::string file = dir + "/" + prefix + "_" + std::to_string(k) + ".pb";
    if (!std::filesystem::exists(file)) break;
    auto t = read_tensor_file(file);
    INFO("reading " << file << ": " << t.status().message());
    REQUIRE(t.ok());
    out.push_back(t->tensor);
  }
  return out;
}

std::vector<TensorView> views(const std::vector<Tensor>& tensors) {
  std::vector<TensorView> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(t.view());
  return out;
}

std::string compare(const TensorView& got, const TensorView& want, double rtol, double atol) {
  tools::CheckOptions options;
  options.rtol = rtol;
  options.atol = atol;
  const absl::Status status = tools::compare_tensors("output", got, want, options);
  return status.ok() ? "" : std::string(status.message());
}

uint64_t Random::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

float Random::uniform(float low, float high) {
  return low + (high - low) * static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
}

int64_t Random::integer(int64_t low, int64_t high) {
  return low + static_cast<int64_t>(next() % static_cast<uint64_t>(high - low));
}

std::vector<float> Random::floats(size_t n, float low, float high) {
  std::vector<float> out(n);
  for (float& v : out) v = uniform(low, high);
  return out;
}

std::vector<int64_t> Random::integers(size_t n, int64_t low, int64_t high) {
  std::vector<int64_t> out(n);
  for (int64_t& v : out) v = integer(low, high);
  return out;
}

}  // namespace sofie::gnn_testing
