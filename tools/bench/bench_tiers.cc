// Interpreter against JIT on the benchmark models (tools/bench/models): the figures behind the JIT tier.
//
// For each model and batch size, in one process and on one thread: the model is loaded twice, once with
// Tier::kInterp and once with Tier::kJit (a fresh load per case, so every case pays and reports its own
// compile). The JIT's first call waits for the compile; its second call must then be served by compiled
// code, and its outputs must agree with the interpreter's to 1e-4 relative (plus 1e-6 absolute, for values
// that cancel to about zero) or the benchmark stops with an error. Then both are timed interleaved: in each
// of R rounds, C chunks of back-to-back calls (each chunk at least 5 ms) per tier; a round's figure is the
// median of its chunk means, the reported figure the median over the rounds. Noise from other processes
// hits both tiers alike, but the machine's load still moves the absolute numbers: compare ratios.
//
//   bazel run //tools/bench:bench_tiers -- [--rounds R] [--chunks C] [--models-dir DIR] [MODEL[@BATCH]]...
//
// Without MODEL arguments every model runs at batch 1 and 64. Exit status 1 on a mismatch, a load or
// inference failure, or a JIT that did not serve.
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
#include "runtime/model.h"
#include "runtime/session.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kMinChunkMs = 5;
constexpr double kChunkTargetMs = 6;  // at the fastest rate seen: chunks stay above kMinChunkMs
constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-6;

struct Case {
  std::string model;
  int64_t batch;
};

struct Row {
  Case c;
  double interp_us = 0, jit_us = 0, ratio = 0;
  double interp_lo = 0, interp_hi = 0, jit_lo = 0, jit_hi = 0;  // fastest and slowest round medians
  double compile_ms = 0;
  int emitted = 0, fallback = 0;
  double max_abs_diff = 0;
  std::string error;  // empty when the case ran
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The number of calls that makes a chunk last at least kMinChunkMs: doubled until a chunk lasts that long,
// then sized from the fastest of three more chunks (a chunk slowed by noise would leave the timed ones short).
int64_t calibrate(const std::function<void()>& f) {
  constexpr int64_t kMaxCalls = int64_t{1} << 26;
  auto chunk_ms = [&](int64_t calls) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) f();
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  int64_t calls = 1;
  while (chunk_ms(calls) < kMinChunkMs && calls < kMaxCalls) calls *= 2;
  double fastest = 1e300;
  for (int k = 0; k < 3; ++k) fastest = std::min(fastest, chunk_ms(calls) / static_cast<double>(calls));
  return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(kChunkTargetMs / std::max(fastest, 1e-9))), 1, kMaxCalls);
}

// Median over `chunks` chunks of the mean µs per call.
double time_round(const std::function<void()>& f, int64_t calls_per_chunk, int chunks) {
  std::vector<double> us;
  for (int c = 0; c < chunks; ++c) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls_per_chunk; ++i) f();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() /
                 static_cast<double>(calls_per_chunk));
  }
  return median(us);
}

std::string message(const absl::Status& status) { return std::string(status.message()); }

// Empty when the outputs agree; else what differs. `max_abs_diff` gets the largest float difference.
std::string compare(const sofie::Model& model, absl::Span<const sofie::TensorView> interp,
                    absl::Span<const sofie::TensorView> jit, double* max_abs_diff) {
  char buf[512];
  if (interp.size() != jit.size()) return "different numbers of outputs";
  for (size_t k = 0; k < interp.size(); ++k) {
    const std::string name = k < model.outputs().size() ? model.outputs()[k].name : "#" + std::to_string(k);
    const sofie::TensorView& a = interp[k];
    const sofie::TensorView& b = jit[k];
    if (a.dtype != b.dtype || a.shape != b.shape) {
      std::snprintf(buf, sizeof buf, "output '%s': interpreter gives %s %s, JIT %s %s", name.c_str(),
                    sofie::dtype_name(a.dtype), sofie::dims_string(a.shape).c_str(), sofie::dtype_name(b.dtype),
                    sofie::dims_string(b.shape).c_str());
      return buf;
    }
    if (a.dtype != sofie::DType::kFloat32) {
      if (std::memcmp(a.data, b.data, a.nbytes()) != 0) return "output '" + name + "' differs";
      continue;
    }
    const float* pa = a.data_as<float>();
    const float* pb = b.data_as<float>();
    for (int64_t i = 0; i < a.numel(); ++i) {
      const double x = pa[i], y = pb[i];
      const double diff = std::fabs(x - y);
      if (!(diff <= kRtol * std::max(std::fabs(x), std::fabs(y)) + kAtol)) {
        std::snprintf(buf, sizeof buf, "output '%s' element %lld: interpreter %.9g, JIT %.9g (|diff| %.3g)",
                      name.c_str(), static_cast<long long>(i), x, y, diff);
        return buf;
      }
      *max_abs_diff = std::max(*max_abs_diff, diff);
    }
  }
  return "";
}

Row run_case(const std::string& models_dir, const Case& c, int rounds, int chunks) {
  Row row;
  row.c = c;
  auto failed = [&row](std::string error) {
    row.error = std::move(error);
    return row;
  };
  const std::string path = models_dir + "/" + c.model + "/model.onnx";
  sofie::LoadOptions interp_options, jit_options;
  interp_options.tier = sofie::Tier::kInterp;
  jit_options.tier = sofie::Tier::kJit;
  absl::StatusOr<sofie::Model> interp_model = sofie::Model::try_load(path, interp_options);
  if (!interp_model.ok()) return failed("cannot load " + path + ": " + message(interp_model.status()));
  absl::StatusOr<sofie::Model> jit_model = sofie::Model::try_load(path, jit_options);
  if (!jit_model.ok()) return failed("cannot load " + path + " for the JIT: " + message(jit_model.status()));

  // Seeded uniform [-1, 1) float inputs, the first dimension set to the batch.
  std::vector<sofie::Tensor> inputs;
  std::vector<sofie::TensorView> views;
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (const sofie::ValueInfo& info : interp_model->inputs()) {
    if (info.dtype != sofie::DType::kFloat32 || !info.shape.rank_known() || info.shape.rank() == 0) {
      return failed("input '" + info.name + "' is not a float32 tensor with a batch dimension");
    }
    sofie::Dims shape = {c.batch};
    for (int64_t i = 1; i < info.shape.rank(); ++i) {
      if (!info.shape[i].is_known()) return failed("input '" + info.name + "' has a dynamic inner dimension");
      shape.push_back(info.shape[i].value);
    }
    sofie::Tensor t = sofie::Tensor::zeros(sofie::DType::kFloat32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.mutable_data_as<float>()[i] = uniform(rng);
    inputs.push_back(std::move(t));
  }
  for (const sofie::Tensor& t : inputs) views.push_back(t.view());

  sofie::Session interp = interp_model->new_session();
  sofie::Session jit = jit_model->new_session();
  auto run = [&](sofie::Session& s) -> absl::Span<const sofie::TensorView> {
    absl::StatusOr<absl::Span<const sofie::TensorView>> out = s.run(views);
    if (!out.ok()) {
      std::fprintf(stderr, "bench_tiers: %s batch %lld: inference failed: %s\n", c.model.c_str(),
                   static_cast<long long>(c.batch), message(out.status()).c_str());
      std::exit(1);
    }
    return *out;
  };

  // The JIT's first call waits for the compile (or, when this process compiled the model already for another
  // batch size, is served by that code at once); the second must be compiled.
  run(jit);
  absl::Span<const sofie::TensorView> jit_out = run(jit);
  const sofie::TierStats stats = jit_model->tier_stats();
  if (jit.calls_compiled() < 1) return failed("the JIT did not serve (" + stats.state + ")");
  const int64_t interpreted_in_warmup = jit.calls_interpreted();
  row.compile_ms = stats.compile_ms;
  row.emitted = stats.emitted_steps;
  row.fallback = stats.fallback_steps;
  absl::Span<const sofie::TensorView> interp_out = run(interp);
  const std::string mismatch = compare(*interp_model, interp_out, jit_out, &row.max_abs_diff);
  if (!mismatch.empty()) return failed("MISMATCH between the tiers: " + mismatch);

  auto run_interp = [&] { run(interp); };
  auto run_jit = [&] { run(jit); };
  const int64_t interp_calls = calibrate(run_interp);
  const int64_t jit_calls = calibrate(run_jit);
  std::vector<double> interp_us, jit_us, ratios;
  for (int r = 0; r < rounds; ++r) {
    interp_us.push_back(time_round(run_interp, interp_calls, chunks));
    jit_us.push_back(time_round(run_jit, jit_calls, chunks));
    ratios.push_back(jit_us.back() / interp_us.back());
  }
  if (jit.calls_interpreted() != interpreted_in_warmup) return failed("the JIT session fell back to the interpreter");
  row.interp_us = median(interp_us);
  row.jit_us = median(jit_us);
  row.ratio = median(ratios);
  row.interp_lo = *std::min_element(interp_us.begin(), interp_us.end());
  row.interp_hi = *std::max_element(interp_us.begin(), interp_us.end());
  row.jit_lo = *std::min_element(jit_us.begin(), jit_us.end());
  row.jit_hi = *std::max_element(jit_us.begin(), jit_us.end());
  return row;
}

int usage() {
  std::fprintf(stderr,
               "usage: bench_tiers [--rounds R] [--chunks C] [--models-dir DIR] [MODEL[@BATCH]]...\n"
               "  models: linear_64, mlp, mlp_dense, vae_decoder, cnn (default: each at batch 1 and 64)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Compile for real (no on-disk cache), so the compile column is a compile; a model's second batch size
  // still reuses this process's code for the same structure (reported as such).
  setenv("SOFIE_CACHE", "off", 0);
  std::string models_dir = "tools/bench/models";  // the runfiles path under `bazel run`
  int rounds = 5, chunks = 11;
  std::vector<Case> cases;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--chunks" && i + 1 < argc) {
      chunks = std::atoi(argv[++i]);
    } else if (a == "--models-dir" && i + 1 < argc) {
      models_dir = argv[++i];
    } else if (a.rfind("-", 0) == 0) {
      return usage();
    } else {
      const size_t at = a.find('@');
      if (at == std::string::npos) {
        cases.push_back({a, 1});
        cases.push_back({a, 64});
      } else {
        const long long batch = std::atoll(a.c_str() + at + 1);
        if (batch <= 0) return usage();
        cases.push_back({a.substr(0, at), batch});
      }
    }
  }
  if (rounds < 1 || chunks < 1) return usage();
  if (cases.empty()) {
    for (const char* m : {"linear_64", "mlp", "mlp_dense", "vae_decoder", "cnn"}) {
      cases.push_back({m, 1});
      cases.push_back({m, 64});
    }
  }

  std::printf("interpreter vs JIT, single thread, GEMM backend %s; %d interleaved rounds x %d chunks (>= %.0f ms "
              "each), median of the round medians (range: fastest-slowest round)\n",
              sofie_gemm_backend_f32(), rounds, chunks, kMinChunkMs);
  std::printf("%-12s %5s %12s %21s %12s %21s %9s %10s %14s %10s\n", "model", "batch", "interp us", "(range)",
              "jit us", "(range)", "jit/int", "compile ms", "emitted/fallbk", "max |diff|");
  std::fflush(stdout);
  bool ok = true;
  for (const Case& c : cases) {
    const Row r = run_case(models_dir, c, rounds, chunks);
    if (!r.error.empty()) {
      std::printf("%-12s %5lld  FAILED: %s\n", c.model.c_str(), static_cast<long long>(c.batch), r.error.c_str());
      std::fprintf(stderr, "bench_tiers: %s batch %lld: %s\n", c.model.c_str(), static_cast<long long>(c.batch),
                   r.error.c_str());
      ok = false;
      continue;
    }
    char interp_range[64], jit_range[64], steps[32];
    std::snprintf(interp_range, sizeof interp_range, "(%.2f-%.2f)", r.interp_lo, r.interp_hi);
    std::snprintf(jit_range, sizeof jit_range, "(%.2f-%.2f)", r.jit_lo, r.jit_hi);
    std::snprintf(steps, sizeof steps, "%d/%d", r.emitted, r.fallback);
    std::printf("%-12s %5lld %12.2f %21s %12.2f %21s %9.2f %10.1f %14s %10.2g\n", c.model.c_str(),
                static_cast<long long>(c.batch), r.interp_us, interp_range, r.jit_us, jit_range, r.ratio,
                r.compile_ms, steps, r.max_abs_diff);
    std::fflush(stdout);
  }
  return ok ? 0 : 1;
}
