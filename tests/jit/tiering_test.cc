// Tiering end to end on the MLP (tools/models:mlp, input [batch,7]): the interpreter serves first, a
// background compile swaps code in once the model is hot, and results never change beyond float rounding.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "runtime/model.h"
#include "runtime/session.h"
#include "tests/jit/jit_test_util.h"
#include "tests/jit/onnx_builder.h"

namespace sofie {
namespace {
using jit_testing::compare_close;
using jit_testing::now_ms;

constexpr int64_t kFeatures = 7;
constexpr double kCompileTimeoutS = 120;
constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

std::string mlp_path() { return jit_testing::runfile("tools/models/mlp/model.onnx"); }

// Compiled code only from this process's compiles (the in-memory layer of the code cache stays): an
// on-disk cache from an earlier run would make compiles instant. Before the first compile; an explicit
// SOFIE_CACHE wins.
void keep_code_cache_off_disk() { setenv("SOFIE_CACHE", "off", /*overwrite=*/0); }

Model load_mlp(Tier tier, int64_t threshold) {
  LoadOptions options;
  options.tier = tier;
  options.jit_threshold = threshold;
  absl::StatusOr<Model> model = Model::try_load(mlp_path(), options);
  INFO(mlp_path() << ": " << (model.ok() ? "" : std::string(model.status().message())));
  REQUIRE(model.ok());
  return *model;
}

// One MLP input of `batch` rows.
struct Input {
  int64_t batch = 0;
  std::vector<float> x;
  TensorView view() const { return TensorView::of(x.data(), {batch, kFeatures}); }
};
Input make_input(int64_t batch, uint64_t seed) {
  return {batch, jit_testing::random_floats(static_cast<size_t>(batch * kFeatures), seed)};
}

// The interpreter's output for `in`, from a model of its own.
Tensor interpreted(const Model& interp, const Input& in) {
  absl::StatusOr<std::vector<Tensor>> out = interp.try_infer({in.view()});
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  return (*out)[0];
}

// Runs `in` on `session` and compares with `want`; empty string when they match.
std::string run_and_compare(Session& session, const Input& in, const Tensor& want, double rtol, double atol) {
  const TensorView x = in.view();
  absl::StatusOr<absl::Span<const TensorView>> out = session.run(absl::MakeConstSpan(&x, 1));
  if (!out.ok()) return std::string(out.status().message());
  if (out->size() != 1) return "wrong number of outputs";
  return compare_close((*out)[0], want.view(), rtol, atol);
}

TEST_CASE("tiering: 100 batch sizes, compiled once, then served compiled with the interpreter's results") {
  keep_code_cache_off_disk();
  const Model interp = load_mlp(Tier::kInterp, 0);
  const Model model = load_mlp(Tier::kAuto, /*threshold=*/5);
  Session session = model.new_session();

  // Batch sizes 1..100 in a scrambled but fixed order (37 is coprime with 100).
  std::vector<int64_t> sizes;
  for (int64_t i = 0; i < 100; ++i) sizes.push_back(1 + (i * 37) % 100);

  int64_t compiled_after_wait = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const Input in = make_input(sizes[i], 100 + i);
    const Tensor want = interpreted(interp, in);
    const std::string why = run_and_compare(session, in, want, kRtol, kAtol);
    INFO("call " << i + 1 << ", batch " << sizes[i] << " (" << session.calls_compiled() << " compiled so far)");
    CHECK(why == "");
    if (i + 1 == 5) {
      // The 5th call made the model hot: wait for the background compile.
      const TierStats stats = jit_testing::wait_for_state(model, "compiled", kCompileTimeoutS);
      INFO("state " << stats.state);
      REQUIRE(stats.state == "compiled");
      CHECK(session.calls_compiled() == 0);
      CHECK(session.calls_interpreted() == 5);
      compiled_after_wait = session.calls_compiled();
    }
  }
  const TierStats stats = jit_testing::wait_while_compiling(model, kCompileTimeoutS);
  std::printf("tiering (a): %lld compiled calls, %lld interpreted calls; %lld compiles, state %s, %.0f ms, "
              "%d emitted + %d fallback steps, %zu bytes\n",
              static_cast<long long>(session.calls_compiled()), static_cast<long long>(session.calls_interpreted()),
              static_cast<long long>(stats.compiles), stats.state.c_str(), stats.compile_ms, stats.emitted_steps,
              stats.fallback_steps, stats.code_bytes);
  CHECK(stats.compiles >= 1);
  CHECK(stats.compiles <= 2);
  CHECK(stats.failures == 0);
  CHECK(stats.state == "compiled");
  CHECK(stats.emitted_steps == 10);  // 5 Gemm, each with its activation fused
  CHECK(stats.fallback_steps == 0);
  // After the wait, the 95 remaining calls are served compiled (one plan shape of the batch may need a
  // second compile, the calls before it interpreted).
  CHECK(session.calls_compiled() - compiled_after_wait >= 90);
  CHECK(session.calls_compiled() + session.calls_interpreted() == 100);
}

TEST_CASE("tiering: 8 threads share one model while the compiled code is swapped in") {
  keep_code_cache_off_disk();
  constexpr int kThreads = 8;
  constexpr int kCalls = 500;
  constexpr int kInputs = 24;
  // Expected outputs from a single thread on an interpreter-only model.
  const Model interp = load_mlp(Tier::kInterp, 0);
  std::vector<Input> inputs;
  std::vector<Tensor> expected;
  for (int i = 0; i < kInputs; ++i) {
    inputs.push_back(make_input(2 + (i * 5) % 40, 1000 + i));
    expected.push_back(interpreted(interp, inputs.back()));
  }

  const Model model = load_mlp(Tier::kAuto, /*threshold=*/50);
  std::atomic<int> mismatches{0};  // wrong results and errors
  std::vector<int64_t> compiled_calls(kThreads, 0), calls_while_compiling(kThreads, 0);
  std::vector<std::string> first_error(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Even threads use Model::infer's per-thread sessions, odd ones a Session of their own.
      Session session = model.new_session();
      auto call = [&](int i) {
        const int k = (t * 7 + i) % kInputs;
        std::string why;
        if (t % 2 == 0) {
          absl::StatusOr<std::vector<Tensor>> out = model.try_infer({inputs[k].view()});
          why = !out.ok() ? std::string(out.status().message())
                          : compare_close((*out)[0].view(), expected[k].view(), 0, kAtol);
        } else {
          why = run_and_compare(session, inputs[k], expected[k], 0, kAtol);
        }
        if (!why.empty()) {
          ++mismatches;
          if (first_error[t].empty()) first_error[t] = "thread " + std::to_string(t) + ", call " + std::to_string(i) + ": " + why;
        }
      };
      // The first half paced (the compile starts after 50 calls in all and runs while they go on); then,
      // while the compile has not finished, more calls; then the second half, on compiled code.
      for (int i = 0; i < kCalls / 2; ++i) {
        call(i);
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
      const double deadline = now_ms() + kCompileTimeoutS * 1000;
      while (model.tier_stats().state != "compiled" && now_ms() < deadline) {
        call(kCalls / 2);
        ++calls_while_compiling[t];
      }
      for (int i = kCalls / 2; i < kCalls; ++i) call(i);
      compiled_calls[t] = session.calls_compiled();
    });
  }
  for (std::thread& th : threads) th.join();

  const TierStats stats = model.tier_stats();
  std::printf("tiering (b): state %s, %lld compiles; compiled calls of the own-session threads:", stats.state.c_str(),
              static_cast<long long>(stats.compiles));
  for (int t = 1; t < kThreads; t += 2) std::printf(" %lld", static_cast<long long>(compiled_calls[t]));
  std::printf("; extra calls while compiling:");
  for (int t = 0; t < kThreads; ++t) std::printf(" %lld", static_cast<long long>(calls_while_compiling[t]));
  std::printf("\n");
  std::string errors_text;
  for (const std::string& e : first_error) {
    if (!e.empty()) errors_text += e + "\n";
  }
  INFO(errors_text);
  CHECK(mismatches == 0);
  CHECK(stats.state == "compiled");
  // Every batch size here has the same plan structure: one compile at most (none when this process
  // compiled the same model already: the code is shared).
  CHECK(stats.compiles <= 1);
  CHECK(stats.failures == 0);
  for (int t = 1; t < kThreads; t += 2) {
    INFO("thread " << t);
    CHECK(compiled_calls[t] >= kCalls / 2);
  }
}

// A dense layer [batch, in] -> [batch, out] + Tanh that no other test compiles: the process's code cache
// would serve the MLP from memory at once, and these checks need a compile that takes its time.
std::string dense_model(int64_t in, int64_t out) {
  jit_testing::ModelBuilder m("dense_" + std::to_string(in) + "_" + std::to_string(out));
  m.input("x", {jit_testing::kBatch, in});
  m.output("y", {jit_testing::kBatch, out});
  m.initializer("W", {in, out});
  m.initializer("B", {out});
  m.node("Gemm", {"x", "W", "B"}, "h");
  m.node("Tanh", {"h"}, "y");
  return m.serialize();
}

Model load_buffer(const std::string& bytes, Tier tier, int64_t threshold) {
  LoadOptions options;
  options.tier = tier;
  options.jit_threshold = threshold;
  absl::StatusOr<Model> model = Model::try_load_from_buffer(bytes.data(), bytes.size(), options);
  INFO((model.ok() ? "" : std::string(model.status().message())));
  REQUIRE(model.ok());
  return *model;
}

// Runs `x` ([batch, in]) and compares with the interpreter-only model's result.
std::string run_dense(Session& session, const Model& interp, int64_t batch, int64_t in, uint64_t seed) {
  const std::vector<float> x = jit_testing::random_floats(static_cast<size_t>(batch * in), seed);
  const TensorView view = TensorView::of(x.data(), {batch, in});
  absl::StatusOr<std::vector<Tensor>> want = interp.try_infer({view});
  if (!want.ok()) return "interpreter: " + std::string(want.status().message());
  absl::StatusOr<absl::Span<const TensorView>> got = session.run(absl::MakeConstSpan(&view, 1));
  if (!got.ok()) return std::string(got.status().message());
  return compare_close((*got)[0], (*want)[0].view(), kRtol, kAtol);
}

TEST_CASE("tiering: jit_threshold 0 compiles without waiting; Tier::kJit waits once") {
  keep_code_cache_off_disk();

  SECTION("Tier::kAuto, threshold 0: no call waits for the compile") {
    const std::string bytes = dense_model(13, 29);
    const Model interp = load_buffer(bytes, Tier::kInterp, 0);
    const Model model = load_buffer(bytes, Tier::kAuto, 0);
    const TierStats at_load = model.tier_stats();
    Session session = model.new_session();
    const double t0 = now_ms();
    CHECK(run_dense(session, interp, 9, 13, 1) == "");
    const double first_call_ms = now_ms() - t0;
    const TierStats right_after = model.tier_stats();
    const bool first_served_compiled = session.calls_compiled() == 1;
    const TierStats done = jit_testing::wait_for_state(model, "compiled", kCompileTimeoutS);
    REQUIRE(done.state == "compiled");
    std::printf("tiering (c) auto: state at load '%s'; first call %.2f ms (%s), state right after it '%s'; "
                "compile %.0f ms\n",
                at_load.state.c_str(), first_call_ms, first_served_compiled ? "compiled" : "interpreted",
                right_after.state.c_str(), done.compile_ms);
    // Not waited for: the compile was still running when the call returned, or had finished before it
    // (compile at load), or the call was quicker than the compile.
    CHECK((right_after.state == "compiling" || first_served_compiled || first_call_ms < done.compile_ms));
    const int64_t compiled_before = session.calls_compiled();
    CHECK(run_dense(session, interp, 9, 13, 2) == "");
    CHECK(run_dense(session, interp, 40, 13, 3) == "");
    CHECK(session.calls_compiled() == compiled_before + 2);
    CHECK(done.compiles == 1);
  }

  SECTION("Tier::kJit: the first call waits for the compile and runs compiled code") {
    const std::string bytes = dense_model(12, 31);
    const Model interp = load_buffer(bytes, Tier::kInterp, 0);
    const Model model = load_buffer(bytes, Tier::kJit, 100);  // the threshold does not apply to kJit
    Session session = model.new_session();
    CHECK(run_dense(session, interp, 9, 12, 1) == "");
    const TierStats after_first = model.tier_stats();
    std::printf("tiering (c) jit: state after the first call '%s', compile %.0f ms\n", after_first.state.c_str(),
                after_first.compile_ms);
    CHECK(after_first.state == "compiled");
    CHECK(after_first.compiles == 1);
    CHECK(session.calls_interpreted() == 0);
    CHECK(session.calls_compiled() == 1);
    CHECK(run_dense(session, interp, 9, 12, 2) == "");
    CHECK(session.calls_compiled() == 2);
    // Another batch size has the same plan structure: the same code serves it, no second compile.
    CHECK(run_dense(session, interp, 33, 12, 3) == "");
    CHECK(session.calls_compiled() == 3);
    CHECK(session.calls_interpreted() == 0);
    CHECK(model.tier_stats().compiles == 1);
  }
}

}  // namespace
}  // namespace sofie
