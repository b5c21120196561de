// Graph passes, run once at load after shape inference and constant folding (main graph only):
//   fuse_matmul_add     MatMul(A[M,K], W const [K,N]) + Add(bias const [N] or [1,N]) -> Gemm(A, W, bias)
//   fold_batchnorm      Conv/Gemm with constant weights followed by BatchNormalization (inference) ->
//                       the Conv/Gemm with rescaled weights and bias; the BatchNormalization disappears
//   eliminate_dead      nodes no graph output needs, and nodes already folded into constants
// Each keeps the graph's outputs the same function of its inputs, up to float rounding. Graph records
// what they did (Graph::passes_*()).
#pragma once

#include "absl/status/status.h"
#include "runtime/graph.h"

namespace sofie {

absl::Status run_graph_passes(Graph& graph);

}  // namespace sofie
