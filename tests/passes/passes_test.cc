// Graph passes (runtime/passes.h): each rewrite happens where it should, not where it must not, and the
// rewritten graph still matches the numpy/PyTorch reference outputs.
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "runtime/graph.h"
#include "runtime/model.h"
#include "tools/check.h"

namespace {

std::string case_dir(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") + "/tests/passes/models/" + name;
}

int count_ops(const sofie::Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node.op_type == op;
  return n;
}

sofie::Model load_and_check(const std::string& name) {
  const std::string dir = case_dir(name);
  auto result = sofie::tools::check_case(dir, name, sofie::tools::CheckOptions{1e-4, 1e-5});
  INFO(sofie::tools::format_case_line(result));
  CHECK(result.status == sofie::tools::CaseStatus::kPass);
  auto model = sofie::Model::try_load(dir + "/model.onnx");
  REQUIRE(model.ok());
  return *model;
}

}  // namespace

TEST_CASE("MatMul + Add with constant weights and bias become Gemm") {
  sofie::Model m = load_and_check("matmul_add");
  CHECK(m.graph().passes_matmul_add_fused() == 2);
  CHECK(count_ops(m.graph(), "Gemm") == 2);
  CHECK(count_ops(m.graph(), "MatMul") == 0);
  CHECK(count_ops(m.graph(), "Add") == 0);
}

TEST_CASE("MatMul + Add stays when the bias is an input or the product is needed") {
  sofie::Model m = load_and_check("matmul_add_not_fused");
  CHECK(m.graph().passes_matmul_add_fused() == 0);
  CHECK(count_ops(m.graph(), "MatMul") == 1);
}

TEST_CASE("BatchNormalization folds into the preceding Conv") {
  sofie::Model m = load_and_check("conv_bn");
  CHECK(m.graph().passes_batchnorm_folded() == 1);
  CHECK(count_ops(m.graph(), "BatchNormalization") == 0);
  CHECK(count_ops(m.graph(), "Conv") == 1);
}

TEST_CASE("BatchNormalization folds into the preceding Gemm (alpha, beta, transB)") {
  sofie::Model m = load_and_check("gemm_bn");
  CHECK(m.graph().passes_batchnorm_folded() == 1);
  CHECK(count_ops(m.graph(), "BatchNormalization") == 0);
}

TEST_CASE("dead and folded nodes are removed") {
  sofie::Model m = load_and_check("dead_nodes");
  CHECK(m.graph().passes_dead_removed() == 3);  // Mul and Relu (dead), Add of initializers (folded)
  CHECK(m.graph().nodes().size() == 1);
}
