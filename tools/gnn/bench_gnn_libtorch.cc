// The LibTorch side of bench_gnn: one (model, size) case through TorchScript (the traced PyTorch modules of
// make_torchscript_models.py, with the weights of the ONNX and GraphNets files), on one thread, measured as
// bench_gnn measures sofie (bench_util.h). Run by bench_gnn for the "libtorch" tier; a process of its own so
// that no sofie measurement maps libtorch.
//
//   bench_gnn_libtorch --one MODEL SIZE [--min-ms T]
//
// Before timing, LibTorch's outputs are compared with sofie's interpreter on the same inputs; a difference
// above 1e-3 is reported on stderr (kNN ties could legitimately differ, so it does not stop the benchmark).
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "graphnets/model.h"
#include "runtime/model.h"
#include "tools/gnn/bench_util.h"

namespace {

using sofie::gnn_bench::CaseInputs;

const char* const kTorchScriptDir = "tools/gnn/torchscript";
const char* const kModelsDir = "tools/gnn/models";
const char* const kGraphNetsDir = "tools/gnn/graphnets";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "bench_gnn_libtorch: %s\n", what.c_str());
  std::exit(1);
}

torch::Tensor to_torch(const sofie::Tensor& t) {
  std::vector<int64_t> sizes(t.shape().begin(), t.shape().end());
  const auto dtype = t.dtype() == sofie::DType::kInt64 ? torch::kInt64 : torch::kFloat32;
  return torch::from_blob(const_cast<void*>(t.data()), sizes, dtype);
}

std::vector<torch::Tensor> outputs_of(const torch::jit::IValue& value) {
  std::vector<torch::Tensor> out;
  if (value.isTuple()) {
    for (const auto& e : value.toTuple()->elements()) out.push_back(e.toTensor().contiguous());
  } else {
    out.push_back(value.toTensor().contiguous());
  }
  return out;
}

// sofie's interpreter on the same inputs.
std::vector<sofie::Tensor> sofie_reference(const std::string& model, const CaseInputs& inputs) {
  sofie::LoadOptions options;
  options.tier = sofie::Tier::kInterp;
  std::vector<sofie::TensorView> views;
  for (const sofie::Tensor& t : inputs.tensors) views.push_back(t.view());
  if (model == "lhcb_toy") {
    auto m = sofie::graphnets::Model::try_load(std::string(kGraphNetsDir) + "/lhcb_toy/model.pbtxt", options);
    if (!m.ok()) fail(std::string(m.status().message()));
    auto g = m->try_infer({views[0], views[1], views[2], views[3], views[4]});
    if (!g.ok()) fail(std::string(g.status().message()));
    return {g->nodes, g->edges, g->globals};
  }
  auto m = sofie::Model::try_load(std::string(kModelsDir) + "/" + model + "/model.onnx", options);
  if (!m.ok()) fail(std::string(m.status().message()));
  auto out = m->try_infer(views);
  if (!out.ok()) fail(std::string(out.status().message()));
  return *std::move(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::string(argv[1]) != "--one") {
    std::fprintf(stderr, "usage: bench_gnn_libtorch --one MODEL SIZE [--min-ms T]\n");
    return 2;
  }
  const std::string model_name = argv[2];
  const int64_t size = std::atoll(argv[3]);
  const double min_ms = argc >= 6 && std::string(argv[4]) == "--min-ms" ? std::atof(argv[5]) : 300;
  at::set_num_threads(1);
  at::set_num_interop_threads(1);

  sofie::gnn_bench::CaseResult r;
  r.model = model_name;
  r.tier = "libtorch";
  r.size = size;
  const CaseInputs inputs = sofie::gnn_bench::make_inputs(model_name, size);
  if (inputs.tensors.empty()) fail("unknown model '" + model_name + "'");
  r.nodes = inputs.nodes;
  r.edges = inputs.edges;
  const std::vector<sofie::Tensor> reference = sofie_reference(model_name, inputs);

  torch::jit::script::Module module;
  try {
    module = torch::jit::load(std::string(kTorchScriptDir) + "/" + model_name + ".pt");
  } catch (const std::exception& e) {
    fail(e.what());
  }
  module.eval();
  r.loaded_rss_mb = sofie::gnn_bench::status_mb("VmRSS");
  std::vector<torch::jit::IValue> args;
  for (const sofie::Tensor& t : inputs.tensors) args.push_back(to_torch(t));
  torch::InferenceMode inference;
  auto call = [&] { return module.forward(args); };

  // The profiling executor specialises after a few runs: warm up, then compare with sofie.
  for (int i = 0; i < 5; ++i) call();
  const std::vector<torch::Tensor> got = outputs_of(call());
  if (got.size() != reference.size()) fail("output count differs from sofie's");
  for (size_t k = 0; k < got.size(); ++k) {
    sofie::Dims shape(got[k].sizes().begin(), got[k].sizes().end());
    const sofie::TensorView view(sofie::DType::kFloat32, shape, got[k].data_ptr<float>());
    const double diff = sofie::gnn_bench::max_abs_diff(view, reference[k].view());
    if (!(diff <= 1e-3)) {
      std::fprintf(stderr, "bench_gnn_libtorch: %s size %lld output %zu differs from sofie's by %g\n",
                   model_name.c_str(), static_cast<long long>(size), k, diff);
    }
  }
  r.first_peak_mb = sofie::gnn_bench::status_mb("VmHWM");
  sofie::gnn_bench::reset_peak_rss();
  r.timing = sofie::gnn_bench::time_calls([&] { call(); }, min_ms);
  r.peak_rss_mb = sofie::gnn_bench::status_mb("VmHWM");
  std::fputs(sofie::gnn_bench::csv_line(r).c_str(), stdout);
  return 0;
}
