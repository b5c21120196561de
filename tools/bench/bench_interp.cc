// Interpreter overhead benchmark: the Higgs-style MLP 7 -> 64 -> 64 -> 64 -> 64 -> 1 (ReLU, Sigmoid out).
//
// Measures, single-threaded, in one run:
//   sofie     Session::run through the interpreter (no allocation expected per call)
//   direct    the same network as straight calls into the same kernel ABI (sofie_gemv_f32 / sofie_gemm_f32,
//             a ReLU loop, sofie_sigmoid_f32): the zero-overhead floor for these kernels
// and prints the median µs per inference over chunks, the spread of chunk medians, the ratio sofie/direct
// and the heap allocations per inference in steady state (counted by wrapping malloc).
//
//   bazel run //tools/bench:bench_interp -- [--batch N] [--chunks N] [MODEL]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "ops/kernels/sofie_kernels.h"
#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "tools/bench/alloc_counter.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  double median_us, min_us, max_us;
};

// Calibrates a chunk to ~10 ms, then times `chunks` chunks; statistics of the per-call chunk means.
Stats time_it(const std::function<void()>& f, int chunks) {
  for (int i = 0; i < 200; ++i) f();  // warm-up
  int per_chunk = 1;
  for (;;) {
    auto t0 = Clock::now();
    for (int i = 0; i < per_chunk; ++i) f();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (ms > 10 || per_chunk > (1 << 24)) break;
    per_chunk *= 2;
  }
  std::vector<double> us;
  for (int c = 0; c < chunks; ++c) {
    auto t0 = Clock::now();
    for (int i = 0; i < per_chunk; ++i) f();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / per_chunk);
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us.front(), us.back()};
}

// The MLP as direct kernel calls: Gemm (+ Relu | Sigmoid) layers read from the loaded graph.
struct DirectMlp {
  struct Layer {
    const float* w;
    const float* b;
    int64_t in, out;
    bool trans_b;
    bool relu, sigmoid;
  };
  std::vector<Layer> layers;
  std::vector<float> buf_a, buf_b;
  int64_t batch;

  bool build(const sofie::Graph& g, int64_t batch_size) {
    batch = batch_size;
    for (const sofie::Node& n : g.nodes()) {
      if (n.op_type == "Gemm") {
        const auto* w = g.value(n.inputs[1]).constant.get();
        const auto* b = n.inputs.size() > 2 ? g.value(n.inputs[2]).constant.get() : nullptr;
        const sofie::Attribute* tb = n.find_attribute("transB");
        if (!w || !b) return false;
        bool trans = tb && tb->i;
        int64_t in = trans ? w->shape()[1] : w->shape()[0];
        int64_t out = trans ? w->shape()[0] : w->shape()[1];
        layers.push_back({w->data_as<float>(), b->data_as<float>(), in, out, trans, false, false});
      } else if (n.op_type == "Relu" && !layers.empty()) {
        layers.back().relu = true;
      } else if (n.op_type == "Sigmoid" && !layers.empty()) {
        layers.back().sigmoid = true;
      } else {
        return false;
      }
    }
    buf_a.resize(batch * 1024);
    buf_b.resize(batch * 1024);
    return !layers.empty();
  }

  const float* run(const float* x) {
    const float* in = x;
    float* out = buf_a.data();
    for (const Layer& l : layers) {
      for (int64_t r = 0; r < batch; ++r) std::memcpy(out + r * l.out, l.b, l.out * sizeof(float));
      sofie_gemm_f32(0, l.trans_b, batch, l.out, l.in, 1.0f, in, l.in, l.w, l.trans_b ? l.in : l.out, 1.0f, out,
                     l.out);
      int64_t n = batch * l.out;
      if (l.relu) {
        for (int64_t i = 0; i < n; ++i) out[i] = out[i] > 0 ? out[i] : 0;
      }
      if (l.sigmoid) sofie_sigmoid_f32(out, out, n);
      in = out;
      out = out == buf_a.data() ? buf_b.data() : buf_a.data();
    }
    return in;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string path = "tools/models/mlp/model.onnx";
  int64_t batch = 1;
  int chunks = 31;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--batch" && i + 1 < argc) {
      batch = std::atoll(argv[++i]);
    } else if (a == "--chunks" && i + 1 < argc) {
      chunks = std::atoi(argv[++i]);
    } else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "usage: bench_interp [--batch N] [--chunks N] [MODEL]\n");
      return 2;
    } else {
      path = a;
    }
  }
  auto model = sofie::Model::try_load(path);
  if (!model.ok()) {
    std::fprintf(stderr, "bench_interp: %s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  const auto& info = model->inputs()[0];
  int64_t features = info.shape[1].value;
  std::vector<float> x(batch * features);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uni(-1, 1);
  for (float& v : x) v = uni(rng);
  std::vector<sofie::TensorView> inputs = {sofie::TensorView::of(x.data(), {batch, features})};

  sofie::Session session = model->new_session();
  const float* sofie_out = nullptr;
  auto run_sofie = [&] {
    auto outs = session.run(inputs);
    if (!outs.ok()) {
      std::fprintf(stderr, "bench_interp: %s\n", std::string(outs.status().message()).c_str());
      std::exit(1);
    }
    sofie_out = (*outs)[0].data_as<float>();
  };
  DirectMlp direct;
  if (!direct.build(model->graph(), batch)) {
    std::fprintf(stderr, "bench_interp: %s is not a Gemm/Relu/Sigmoid chain\n", path.c_str());
    return 1;
  }
  const float* direct_out = nullptr;
  auto run_direct = [&] { direct_out = direct.run(x.data()); };

  run_sofie();
  run_direct();
  int64_t n_out = batch * model->outputs()[0].shape[1].value;
  double worst = 0;
  for (int64_t i = 0; i < n_out; ++i) worst = std::max(worst, double(std::fabs(sofie_out[i] - direct_out[i])));
  if (worst > 1e-5) {
    std::fprintf(stderr, "bench_interp: sofie and direct disagree by %g\n", worst);
    return 1;
  }

  // Steady-state allocations: count over 1000 calls after the warm-up.
  for (int i = 0; i < 100; ++i) run_sofie();
  uint64_t a0 = sofie::bench::allocation_count();
  for (int i = 0; i < 1000; ++i) run_sofie();
  double allocs_per_call = double(sofie::bench::allocation_count() - a0) / 1000;
  uint64_t b0 = sofie::bench::allocation_count();
  for (int i = 0; i < 1000; ++i) (void)model->infer(inputs);
  double infer_allocs_per_call = double(sofie::bench::allocation_count() - b0) / 1000;

  // Interleave the two runners over several rounds so machine noise hits both alike.
  std::vector<double> s_med, d_med, ratio;
  double s_min = 1e30, s_max = 0, d_min = 1e30, d_max = 0;
  for (int round = 0; round < 5; ++round) {
    Stats s = time_it(run_sofie, chunks);
    Stats d = time_it(run_direct, chunks);
    s_med.push_back(s.median_us);
    d_med.push_back(d.median_us);
    ratio.push_back(s.median_us / d.median_us);
    s_min = std::min(s_min, s.min_us), s_max = std::max(s_max, s.max_us);
    d_min = std::min(d_min, d.min_us), d_max = std::max(d_max, d.max_us);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("model %s, batch %lld, single thread, GEMM backend %s\n", path.c_str(), (long long)batch,
              sofie_gemm_backend_f32());
  std::printf("sofie interpreter : median %8.3f us/inference (chunk range %.3f-%.3f)\n", median(s_med), s_min, s_max);
  std::printf("direct kernels    : median %8.3f us/inference (chunk range %.3f-%.3f)\n", median(d_med), d_min, d_max);
  std::printf("ratio sofie/direct: %.2f (median of 5 interleaved rounds)\n", median(ratio));
  std::printf("heap allocations per inference: Session::run %.3f, Model::infer %.3f\n", allocs_per_call,
              infer_allocs_per_call);
  return 0;
}
