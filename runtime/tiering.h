// Tiering: how a model moves from the interpreter to compiled code. The runtime only counts calls and asks
// a JitProvider for code when a model gets hot (LuaJIT's split); the provider lives in jit/ and registers
// itself when linked in, so an interpreter-only build exists and the runtime never includes jit/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/compiled_abi.h"

namespace sofie {

class Graph;
class Plan;

enum class Tier {
  kInterp,  // interpreter only
  kAuto,    // interpreter first; compile in the background once hot, then switch (the default)
  kJit,     // compile on the first call and wait for it once
};
const char* tier_name(Tier tier);
// "interp", "auto", "jit"
absl::StatusOr<Tier> parse_tier(const std::string& name);

// What a JIT produces: a plan's step loop as one function, for every plan with the same steps.
class CompiledGraph {
 public:
  virtual ~CompiledGraph() = default;
  sofie_graph_fn entry = nullptr;
  uint64_t steps_hash = 0;  // Plan::steps_hash() of the plans it serves
  double compile_ms = 0;
  size_t code_bytes = 0;
  int emitted_steps = 0;   // steps with generated code
  int fallback_steps = 0;  // steps run through the interpreter's kernels
};

class JitProvider {
 public:
  virtual ~JitProvider() = default;
  // Compiles `graph` for plans shaped like `plan` (same steps; symbolic dims may differ). Called on a
  // background thread; must be thread-safe.
  virtual absl::StatusOr<std::shared_ptr<const CompiledGraph>> compile(const Graph& graph, const Plan& plan) = 0;
  // Code for such plans that exists already (compiled earlier in this process, or in a compiled-code
  // cache), found without compiling; null otherwise. Called synchronously, once per plan structure, so a
  // process with a warm cache serves its first inference with compiled code.
  virtual std::shared_ptr<const CompiledGraph> cached(const Graph& graph, const Plan& plan) {
    (void)graph;
    (void)plan;
    return nullptr;
  }
};

// The provider jit/ registers at start-up (static initialiser); null in interpreter-only builds.
void register_jit_provider(JitProvider* provider);
JitProvider* jit_provider();

// What a model's tiering did so far (Model::tier_stats).
struct TierStats {
  Tier tier = Tier::kInterp;
  std::string state;  // "interpreter", "compiling", "compiled", "failed: <reason>", "no JIT linked"
  int64_t compiles = 0;
  int64_t failures = 0;
  bool from_cache = false;  // the code in use was found already compiled (compiled-code cache), not compiled here
  double compile_ms = 0;  // of the code in use
  size_t code_bytes = 0;
  int emitted_steps = 0;
  int fallback_steps = 0;
};

}  // namespace sofie
