// Segment reductions: the aggregations of graph networks (edges per receiving or sending node, edges or
// nodes over the whole graph) in O(rows × width + segments × width), one pass over the rows, never a scan
// over all rows per segment.
#pragma once

#include <cstdint>

namespace sofie::graphnets {

enum class Reducer { kSum, kMean, kMax, kMin };
// "sum", "mean", "max", "min"
const char* reducer_name(Reducer reducer);

// out_counts[s] = how many of index[0..rows) equal s, for s in [0, num_segments). Every index must be in
// range (checked by the caller).
void segment_counts(const int64_t* index, int64_t rows, int64_t num_segments, int32_t* out_counts);

// Reduces the rows of `src` ([rows, width], row-major) into rows of `out` by segment: out row index[i]
// combines src row i (index == nullptr: every row into segment 0, for graph-level aggregation). `out` has
// num_segments rows of stride `out_stride` floats; only columns [0, width) are written, every one of them
// (a segment without rows gets zeros, whatever the reducer). `counts` are segment_counts of `index` (for
// index == nullptr: one count, rows). Mean divides by the count; max and min ignore NaN only as far as
// std::max / std::min do.
void segment_reduce_f32(Reducer reducer, const float* src, int64_t rows, int64_t width, const int64_t* index,
                        int64_t num_segments, const int32_t* counts, float* out, int64_t out_stride);

}  // namespace sofie::graphnets
