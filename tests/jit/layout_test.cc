// The compiled ABI's arena (runtime/compiled_abi.h): a plan whose every shape is static in the graph has a
// fixed layout, and its compiled code addresses arena buffers at constant offsets. Such code must only ever
// run against that layout (the offsets are part of the plan's steps_hash, which selects compiled code), and
// steps that run through the interpreter from compiled code must see the same buffers.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "jit/codegen.h"
#include "runtime/model.h"
#include "runtime/onnx_loader.h"
#include "runtime/plan.h"
#include "runtime/session.h"
#include "tests/jit/jit_test_util.h"
#include "tests/jit/onnx_builder.h"

namespace sofie {
namespace {
using jit_testing::kBatch;
using jit_testing::set_int;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

// x[rows,8] -> Gemm(W[16,8], transB=1, B[16]) -> Relu -> Softmax(axis 0) -> MatMul(V[16,5]) -> y[rows,5].
// The Softmax across rows has no emitter: an emitted step writes its input, run_step computes it into the
// arena, and an emitted step reads it from there.
std::string model_bytes(const std::string& name, int64_t rows) {
  jit_testing::ModelBuilder m(name);
  m.input("x", {rows, 8});
  m.output("y", {rows, 5});
  m.initializer("W", {16, 8});
  m.initializer("B", {16});
  m.initializer("V", {16, 5}, 0.5f);
  set_int(m.node("Gemm", {"x", "W", "B"}, "h"), "transB", 1);
  m.node("Relu", {"h"}, "r");
  set_int(m.node("Softmax", {"r"}, "s"), "axis", 0);
  m.node("MatMul", {"s", "V"}, "y");
  return m.serialize();
}

std::shared_ptr<const Plan> plan_of(const std::string& bytes, int64_t rows, std::vector<float>* x) {
  absl::StatusOr<std::shared_ptr<const Graph>> graph = load_onnx_buffer(bytes.data(), bytes.size(), LoadOptions{});
  REQUIRE(graph.ok());
  *x = jit_testing::random_floats(static_cast<size_t>(rows * 8), 7);
  const std::vector<TensorView> inputs = {TensorView::of(x->data(), {rows, 8})};
  uint64_t wanted = 0;
  absl::StatusOr<std::shared_ptr<const Plan>> plan = Plan::build(*graph, inputs, 0, &wanted);
  REQUIRE(plan.ok());
  REQUIRE(!(*plan)->eager());
  return *plan;
}

std::string source_of(const Plan& plan) {
  absl::StatusOr<jit::GeneratedGraph> gen = jit::generate(plan.graph(), plan);
  REQUIRE(gen.ok());
  return gen->source;
}

Model load(const std::string& bytes, Tier tier) {
  LoadOptions options;
  options.tier = tier;
  absl::StatusOr<Model> model = Model::try_load_from_buffer(bytes.data(), bytes.size(), options);
  INFO((model.ok() ? "" : std::string(model.status().message())));
  REQUIRE(model.ok());
  return *model;
}

std::string run_and_compare(Session& session, const Model& interp, int64_t rows, uint64_t seed) {
  const std::vector<float> x = jit_testing::random_floats(static_cast<size_t>(rows * 8), seed);
  const TensorView view = TensorView::of(x.data(), {rows, 8});
  absl::StatusOr<std::vector<Tensor>> want = interp.try_infer({view});
  if (!want.ok()) return "interpreter: " + std::string(want.status().message());
  absl::StatusOr<absl::Span<const TensorView>> got = session.run(absl::MakeConstSpan(&view, 1));
  if (!got.ok()) return std::string(got.status().message());
  return jit_testing::compare_close((*got)[0], (*want)[0].view(), kRtol, kAtol);
}

TEST_CASE("layout: a fully static graph runs at constant arena offsets, its fallback on the same arena") {
  setenv("SOFIE_CACHE", "off", /*overwrite=*/0);
  const std::string bytes = model_bytes("layout_static", 6);
  std::vector<float> x;
  const std::shared_ptr<const Plan> plan = plan_of(bytes, 6, &x);
  REQUIRE(plan->fixed_layout());
  const std::string source = source_of(*plan);
  CHECK(source.find("(arena + ") != std::string::npos);
  CHECK(source.find("run_step(host, ") != std::string::npos);

  const Model interp = load(bytes, Tier::kInterp);
  const Model model = load(bytes, Tier::kJit);
  // Two sessions: two arenas at different addresses, one compiled function for both.
  Session a = model.new_session();
  Session b = model.new_session();
  CHECK(run_and_compare(a, interp, 6, 1) == "");  // waits for the compile, then runs compiled code
  REQUIRE(model.tier_stats().state == "compiled");
  CHECK(model.tier_stats().fallback_steps == 1);
  for (uint64_t seed = 2; seed < 6; ++seed) {
    CHECK(run_and_compare(a, interp, 6, seed) == "");
    CHECK(run_and_compare(b, interp, 6, seed + 10) == "");
  }
  CHECK(a.calls_compiled() == 5);
  CHECK(b.calls_compiled() == 4);
  CHECK(a.calls_interpreted() + b.calls_interpreted() == 0);
  CHECK(model.tier_stats().compiles == 1);
}

TEST_CASE("layout: the identity of compiled code covers the offsets it bakes in, and only those") {
  std::vector<float> x;
  SECTION("fixed layout: another offset is another structure") {
    const std::shared_ptr<const Plan> plan = plan_of(model_bytes("layout_hash_static", 6), 6, &x);
    REQUIRE(plan->fixed_layout());
    CHECK(Plan::structure_hash(plan->slots(), plan->steps(), true) == plan->steps_hash());
    std::vector<Plan::Slot> moved = plan->slots();
    int arena_values = 0;
    for (Plan::Slot& s : moved) {
      if (s.storage != Plan::Storage::kArena) continue;
      ++arena_values;
      const size_t was = s.offset;
      s.offset += 64;
      CHECK(Plan::structure_hash(moved, plan->steps(), true) != plan->steps_hash());
      s.offset = was;
    }
    CHECK(arena_values >= 2);
    CHECK(Plan::structure_hash(moved, plan->steps(), true) == plan->steps_hash());
  }
  SECTION("symbolic dims: offsets differ between batch sizes, the code reads them and is shared") {
    const std::string bytes = model_bytes("layout_hash_symbolic", kBatch);
    const std::shared_ptr<const Plan> one = plan_of(bytes, 1, &x);
    std::vector<float> x40;
    const std::shared_ptr<const Plan> forty = plan_of(bytes, 40, &x40);
    CHECK(!one->fixed_layout());
    CHECK(!forty->fixed_layout());
    bool offsets_differ = false;
    for (size_t v = 0; v < one->slots().size(); ++v) {
      offsets_differ |= one->slots()[v].storage == Plan::Storage::kArena &&
                        one->slots()[v].offset != forty->slots()[v].offset;
    }
    CHECK(offsets_differ);
    CHECK(one->steps_hash() == forty->steps_hash());
    const std::string source = source_of(*one);
    CHECK(source == source_of(*forty));
    CHECK(source.find("(arena + ") == std::string::npos);
  }
}

}  // namespace
}  // namespace sofie
