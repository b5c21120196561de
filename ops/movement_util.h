// Shared by the data-movement operators (Slice, Expand, Tile, DepthToSpace, SpaceToDepth, Einsum's
// layout copies): a copy that walks the output in row-major order and reads the input through per-dim
// strides of any sign (0 = broadcast). Planned once in reshape(), run without allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "runtime/op.h"
#include "runtime/tensor.h"

namespace sofie::ops {

// Loop levels a strided copy may need after merging dims (Tile doubles the rank).
inline constexpr int kMaxStridedLoops = 32;

struct StridedCopy : OpParams {
  int64_t total = 0;        // output elements
  int64_t in_offset = 0;    // elements from the input's start to the first element read
  size_t element_size = 0;  // bytes
  Dims dims;                // loop sizes, outermost first; size-1 dims dropped, contiguous runs merged
  Dims in_strides;          // input elements per step of each loop
};

// Plans a copy of an output of shape `dims` whose element at index (i_0, ..., i_n) is
// input[in_offset + sum_d i_d * in_strides[d]]. False when more than kMaxStridedLoops loops remain after
// merging (the caller reports the error).
bool plan_strided_copy(absl::Span<const int64_t> dims, absl::Span<const int64_t> in_strides, int64_t in_offset,
                       size_t element_size, StridedCopy& out);

// Runs a planned copy; `out` is dense. Every input element read lies inside the planned range. The two
// innermost loops run as one block: repeated rows by doubling, short contiguous rows without a call each,
// a transpose (input stride 1 on the outer of the two) in 8 x 8 tiles.
void run_strided_copy(const StridedCopy& p, const void* in, void* out);

// out[r * n0 + i] = in[r * s1 + i * s0] for r < n1, i < n0, elements of element_size bytes: one block of
// the two innermost loops of a copy (the way run_strided_copy runs them).
void copy_block(int64_t n1, int64_t s1, int64_t n0, int64_t s0, size_t element_size, const void* in, void* out);

}  // namespace sofie::ops
