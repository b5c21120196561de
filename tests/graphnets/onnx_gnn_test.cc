// Dynamic-shape GNNs exported from PyTorch (tools/gnn/make_gnn_models.py: ParticleNet-style EdgeConv, an
// ATLAS-style per-track network with attention pooling, message passing with index_add/scatter_add) through
// sofie on the interpreter and on the JIT tier, against PyTorch's outputs for several sizes each (one node
// without edges, one track, a jet without tracks, ...). Then 100 calls with 100 different sizes on the JIT
// tier: at most 2 compiles, results equal to the interpreter's.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/model.h"
#include "runtime/session.h"
#include "tests/graphnets/gnn_test_util.h"

namespace sofie {
namespace {

using gnn_testing::compare;
using gnn_testing::Random;
using gnn_testing::read_numbered_tensors;
using gnn_testing::runfile;
using gnn_testing::views;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;
constexpr int kDataSets = 6;  // tools/gnn/gnn_models.bzl, GNN_DATA_SETS

const char* const kModels[] = {"particlenet", "atlas_tracks", "message_passing"};

std::string model_dir(const std::string& name) { return runfile("tools/gnn/models/" + name); }

Model load(const std::string& name, Tier tier) {
  return gnn_testing::load_model<Model>(model_dir(name) + "/model.onnx", tier);
}

// Inputs of the `i`-th of 100 sizes, all different.
std::vector<Tensor> inputs_of_size(const std::string& name, int i, Random& random) {
  auto floats = [&](Dims shape) {
    Tensor t = Tensor::zeros(DType::kFloat32, shape);
    float* p = t.mutable_data_as<float>();
    for (int64_t e = 0; e < t.numel(); ++e) p[e] = random.uniform(-1, 1);
    return t;
  };
  auto indices = [&](int64_t count, int64_t bound) {
    Tensor t = Tensor::zeros(DType::kInt64, {count});
    int64_t* p = t.mutable_data_as<int64_t>();
    for (int64_t e = 0; e < count; ++e) p[e] = random.integer(0, bound);
    return t;
  };
  if (name == "particlenet") {
    const int64_t batch = 1 + i % 3, points = 8 + i;  // at least k + 1 = 8 points
    return {floats({batch, 2, points}), floats({batch, 7, points})};
  }
  if (name == "atlas_tracks") {
    const int64_t batch = 1 + i % 4, tracks = i;  // from a jet without tracks up to 99 tracks
    return {floats({batch, tracks, 21}), floats({batch, 2})};
  }
  const int64_t nodes = 1 + i, edges = i == 0 ? 0 : (i * 37) % (4 * nodes + 1);  // E from 0 to ~4N
  return {floats({nodes, 6}), floats({edges, 3}), indices(edges, nodes), indices(edges, nodes)};
}

// First in the file (Catch2 runs test cases in declaration order), so that its models compile afresh rather
// than reuse code compiled for the same graphs by an earlier test case in this process.
TEST_CASE("100 calls with 100 sizes compile at most twice on the JIT tier, and match the interpreter") {
  for (const std::string name : kModels) {
    Model jit = load(name, Tier::kJit);
    Model interp = load(name, Tier::kInterp);
    Session jit_session = jit.new_session();
    Session interp_session = interp.new_session();
    Random random(20240611);
    int mismatches = 0;
    for (int i = 0; i < 100; ++i) {
      const std::vector<Tensor> inputs = inputs_of_size(name, i, random);
      auto got = jit_session.run(views(inputs));
      auto want = interp_session.run(views(inputs));
      INFO(name << " size " << i << ": " << (got.ok() ? want.status().message() : got.status().message()));
      REQUIRE(got.ok());
      REQUIRE(want.ok());
      for (size_t j = 0; j < want->size(); ++j) {
        const std::string why = compare((*got)[j], (*want)[j], kRtol, kAtol);
        if (!why.empty() && ++mismatches <= 3) FAIL_CHECK("output " << j << ": " << why);
      }
    }
    const TierStats stats = jit.tier_stats();
    // The test log names which models run compiled and which eagerly (plans with data-dependent shapes are
    // never compiled): all three GNNs plan statically today.
    std::printf("%s: %lld compiles (%s, %d steps generated, %d through the interpreter), %lld calls compiled, "
                "%lld interpreted\n",
                name.c_str(), static_cast<long long>(stats.compiles), stats.state.c_str(), stats.emitted_steps,
                stats.fallback_steps, static_cast<long long>(jit_session.calls_compiled()),
                static_cast<long long>(jit_session.calls_interpreted()));
    INFO(name << ": " << stats.state);
    const char* cache_mode = std::getenv("SOFIE_CACHE");  // set by gnn_test_util
    CHECK((cache_mode != nullptr && std::string(cache_mode) == "off"));
    CHECK(mismatches == 0);
    CHECK(stats.state == "compiled");
    CHECK(stats.compiles <= 2);
    CHECK(stats.failures == 0);
    CHECK(jit_session.calls_compiled() >= 98);
  }
}

TEST_CASE("each ONNX GNN matches PyTorch on both tiers, for every size") {
  for (const Tier tier : {Tier::kInterp, Tier::kJit}) {
    for (const std::string name : kModels) {
      Model model = load(name, tier);
      Session session = model.new_session();
      for (int k = 0; k < kDataSets; ++k) {
        const std::string dir = model_dir(name) + "/test_data_set_" + std::to_string(k);
        const std::vector<Tensor> inputs = read_numbered_tensors(dir, "input");
        const std::vector<Tensor> expected = read_numbered_tensors(dir, "output");
        REQUIRE(!expected.empty());
        // Twice: the second run reuses the plan (and on the JIT tier, the compiled code).
        for (int repeat = 0; repeat < 2; ++repeat) {
          auto outputs = session.run(views(inputs));
          INFO(name << " (" << tier_name(tier) << ") data set " << k << " run " << repeat);
          if (!outputs.ok()) FAIL_CHECK(outputs.status().message());
          if (!outputs.ok()) continue;
          REQUIRE(outputs->size() == expected.size());
          for (size_t j = 0; j < expected.size(); ++j) {
            INFO("output " << j);
            CHECK(compare((*outputs)[j], expected[j].view(), kRtol, kAtol) == "");
          }
        }
      }
      if (tier == Tier::kJit) {
        const TierStats stats = model.tier_stats();
        INFO(name << ": " << stats.state);
        CHECK(stats.state == "compiled");
        CHECK(session.calls_compiled() > 0);
      } else {
        CHECK(session.calls_compiled() == 0);
      }
    }
  }
}

TEST_CASE("ParticleNet with fewer points than neighbours fails with an error naming TopK") {
  Model model = load("particlenet", Tier::kInterp);
  // 5 points: TopK asks for k + 1 = 8.
  Tensor points = Tensor::zeros(DType::kFloat32, {1, 2, 5});
  Tensor features = Tensor::zeros(DType::kFloat32, {1, 7, 5});
  auto outputs = model.try_infer({points.view(), features.view()});
  REQUIRE(!outputs.ok());
  CHECK_THAT(std::string(outputs.status().message()), Catch::Contains("TopK"));
}

// Edge index inputs must not key the plans: a new event with the same N and E but other senders and
// receivers reuses the plan (and the compiled code).
TEST_CASE("message passing: new edge indices with the same sizes reuse the plan") {
  Model model = load("message_passing", Tier::kInterp);
  Session session = model.new_session();
  Random random(11);
  for (int event = 0; event < 5; ++event) {
    const std::vector<Tensor> inputs = inputs_of_size("message_passing", 30, random);
    REQUIRE(session.run(views(inputs)).ok());
  }
  CHECK(session.plans_built() == 1);
}

}  // namespace
}  // namespace sofie
