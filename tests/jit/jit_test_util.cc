#include "tests/jit/jit_test_util.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sofie::jit_testing {
namespace fs = std::filesystem;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0' ? v : fallback;
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// "[1,0,3]": the multi-index of flat element `flat` of a row-major tensor of shape `shape`.
std::string index_string(int64_t flat, const Dims& shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    const int64_t d = shape[i] > 0 ? shape[i] : 1;
    index[i] = flat % d;
    flat /= d;
  }
  return absl::StrCat("[", absl::StrJoin(index, ","), "]");
}

double float_at(const TensorView& t, int64_t i) {
  return t.dtype == DType::kFloat32 ? static_cast<double>(t.data_as<float>()[i]) : t.data_as<double>()[i];
}

int64_t int_at(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::kInt64: return t.data_as<int64_t>()[i];
    case DType::kInt32: return t.data_as<int32_t>()[i];
    case DType::kInt8: return t.data_as<int8_t>()[i];
    case DType::kUInt8: return t.data_as<uint8_t>()[i];
    case DType::kBool: return t.data_as<uint8_t>()[i] != 0;
    default: return 0;
  }
}

}  // namespace

std::string runfile(const std::string& path) {
  const std::string workspace = env_or("TEST_WORKSPACE", "sofie");
  if (const char* dir = std::getenv("TEST_SRCDIR"); dir != nullptr && dir[0] != '\0') {
    return absl::StrCat(dir, "/", workspace, "/", path);
  }
  if (const char* dir = std::getenv("RUNFILES_DIR"); dir != nullptr && dir[0] != '\0') {
    return absl::StrCat(dir, "/", workspace, "/", path);
  }
  return absl::StrCat(self_exe(), ".runfiles/", workspace, "/", path);
}

std::string fresh_temp_dir(const std::string& name) {
  const fs::path dir = fs::path(env_or("TEST_TMPDIR", fs::temp_directory_path().string())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

Shard test_shard() {
  static const Shard shard = [] {
    Shard s;
    const char* index = std::getenv("TEST_SHARD_INDEX");
    const char* total = std::getenv("TEST_TOTAL_SHARDS");
    if (index != nullptr && total != nullptr && std::atoi(total) > 0) {
      s.index = std::atoi(index);
      s.total = std::atoi(total);
    }
    if (const char* status = std::getenv("TEST_SHARD_STATUS_FILE"); status != nullptr && status[0] != '\0') {
      std::ofstream touch(status, std::ios::app);
    }
    return s;
  }();
  return shard;
}

TierStats wait_while_compiling(const Model& model, double timeout_s) {
  const double deadline = now_ms() + timeout_s * 1000;
  TierStats stats = model.tier_stats();
  while (stats.state == "compiling" && now_ms() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stats = model.tier_stats();
  }
  return stats;
}

TierStats wait_for_state(const Model& model, const std::string& state, double timeout_s) {
  const double deadline = now_ms() + timeout_s * 1000;
  TierStats stats = model.tier_stats();
  while (stats.state != state && now_ms() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stats = model.tier_stats();
  }
  return stats;
}

std::string compare_close(const TensorView& got, const TensorView& want, double rtol, double atol) {
  if (got.dtype != want.dtype) {
    return absl::StrCat("got dtype ", dtype_name(got.dtype), ", want ", dtype_name(want.dtype));
  }
  if (got.shape != want.shape) {
    return absl::StrCat("got shape ", dims_string(got.shape), ", want ", dims_string(want.shape));
  }
  const int64_t n = want.numel();
  const bool floating = is_float(want.dtype);
  int64_t bad = 0, worst = -1;
  double worst_excess = -1;
  for (int64_t i = 0; i < n; ++i) {
    double excess;
    if (floating) {
      const double g = float_at(got, i), w = float_at(want, i);
      if ((std::isnan(g) && std::isnan(w)) || g == w) continue;  // g == w also for equal infinities
      // Unequal and either one NaN or infinite: a mismatch (an infinite `want` would make the tolerance
      // infinite, and inf - inf is NaN, which no comparison would count).
      const double diff = std::fabs(g - w);
      const bool special = std::isnan(g) || std::isnan(w) || std::isinf(g) || std::isinf(w);
      excess = special ? INFINITY : diff - (atol + rtol * std::fabs(w));
      if (!(excess > 0)) continue;
    } else {
      const int64_t g = int_at(got, i), w = int_at(want, i);
      if (g == w) continue;
      excess = std::fabs(static_cast<double>(g) - static_cast<double>(w));
    }
    ++bad;
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = i;
    }
  }
  if (bad == 0) return "";
  std::ostringstream why;
  why.precision(9);
  why << "worst element at " << index_string(worst, want.shape) << ": got ";
  if (floating) {
    why << float_at(got, worst) << ", want " << float_at(want, worst);
  } else {
    why << int_at(got, worst) << ", want " << int_at(want, worst);
  }
  why << " (" << bad << " of " << n << " elements differ; shape " << dims_string(want.shape) << ")";
  return why.str();
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::vector<float> out(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (float& f : out) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    f = static_cast<float>(static_cast<double>(s >> 11) / static_cast<double>(uint64_t{1} << 53) * 2.0 - 1.0);
  }
  return out;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace sofie::jit_testing
