// GraphNets-style models (tools/gnn/make_graphnets_models.py: the LHCb-like toy, a sequence of every block kind,
// an encode-process-decode without skip concatenation) against PyTorch's outputs on the interpreter and the
// JIT tier, for graphs from one node without edges up to 300 nodes and 1200 edges; one compiled artifact per
// update function for 100 graph sizes; spec and graph errors naming block and field; segment reductions
// against a naive reference.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "graphnets/model.h"
#include "graphnets/segment.h"
#include "tests/graphnets/gnn_test_util.h"

namespace sofie::graphnets {
namespace {

namespace fs = std::filesystem;
using Catch::Contains;
using gnn_testing::compare;
using gnn_testing::Random;
using gnn_testing::read_numbered_tensors;
using gnn_testing::runfile;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 2e-5;
constexpr int kDataSets = 6;  // tools/gnn/gnn_models.bzl, GRAPHNETS_DATA_SETS

const char* const kModels[] = {"lhcb_toy", "blocks", "epd_plain"};

std::string model_dir(const std::string& name) { return runfile("tools/gnn/graphnets/" + name); }

Model load(const std::string& name, Tier tier) {
  return gnn_testing::load_model<Model>(model_dir(name) + "/model.pbtxt", tier);
}

GraphView graph_of(const std::vector<Tensor>& t) {
  REQUIRE(t.size() == 5);
  return GraphView{t[0].view(), t[1].view(), t[2].view(), t[3].view(), t[4].view()};
}

// A random graph of `nodes` nodes and `edges` edges with the model's input widths.
struct RandomGraph {
  std::vector<float> nodes, edges, globals;
  std::vector<int64_t> senders, receivers;
  GraphView view;
  RandomGraph(const std::vector<int64_t>& widths, int64_t n, int64_t e, Random& random)
      : nodes(random.floats(n * widths[0])),
        edges(random.floats(e * widths[1])),
        globals(random.floats(widths[2])),
        senders(random.integers(e, 0, n)),
        receivers(random.integers(e, 0, n)) {
    view.nodes = TensorView::of(nodes.data(), {n, widths[0]});
    view.edges = TensorView::of(edges.data(), {e, widths[1]});
    view.globals = TensorView::of(globals.data(), {1, widths[2]});
    view.senders = TensorView::of(senders.data(), {e});
    view.receivers = TensorView::of(receivers.data(), {e});
  }
};

// First in the file (Catch2 runs test cases in declaration order), so that the update functions compile afresh
// rather than reuse code compiled for the same graphs by an earlier test case in this process.
TEST_CASE("100 graph sizes: one compiled artifact per update function, results equal to the interpreter's") {
  Model jit = load("lhcb_toy", Tier::kJit);
  Model interp = load("lhcb_toy", Tier::kInterp);
  Session jit_session = jit.new_session();
  Session interp_session = interp.new_session();
  Random random(424242);
  int mismatches = 0;
  for (int i = 0; i < 100; ++i) {
    // Nodes 1..100; edges 0 (first call, every 10th), else up to 8 per node (beyond one 512-row tile).
    const int64_t n = 1 + i, e = i % 10 == 0 ? 0 : random.integer(0, 8 * n + 1);
    RandomGraph g(jit.input_features(), n, e, random);
    auto got = jit_session.run(g.view);
    INFO("size " << i << " (" << n << " nodes, " << e << " edges)");
    if (!got.ok()) FAIL(got.status().message());
    auto want = interp_session.run(g.view);
    REQUIRE(want.ok());
    for (const auto& [a, b] : {std::pair{got->nodes, want->nodes}, {got->edges, want->edges}, {got->globals, want->globals}}) {
      const std::string why = compare(a, b, kRtol, kAtol);
      if (!why.empty() && ++mismatches <= 3) FAIL_CHECK(why);
    }
  }
  CHECK(mismatches == 0);
  for (const FunctionInfo& f : jit.functions()) {
    std::printf("lhcb_toy %-20s %lld compile(s), %s\n", f.path.c_str(), static_cast<long long>(f.tier.compiles),
                f.tier.state.c_str());
    INFO(f.path << ": " << f.tier.state);
    CHECK(f.tier.state == "compiled");
    CHECK(f.tier.compiles <= 1);
    CHECK(f.tier.failures == 0);
  }
  // 100 calls x (3 encoder + 3 x 3 core + 3 decoder) function calls (more where edges span two tiles), all
  // but the first call's compiled.
  std::printf("lhcb_toy: %lld function calls compiled, %lld interpreted\n",
              static_cast<long long>(jit_session.calls_compiled()),
              static_cast<long long>(jit_session.calls_interpreted()));
  CHECK(jit_session.calls_compiled() + jit_session.calls_interpreted() > 100 * 15);
  CHECK(jit_session.calls_interpreted() <= 15);
}

TEST_CASE("GraphNets models match PyTorch on both tiers, from one node without edges to 300 nodes") {
  for (const Tier tier : {Tier::kInterp, Tier::kJit}) {
    for (const std::string name : kModels) {
      Model model = load(name, tier);
      Session session = model.new_session();
      for (int k = 0; k < kDataSets; ++k) {
        const std::string dir = model_dir(name) + "/test_data_set_" + std::to_string(k);
        const std::vector<Tensor> inputs = read_numbered_tensors(dir, "input");
        const std::vector<Tensor> expected = read_numbered_tensors(dir, "output");
        REQUIRE(expected.size() == 3);
        const GraphView graph = graph_of(inputs);
        INFO(name << " (" << tier_name(tier) << ") data set " << k << ": " << graph.nodes.shape[0] << " nodes, "
                  << graph.edges.shape[0] << " edges");
        for (int repeat = 0; repeat < 2; ++repeat) {
          auto out = session.run(graph);
          if (!out.ok()) FAIL_CHECK(out.status().message());
          if (!out.ok()) continue;
          CHECK(compare(out->nodes, expected[0].view(), kRtol, kAtol) == "");
          CHECK(compare(out->edges, expected[1].view(), kRtol, kAtol) == "");
          CHECK(compare(out->globals, expected[2].view(), kRtol, kAtol) == "");
          CHECK(out->senders.data == graph.senders.data);
        }
        // The owning API gives the same.
        auto owned = model.try_infer(graph);
        REQUIRE(owned.ok());
        CHECK(compare(owned->edges.view(), expected[1].view(), kRtol, kAtol) == "");
        CHECK(compare(owned->receivers.view(), graph.receivers, 0, 0) == "");
      }
      if (tier == Tier::kJit) {
        CHECK(session.calls_compiled() > 0);
        for (const FunctionInfo& f : model.functions()) {
          INFO(name << " " << f.path << ": " << f.tier.state);
          CHECK(f.tier.state == "compiled");
        }
      } else {
        CHECK(session.calls_compiled() == 0);
      }
    }
  }
}

TEST_CASE("the LHCb-like toy: widths, functions shared across processing steps") {
  Model model = load("lhcb_toy", Tier::kInterp);
  CHECK(model.name() == "lhcb_toy");
  CHECK(model.input_features() == std::vector<int64_t>{4, 4, 1});
  CHECK(model.output_features() == std::vector<int64_t>{64, 64, 64});
  const std::vector<FunctionInfo> functions = model.functions();
  REQUIRE(functions.size() == 9);  // the core's three functions serve all three steps
  for (const FunctionInfo& f : functions) {
    if (f.block == "core" && f.field == "graph_network.edge_block.model") {
      CHECK(f.path == "core_edge.onnx");
      CHECK(f.in_features == 4 * 128);
      CHECK(f.out_features == 64);
    }
  }
}

TEST_CASE("one Model serves several threads at once") {
  Model model = load("blocks", Tier::kInterp);
  const std::string dir = model_dir("blocks") + "/test_data_set_4";
  const std::vector<Tensor> inputs = read_numbered_tensors(dir, "input");
  const std::vector<Tensor> expected = read_numbered_tensors(dir, "output");
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50 && errors[t].empty(); ++i) {
        auto out = model.try_infer(graph_of(inputs));
        if (!out.ok()) {
          errors[t] = std::string(out.status().message());
        } else {
          errors[t] = compare(out->nodes.view(), expected[0].view(), kRtol, kAtol);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(errors[0] == "");
  CHECK(errors[1] == "");
}

// ---------------------------------------------------------------------------------------------------------
// Errors

// Loads `spec` with the update functions of the LHCb-like toy's folder; returns the error message ("" if it
// loaded).
std::string spec_error(const std::string& spec) {
  auto model = Model::try_load_from_text(spec, model_dir("lhcb_toy"), {}, "test.pbtxt");
  return model.ok() ? "" : std::string(model.status().message());
}

const char* const kInput = "input { node_features: 4 edge_features: 4 global_features: 1 }\n";

TEST_CASE("spec errors name the block and the field") {
  // Valid: the toy's encoder alone.
  CHECK(spec_error(std::string(kInput) +
                   "blocks { name: 'enc' graph_independent { edge_model: 'encoder_edge.onnx' } }") == "");

  CHECK_THAT(spec_error("input { node_features: 4 \n edge_features: x }"), Contains("test.pbtxt:2:"));
  CHECK_THAT(spec_error("blocks { name: 'a' graph_independent { edge_model: 'encoder_edge.onnx' } }"),
             Contains("field 'input' is missing"));
  CHECK_THAT(spec_error("input { node_features: 4 edge_features: 4 }"), Contains("'input.global_features' is missing"));
  CHECK_THAT(spec_error(kInput), Contains("neither 'blocks' nor 'encode_process_decode'"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { graph_independent { edge_model: 'encoder_edge.onnx' } }"),
             Contains("field 'blocks[0].name' is missing"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'a' }"), Contains("block 'a' (blocks[0]) has no kind"));
  CHECK_THAT(spec_error(std::string(kInput) +
                        "blocks { name: 'a' graph_independent { edge_model: 'encoder_edge.onnx' } }\n"
                        "blocks { name: 'a' graph_independent { edge_model: 'decoder_edge.onnx' } }"),
             Contains("two blocks named 'a'"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'e' edge_block { } }"),
             Contains("block 'e' field 'edge_block.model': is missing"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'e' edge_block { model: '../lhcb_toy/core_edge.onnx' } }"),
             Contains("block 'e' field 'edge_block.model': '../lhcb_toy/core_edge.onnx' is outside the spec's folder"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'e' edge_block { model: '/core_edge.onnx' } }"),
             Contains("'/core_edge.onnx' is absolute"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'e' edge_block { model: 'nope.onnx' } }"),
             Contains("'nope.onnx' is not a file in the spec's folder"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'e' edge_block { model: 'model.pbtxt' } }"),
             Contains("block 'e' field 'edge_block.model': 'model.pbtxt': "));
  // The toy's encoder edge model takes 4 features; an edge block gives edges + receivers + senders + globals.
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'e' edge_block { model: 'encoder_edge.onnx' } }"),
             Contains("block 'e' field 'edge_block.model': 'encoder_edge.onnx' takes 4 input features but the "
                      "block gives 13 (edges 4 + receiver nodes 4 + sender nodes 4 + globals 1)"));
  CHECK(spec_error(std::string(kInput) +
                   "blocks { name: 'e' edge_block { model: 'encoder_edge.onnx' use_receiver_nodes: false "
                   "use_sender_nodes: false use_globals: false } }") == "");
  CHECK_THAT(spec_error(std::string(kInput) +
                        "blocks { name: 'e' edge_block { model: 'encoder_edge.onnx' use_edges: false "
                        "use_receiver_nodes: false use_sender_nodes: false use_globals: false } }"),
             Contains("block 'e' field 'edge_block': uses no input"));
  CHECK_THAT(spec_error(std::string(kInput) +
                        "blocks { name: 'g' graph_network { edge_block { model: 'encoder_edge.onnx' } } }"),
             Contains("block 'g' field 'graph_network.node_block': is missing"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'a' graph_independent { } }"),
             Contains("block 'a' field 'graph_independent': names no model"));
  CHECK_THAT(spec_error(std::string(kInput) +
                        "blocks { name: 'a' graph_independent { edge_model: 'encoder_edge.onnx' } }\n"
                        "encode_process_decode { core { name: 'c' graph_independent { edge_model: 'x.onnx' } } }"),
             Contains("both 'blocks' and 'encode_process_decode'"));
  CHECK_THAT(spec_error(std::string(kInput) + "encode_process_decode { processing_steps: 2 }"),
             Contains("'encode_process_decode.core' is missing"));
  CHECK_THAT(spec_error(std::string(kInput) +
                        "encode_process_decode { core { name: 'c' graph_independent { edge_model: "
                        "'encoder_edge.onnx' } } processing_steps: 0 }"),
             Contains("'encode_process_decode.processing_steps' is 0"));
  // Skip concatenation doubles the core's input width: the encoder's edge model (4 features) cannot be a core.
  CHECK_THAT(spec_error(std::string(kInput) +
                        "encode_process_decode { core { name: 'c' graph_independent { edge_model: "
                        "'encoder_edge.onnx' } } }"),
             Contains("block 'c' field 'graph_independent.edge_model': 'encoder_edge.onnx' takes 4 input features "
                      "but the block (processing step 1) gives 8 (edges 8)"));
  // Without it, the encoder's edge model (4 -> 64) fails at step 2.
  CHECK_THAT(spec_error(std::string(kInput) +
                        "encode_process_decode { core { name: 'c' graph_independent { edge_model: "
                        "'encoder_edge.onnx' } } processing_steps: 2 concat_encoded: false }"),
             Contains("(processing step 2) gives 64"));
  CHECK_THAT(spec_error(std::string(kInput) + "blocks { name: 'n' node_block { model: 'encoder_node.onnx' "
                                              "received_edges_reducer: AVERAGE } }"),
             Contains("test.pbtxt:"));
}

TEST_CASE("symbolic links inside the spec's folder are followed; a missing spec is an error") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const fs::path dir = fs::path(tmp != nullptr ? tmp : fs::temp_directory_path().string()) / "graphnets_symlink";
  fs::remove_all(dir);
  fs::create_directories(dir / "spec");
  fs::copy_file(model_dir("lhcb_toy") + "/encoder_edge.onnx", dir / "outside.onnx");
  fs::create_symlink(dir / "outside.onnx", dir / "spec" / "edge.onnx");
  const std::string spec =
      std::string(kInput) + "blocks { name: 'e' graph_independent { edge_model: 'edge.onnx' } }";
  std::ofstream(dir / "spec" / "model.pbtxt") << spec;
  auto model = Model::try_load((dir / "spec" / "model.pbtxt").string());
  INFO(model.status().message());
  CHECK(model.ok());
  CHECK_THROWS_AS(Model::load((dir / "missing.pbtxt").string()), sofie::Error);
  CHECK_THAT(std::string(Model::try_load((dir / "missing.pbtxt").string()).status().message()),
             Contains("cannot read the GraphNets spec"));
}

TEST_CASE("bad graphs are errors naming the field") {
  Model model = load("lhcb_toy", Tier::kInterp);
  Random random(5);
  RandomGraph g(model.input_features(), 4, 6, random);
  auto error_of = [&](const GraphView& view) {
    auto out = model.try_infer(view);
    return out.ok() ? std::string() : std::string(out.status().message());
  };
  CHECK(error_of(g.view) == "");
  g.receivers[3] = 4;
  CHECK_THAT(error_of(g.view), Contains("graph field 'receivers': receivers[3] = 4 is not a node index in [0, 4)"));
  g.receivers[3] = 0;
  g.senders[0] = -1;
  CHECK_THAT(error_of(g.view), Contains("senders[0] = -1"));
  g.senders[0] = 0;
  GraphView v = g.view;
  v.senders.shape = {5};
  CHECK_THAT(error_of(v), Contains("graph field 'senders' is int64 [5]; expected int64 [6]"));
  v = g.view;
  v.nodes.shape = {6, 2};
  CHECK_THAT(error_of(v), Contains("graph field 'nodes' is float32 [6,2]; the model takes float32 [nodes,4]"));
  v = g.view;
  v.globals.shape = {2, 1};
  CHECK_THAT(error_of(v), Contains("graph field 'globals'"));
  v = g.view;
  v.edges = TensorView::of(g.senders.data(), {6, 4});
  CHECK_THAT(error_of(v), Contains("graph field 'edges' is int64"));
  CHECK_THROWS_AS(model.infer(v), sofie::Error);
}

// ---------------------------------------------------------------------------------------------------------
// Segment reductions

TEST_CASE("segment reductions match a naive reference, empty segments give zeros") {
  Random random(99);
  for (const Reducer reducer : {Reducer::kSum, Reducer::kMean, Reducer::kMax, Reducer::kMin}) {
    for (const auto& [rows, segments, width] :
         {std::tuple<int64_t, int64_t, int64_t>{0, 3, 2}, {1, 1, 1}, {7, 3, 5}, {50, 20, 3}, {200, 1, 4}}) {
      const std::vector<float> src = random.floats(rows * width);
      const std::vector<int64_t> index = random.integers(rows, 0, segments);
      std::vector<int32_t> counts(segments);
      segment_counts(index.data(), rows, segments, counts.data());
      // Written into columns [1, 1 + width) of rows of stride width + 2: the other columns stay untouched.
      const int64_t stride = width + 2;
      std::vector<float> out(segments * stride, 42.0f);
      segment_reduce_f32(reducer, src.data(), rows, width, index.data(), segments, counts.data(), out.data() + 1,
                         stride);
      for (int64_t s = 0; s < segments; ++s) {
        for (int64_t c = 0; c < width; ++c) {
          double want = 0;
          int n = 0;
          for (int64_t r = 0; r < rows; ++r) {
            if (index[r] != s) continue;
            const double v = src[r * width + c];
            if (reducer == Reducer::kMax) want = n == 0 ? v : std::max(want, v);
            else if (reducer == Reducer::kMin) want = n == 0 ? v : std::min(want, v);
            else want += v;
            ++n;
          }
          if (reducer == Reducer::kMean && n > 0) want /= n;
          INFO(reducer_name(reducer) << " rows " << rows << " segment " << s << " column " << c);
          CHECK(out[s * stride + 1 + c] == Approx(want).margin(1e-5));
        }
        CHECK(out[s * stride] == 42.0f);
        CHECK(out[s * stride + width + 1] == 42.0f);
      }
    }
  }
}

}  // namespace
}  // namespace sofie::graphnets
