#include "tools/gnn/bench_util.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

namespace sofie::gnn_bench {
namespace {

using Clock = std::chrono::steady_clock;

// splitmix64
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  Tensor floats(Dims shape) {
    Tensor t = Tensor::zeros(DType::kFloat32, shape);
    float* p = t.mutable_data_as<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(next() >> 40) * (2.0f / 16777216.0f) - 1.0f;
    return t;
  }
  Tensor indices(int64_t n, int64_t bound) {
    Tensor t = Tensor::zeros(DType::kInt64, {n});
    int64_t* p = t.mutable_data_as<int64_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<int64_t>(next() % static_cast<uint64_t>(bound));
    return t;
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

double status_mb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::strtod(line.c_str() + n + 1, nullptr) / 1024.0;  // kB
    }
  }
  return 0;
}

void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

Timing time_calls(const std::function<void()>& call, double min_ms) {
  auto chunk_ms = [&](int64_t calls) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) call();
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  int64_t calls = 1;
  while (chunk_ms(calls) < 2.0 && calls < (int64_t{1} << 24)) calls *= 2;
  std::vector<double> means;
  double total = 0;
  while ((means.size() < 11 || total < min_ms) && means.size() < 400) {
    const double ms = chunk_ms(calls);
    total += ms;
    means.push_back(ms * 1000.0 / static_cast<double>(calls));
  }
  return Timing{median(means), *std::min_element(means.begin(), means.end())};
}

CaseInputs make_inputs(const std::string& model, int64_t size) {
  Random random{static_cast<uint64_t>(size) * 7919 + 17};
  CaseInputs c;
  c.nodes = size;
  if (model == "lhcb_toy") {
    c.edges = 4 * size;
    c.tensors = {random.floats({size, 4}), random.floats({c.edges, 4}), random.floats({1, 1}),
                 random.indices(c.edges, size), random.indices(c.edges, size)};
  } else if (model == "message_passing") {
    c.edges = 4 * size;
    c.tensors = {random.floats({size, 6}), random.floats({c.edges, 3}), random.indices(c.edges, size),
                 random.indices(c.edges, size)};
  } else if (model == "particlenet") {
    c.tensors = {random.floats({1, 2, size}), random.floats({1, 7, size})};
  } else if (model == "atlas_tracks") {
    c.tensors = {random.floats({1, size, 21}), random.floats({1, 2})};
  }
  return c;
}

const char* csv_header() {
  return "model,tier,size,nodes,edges,median_us,fastest_us,us_per_edge,peak_rss_mb,first_peak_mb,loaded_rss_mb,"
         "compile_ms\n";
}

std::string csv_line(const CaseResult& r) {
  const double per_edge = r.edges > 0 ? r.timing.median_us / static_cast<double>(r.edges) : 0;
  char line[512];
  std::snprintf(line, sizeof line, "%s,%s,%lld,%lld,%lld,%.2f,%.2f,%.4f,%.1f,%.1f,%.1f,%.1f\n", r.model.c_str(),
                r.tier.c_str(), static_cast<long long>(r.size), static_cast<long long>(r.nodes),
                static_cast<long long>(r.edges), r.timing.median_us, r.timing.fastest_us, per_edge, r.peak_rss_mb,
                r.first_peak_mb, r.loaded_rss_mb, r.compile_ms);
  return line;
}

double max_abs_diff(const TensorView& a, const TensorView& b) {
  if (a.dtype != DType::kFloat32 || b.dtype != DType::kFloat32 || a.shape != b.shape) {
    return std::numeric_limits<double>::infinity();
  }
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(a.data_as<float>()[i]) - b.data_as<float>()[i]));
  }
  return worst;
}

}  // namespace sofie::gnn_bench
