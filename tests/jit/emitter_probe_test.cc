// Differential probes of the code generator's emitters (jit/codegen.cc): the test suites exercise them
// little (most of their cases are one operator whose weights are graph inputs, which runs through
// run_step), so these graphs aim at each emitted path: dense layers with transposed and plain weights,
// vector blocks and column tails, the BLIS path for large weights, alpha/beta and scalar or row biases,
// fused activations, rank-4 MatMul, direct convolutions (pointwise and windowed, padding, SAME, dilation,
// height stride, channel and pixel tails, residual epilogues, the kernel branch for narrow rows), constant operands on either side, NaN and infinities, weights folded at
// plan time, and several batch sizes served by one compiled artifact. Each model runs through Tier::kInterp
// and Tier::kJit; the JIT's outputs, taken from calls served by compiled code, must equal the
// interpreter's within rtol 1e-4 / atol 1e-5 (as in the differential harness).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "tests/jit/jit_test_util.h"
#include "tests/jit/onnx_builder.h"

namespace sofie {
namespace {
using jit_testing::kBatch;
using jit_testing::ModelBuilder;
using jit_testing::set_float;
using jit_testing::set_int;
using jit_testing::set_ints;
using jit_testing::set_string;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;
constexpr double kCompileTimeoutS = 120;

// The batch sizes every probe runs, in this order, on one session.
const std::vector<int64_t> kBatches = {3, 17, 1, 64, 5};

// Input dims with kBatch replaced by `batch`.
std::vector<int64_t> with_batch(std::vector<int64_t> dims, int64_t batch) {
  for (int64_t& d : dims) {
    if (d == kBatch) d = batch;
  }
  return dims;
}

struct ProbeOptions {
  // Special values in every input: NaN, -0, +inf, -inf at flat positions 0..3 of each row of 8.
  bool special_values = false;
};

// Runs `model` (inputs of `input_dims`, kBatch the batch) through both tiers for every batch size.
void check_probe(const std::string& name, const ModelBuilder& model,
                 const std::vector<std::vector<int64_t>>& input_dims, ProbeOptions options = {}) {
  const std::string bytes = model.serialize();
  LoadOptions interp_options;
  interp_options.tier = Tier::kInterp;
  absl::StatusOr<Model> interp = Model::try_load_from_buffer(bytes.data(), bytes.size(), interp_options);
  INFO(name << ": " << (interp.ok() ? "" : std::string(interp.status().message())));
  REQUIRE(interp.ok());
  LoadOptions jit_options;
  jit_options.tier = Tier::kJit;
  absl::StatusOr<Model> jit = Model::try_load_from_buffer(bytes.data(), bytes.size(), jit_options);
  REQUIRE(jit.ok());
  Session session = jit->new_session();

  std::vector<std::string> failures;
  int compiled_calls = 0;
  uint64_t seed = 1;
  for (int64_t batch : kBatches) {
    std::vector<std::vector<float>> data;
    std::vector<TensorView> inputs;
    for (const std::vector<int64_t>& d : input_dims) {
      const std::vector<int64_t> dims = with_batch(d, batch);
      std::vector<float> x = jit_testing::random_floats(static_cast<size_t>(num_elements(dims)), seed++);
      if (options.special_values) {
        const float specials[4] = {std::numeric_limits<float>::quiet_NaN(), -0.0f,
                                   std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
        for (size_t i = 0; i < x.size(); ++i) {
          if (i % 8 < 4) x[i] = specials[i % 8];
        }
      }
      data.push_back(std::move(x));
    }
    for (size_t k = 0; k < input_dims.size(); ++k) {
      const std::vector<int64_t> dims = with_batch(input_dims[k], batch);
      inputs.push_back(TensorView::of(data[k].data(), Dims(dims.begin(), dims.end())));
    }
    absl::StatusOr<std::vector<Tensor>> want = interp->try_infer(inputs);
    INFO(name << " batch " << batch << ": " << (want.ok() ? "" : std::string(want.status().message())));
    REQUIRE(want.ok());
    int64_t before = session.calls_compiled();
    absl::StatusOr<absl::Span<const TensorView>> got = session.run(inputs);
    if (got.ok() && session.calls_compiled() == before) {
      // Not compiled for this plan yet (Tier::kJit waits for its first compile only): wait and rerun.
      jit_testing::wait_while_compiling(*jit, kCompileTimeoutS);
      before = session.calls_compiled();
      got = session.run(inputs);
    }
    if (!got.ok()) {
      failures.push_back(absl::StrCat("batch ", batch, ": ", got.status().message()));
      continue;
    }
    const bool compiled = session.calls_compiled() > before;
    compiled_calls += compiled;
    if (!compiled) failures.push_back(absl::StrCat("batch ", batch, ": not served by compiled code"));
    for (size_t k = 0; k < want->size() && k < got->size(); ++k) {
      const std::string why = jit_testing::compare_close((*got)[k], (*want)[k].view(), kRtol, kAtol);
      if (!why.empty()) {
        failures.push_back(absl::StrCat("batch ", batch, " output '", interp->outputs()[k].name, "'",
                                        compiled ? "" : " (interpreted)", ": JIT vs interpreter: ", why));
      }
    }
  }
  const TierStats stats = jit->tier_stats();
  if (stats.failures > 0) failures.push_back("compile failed: " + stats.state);
  std::printf("%-34s %s: %d emitted + %d fallback steps, %lld compiles, %d of %zu calls compiled%s\n", name.c_str(),
              failures.empty() ? "ok  " : "FAIL", stats.emitted_steps, stats.fallback_steps,
              static_cast<long long>(stats.compiles), compiled_calls, kBatches.size(),
              failures.empty() ? "" : absl::StrCat("\n    ", absl::StrJoin(failures, "\n    ")).c_str());
  std::fflush(stdout);
  INFO(name << ":\n" << absl::StrJoin(failures, "\n"));
  CHECK(failures.empty());
}

TEST_CASE("probe: Gemm transB=1 N=40 (vector blocks and a tail) + Relu") {
  ModelBuilder m("gemm_transb_relu_n40");
  m.input("x", {kBatch, 24});
  m.output("y", {kBatch, 40});
  m.initializer("W", {40, 24});
  m.initializer("B", {40});
  set_int(m.node("Gemm", {"x", "W", "B"}, "h"), "transB", 1);
  m.node("Relu", {"h"}, "y");
  check_probe("gemm_transb_relu_n40", m, {{kBatch, 24}});
}

TEST_CASE("probe: Gemm alpha, beta and a scalar C + LeakyRelu(alpha)") {
  ModelBuilder m("gemm_alpha_beta_scalar_c_leaky");
  m.input("x", {kBatch, 8});
  m.output("y", {kBatch, 20});
  m.initializer("W", {8, 20});
  m.initializer("C", {1}, std::vector<float>{0.75f});
  onnx::NodeProto* gemm = m.node("Gemm", {"x", "W", "C"}, "h");
  set_float(gemm, "alpha", 0.5f);
  set_float(gemm, "beta", 2.0f);
  set_float(m.node("LeakyRelu", {"h"}, "y"), "alpha", 0.2f);
  check_probe("gemm_alpha_beta_scalar_c_leaky", m, {{kBatch, 8}});
}

TEST_CASE("probe: Gemm with large weights (BLIS path) + bias + Tanh") {
  ModelBuilder m("gemm_blis_bias_tanh");
  m.input("x", {kBatch, 600});
  m.output("y", {kBatch, 500});
  m.initializer("W", {600, 500}, 0.01f);
  m.initializer("B", {500});
  m.node("Gemm", {"x", "W", "B"}, "h");
  m.node("Tanh", {"h"}, "y");
  check_probe("gemm_blis_bias_tanh", m, {{kBatch, 600}});
}

TEST_CASE("probe: Gemm transB=1 with large weights (BLIS path) + [1,N] bias + Sigmoid") {
  ModelBuilder m("gemm_blis_transb_sigmoid");
  m.input("x", {kBatch, 600});
  m.output("y", {kBatch, 500});
  m.initializer("W", {500, 600}, 0.01f);
  m.initializer("B", {1, 500});
  set_int(m.node("Gemm", {"x", "W", "B"}, "h"), "transB", 1);
  m.node("Sigmoid", {"h"}, "y");
  check_probe("gemm_blis_transb_sigmoid", m, {{kBatch, 600}});
}

TEST_CASE("probe: rank-4 MatMul + Add(row) + Relu") {
  ModelBuilder m("matmul_rank4_add_relu");
  m.input("x", {kBatch, 2, 3, 16});
  m.output("y", {kBatch, 2, 3, 33});
  m.initializer("W", {16, 33});
  m.initializer("b", {33});
  m.node("MatMul", {"x", "W"}, "h");
  m.node("Add", {"h", "b"}, "z");
  m.node("Relu", {"z"}, "y");
  check_probe("matmul_rank4_add_relu", m, {{kBatch, 2, 3, 16}});
}

TEST_CASE("probe: rank-2 MatMul + Add (fused into a Gemm at load) + Sigmoid") {
  ModelBuilder m("matmul_add_sigmoid_rank2");
  m.input("x", {kBatch, 8});
  m.output("y", {kBatch, 16});
  m.initializer("W", {8, 16});
  m.initializer("b", {16});
  m.node("MatMul", {"x", "W"}, "h");
  m.node("Add", {"h", "b"}, "z");
  m.node("Sigmoid", {"z"}, "y");
  check_probe("matmul_add_sigmoid_rank2", m, {{kBatch, 8}});
}

TEST_CASE("probe: constant operands on the left: Sub(row, x), Div(scalar, h)") {
  ModelBuilder m("const_left_sub_div");
  m.input("x", {kBatch, 5});
  m.output("y", {kBatch, 5});
  m.initializer("c", {1, 5});
  m.initializer("s", {}, std::vector<float>{2.0f});
  m.node("Sub", {"c", "x"}, "h");
  m.node("Div", {"s", "h"}, "y");
  check_probe("const_left_sub_div", m, {{kBatch, 5}});
}

TEST_CASE("probe: Mul of two inputs of the same shape + Tanh") {
  ModelBuilder m("mul_two_inputs_tanh");
  m.input("x", {kBatch, 6});
  m.input("z", {kBatch, 6});
  m.output("y", {kBatch, 6});
  m.node("Mul", {"x", "z"}, "h");
  m.node("Tanh", {"h"}, "y");
  check_probe("mul_two_inputs_tanh", m, {{kBatch, 6}, {kBatch, 6}});
}

TEST_CASE("probe: Add(scalar) + Relu, and a two-layer chain with N=17") {
  SECTION("add scalar relu") {
    ModelBuilder m("add_scalar_relu");
    m.input("x", {kBatch, 7});
    m.output("y", {kBatch, 7});
    m.initializer("c", {1}, std::vector<float>{-0.25f});
    m.node("Add", {"x", "c"}, "h");
    m.node("Relu", {"h"}, "y");
    check_probe("add_scalar_relu", m, {{kBatch, 7}});
  }
  SECTION("chain n17") {
    ModelBuilder m("chain_n17");
    m.input("x", {kBatch, 17});
    m.output("y", {kBatch, 5});
    m.initializer("W1", {17, 17}, 0.1f);
    m.initializer("W2", {5, 17}, 0.1f);
    m.node("Gemm", {"x", "W1"}, "h1");
    m.node("Relu", {"h1"}, "a1");
    set_int(m.node("Gemm", {"a1", "W2"}, "h2"), "transB", 1);
    m.node("Sigmoid", {"h2"}, "y");
    check_probe("chain_n17", m, {{kBatch, 17}});
  }
}

// Dense layers whose input comes out of a Relu skip the zero inputs (rows at most 3/4 nonzero), with
// finite weights only. K = 100: two mask words and a scalar tail; N = 40: a vector block and a column tail.
ModelBuilder relu_gemm_model(const std::string& name, float shift, const std::vector<float>& weights = {}) {
  ModelBuilder m(name);
  m.input("x", {kBatch, 100});
  m.output("y", {kBatch, 40});
  m.initializer("s", {1}, std::vector<float>{shift});
  if (weights.empty()) {
    m.initializer("W", {40, 100}, 0.001f);
  } else {
    m.initializer("W", {40, 100}, weights);
  }
  m.initializer("B", {40}, 0.01f);
  m.node("Add", {"x", "s"}, "xs");
  m.node("Relu", {"xs"}, "a");
  set_int(m.node("Gemm", {"a", "W", "B"}, "h"), "transB", 1);
  m.node("Relu", {"h"}, "y");
  return m;
}

TEST_CASE("probe: Relu + Gemm skipping zero inputs (sparse rows, dense rows, rows on either side)") {
  // Inputs are uniform in [-1, 1): shift 0 leaves rows half zeros (the sparse loop), shift 2 none (the
  // dense loop), shift 0.5 a quarter, so rows fall on both sides of the 3/4 threshold; shift -2 all zeros.
  check_probe("relu_gemm_sparse", relu_gemm_model("relu_gemm_sparse", 0.0f), {{kBatch, 100}});
  check_probe("relu_gemm_dense", relu_gemm_model("relu_gemm_dense", 2.0f), {{kBatch, 100}});
  check_probe("relu_gemm_mixed", relu_gemm_model("relu_gemm_mixed", 0.5f), {{kBatch, 100}});
  check_probe("relu_gemm_all_zero", relu_gemm_model("relu_gemm_all_zero", -2.0f), {{kBatch, 100}});
  // NaN, -0, +inf and -inf in every row: NaN and +inf count as nonzero, zeros and Relu(-inf) are skipped.
  check_probe("relu_gemm_special_values", relu_gemm_model("relu_gemm_special_values", 0.0f), {{kBatch, 100}},
              ProbeOptions{true});
}

TEST_CASE("probe: Relu + Gemm skipping zeros with weights beyond L1 (one accumulator set; BLIS past 4 rows)") {
  // K = 300: five mask words, the last partial; N = 120: a block of 7 vectors (one accumulator set in the
  // sparse loop) and a column tail; 144 KB of weights: rows <= 4 run the loops, more rows BLIS.
  ModelBuilder m("relu_gemm_large");
  m.input("x", {kBatch, 300});
  m.output("y", {kBatch, 120});
  m.initializer("W", {120, 300}, 0.0001f);
  m.initializer("B", {120}, 0.01f);
  m.node("Relu", {"x"}, "a");
  set_int(m.node("Gemm", {"a", "W", "B"}, "h"), "transB", 1);
  m.node("Relu", {"h"}, "y");
  check_probe("relu_gemm_large", m, {{kBatch, 300}});
}

TEST_CASE("probe: Relu + Gemm with infinite and NaN weights keeps the zeros (0 * inf is NaN)") {
  std::vector<float> w(40 * 100);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.001f * static_cast<float>(i % 17) - 0.008f;
  w[5] = std::numeric_limits<float>::infinity();
  w[40 * 100 - 3] = std::numeric_limits<float>::quiet_NaN();
  check_probe("relu_gemm_inf_weights", relu_gemm_model("relu_gemm_inf_weights", 0.0f, w), {{kBatch, 100}});
}

TEST_CASE("probe: NaN, -0 and infinities through Relu and LeakyRelu") {
  ModelBuilder m("relu_leaky_special_values");
  m.input("x", {kBatch, 8});
  m.output("r", {kBatch, 8});
  m.output("l", {kBatch, 8});
  m.node("Relu", {"x"}, "r");
  m.node("LeakyRelu", {"x"}, "l");
  check_probe("relu_leaky_special_values", m, {{kBatch, 8}}, ProbeOptions{true});
}

TEST_CASE("probe: NaN and infinities through Gemm + Relu (fused)") {
  ModelBuilder m("gemm_relu_special_values");
  m.input("x", {kBatch, 8});
  m.output("y", {kBatch, 3});
  m.initializer("W", {3, 8});
  m.initializer("B", {3});
  set_int(m.node("Gemm", {"x", "W", "B"}, "h"), "transB", 1);
  m.node("Relu", {"h"}, "y");
  check_probe("gemm_relu_special_values", m, {{kBatch, 8}}, ProbeOptions{true});
}

// W = W0 * batch: Shape(x) is known once the batch is, so the plan folds W into a constant whose values
// differ from plan to plan while the plans' structure (steps_hash) is the same.
ModelBuilder plan_folded_weight_model(const std::string& name, bool trans_b) {
  ModelBuilder m(name);
  m.input("x", {kBatch, 4});
  m.output("y", {kBatch, 3});
  m.initializer("W0", trans_b ? std::vector<int64_t>{3, 4} : std::vector<int64_t>{4, 3});
  m.int64_initializer("zero", {}, {0});
  m.node("Shape", {"x"}, "shape");
  m.node("Gather", {"shape", "zero"}, "batch");
  set_int(m.node("Cast", {"batch"}, "batch_f"), "to", onnx::TensorProto::FLOAT);
  m.node("Mul", {"W0", "batch_f"}, "W");
  set_int(m.node("Gemm", {"x", "W"}, "y"), "transB", trans_b ? 1 : 0);
  return m;
}

TEST_CASE("probe: Gemm whose weights the plan folds from the batch size (transB=0)") {
  check_probe("plan_folded_weight", plan_folded_weight_model("plan_folded_weight", false), {{kBatch, 4}});
}

TEST_CASE("probe: Gemm whose weights the plan folds from the batch size (transB=1)") {
  check_probe("plan_folded_weight_transb", plan_folded_weight_model("plan_folded_weight_transb", true),
              {{kBatch, 4}});
}

// W = Tile(W0[4,3], [1, batch]) is [4, 3 * batch]: the plan folds it into a constant whose shape, not only
// its values, changes with the batch, while the plans' structure stays the same.
TEST_CASE("probe: MatMul whose weights' shape the plan folds from the batch size") {
  ModelBuilder m("plan_folded_weight_shape");
  m.input("x", {kBatch, 4});
  m.output("y", {});
  m.proto().mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  m.initializer("W0", {4, 3});
  m.int64_initializer("one", {1}, {1});
  onnx::NodeProto* shape = m.node("Shape", {"x"}, "batch");  // [batch]
  set_int(shape, "start", 0);
  set_int(shape, "end", 1);
  set_int(m.node("Concat", {"one", "batch"}, "reps"), "axis", 0);  // [1, batch]
  m.node("Tile", {"W0", "reps"}, "W");                              // [4, 3 * batch]
  m.node("MatMul", {"x", "W"}, "y");                                // [batch, 3 * batch]
  check_probe("plan_folded_weight_shape", m, {{kBatch, 4}});
}

TEST_CASE("probe: NaN and infinities through Gemm N=48 + Add(row) + LeakyRelu + Relu (vector epilogue)") {
  ModelBuilder m("gemm_specials_vector_epilogue");
  m.input("x", {kBatch, 8});
  m.output("y", {kBatch, 48});
  m.initializer("W", {8, 48});
  m.initializer("B", {48});
  m.initializer("b", {48}, 0.5f);
  m.node("Gemm", {"x", "W", "B"}, "h");
  m.node("Add", {"h", "b"}, "z");
  set_float(m.node("LeakyRelu", {"z"}, "l"), "alpha", 0.3f);
  m.node("Relu", {"l"}, "y");
  ProbeOptions options;
  options.special_values = true;
  check_probe("gemm_specials_vector_epilogue", m, {{kBatch, 8}}, options);
}

// Direct convolutions (emit_conv). kBatch also sizes spatial dims, so one artifact serves several heights
// and pixel counts, including ones below a vector (the kernel branch).
TEST_CASE("probe: pointwise Conv, 20 channels (a partial channel block), bias + Relu, dynamic pixels") {
  ModelBuilder m("conv_pointwise_relu");
  m.input("x", {kBatch, 5, kBatch, 8});
  m.output("y", {kBatch, 20, kBatch, 8});
  m.initializer("W", {20, 5, 1, 1});
  m.initializer("B", {20});
  m.node("Conv", {"x", "W", "B"}, "h");
  m.node("Relu", {"h"}, "y");
  check_probe("conv_pointwise_relu", m, {{kBatch, 5, kBatch, 8}});
}

TEST_CASE("probe: pointwise Conv on NaN and infinities + Relu") {
  ModelBuilder m("conv_pointwise_specials");
  m.input("x", {kBatch, 3, 37});
  m.output("y", {kBatch, 8, 37});
  m.initializer("W", {8, 3, 1});
  m.node("Conv", {"x", "W"}, "h");
  m.node("Relu", {"h"}, "y");
  ProbeOptions options;
  options.special_values = true;
  check_probe("conv_pointwise_specials", m, {{kBatch, 3, 37}}, options);
}

TEST_CASE("probe: 3x3 Conv, pads 1, + residual Add + LeakyRelu (all in the conv's tiles)") {
  ModelBuilder m("conv3x3_residual_leaky");
  m.input("x", {kBatch, 3, 12, 40});
  m.input("r", {kBatch, 9, 12, 40});
  m.output("y", {kBatch, 9, 12, 40});
  m.initializer("W", {9, 3, 3, 3}, 0.1f);
  m.initializer("B", {9});
  set_ints(m.node("Conv", {"x", "W", "B"}, "h"), "pads", {1, 1, 1, 1});
  m.node("Add", {"h", "r"}, "z");
  set_float(m.node("LeakyRelu", {"z"}, "y"), "alpha", 0.1f);
  check_probe("conv3x3_residual_leaky", m, {{kBatch, 3, 12, 40}, {kBatch, 9, 12, 40}});
}

TEST_CASE("probe: 3x3 Conv, pads 1, dynamic height, + Relu") {
  ModelBuilder m("conv3x3_dynamic_height_relu");
  m.input("x", {kBatch, 3, kBatch, 40});
  m.output("y", {kBatch, 9, kBatch, 40});
  m.initializer("W", {9, 3, 3, 3}, 0.1f);
  set_ints(m.node("Conv", {"x", "W"}, "h"), "pads", {1, 1, 1, 1});
  m.node("Relu", {"h"}, "y");
  check_probe("conv3x3_dynamic_height_relu", m, {{kBatch, 3, kBatch, 40}});
}

TEST_CASE("probe: 3x3 Conv, height stride 2, asymmetric pads, no bias (an overlapping last tile)") {
  ModelBuilder m("conv3x3_strided_pads");
  m.input("x", {kBatch, 4, 11, 21});
  m.output("y", {kBatch, 16, 6, 21});
  m.initializer("W", {16, 4, 3, 3}, 0.1f);
  onnx::NodeProto* conv = m.node("Conv", {"x", "W"}, "y");
  set_ints(conv, "strides", {2, 1});
  set_ints(conv, "pads", {1, 2, 1, 0});
  check_probe("conv3x3_strided_pads", m, {{kBatch, 4, 11, 21}});
}

TEST_CASE("probe: 3x3 Conv, stride 2, pads 1 (width stride 2: even inputs of two vectors) + Relu") {
  ModelBuilder m("conv3x3_stride2_relu");
  m.input("x", {kBatch, 5, 9, 71});
  m.output("y", {kBatch, 12, 5, 36});
  m.initializer("W", {12, 5, 3, 3}, 0.1f);
  m.initializer("B", {12});
  onnx::NodeProto* conv = m.node("Conv", {"x", "W", "B"}, "h");
  set_ints(conv, "strides", {2, 2});
  set_ints(conv, "pads", {1, 1, 1, 1});
  m.node("Relu", {"h"}, "y");
  check_probe("conv3x3_stride2_relu", m, {{kBatch, 5, 9, 71}});
}

TEST_CASE("probe: 1x1 Conv, stride 2, SAME_LOWER (a downsampling shortcut)") {
  ModelBuilder m("conv1x1_stride2_same_lower");
  m.input("x", {kBatch, 6, 8, 66});
  m.output("y", {kBatch, 8, 4, 33});
  m.initializer("W", {8, 6, 1, 1}, 0.1f);
  onnx::NodeProto* conv = m.node("Conv", {"x", "W"}, "y");
  set_ints(conv, "strides", {2, 2});
  set_string(conv, "auto_pad", "SAME_LOWER");
  check_probe("conv1x1_stride2_same_lower", m, {{kBatch, 6, 8, 66}});
}

TEST_CASE("probe: 1-D Conv, kernel 5, dilation 2, SAME_UPPER + Sigmoid") {
  ModelBuilder m("conv1d_same_dilated_sigmoid");
  m.input("x", {kBatch, 4, 45});
  m.output("y", {kBatch, 11, 45});
  m.initializer("W", {11, 4, 5}, 0.1f);
  m.initializer("B", {11});
  onnx::NodeProto* conv = m.node("Conv", {"x", "W", "B"}, "h");
  set_string(conv, "auto_pad", "SAME_UPPER");
  set_ints(conv, "dilations", {2});
  m.node("Sigmoid", {"h"}, "y");
  check_probe("conv1d_same_dilated_sigmoid", m, {{kBatch, 4, 45}});
}

TEST_CASE("probe: 3-D Conv 3x3x3, pads 1, + residual Add + Relu") {
  ModelBuilder m("conv3d_residual_relu");
  m.input("x", {kBatch, 2, 5, 6, 20});
  m.input("r", {kBatch, 9, 5, 6, 20});
  m.output("y", {kBatch, 9, 5, 6, 20});
  m.initializer("W", {9, 2, 3, 3, 3}, 0.1f);
  m.initializer("B", {9});
  set_ints(m.node("Conv", {"x", "W", "B"}, "h"), "pads", {1, 1, 1, 1, 1, 1});
  m.node("Add", {"h", "r"}, "z");
  m.node("Relu", {"z"}, "y");
  check_probe("conv3d_residual_relu", m, {{kBatch, 2, 5, 6, 20}, {kBatch, 9, 5, 6, 20}});
}

TEST_CASE("probe: 3-D Conv 2x3x3, strides (2, 1, 2), dilation (1, 2, 1), asymmetric pads") {
  ModelBuilder m("conv3d_strided_dilated");
  m.input("x", {kBatch, 3, 7, 8, 40});
  m.output("y", {kBatch, 5, 4, 4, 20});
  m.initializer("W", {5, 3, 2, 3, 3}, 0.1f);
  onnx::NodeProto* conv = m.node("Conv", {"x", "W"}, "y");
  set_ints(conv, "strides", {2, 1, 2});
  set_ints(conv, "dilations", {1, 2, 1});
  set_ints(conv, "pads", {1, 0, 1, 0, 1, 0});
  check_probe("conv3d_strided_dilated", m, {{kBatch, 3, 7, 8, 40}});
}

TEST_CASE("probe: 3x3 Conv on rows narrower than a vector (the kernel branch) + Relu") {
  ModelBuilder m("conv3x3_narrow_relu");
  m.input("x", {kBatch, 2, 6, 8});
  m.output("y", {kBatch, 8, 6, 8});
  m.initializer("W", {8, 2, 3, 3}, 0.1f);
  set_ints(m.node("Conv", {"x", "W"}, "h"), "pads", {1, 1, 1, 1});
  m.node("Relu", {"h"}, "y");
  check_probe("conv3x3_narrow_relu", m, {{kBatch, 2, 6, 8}});
}

}  // namespace
}  // namespace sofie
