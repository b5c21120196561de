// Shapes: numpy broadcasting on concrete and symbolic shapes, axis normalisation, checked element counts,
// and the symbolic shapes the loader infers for whole graphs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/shape.h"
#include "runtime/tensor.h"
#include "tests/runtime/test_util.h"

namespace sofie {
namespace {

using Catch::Matchers::Contains;
using testing::message;

// "[2,3]" for a broadcast of concrete shapes, or the error message prefixed by "error: ".
std::string broadcast(std::vector<int64_t> a, std::vector<int64_t> b) {
  auto r = broadcast_dims(a, b);
  return r.ok() ? dims_string(*r) : "error: " + message(r.status());
}

SymShape sym(std::vector<Dim> dims) { return SymShape(std::move(dims)); }
Dim k(int64_t v) { return Dim::known(v); }
Dim s(const char* name) { return Dim::named(name); }

std::string broadcast_sym(const SymShape& a, const SymShape& b) {
  auto r = broadcast_symbolic(a, b);
  return r.ok() ? r->to_string() : "error: " + message(r.status());
}

TEST_CASE("SymShape prints known, named and unknown dimensions") {
  CHECK(sym({s("batch"), k(7)}).to_string() == "[batch,7]");
  CHECK(sym({Dim::unknown(), k(3)}).to_string() == "[?,3]");
  CHECK(SymShape::unknown_rank().to_string() == "[*]");
  CHECK(sym({}).to_string() == "[]");
  CHECK(SymShape::of({2, 3}).is_static());
  CHECK(SymShape::of({2, 3}).to_dims() == Dims{2, 3});
  CHECK_FALSE(sym({s("batch"), k(7)}).is_static());
  CHECK_FALSE(SymShape::unknown_rank().is_static());
  CHECK(sym({}).is_static());  // a scalar
  CHECK(SymShape::of({2, 3}) == sym({k(2), k(3)}));
  CHECK_FALSE(sym({s("a")}) == sym({s("b")}));
  CHECK_FALSE(SymShape::unknown_rank() == sym({}));
}

TEST_CASE("broadcast_dims follows numpy") {
  CHECK(broadcast({2, 3}, {2, 3}) == "[2,3]");
  CHECK(broadcast({2, 1}, {1, 3}) == "[2,3]");
  CHECK(broadcast({1, 3}, {2, 1}) == "[2,3]");
  CHECK(broadcast({3}, {2, 3}) == "[2,3]");
  CHECK(broadcast({2, 3}, {3}) == "[2,3]");
  CHECK(broadcast({}, {2, 3}) == "[2,3]");
  CHECK(broadcast({2, 3}, {}) == "[2,3]");
  CHECK(broadcast({}, {}) == "[]");
  CHECK(broadcast({4, 1, 5}, {3, 1}) == "[4,3,5]");
  CHECK(broadcast({8, 1, 6, 1}, {7, 1, 5}) == "[8,7,6,5]");
  // Zero-sized dimensions broadcast like any other size: only against 1 or themselves.
  CHECK(broadcast({0, 3}, {1, 3}) == "[0,3]");
  CHECK(broadcast({1}, {0}) == "[0]");
  CHECK(broadcast({0}, {0}) == "[0]");
  CHECK_THAT(broadcast({0}, {3}), Contains("error"));
}

TEST_CASE("broadcast_dims names both shapes when they are incompatible") {
  std::string e = broadcast({2, 3}, {4, 3});
  CHECK_THAT(e, Contains("error") && Contains("[2,3]") && Contains("[4,3]"));
  e = broadcast({5, 2}, {3});
  CHECK_THAT(e, Contains("error") && Contains("[5,2]") && Contains("[3]"));
}

TEST_CASE("broadcast_symbolic keeps symbols") {
  CHECK(broadcast_sym(sym({s("batch"), k(7)}), sym({k(7)})) == "[batch,7]");
  CHECK(broadcast_sym(sym({k(7)}), sym({s("batch"), k(7)})) == "[batch,7]");
  CHECK(broadcast_sym(sym({s("batch"), k(1)}), sym({k(1), k(5)})) == "[batch,5]");
  CHECK(broadcast_sym(sym({s("batch"), k(3)}), sym({s("batch"), k(3)})) == "[batch,3]");
  CHECK(broadcast_sym(sym({k(1)}), sym({s("n")})) == "[n]");
  CHECK(broadcast_sym(sym({s("n")}), sym({k(1)})) == "[n]");
  CHECK(broadcast_sym(sym({s("batch"), k(3)}), sym({})) == "[batch,3]");
  // A known dimension > 1 wins over a symbol (the symbol must be 1 or equal to it).
  CHECK(broadcast_sym(sym({s("batch")}), sym({k(4)})) == "[4]");
  CHECK(broadcast_sym(sym({k(4)}), sym({s("batch")})) == "[4]");
  // Two different symbols, or a symbol and an unknown: nothing is known.
  CHECK(broadcast_sym(sym({s("batch")}), sym({s("n")})) == "[?]");
  CHECK(broadcast_sym(sym({Dim::unknown()}), sym({k(1)})) == "[?]");
  CHECK(broadcast_sym(SymShape::unknown_rank(), sym({k(3)})) == "[*]");
  CHECK(broadcast_sym(sym({k(3)}), SymShape::unknown_rank()) == "[*]");
}

TEST_CASE("broadcast_symbolic fails only on two different known dimensions, naming both shapes") {
  CHECK_THAT(broadcast_sym(sym({k(2), k(3)}), sym({k(4), k(3)})),
             Contains("error") && Contains("[2,3]") && Contains("[4,3]"));
  CHECK_THAT(broadcast_sym(sym({s("batch"), k(2)}), sym({s("n"), k(3)})),
             Contains("error") && Contains("[batch,2]") && Contains("[n,3]"));
  CHECK(broadcast_sym(sym({s("batch"), k(2)}), sym({k(5), k(1)})) == "[5,2]");
}

TEST_CASE("normalize_axis maps [-rank, rank) to [0, rank)") {
  CHECK(*normalize_axis(0, 3) == 0);
  CHECK(*normalize_axis(2, 3) == 2);
  CHECK(*normalize_axis(-1, 3) == 2);
  CHECK(*normalize_axis(-3, 3) == 0);
  CHECK(*normalize_axis(0, 1) == 0);
  for (auto [axis, rank] : std::vector<std::pair<int64_t, int64_t>>{{3, 3}, {-4, 3}, {0, 0}, {-1, 0}, {7, 2}}) {
    auto r = normalize_axis(axis, rank);
    INFO("axis " << axis << " rank " << rank);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(message(r.status()), Contains(std::to_string(axis)) && Contains(std::to_string(rank)));
  }
}

TEST_CASE("checked_num_elements rejects negative, overflowing and too large shapes") {
  CHECK(*checked_num_elements({}) == 1);
  CHECK(*checked_num_elements({2, 3, 4}) == 24);
  CHECK(*checked_num_elements({5, 0, 7}) == 0);
  CHECK(*checked_num_elements({kMaxElements}) == kMaxElements);
  CHECK(*checked_num_elements({int64_t{1} << 18, int64_t{1} << 18}) == kMaxElements);

  const int64_t big = int64_t{1} << 32;
  const int64_t max = std::numeric_limits<int64_t>::max();
  std::vector<std::vector<int64_t>> bad = {
      {kMaxElements + 1},
      {int64_t{1} << 40},
      {big, big},            // 2^64: wraps to 0 in int64 arithmetic
      {big, big, big},
      {3, max},
      {max, max},
      {int64_t{1} << 62, 4},  // 2^64 again, in another order
      {3, -1},
      {-1},
      {-2, -3},             // positive product from two negatives
  };
  for (const auto& dims : bad) {
    auto r = checked_num_elements(dims);
    INFO("dims " << dims_string(dims));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(message(r.status()), Contains(dims_string(dims)));
  }
}

TEST_CASE("num_elements and dims_string") {
  CHECK(num_elements({}) == 1);
  CHECK(num_elements({2, 0}) == 0);
  CHECK(num_elements({2, 3}) == 6);
  CHECK(dims_string({}) == "[]");
  CHECK(dims_string({2, 3, 4}) == "[2,3,4]");
}

TEST_CASE("the loader infers symbolic shapes through a whole graph") {
  auto model = Model::try_load(testing::torch_model_dir("mlp") + "/model.onnx");
  INFO((model.ok() ? "" : message(model.status())));
  REQUIRE(model.ok());
  REQUIRE(model->inputs().size() == 1);
  REQUIRE(model->outputs().size() == 1);
  CHECK(model->inputs()[0].shape.to_string() == "[batch,7]");
  CHECK(model->outputs()[0].shape.to_string() == "[batch,1]");

  // The same in the graph itself, and every intermediate value keeps the batch symbol.
  const Graph& g = model->graph();
  REQUIRE(g.outputs().size() == 1);
  CHECK(g.value(g.outputs()[0]).shape.to_string() == "[batch,1]");
  CHECK(g.value(g.outputs()[0]).dtype == DType::kFloat32);
  for (const Node& node : g.nodes()) {
    for (ValueId out : node.outputs) {
      const Value& v = g.value(out);
      INFO(node.describe() << " output '" << v.name << "': " << v.shape.to_string());
      REQUIRE(v.shape.rank_known());
      REQUIRE(v.shape.rank() == 2);
      CHECK(v.shape[0].symbol == "batch");
      CHECK(v.shape[1].is_known());
      CHECK(v.dtype == DType::kFloat32);
    }
  }
}

TEST_CASE("the loader infers known dimensions behind a shape computed at run time") {
  // flatten_net reshapes x [batch,4,3] with a shape computed by Shape/Gather/Unsqueeze/Concat; the batch
  // symbol may be lost there, but the Gemm weights fix the other dimensions.
  auto model = Model::try_load(testing::torch_model_dir("flatten_net") + "/model.onnx");
  INFO((model.ok() ? "" : message(model.status())));
  REQUIRE(model.ok());
  REQUIRE(model->inputs().size() == 1);
  CHECK(model->inputs()[0].shape.to_string() == "[batch,4,3]");
  REQUIRE(model->outputs().size() == 2);
  const SymShape& probs = model->outputs()[0].shape;
  const SymShape& t = model->outputs()[1].shape;
  INFO("probs " << probs.to_string() << ", t " << t.to_string());
  REQUIRE(probs.rank_known());
  REQUIRE(probs.rank() == 2);
  CHECK(probs[1] == Dim::known(12));
  REQUIRE(t.rank_known());
  REQUIRE(t.rank() == 2);
  CHECK(t[0] == Dim::known(4));
}

}  // namespace
}  // namespace sofie
