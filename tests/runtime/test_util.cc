#include "tests/runtime/test_util.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "runtime/tensor_io.h"

namespace sofie::testing {

std::string runfile(const std::string& workspace_path) {
  // Bazel runs tests from the main repository's runfiles root; TEST_SRCDIR also allows running the
  // binary by hand from elsewhere.
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    return std::string(srcdir) + "/" + workspace + "/" + workspace_path;
  }
  return workspace_path;
}

std::string torch_model_dir(const std::string& model) {
  return runfile("tests/runtime/torch_models/" + model);
}

std::string bad_model(const std::string& relative) { return runfile("tests/runtime/bad_models/" + relative); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in.good());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

Tensor read_tensor(const std::string& path) {
  auto t = read_tensor_file(path);
  INFO("reading tensor " << path << ": " << (t.ok() ? "" : message(t.status())));
  REQUIRE(t.ok());
  return t->tensor;
}

std::string message(const absl::Status& status) { return std::string(status.message()); }

void check_close(const TensorView& got, const TensorView& want, double rtol, double atol) {
  REQUIRE(got.dtype == DType::kFloat32);
  REQUIRE(want.dtype == DType::kFloat32);
  REQUIRE(dims_string(got.shape) == dims_string(want.shape));
  const float* g = got.data_as<float>();
  const float* w = want.data_as<float>();
  int64_t bad = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double diff = std::fabs(static_cast<double>(g[i]) - static_cast<double>(w[i]));
    bool ok = diff <= atol + rtol * std::fabs(static_cast<double>(w[i]));  // false for NaN
    if (!ok && ++bad <= 5) {
      FAIL_CHECK("element " << i << " of " << dims_string(want.shape) << ": got " << g[i] << ", want " << w[i]
                            << " (|diff| " << diff << ")");
    }
  }
  CHECK(bad == 0);
}

bool bit_equal(const TensorView& a, const TensorView& b) {
  if (a.dtype != b.dtype || a.shape != b.shape) return false;
  if (a.nbytes() == 0) return true;
  return std::memcmp(a.data, b.data, a.nbytes()) == 0;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> out(n);
  for (float& v : out) v = dist(gen);
  return out;
}

}  // namespace sofie::testing
