// sofie's runner of the benchmark suite: one Session on this thread, the interpreter or the JIT tier.
// Protocol and output: runner_common.h. `--tier jit` compiles before the first call (which waits for it);
// the JSON line then also says which tier served the timed calls and the compile time.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "tools/benchsuite/runner_common.h"

int main(int argc, char** argv) {
  const benchsuite::Args args = benchsuite::parse_args(argc, argv);
  if (args.baseline) {
    benchsuite::print_baseline("sofie");
    return 0;
  }
  const std::string tier_text = args.get("tier", "interp");
  absl::StatusOr<sofie::Tier> tier = sofie::parse_tier(tier_text);
  if (!tier.ok() || *tier == sofie::Tier::kAuto) benchsuite::die("--tier must be interp or jit");

  std::optional<sofie::Model> model;
  std::optional<sofie::Session> session;
  std::vector<sofie::TensorView> inputs;
  const float* out_data = nullptr;
  size_t out_size = 0;

  const std::string runtime = "sofie_" + tier_text;
  benchsuite::Runner runner{runtime.c_str(), nullptr};
  runner.extra = [&] {
    const sofie::TierStats stats = model->tier_stats();
    return absl::StrFormat(",\"tier\":\"%s\",\"compile_ms\":%.3f,\"compiled_calls\":%d,\"jit_state\":\"%s\"",
                           session->calls_compiled() > 0 ? "jit" : "interp", stats.code_bytes ? stats.compile_ms : 0.0,
                           session->calls_compiled(), stats.state);
  };
  return benchsuite::run_protocol(
      args, runner,
      [&](const std::string& path, const std::vector<float>& input, const std::vector<int64_t>& shape) {
        sofie::LoadOptions options;
        options.tier = *tier;
        absl::StatusOr<sofie::Model> loaded = sofie::Model::try_load(path, options);
        if (!loaded.ok()) benchsuite::die("cannot load " + path + ": " + std::string(loaded.status().message()));
        model.emplace(*std::move(loaded));
        session.emplace(model->new_session());
        inputs = {sofie::TensorView::of(input.data(), sofie::Dims(shape.begin(), shape.end()))};
      },
      [&] {
        absl::StatusOr<absl::Span<const sofie::TensorView>> out = session->run(inputs);
        if (!out.ok()) benchsuite::die("inference failed: " + std::string(out.status().message()));
        out_data = (*out)[0].data_as<float>();
        out_size = static_cast<size_t>((*out)[0].numel());
      },
      [&] { return std::make_pair(out_data, out_size); });
}
