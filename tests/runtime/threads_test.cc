// One Model shared by many threads: 8 threads x 1000 inferences with mixed batch sizes, each result
// bit-identical to the single-threaded result for the same input. Run under TSan to catch races the
// comparison cannot see.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/model.h"
#include "runtime/session.h"
#include "runtime/tensor.h"
#include "tests/runtime/test_util.h"

namespace sofie {
namespace {

using testing::message;

constexpr int kThreads = 8;
constexpr int kIterations = 1000;
constexpr int kInputsPerBatch = 6;

struct Case {
  int64_t batch = 0;
  Dims shape;
  std::vector<float> input;
  std::vector<Tensor> want;  // single-threaded results
  TensorView view() const { return TensorView::of(input.data(), shape); }
};

// Inputs for batch sizes 1 and 3 and their results computed on this thread alone.
std::vector<Case> make_cases(const Model& model, Dims sample_shape) {
  std::vector<Case> cases;
  uint32_t seed = 1;
  for (int k = 0; k < kInputsPerBatch; ++k) {
    for (int64_t batch : {1, 3}) {
      Case c;
      c.batch = batch;
      c.shape = sample_shape;
      c.shape.insert(c.shape.begin(), batch);
      c.input = testing::random_floats(static_cast<size_t>(num_elements(c.shape)), seed++);
      Session session(model);
      auto outs = session.run({c.view()});
      INFO((outs.ok() ? "" : message(outs.status())));
      REQUIRE(outs.ok());
      for (const TensorView& v : *outs) c.want.push_back(Tensor::copy_of(v));
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

enum class Mode { kModelInfer, kSessionPerThread };

struct Failures {
  std::atomic<int64_t> count{0};
  std::mutex mutex;
  std::string first;
  void add(const std::string& what) {
    if (count.fetch_add(1) == 0) {
      std::lock_guard<std::mutex> lock(mutex);
      first = what;
    }
  }
};

void worker(const Model& model, const std::vector<Case>& cases, Mode mode, int thread, Failures& failures) {
  std::unique_ptr<Session> session;
  if (mode == Mode::kSessionPerThread) session = std::make_unique<Session>(model.new_session());
  for (int i = 0; i < kIterations; ++i) {
    // Alternate batch sizes (cases alternate 1, 3) and walk through the inputs at a per-thread offset.
    const Case& c = cases[static_cast<size_t>((i + thread * 5) % static_cast<int>(cases.size()))];
    std::vector<TensorView> got;
    std::vector<Tensor> owned;
    absl::Status status;
    if (mode == Mode::kModelInfer) {
      auto outs = model.try_infer({c.view()});
      status = outs.status();
      if (outs.ok()) owned = *std::move(outs);
      for (const Tensor& t : owned) got.push_back(t.view());
    } else {
      auto outs = session->run({c.view()});
      status = outs.status();
      if (outs.ok()) got.assign(outs->begin(), outs->end());
    }
    std::ostringstream where;
    where << "thread " << thread << ", iteration " << i << ", batch " << c.batch << ": ";
    if (!status.ok()) {
      failures.add(where.str() + message(status));
      continue;
    }
    if (got.size() != c.want.size()) {
      failures.add(where.str() + "wrong number of outputs");
      continue;
    }
    for (size_t o = 0; o < got.size(); ++o) {
      if (!testing::bit_equal(got[o], c.want[o].view())) {
        failures.add(where.str() + "output " + std::to_string(o) + " differs from the single-threaded result");
      }
    }
  }
}

// Runs kThreads workers to completion; "" if every result matched, else a description of the failures.
// (No Catch2 assertions here: they may only be used on the test's own thread.)
std::string hammer(const Model& model, const std::vector<Case>& cases, Mode mode) {
  Failures failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { worker(model, cases, mode, t, failures); });
  }
  for (std::thread& t : threads) t.join();
  if (failures.count.load() == 0) return "";
  return std::to_string(failures.count.load()) + " failures, the first: " + failures.first;
}

void check_model(const std::string& path, Dims sample_shape) {
  auto loaded = Model::try_load(path);
  INFO(path << ": " << (loaded.ok() ? "" : message(loaded.status())));
  REQUIRE(loaded.ok());
  const Model& model = *loaded;
  std::vector<Case> cases = make_cases(model, sample_shape);

  SECTION("Model::infer from many threads") {
    CHECK(hammer(model, cases, Mode::kModelInfer) == "");
    // New threads after the first ones exited: per-thread state is set up (and torn down) again.
    CHECK(hammer(model, cases, Mode::kModelInfer) == "");
  }
  SECTION("one Session per thread") { CHECK(hammer(model, cases, Mode::kSessionPerThread) == ""); }
  SECTION("both at once") {
    std::string infer_result;
    std::thread a([&] { infer_result = hammer(model, cases, Mode::kModelInfer); });
    std::string session_result = hammer(model, cases, Mode::kSessionPerThread);
    a.join();
    CHECK(infer_result == "");
    CHECK(session_result == "");
  }
}

TEST_CASE("8 threads share one MLP") { check_model(testing::torch_model_dir("mlp") + "/model.onnx", {7}); }

TEST_CASE("8 threads share one model with shape-computing ops") {
  check_model(testing::torch_model_dir("flatten_net") + "/model.onnx", {4, 3});
}

TEST_CASE("8 threads share tools/models dense_net") {
  check_model(testing::runfile("tools/models/dense_net/model.onnx"), {16});
}

}  // namespace
}  // namespace sofie
