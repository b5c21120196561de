// Internal: what a Model shares between its copies and sessions. Not part of the public API.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/plan.h"

namespace sofie {

// Concatenated input dims with each rank in front: one key per input-shape signature.
using ShapeSignature = absl::InlinedVector<int64_t, 16>;

class ModelImpl {
 public:
  explicit ModelImpl(std::shared_ptr<const Graph> graph);

  const std::shared_ptr<const Graph>& graph() const { return graph_; }
  const std::vector<ValueInfo>& inputs() const { return inputs_; }
  const std::vector<ValueInfo>& outputs() const { return outputs_; }
  uint64_t id() const { return id_; }

  // Checks inputs against the declared dtypes and shapes (and that equal symbols get equal values);
  // fills `signature`: the input shapes, plus the values of the inputs plans are keyed on. No
  // allocation once `signature` has grown.
  absl::Status check_inputs(absl::Span<const TensorView> inputs, ShapeSignature* signature) const;
  // The shared plan for a signature, built on first request. Thread-safe; takes a lock (sessions keep
  // their own small cache in front of it). Fails with kAborted when planning showed that the values
  // of more inputs must key the plans: recompute the signature with check_inputs and ask again.
  absl::StatusOr<std::shared_ptr<const Plan>> plan_for(const ShapeSignature& signature,
                                                       absl::Span<const TensorView> inputs) const;

 private:
  std::shared_ptr<const Graph> graph_;
  std::vector<ValueInfo> inputs_;
  std::vector<ValueInfo> outputs_;
  // (input, dim) pairs declared with the same symbol, which must agree at run time.
  struct SymbolTie {
    int input_a, dim_a, input_b, dim_b;
  };
  std::vector<SymbolTie> ties_;
  uint64_t id_;
  // Graph inputs whose values key the plans (bit i = input i), learnt while planning: e.g. a Reshape
  // whose target shape is a graph input. Only ever grows.
  mutable std::atomic<uint64_t> valued_inputs_{0};

  static constexpr size_t kMaxCachedPlans = 1024;
  mutable std::mutex plans_mu_;
  mutable absl::flat_hash_map<ShapeSignature, std::shared_ptr<const Plan>> plans_;
  mutable std::vector<ShapeSignature> plan_order_;  // insertion order, for eviction
};

}  // namespace sofie
