// LibTorch's runner of the benchmark suite: the TorchScript file (torch.jit.trace of the same weights as the
// ONNX model) through torch::jit::load, one thread (intra- and inter-op), under torch::InferenceMode, with
// LibTorch's default allocator. Protocol and output: runner_common.h.
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <string>
#include <vector>

#include "tools/benchsuite/runner_common.h"

int main(int argc, char** argv) {
  const benchsuite::Args args = benchsuite::parse_args(argc, argv);
  at::set_num_threads(1);
  at::set_num_interop_threads(1);
  if (args.baseline) {
    // The libraries are mapped and initialised (one small operation), no model loaded.
    torch::InferenceMode guard;
    volatile float sink = (torch::ones({2}) + 1).sum().item<float>();
    (void)sink;
    benchsuite::print_baseline("libtorch");
    return 0;
  }
  torch::InferenceMode guard;
  torch::jit::script::Module module;
  std::vector<torch::jit::IValue> inputs;
  torch::Tensor out;
  benchsuite::Runner runner{"libtorch", nullptr};
  return benchsuite::run_protocol(
      args, runner,
      [&](const std::string& path, const std::vector<float>& input, const std::vector<int64_t>& shape) {
        try {
          module = torch::jit::load(path);
        } catch (const std::exception& e) {
          benchsuite::die("cannot load " + path + ": " + e.what());
        }
        module.eval();
        // from_blob: no copy, like the other runners, which read the input in place.
        inputs = {torch::from_blob(const_cast<float*>(input.data()), shape, torch::kFloat32)};
      },
      [&] { out = module.forward(inputs).toTensor(); },
      [&] {
        out = out.contiguous();
        return std::make_pair(static_cast<const float*>(out.data_ptr<float>()), static_cast<size_t>(out.numel()));
      });
}
