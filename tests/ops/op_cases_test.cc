// Runs every generated operator case (tests/ops/make_op_cases.py) through the public API and compares
// with the numpy/PyTorch reference outputs; runs every bad-input model and checks its error message.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/model.h"
#include "runtime/tensor_io.h"

namespace sofie {
namespace {

namespace fs = std::filesystem;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

std::string runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) return std::string(srcdir) + "/" + workspace + "/" + path;
  return path;
}

// Unpacks the cases once per test binary run into TEST_TMPDIR (or a temporary folder).
const fs::path& cases_root() {
  static const fs::path root = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    fs::path dir = fs::path(tmp != nullptr ? tmp : fs::temp_directory_path().string()) / "sofie_op_cases";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string command =
        "tar -xf '" + runfile("tests/ops/op_cases.tar") + "' -C '" + dir.string() + "'";
    if (std::system(command.c_str()) != 0) FAIL("could not unpack the op cases: " << command);
    return dir;
  }();
  return root;
}

std::vector<fs::path> subfolders(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory()) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// input_0.pb, input_1.pb, ... (or output_K) in order.
std::vector<Tensor> read_tensors(const fs::path& data_set, const std::string& prefix) {
  std::vector<Tensor> out;
  for (int k = 0;; ++k) {
    const fs::path file = data_set / (prefix + "_" + std::to_string(k) + ".pb");
    if (!fs::exists(file)) break;
    auto t = read_tensor_file(file.string());
    INFO("reading " << file.string());
    REQUIRE(t.ok());
    out.push_back(t->tensor);
  }
  return out;
}

double element_as_double(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::kFloat32: return t.data_as<float>()[i];
    case DType::kFloat64: return t.data_as<double>()[i];
    case DType::kInt64: return static_cast<double>(t.data_as<int64_t>()[i]);
    case DType::kInt32: return t.data_as<int32_t>()[i];
    case DType::kInt8: return t.data_as<int8_t>()[i];
    case DType::kUInt8: return t.data_as<uint8_t>()[i];
    case DType::kBool: return t.data_as<uint8_t>()[i];
    case DType::kUndefined: break;
  }
  return 0;
}

bool element_equal(const TensorView& a, const TensorView& b, int64_t i) {
  switch (a.dtype) {
    case DType::kInt64: return a.data_as<int64_t>()[i] == b.data_as<int64_t>()[i];
    default: return element_as_double(a, i) == element_as_double(b, i);
  }
}

// Empty string when `got` matches `want`; else a description of the worst element.
std::string compare(const TensorView& got, const TensorView& want) {
  std::ostringstream why;
  if (got.dtype != want.dtype) {
    why << "dtype " << dtype_name(got.dtype) << ", want " << dtype_name(want.dtype);
    return why.str();
  }
  if (got.shape != want.shape) {
    why << "shape " << dims_string(got.shape) << ", want " << dims_string(want.shape);
    return why.str();
  }
  const bool floating = is_float(want.dtype);
  int64_t bad = 0, worst = -1;
  double worst_excess = -1;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double excess;
    if (floating) {
      const double g = element_as_double(got, i), w = element_as_double(want, i);
      if (std::isnan(g) && std::isnan(w)) continue;
      const double diff = std::fabs(g - w);
      excess = diff - (kAtol + kRtol * std::fabs(w));
      if (std::isnan(diff)) excess = INFINITY;
      if (!(excess > 0)) continue;
    } else {
      if (element_equal(got, want, i)) continue;
      excess = std::fabs(element_as_double(got, i) - element_as_double(want, i));
    }
    ++bad;
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = i;
    }
  }
  if (bad == 0) return "";
  why.precision(9);
  why << bad << " of " << want.numel() << " elements differ; worst at flat index " << worst << ": got "
      << element_as_double(got, worst) << ", want " << element_as_double(want, worst);
  return why.str();
}

std::vector<TensorView> views(const std::vector<Tensor>& tensors) {
  std::vector<TensorView> out;
  for (const Tensor& t : tensors) out.push_back(t.view());
  return out;
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

TEST_CASE("every operator case matches its reference") {
  const std::vector<fs::path> cases = subfolders(cases_root() / "cases");
  REQUIRE(cases.size() > 150);
  int failed = 0;
  for (const fs::path& dir : cases) {
    const std::string name = dir.filename().string();
    auto model = Model::try_load((dir / "model.onnx").string());
    if (!model.ok()) {
      FAIL_CHECK(name << ": load failed: " << model.status().message());
      ++failed;
      continue;
    }
    const fs::path shape_file = dir / "expected_shape.txt";
    if (fs::exists(shape_file)) {
      const std::string want = read_lines(shape_file).at(0);
      const std::string got = model->outputs().at(0).shape.to_string();
      if (got != want) {
        FAIL_CHECK(name << ": load-time output shape " << got << ", want " << want);
        ++failed;
      }
    }
    const std::vector<Tensor> inputs = read_tensors(dir / "test_data_set_0", "input");
    const std::vector<Tensor> expected = read_tensors(dir / "test_data_set_0", "output");
    auto outputs = model->try_infer(views(inputs));
    if (!outputs.ok()) {
      FAIL_CHECK(name << ": inference failed: " << outputs.status().message());
      ++failed;
      continue;
    }
    if (outputs->size() != expected.size()) {
      FAIL_CHECK(name << ": " << outputs->size() << " outputs, want " << expected.size());
      ++failed;
      continue;
    }
    for (size_t k = 0; k < expected.size(); ++k) {
      const std::string why = compare((*outputs)[k].view(), expected[k].view());
      if (!why.empty()) {
        FAIL_CHECK(name << ": output " << k << ": " << why);
        ++failed;
      }
    }
    // A second run reuses the cached plan: results must not depend on arena leftovers.
    auto again = model->try_infer(views(inputs));
    if (!again.ok() || compare((*again)[0].view(), expected[0].view()) != "") {
      FAIL_CHECK(name << ": second inference differs");
      ++failed;
    }
  }
  INFO(failed << " of " << cases.size() << " cases failed");
  CHECK(failed == 0);
}

TEST_CASE("bad input gives an error naming the op and the node") {
  const std::vector<fs::path> cases = subfolders(cases_root() / "errors");
  REQUIRE(cases.size() > 20);
  for (const fs::path& dir : cases) {
    const std::string name = dir.filename().string();
    absl::Status status;
    auto model = Model::try_load((dir / "model.onnx").string());
    if (!model.ok()) {
      status = model.status();
    } else {
      const std::vector<Tensor> inputs = read_tensors(dir / "test_data_set_0", "input");
      auto outputs = model->try_infer(views(inputs));
      if (outputs.ok()) {
        FAIL_CHECK(name << ": expected an error, but loading and inference succeeded");
        continue;
      }
      status = outputs.status();
    }
    const std::string message(status.message());
    for (const std::string& expected : read_lines(dir / "expected_error.txt")) {
      if (expected.rfind("code=", 0) == 0) {
        const std::string code = absl::StatusCodeToString(status.code());
        if (code != expected.substr(5)) FAIL_CHECK(name << ": status code " << code << ", want " << expected);
        continue;
      }
      if (message.find(expected) == std::string::npos) {
        FAIL_CHECK(name << ": error \"" << message << "\" does not contain \"" << expected << "\"");
      }
    }
  }
}

}  // namespace
}  // namespace sofie
