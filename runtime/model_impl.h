// Internal: what a Model shares between its copies and sessions. Not part of the public API.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/plan.h"
#include "runtime/tiering.h"

namespace sofie {

// Concatenated input dims with each rank in front: one key per input-shape signature.
using ShapeSignature = absl::InlinedVector<int64_t, 16>;

class ModelImpl {
 public:
  ModelImpl(std::shared_ptr<const Graph> graph, Tier tier, int64_t jit_threshold);
  ~ModelImpl();

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

  // Tiering. The compiled graph serving `plan`, or null (a lock-free load on the hot path).
  const CompiledGraph* compiled_for(const Plan& plan) const {
    const CompiledGraph* c = tier_->fast.load(std::memory_order_acquire);
    return c != nullptr && c->steps_hash == plan.steps_hash() ? c : nullptr;
  }
  // Counts a call served by the interpreter with `plan`; starts a background compile when the model is
  // hot (Tier::kJit: at once).
  void note_interpreted_call(const std::shared_ptr<const Plan>& plan) const;
  // Tier::kJit, once per model, before its first call runs: compiles `plan` and waits for it (up to a
  // timeout), so that the first call is served by compiled code too. Returns the code serving `plan`, or
  // null (other tiers, a failed or timed-out compile, later calls).
  const CompiledGraph* compile_first_and_wait(const std::shared_ptr<const Plan>& plan) const;
  // Once per plan structure, before the first interpreted call: code the provider already has (a warm
  // compiled-code cache) is installed at once. Returns it, or null.
  const CompiledGraph* probe_cached(const std::shared_ptr<const Plan>& plan) const;
  TierStats tier_stats() const;
  // Tier::kAuto with jit_threshold 0: starts compiling in the background at load (plan with every
  // symbolic dimension 1).
  void compile_at_load() const;

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
  // With tier_->mu held: not blacklisted, under the compile limit, no compile running, no code for `plan`.
  bool may_compile_locked(const Plan& plan) const;
  void start_compile_locked(const std::shared_ptr<const Plan>& plan, int64_t n) const;

  // Shared with the background compile thread, which may outlive a call but not the model (joined).
  struct TierState {
    Tier tier = Tier::kInterp;
    std::atomic<int64_t> threshold{0};  // read without the lock on the hot path
    std::atomic<int64_t> calls{0};
    std::atomic<const CompiledGraph*> fast{nullptr};
    std::mutex mu;
    std::condition_variable done;
    bool compiling = false;
    bool blacklisted = false;
    std::atomic<bool> waited{false};  // Tier::kJit waits for the first compile only (read without the lock)
    std::atomic<uint64_t> probed_hash{0};  // the last plan structure looked up in the provider's cache
    bool from_cache = false;                // the code in use came from the provider's cache, not a compile
    int64_t compiles = 0, failures = 0;
    std::string last_error;
    std::shared_ptr<const CompiledGraph> compiled;
    std::vector<std::shared_ptr<const CompiledGraph>> history;
    std::thread worker;
  };
  std::shared_ptr<TierState> tier_;

  // Graph inputs whose values key the plans (bit i = input i), learnt while planning: e.g. a Reshape
  // whose target shape is a graph input. Only ever grows.
  mutable std::atomic<uint64_t> valued_inputs_{0};

  static constexpr size_t kMaxCachedPlans = 1024;
  mutable std::mutex plans_mu_;
  mutable absl::flat_hash_map<ShapeSignature, std::shared_ptr<const Plan>> plans_;
  mutable std::vector<ShapeSignature> plan_order_;  // insertion order, for eviction
};

}  // namespace sofie
