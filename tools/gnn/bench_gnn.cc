// Time and peak memory of graph neural networks versus graph size, single-threaded: sofie's interpreter and
// JIT tier against LibTorch (TorchScript of the same PyTorch modules, Debian's libtorch) and ONNX Runtime
// (onnxruntime-node, for the models that are one ONNX file; with an Identity model's time, the cost of its
// Node.js binding, which a C++ caller would not pay): the GraphNets
// LHCb-like toy (N = 10..2000 nodes, E = 4N edges), the message-passing GNN (same sizes), ParticleNet
// (16..256 points) and the ATLAS-style track network (5..80 tracks), batch 1.
//
//   bazel run //tools/gnn:bench_gnn -- [--out FILE.csv] [--min-ms T] [--tiers interp,jit,libtorch,ort]
//                                       [--ort-module DIR] [MODEL...]
//
// Each (model, tier, size) runs in a process of its own (this binary re-executed with --one; LibTorch cases
// in bench_gnn_libtorch, so that no sofie process maps libtorch), so that its memory figures are its own.
// A JIT case compiles on its first call (not timed; served by sofie's on-disk cache when that is on, which a
// first untimed run per model fills) and must then be served by compiled code. Timing: chunks of
// back-to-back calls of at least 2 ms each, at least 11 chunks and T ms (default 300) in all; the figure is
// the median of the chunk means. Memory: loaded_rss_mb after loading, first_peak_mb the peak over loading
// and the first two calls (planning; for a JIT that compiled, the compiler library: LLVM and clang,
// ~100 MB), peak_rss_mb the peak while the timed calls ran (reset before them through /proc/self/clear_refs).
// Prints one CSV line per case (bench_util.h); the plots come from tools/gnn/plot_gnn_bench.py.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graphnets/model.h"
#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "runtime/model.h"
#include "runtime/session.h"
#include "tools/gnn/bench_util.h"

extern char** environ;

namespace {

using sofie::gnn_bench::CaseInputs;
using sofie::gnn_bench::CaseResult;

const char* const kModelsDir = "tools/gnn/models";        // make_gnn_models.py (bazel run's working folder)
const char* const kGraphNetsDir = "tools/gnn/graphnets";  // make_graphnets_models.py
const char* const kLibTorchBench = "tools/gnn/bench_gnn_libtorch";
const char* const kOrtRunner = "tools/gnn/ort_gnn_runner.js";

struct ModelSizes {
  std::string model;
  std::vector<int64_t> sizes;  // nodes, points or tracks
};

const std::vector<ModelSizes>& all_models() {
  static const std::vector<ModelSizes> models = {
      {"lhcb_toy", {10, 20, 50, 100, 200, 500, 1000, 2000}},
      {"message_passing", {10, 20, 50, 100, 200, 500, 1000, 2000}},
      {"particlenet", {16, 32, 64, 128, 256}},
      {"atlas_tracks", {5, 10, 20, 40, 80}},
  };
  return models;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "bench_gnn: %s\n", what.c_str());
  std::exit(1);
}

// One sofie case in this process: prints its CSV line.
int run_one(const std::string& model_name, const std::string& tier_name, int64_t size, double min_ms) {
  auto tier = sofie::parse_tier(tier_name);
  if (!tier.ok()) fail(std::string(tier.status().message()));
  sofie::LoadOptions options;
  options.tier = *tier;
  CaseResult r;
  r.model = model_name;
  r.tier = tier_name;
  r.size = size;
  std::function<void()> call;
  std::function<double()> compile_ms;
  std::function<int64_t()> calls_compiled;

  std::unique_ptr<sofie::graphnets::Model> gn_model;
  std::unique_ptr<sofie::graphnets::Session> gn_session;
  std::unique_ptr<sofie::Model> onnx_model;
  std::unique_ptr<sofie::Session> onnx_session;
  std::vector<sofie::TensorView> views;
  sofie::graphnets::GraphView graph;

  if (model_name == "lhcb_toy") {
    auto m = sofie::graphnets::Model::try_load(std::string(kGraphNetsDir) + "/lhcb_toy/model.pbtxt", options);
    if (!m.ok()) fail(std::string(m.status().message()));
    gn_model = std::make_unique<sofie::graphnets::Model>(*std::move(m));
    gn_session = std::make_unique<sofie::graphnets::Session>(*gn_model);
    call = [&] {
      auto out = gn_session->run(graph);
      if (!out.ok()) fail(std::string(out.status().message()));
    };
    compile_ms = [&] {
      double ms = 0;
      for (const auto& f : gn_model->functions()) ms += f.tier.compile_ms;
      return ms;
    };
    calls_compiled = [&] { return gn_session->calls_compiled(); };
  } else {
    auto m = sofie::Model::try_load(std::string(kModelsDir) + "/" + model_name + "/model.onnx", options);
    if (!m.ok()) fail(std::string(m.status().message()));
    onnx_model = std::make_unique<sofie::Model>(*std::move(m));
    onnx_session = std::make_unique<sofie::Session>(*onnx_model);
    call = [&] {
      auto out = onnx_session->run(views);
      if (!out.ok()) fail(std::string(out.status().message()));
    };
    compile_ms = [&] { return onnx_model->tier_stats().compile_ms; };
    calls_compiled = [&] { return onnx_session->calls_compiled(); };
  }
  r.loaded_rss_mb = sofie::gnn_bench::status_mb("VmRSS");
  const CaseInputs inputs = sofie::gnn_bench::make_inputs(model_name, size);
  if (inputs.tensors.empty()) fail("unknown model '" + model_name + "'");
  r.nodes = inputs.nodes;
  r.edges = inputs.edges;
  for (const sofie::Tensor& t : inputs.tensors) views.push_back(t.view());
  if (gn_model) {
    if (gn_model->input_features() != std::vector<int64_t>{4, 4, 1}) fail("lhcb_toy's widths are not 4, 4, 1");
    graph = sofie::graphnets::GraphView{views[0], views[1], views[2], views[3], views[4]};
  }

  call();  // plans; on the JIT tier compiles (or loads from the cache) and waits
  call();
  if (*tier == sofie::Tier::kJit && calls_compiled() == 0) fail(model_name + ": the JIT tier did not serve");
  r.first_peak_mb = sofie::gnn_bench::status_mb("VmHWM");
  sofie::gnn_bench::reset_peak_rss();
  r.timing = sofie::gnn_bench::time_calls(call, min_ms);
  r.peak_rss_mb = sofie::gnn_bench::status_mb("VmHWM");
  r.compile_ms = compile_ms();
  std::fputs(sofie::gnn_bench::csv_line(r).c_str(), stdout);
  return 0;
}

// Runs `program` with `args` as a child process; returns its standard output.
std::string run_child(const std::string& program, const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) fail("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  // A bare name ("node") is looked up on PATH.
  const bool search = program.find('/') == std::string::npos;
  if ((search ? posix_spawnp : posix_spawn)(&pid, program.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    fail("cannot run " + program);
  }
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string what;
    for (const std::string& a : args) what += " " + a;
    fail("case failed:" + what);
  }
  return out;
}


// The number after "key": in a flat JSON object; NaN when absent.
double json_number(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  return at == std::string::npos ? NAN : std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

void write_bytes(const std::string& path, const void* data, size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!out) fail("cannot write " + path);
}

// An ONNX model y = Identity(x) for one input like `like`: what ONNX Runtime's binding costs per call.
void write_identity_model(const std::string& path, const sofie::TensorView& like) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("identity");
  onnx::NodeProto* node = graph->add_node();
  node->set_op_type("Identity");
  node->add_input("x");
  node->add_output("y");
  for (const char* name : {"x", "y"}) {
    onnx::ValueInfoProto* v = name[0] == 'x' ? graph->add_input() : graph->add_output();
    v->set_name(name);
    onnx::TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(like.dtype == sofie::DType::kInt64 ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
    for (int64_t d : like.shape) t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  std::ofstream out(path, std::ios::binary);
  if (!model.SerializeToOstream(&out)) fail("cannot write " + path);
}

// One ONNX Runtime case: inputs, sofie's output 0 and an Identity model into a temporary folder, then the Node.js
// runner; returns the CSV lines of the "ort" and "ort_identity" (binding cost) rows.
std::string run_ort_case(const std::string& ort_module, const std::string& model_name, int64_t size, double min_ms) {
  const CaseInputs inputs = sofie::gnn_bench::make_inputs(model_name, size);
  const std::string model_path = std::string(kModelsDir) + "/" + model_name + "/model.onnx";
  sofie::LoadOptions options;
  options.tier = sofie::Tier::kInterp;
  auto model = sofie::Model::try_load(model_path, options);
  if (!model.ok()) fail(std::string(model.status().message()));
  std::vector<sofie::TensorView> views;
  for (const sofie::Tensor& t : inputs.tensors) views.push_back(t.view());
  auto reference = model->try_infer(views);
  if (!reference.ok()) fail(std::string(reference.status().message()));

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sofie_bench_gnn_ort_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::vector<std::string> args = {"node", kOrtRunner, "--ort", ort_module, "--model", model_path, "--min-ms",
                                   std::to_string(min_ms)};
  for (size_t k = 0; k < views.size(); ++k) {
    const std::string file = (dir / ("input_" + std::to_string(k) + ".bin")).string();
    write_bytes(file, views[k].data, views[k].nbytes());
    std::string dims;
    for (int64_t d : views[k].shape) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    const char* dtype = views[k].dtype == sofie::DType::kInt64 ? "int64" : "float32";
    args.push_back("--input");
    args.push_back(model->inputs()[k].name + ":" + dtype + ":" + dims + ":" + file);
  }
  const std::string reference_file = (dir / "reference.bin").string();
  write_bytes(reference_file, (*reference)[0].data(), (*reference)[0].nbytes());
  const std::string identity_file = (dir / "identity.onnx").string();
  write_identity_model(identity_file, views[0]);
  args.insert(args.end(), {"--reference", reference_file, "--identity", identity_file});
  const std::string json = run_child("node", args);
  std::filesystem::remove_all(dir);

  CaseResult r;
  r.model = model_name;
  r.tier = "ort";
  r.size = size;
  r.nodes = inputs.nodes;
  r.edges = inputs.edges;
  r.timing = {json_number(json, "median_us"), json_number(json, "fastest_us")};
  r.peak_rss_mb = json_number(json, "peak_rss_mb");
  r.first_peak_mb = json_number(json, "first_peak_mb");
  r.loaded_rss_mb = json_number(json, "loaded_rss_mb");
  CaseResult identity = r;
  identity.tier = "ort_identity";
  identity.timing = {json_number(json, "identity_us"), json_number(json, "identity_us")};
  return sofie::gnn_bench::csv_line(r) + sofie::gnn_bench::csv_line(identity);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  double min_ms = 300;
  std::string out_path;
  std::vector<std::string> tiers = {"interp", "jit", "libtorch", "ort"};
  std::string ort_module;
  std::vector<std::string> wanted;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--one" && i + 3 < args.size()) {
      if (i + 5 < args.size() && args[i + 4] == "--min-ms") min_ms = std::atof(args[i + 5].c_str());
      return run_one(args[i + 1], args[i + 2], std::atoll(args[i + 3].c_str()), min_ms);
    } else if (args[i] == "--min-ms" && i + 1 < args.size()) {
      min_ms = std::atof(args[++i].c_str());
    } else if (args[i] == "--out" && i + 1 < args.size()) {
      out_path = args[++i];
    } else if (args[i] == "--ort-module" && i + 1 < args.size()) {
      ort_module = args[++i];
    } else if (args[i] == "--tiers" && i + 1 < args.size()) {
      tiers.clear();
      const std::string list = args[++i];
      for (size_t b = 0, e; b <= list.size(); b = e + 1) {
        e = list.find(',', b);
        if (e == std::string::npos) e = list.size();
        tiers.push_back(list.substr(b, e - b));
      }
    } else if (args[i] == "-h" || args[i] == "--help") {
      std::printf("usage: bench_gnn [--out FILE.csv] [--min-ms T] [--tiers interp,jit,libtorch,ort] "
                  "[--ort-module DIR] [MODEL...]\n");
      return 0;
    } else {
      wanted.push_back(args[i]);
    }
  }
  if (const char* wd = std::getenv("BUILD_WORKING_DIRECTORY"); wd != nullptr && !out_path.empty() &&
                                                              out_path[0] != '/') {
    out_path = std::string(wd) + "/" + out_path;  // as given on the `bazel run` command line
  }
  // ONNX Runtime: the onnxruntime-node package of the benchmark suite (tools/benchsuite/setup.sh installs it).
  if (ort_module.empty()) {
    const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    ort_module = std::string(ws != nullptr ? ws : ".") + "/tools/benchsuite/ort/node_modules/onnxruntime-node";
  }
  if (std::find(tiers.begin(), tiers.end(), "ort") != tiers.end() &&
      !std::filesystem::exists(ort_module + "/package.json")) {
    std::fprintf(stderr, "bench_gnn: no ONNX Runtime at %s (run tools/benchsuite/setup.sh, or give --ort-module); "
                 "skipping it\n", ort_module.c_str());
    tiers.erase(std::find(tiers.begin(), tiers.end(), "ort"));
  }
  std::string csv = sofie::gnn_bench::csv_header();
  std::fputs(csv.c_str(), stdout);
  const std::string self = "/proc/self/exe";
  for (const ModelSizes& m : all_models()) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), m.model) == wanted.end()) continue;
    const std::string first = std::to_string(m.sizes[0]);
    if (std::find(tiers.begin(), tiers.end(), "jit") != tiers.end()) {
      // Compiles the model once into sofie's on-disk cache (when it is on), so that the measured JIT
      // processes load compiled code instead of each compiling; not timed.
      run_child(self, {"bench_gnn", "--one", m.model, "jit", first, "--min-ms", "1"});
    }
    for (const std::string& tier : tiers) {
      if (tier == "ort" && m.model == "lhcb_toy") continue;  // a GraphNets spec, not one ONNX model
      for (int64_t size : m.sizes) {
        const std::string s = std::to_string(size), ms = std::to_string(min_ms);
        const std::string line =
            tier == "libtorch" ? run_child(kLibTorchBench, {"bench_gnn_libtorch", "--one", m.model, s, "--min-ms", ms})
            : tier == "ort"    ? run_ort_case(ort_module, m.model, size, min_ms)
                               : run_child(self, {"bench_gnn", "--one", m.model, tier, s, "--min-ms", ms});
        std::fputs(line.c_str(), stdout);
        std::fflush(stdout);
        csv += line;
      }
    }
  }
  if (!out_path.empty()) {
    std::ofstream out(out_path);
    out << csv;
    if (!out) fail("cannot write " + out_path);
  }
  return 0;
}
