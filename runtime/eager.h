// Eager execution: for graphs whose shapes depend on data (NonZero, Unique, If, Loop, or a Reshape whose
// target shape is computed from tensor data), a plan cannot be made ahead of the data. Such plans run node
// by node: reshape with the actual inputs (every value is known by then), memory from a bump arena that is
// kept between calls, run. Slower than a static plan (reshape per node per call, small allocations for the
// per-node parameters) but exact for any shape.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "runtime/graph.h"
#include "runtime/op.h"
#include "runtime/tensor.h"

namespace sofie {

// A bump allocator: allocations live until reset() (the start of the next inference) or release(mark).
// Chunks are kept between inferences; after a run that needed several, the next reset merges them into
// one, so steady-state runs allocate nothing here.
class BumpArena : public OutputAllocator {
 public:
  void* allocate(size_t bytes) override;
  void reset();
  size_t mark() const { return total_used_; }
  void release(size_t mark);

 private:
  struct Chunk {
    AlignedBuffer buffer;
    size_t used = 0;
  };
  std::vector<std::unique_ptr<Chunk>> chunks_;
  size_t total_used_ = 0;  // sum of `used` over chunks
  size_t high_water_ = 0;
};

// Runs `graph` eagerly. `outer` (may be empty) gives the views of the graph's outer-scope values: for each
// such value (by ValueId) a pointer. `outputs` gets one view per graph output (memory in `arena`).
// `node_us`/`node_calls` (optional, sized to graph.nodes()) accumulate per-node time.
absl::Status run_eager(const Graph& graph, absl::Span<const TensorView> inputs,
                       absl::Span<const std::pair<ValueId, const TensorView*>> outer, BumpArena& arena,
                       std::vector<TensorView>* outputs, std::vector<double>* node_us = nullptr,
                       std::vector<int64_t>* node_calls = nullptr);

}  // namespace sofie
