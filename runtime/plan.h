// A Plan is the graph specialised to one concrete input-shape signature: every value's concrete shape,
// the nodes left to run (those not folded into constants), each node's per-plan parameters and
// workspace, and a memory plan (one arena; buffers placed by lifetime so dead ones are reused; views for
// Reshape-like ops). Plans are immutable and shared by all sessions of a Model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/graph.h"
#include "runtime/op.h"
#include "runtime/tensor.h"

namespace sofie {

class Plan {
 public:
  enum class Storage : uint8_t {
    kAbsent,    // not computed in this plan (unused)
    kInput,     // graph input `index`
    kConstant,  // graph constant or plan-time folded value: `constant`
    kArena,     // arena + `offset`
    kAlias,     // same bytes as value `alias_of` (Reshape, Flatten, ...), new shape
  };
  struct Slot {
    DType dtype = DType::kUndefined;
    Dims shape;
    Storage storage = Storage::kAbsent;
    int32_t index = -1;      // kInput: graph input position
    size_t offset = 0;       // kArena
    ValueId alias_of = kNoValue;  // kAlias: the value whose bytes this one shares (itself never an alias)
    const Tensor* constant = nullptr;  // kConstant
  };
  struct Step {
    int32_t node = -1;  // index into graph.nodes()
    std::unique_ptr<OpParams> params;
    size_t workspace_offset = 0;
    size_t workspace_bytes = 0;
  };

  // Builds the plan for `inputs` (one per graph input, already checked against the declared shapes by
  // the caller). Only their shapes matter, except for the inputs in `valued_inputs` (bit i = graph
  // input i): their values are part of the plan, as constants (a Reshape whose shape is a graph input).
  // When planning fails because an op needs the value of a small integer graph input that is not in
  // `valued_inputs`, `*wanted_inputs` says which; the caller may key plans on those values and retry.
  static absl::StatusOr<std::shared_ptr<const Plan>> build(std::shared_ptr<const Graph> graph,
                                                           absl::Span<const TensorView> inputs,
                                                           uint64_t valued_inputs, uint64_t* wanted_inputs);

  const Graph& graph() const { return *graph_; }
  // The graph's shapes depend on data (an op with a dynamic output, or a shape computed from tensor
  // data): this plan holds nothing and the session runs the graph eagerly (runtime/eager.h).
  bool eager() const { return eager_; }
  const std::vector<Slot>& slots() const { return slots_; }
  const std::vector<Step>& steps() const { return steps_; }
  size_t arena_bytes() const { return arena_bytes_; }
  // Identifies the plan's structure (which nodes run, how every value is stored, every rank): plans with
  // equal hashes differ only in dim values, so one compiled graph serves them all. For a fixed_layout()
  // plan it also covers every arena offset, which compiled code then uses as constants.
  uint64_t steps_hash() const { return steps_hash_; }
  // Every value this plan computes has a fully static shape in the graph, so every plan of this structure
  // has this memory plan: compiled code addresses arena buffers as `arena + offset` with constant offsets.
  bool fixed_layout() const { return fixed_layout_; }
  // steps_hash() of a plan with these slots and steps; with `fixed_layout` the arena offsets count too.
  static uint64_t structure_hash(absl::Span<const Slot> slots, absl::Span<const Step> steps, bool fixed_layout);
  // Sum of the sizes of all arena buffers, i.e. the arena a plan without reuse would need.
  size_t unshared_bytes() const { return unshared_bytes_; }

 private:
  std::shared_ptr<const Graph> graph_;
  std::vector<Slot> slots_;  // one per graph value
  std::vector<Step> steps_;
  std::vector<std::unique_ptr<Tensor>> constants_;  // plan-time folded values
  size_t arena_bytes_ = 0;
  size_t unshared_bytes_ = 0;
  bool eager_ = false;
  bool fixed_layout_ = false;
  uint64_t steps_hash_ = 0;
};

// Graph inputs up to this many int32/int64 elements may have their values keyed into plans.
inline constexpr int64_t kMaxValuedInputElements = 4096;

// Runs one node on known inputs into freshly allocated outputs (constant folding at load and plan
// time). `inputs` has one entry per node input (nullptr when absent); `output_dtypes` one per output.
absl::StatusOr<std::vector<Tensor>> evaluate_node(const Node& node, absl::Span<const TensorView* const> inputs,
                                                  absl::Span<const DType> output_dtypes);

}  // namespace sofie
