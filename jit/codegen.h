// Code generation: a graph and one of its plans -> one C++ translation unit whose function runs the plan's
// steps (runtime/compiled_abi.h). Shapes that are static in the graph become constants; symbolic dims
// (batch, nodes, edges) are read from the dims array, so the code serves every plan with the same
// steps_hash; arena buffers sit at constant offsets when the plan's layout is fixed (every shape static).
// Operators with an emitter become inline loops (small dense layers with constant sizes,
// elementwise chains, activations fused into the producer's epilogue); every other step calls back into
// the interpreter's kernel, so any graph the interpreter runs can be compiled.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/graph.h"
#include "runtime/plan.h"

namespace sofie::jit {

// Bumped whenever the generated code changes meaning (part of the cache key).
inline constexpr int kCodegenVersion = 14;

// A constant the generated code wants in another layout, made by the provider and passed to the code as
// the host symbol `symbol`. The value is [rows, cols] float32 (leading dims of a weight flattened).
struct PackedConstant {
  std::string symbol;  // "sofie_packed_0"
  ValueId value = kNoValue;
  int64_t rows = 0, cols = 0;
  // 0: the transpose [cols, rows] (dense layers). Else blocks of `block` rows, each stored column by
  // column: [rows / block][cols][block], then the last rows % block rows as [cols][rows % block]
  // (convolutions: the weights of a block of output channels side by side).
  int64_t block = 0;
};

struct GeneratedGraph {
  std::string source;
  std::vector<PackedConstant> packed;
  std::string entry = "sofie_graph";
  // Kernel-ABI functions (ops/kernels/sofie_kernels.h) the code calls; resolved from this process.
  std::vector<std::string> host_symbols;
  int emitted_steps = 0;
  int fallback_steps = 0;
};

absl::StatusOr<GeneratedGraph> generate(const Graph& graph, const Plan& plan);

}  // namespace sofie::jit
