// Golden tests of the JIT's generated source (jit/codegen.h) for small graphs built here with the ONNX
// protos. The expected sources are tests/jit/golden/<name>.cc.golden, compared exactly. To regenerate them
// after an intended change of the code generator:
//   SOFIE_UPDATE_GOLDEN="$PWD/tests/jit/golden" bazel run //tests/jit:codegen_golden_test
// (then review the diff). Besides the exact text, each test asserts the structural facts the golden is
// meant to show, so that a regenerated golden cannot silently lose them.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "jit/codegen.h"
#include "runtime/graph.h"
#include "runtime/onnx_loader.h"
#include "runtime/plan.h"
#include "tests/jit/jit_test_util.h"
#include "tests/jit/onnx_builder.h"

namespace sofie {
namespace {
namespace fs = std::filesystem;
using jit_testing::kBatch;
using jit_testing::set_int;

// ---- Generating ------------------------------------------------------------------------------------------

// The generated source for `model` planned with `input_dims` (the batch concrete); fills *out.
void generate_for(const jit_testing::ModelBuilder& model, const std::vector<std::vector<int64_t>>& input_dims,
                  jit::GeneratedGraph* out) {
  const std::string bytes = model.serialize();
  absl::StatusOr<std::shared_ptr<const Graph>> graph = load_onnx_buffer(bytes.data(), bytes.size(), LoadOptions{});
  INFO((graph.ok() ? "" : std::string(graph.status().message())));
  REQUIRE(graph.ok());
  std::vector<std::vector<float>> data;
  std::vector<TensorView> inputs;
  for (const std::vector<int64_t>& d : input_dims) {
    data.push_back(jit_testing::random_floats(static_cast<size_t>(num_elements(d)), data.size() + 1));
  }
  for (size_t i = 0; i < input_dims.size(); ++i) {
    inputs.push_back(TensorView::of(data[i].data(), Dims(input_dims[i].begin(), input_dims[i].end())));
  }
  uint64_t wanted = 0;
  absl::StatusOr<std::shared_ptr<const Plan>> plan = Plan::build(*graph, inputs, 0, &wanted);
  INFO((plan.ok() ? "" : std::string(plan.status().message())));
  REQUIRE(plan.ok());
  REQUIRE(!(*plan)->eager());
  absl::StatusOr<jit::GeneratedGraph> gen = jit::generate(**graph, **plan);
  INFO((gen.ok() ? "" : std::string(gen.status().message())));
  REQUIRE(gen.ok());
  *out = std::move(*gen);
}

// ---- Golden comparison ----------------------------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "" when equal; else the first differing line as a small unified diff.
std::string first_difference(const std::string& want, const std::string& got) {
  const std::vector<std::string> a = absl::StrSplit(want, '\n');
  const std::vector<std::string> b = absl::StrSplit(got, '\n');
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return "";
  std::string diff = absl::StrCat("@@ line ", i + 1, " @@\n");
  if (i > 0) absl::StrAppend(&diff, " ", a[i - 1], "\n");
  absl::StrAppend(&diff, i < a.size() ? absl::StrCat("-", a[i]) : "-(end of golden)", "\n");
  absl::StrAppend(&diff, i < b.size() ? absl::StrCat("+", b[i]) : "+(end of generated source)", "\n");
  return diff;
}

void check_golden(const std::string& name, const std::string& source) {
  const std::string file = name + ".cc.golden";
  if (const char* update = std::getenv("SOFIE_UPDATE_GOLDEN"); update != nullptr && update[0] != '\0') {
    const std::string path = (fs::path(update) / file).string();
    std::ofstream out(path, std::ios::binary);
    out << source;
    INFO("writing " << path);
    REQUIRE(out.good());
    WARN("updated " << path);
    return;
  }
  const std::string golden_path = jit_testing::runfile("tests/jit/golden/" + file);
  INFO("golden file " << golden_path);
  REQUIRE(fs::exists(golden_path));
  const std::string diff = first_difference(read_file(golden_path), source);
  if (!diff.empty()) {
    // Printed as is: Catch2 wraps its messages, which would break the command.
    std::printf("generated source differs from tests/jit/golden/%s; first difference:\n%s\n"
                "If the change is intended, regenerate the goldens and review the diff:\n"
                "  SOFIE_UPDATE_GOLDEN=\"$PWD/tests/jit/golden\" bazel run //tests/jit:codegen_golden_test\n"
                "---- generated source:\n%s----\n",
                file.c_str(), diff.c_str(), source.c_str());
  }
  INFO("generated source differs from tests/jit/golden/" << file << " (see the test log)\n" << diff);
  CHECK(diff.empty());
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Facts every generated translation unit must have.
void check_common_structure(const jit::GeneratedGraph& gen) {
  CHECK(gen.entry == "sofie_graph");
  CHECK(contains(gen.source, "extern \"C\" int sofie_graph(char* arena, void* const* values, const long long* dims, "
                             "sofie_host* host, sofie_run_step_fn run_step)"));
  CHECK(!contains(gen.source, "#include"));  // compiled without any header
  CHECK(contains(gen.source, "return 0;"));
}

// ---- The graphs -----------------------------------------------------------------------------------------

// x[batch,8] -> Gemm(W1[16,8], transB=1, B1) -> Relu -> Gemm(W2[16,20], transB=1, B2) -> Relu -> y[batch,20]:
// the second layer's input comes out of a Relu, so its rows skip their zeros (a mask per row, the sparse
// loop for rows at most 3/4 nonzero); the first layer's input is a graph input and stays dense.
TEST_CASE("golden: two dense layers, the second skipping the zeros its Relu input holds") {
  jit_testing::ModelBuilder model("relu_mlp");
  model.input("x", {kBatch, 8});
  model.output("y", {kBatch, 20});
  model.initializer("W1", {16, 8}, 0.1f);
  model.initializer("B1", {16}, 0.1f);
  model.initializer("W2", {20, 16}, 0.1f);
  model.initializer("B2", {20}, 0.1f);
  set_int(model.node("Gemm", {"x", "W1", "B1"}, "h1", "fc1"), "transB", 1);
  model.node("Relu", {"h1"}, "a1", "act1");
  set_int(model.node("Gemm", {"a1", "W2", "B2"}, "h2", "fc2"), "transB", 1);
  model.node("Relu", {"h2"}, "y", "act2");
  jit::GeneratedGraph gen;
  generate_for(model, {{5, 8}}, &gen);
  check_golden("relu_mlp", gen.source);

  check_common_structure(gen);
  CHECK(gen.fallback_steps == 0);
  // One sparse loop: the second layer's (N = 20: one vector block and a column tail).
  size_t sparse_loops = 0;
  for (size_t at = gen.source.find("if (sparse)"); at != std::string::npos; at = gen.source.find("if (sparse)", at + 1)) {
    ++sparse_loops;
  }
  CHECK(sparse_loops == 1);
  CHECK(contains(gen.source, "nonzero * 4 <= 48;"));
}

// x[batch,4] -> Gemm(W[3,4], transB=1, B[3]) -> Relu -> y[batch,3]
TEST_CASE("golden: Gemm(transB=1) + Relu with a symbolic batch") {
  jit_testing::ModelBuilder model("gemm_relu");
  model.input("x", {kBatch, 4});
  model.output("y", {kBatch, 3});
  model.initializer("W", {3, 4});
  model.initializer("B", {3});
  set_int(model.node("Gemm", {"x", "W", "B"}, "h", "fc"), "transB", 1);
  model.node("Relu", {"h"}, "y", "act");
  jit::GeneratedGraph gen;
  generate_for(model, {{5, 4}}, &gen);
  check_golden("gemm_relu", gen.source);

  check_common_structure(gen);
  CHECK(gen.emitted_steps == 2);  // the Relu counts as emitted: fused into the Gemm's epilogue
  CHECK(gen.fallback_steps == 0);
  CHECK(!contains(gen.source, "run_step(host"));
  CHECK(contains(gen.source, "fused into the step above"));
  CHECK(contains(gen.source, "relu("));
  // K and N are constants (the row strides); the batch is read from the dims array, never a literal 5.
  CHECK(contains(gen.source, "A + m * 4;"));
  CHECK(contains(gen.source, "Y + m * 3;"));
  CHECK(contains(gen.source, "const i64 M = dims["));
  CHECK(!contains(gen.source, "M = 5"));
  CHECK(gen.host_symbols.empty());
}

// x[batch,2,4] -> MatMul(W[4,3]) -> Add(b[3]) -> Sigmoid -> y[batch,2,3]. The rank-3 input keeps the
// MatMul a MatMul (the load-time pass fuses MatMul + Add into a Gemm only for rank-2 inputs), so the Add
// is fused into the MatMul's epilogue as a constant row (E0[n]), and the Sigmoid as a kernel-ABI call per row.
TEST_CASE("golden: MatMul + Add(constant row) + Sigmoid") {
  jit_testing::ModelBuilder model("matmul_add_sigmoid");
  model.input("x", {kBatch, 2, 4});
  model.output("y", {kBatch, 2, 3});
  model.initializer("W", {4, 3});
  model.initializer("b", {3});
  model.node("MatMul", {"x", "W"}, "h", "mm");
  model.node("Add", {"h", "b"}, "z", "bias");
  model.node("Sigmoid", {"z"}, "y", "act");
  jit::GeneratedGraph gen;
  generate_for(model, {{3, 2, 4}}, &gen);
  check_golden("matmul_add_sigmoid", gen.source);

  check_common_structure(gen);
  CHECK(gen.emitted_steps == 3);
  CHECK(gen.fallback_steps == 0);
  CHECK(!contains(gen.source, "run_step(host"));
  CHECK(contains(gen.source, "sofie_sigmoid_f32(y, y, 3);"));
  CHECK(gen.host_symbols == std::vector<std::string>{"sofie_sigmoid_f32"});
  CHECK(contains(gen.source, "E0[n]"));  // the constant row, indexed by column only
  CHECK(contains(gen.source, "(2 * dims["));  // rows: the batch (from dims) times the static 2
}

// x[batch,4] -> MatMul(W[4,3]) -> Softmax(axis 0) -> y[batch,3]: a Softmax across the batch has no emitter
// (only the last axis does) and runs through the interpreter's kernel (run_step), after the emitted MatMul.
TEST_CASE("golden: an operator without emitter falls back to run_step") {
  jit_testing::ModelBuilder model("matmul_softmax");
  model.input("x", {kBatch, 4});
  model.output("y", {kBatch, 3});
  model.initializer("W", {4, 3});
  model.node("MatMul", {"x", "W"}, "h", "mm");
  jit_testing::set_int(model.node("Softmax", {"h"}, "y", "softmax"), "axis", 0);
  jit::GeneratedGraph gen;
  generate_for(model, {{2, 4}}, &gen);
  check_golden("matmul_softmax", gen.source);

  check_common_structure(gen);
  CHECK(gen.emitted_steps == 1);
  CHECK(gen.fallback_steps == 1);
  CHECK(contains(gen.source, "// step 1: Softmax node 'softmax'"));
  CHECK(contains(gen.source, "if (run_step(host, 1) != 0) return 1;"));
  CHECK(!contains(gen.source, "run_step(host, 0)"));
  CHECK(!contains(gen.source, "(arena + "));  // a symbolic batch: arena buffers come from `values`
}

// x[2,4] -> Gemm(W[3,4], transB=1, B[3]) -> Relu -> MatMul(V[3,5]) -> Softmax(axis 0) -> y[2,5], every shape
// static: the plan's layout is fixed, so the emitted steps address their arena buffers at constant offsets
// (runtime/compiled_abi.h), next to a step run through the interpreter on the same arena.
TEST_CASE("golden: a fully static graph addresses the arena at constant offsets") {
  jit_testing::ModelBuilder model("static_mlp");
  model.input("x", {2, 4});
  model.output("y", {2, 5});
  model.initializer("W", {3, 4});
  model.initializer("B", {3});
  model.initializer("V", {3, 5});
  set_int(model.node("Gemm", {"x", "W", "B"}, "h", "fc"), "transB", 1);
  model.node("Relu", {"h"}, "r", "act");
  model.node("MatMul", {"r", "V"}, "z", "mm");
  jit_testing::set_int(model.node("Softmax", {"z"}, "y", "softmax"), "axis", 0);
  jit::GeneratedGraph gen;
  generate_for(model, {{2, 4}}, &gen);
  check_golden("static_mlp", gen.source);

  check_common_structure(gen);
  CHECK(gen.emitted_steps == 3);
  CHECK(gen.fallback_steps == 1);
  CHECK(contains(gen.source, "if (run_step(host, 3) != 0) return 1;"));
  CHECK(contains(gen.source, "__builtin_assume_aligned(arena, 64)"));
  // The input and the weights come from `values`; h (Relu in place) and z from the arena, at literals.
  CHECK(contains(gen.source, "const float* A = ((const float*)values["));
  CHECK(contains(gen.source, "const float* W = ((const float*)values["));
  CHECK(contains(gen.source, "float* Y = ((float*)(arena + 0));"));
  CHECK(contains(gen.source, "const float* A = ((const float*)(arena + 0));"));
  CHECK(contains(gen.source, "float* Y = ((float*)(arena + 64));"));
  CHECK(!contains(gen.source, "dims["));  // nothing symbolic
}

// x[batch,3,6,20] -> Conv(W[10,3,3,3], B[10], pads 1) -> Add(r) -> Relu -> y: a direct convolution whose
// tiles take the bias as their start and the residual Add and the Relu as their epilogue; 10 output
// channels make a full block of 8 and a partial one of 2.
TEST_CASE("golden: Conv 3x3 + residual Add + Relu") {
  jit_testing::ModelBuilder model("conv_add_relu");
  model.input("x", {kBatch, 3, 6, 20});
  model.input("r", {kBatch, 10, 6, 20});
  model.output("y", {kBatch, 10, 6, 20});
  model.initializer("W", {10, 3, 3, 3});
  model.initializer("B", {10});
  jit_testing::set_ints(model.node("Conv", {"x", "W", "B"}, "h", "conv"), "pads", {1, 1, 1, 1});
  model.node("Add", {"h", "r"}, "z", "residual");
  model.node("Relu", {"z"}, "y", "act");
  jit::GeneratedGraph gen;
  generate_for(model, {{2, 3, 6, 20}, {2, 10, 6, 20}}, &gen);
  check_golden("conv_add_relu", gen.source);

  check_common_structure(gen);
  CHECK(gen.emitted_steps == 3);
  CHECK(gen.fallback_steps == 0);
  REQUIRE(gen.packed.size() == 1);
  CHECK(gen.packed[0].block == 8);
  CHECK(contains(gen.source, "v16 c7_1 = (v16){} + B[cb * 8 + 7];"));  // bias as the accumulators' start
  CHECK(contains(gen.source, "v16 c1_0 = (v16){} + B[8 + 1];"));      // the partial block of 2 channels
  CHECK(contains(gen.source, "relu(((yt[j]) + E0["));                  // the epilogue over each tile
  // The kernel runs only for rows narrower than a vector; edge tiles read a zero-padded copy.
  CHECK(contains(gen.source, "if (OW < 16)"));
  CHECK(contains(gen.source, "float xp[306];"));  // 3 channels x 3 rows x (32 + 2) floats
}

}  // namespace
}  // namespace sofie
