#include "graphnets/segment.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace sofie::graphnets {

const char* reducer_name(Reducer reducer) {
  switch (reducer) {
    case Reducer::kSum: return "sum";
    case Reducer::kMean: return "mean";
    case Reducer::kMax: return "max";
    case Reducer::kMin: return "min";
  }
  return "?";
}

void segment_counts(const int64_t* index, int64_t rows, int64_t num_segments, int32_t* out_counts) {
  std::fill(out_counts, out_counts + num_segments, 0);
  for (int64_t i = 0; i < rows; ++i) ++out_counts[index[i]];
}

namespace {

// One pass over the rows with `combine(dst, src, width)`; the caller initialised and finalises `out`.
template <typename Combine>
void scatter_rows(const float* src, int64_t rows, int64_t width, const int64_t* index, float* out,
                  int64_t out_stride, Combine combine) {
  for (int64_t i = 0; i < rows; ++i) {
    float* dst = out + (index != nullptr ? index[i] : 0) * out_stride;
    combine(dst, src + i * width, width);
  }
}

void fill_rows(float* out, int64_t segments, int64_t width, int64_t out_stride, float value) {
  for (int64_t s = 0; s < segments; ++s) std::fill(out + s * out_stride, out + s * out_stride + width, value);
}

}  // namespace

void segment_reduce_f32(Reducer reducer, const float* src, int64_t rows, int64_t width, const int64_t* index,
                        int64_t num_segments, const int32_t* counts, float* out, int64_t out_stride) {
  if (width == 0 || num_segments == 0) return;
  switch (reducer) {
    case Reducer::kSum:
    case Reducer::kMean: {
      fill_rows(out, num_segments, width, out_stride, 0.0f);
      scatter_rows(src, rows, width, index, out, out_stride, [](float* d, const float* s, int64_t w) {
        for (int64_t c = 0; c < w; ++c) d[c] += s[c];
      });
      if (reducer == Reducer::kMean) {
        for (int64_t s = 0; s < num_segments; ++s) {
          if (counts[s] <= 1) continue;  // 0 rows: zeros already; 1 row: the row itself
          const float scale = 1.0f / static_cast<float>(counts[s]);
          float* d = out + s * out_stride;
          for (int64_t c = 0; c < width; ++c) d[c] *= scale;
        }
      }
      return;
    }
    case Reducer::kMax:
    case Reducer::kMin: {
      const bool is_max = reducer == Reducer::kMax;
      fill_rows(out, num_segments, width, out_stride,
                is_max ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
      if (is_max) {
        scatter_rows(src, rows, width, index, out, out_stride, [](float* d, const float* s, int64_t w) {
          for (int64_t c = 0; c < w; ++c) d[c] = std::max(d[c], s[c]);
        });
      } else {
        scatter_rows(src, rows, width, index, out, out_stride, [](float* d, const float* s, int64_t w) {
          for (int64_t c = 0; c < w; ++c) d[c] = std::min(d[c], s[c]);
        });
      }
      for (int64_t s = 0; s < num_segments; ++s) {
        if (counts[s] == 0) std::fill(out + s * out_stride, out + s * out_stride + width, 0.0f);
      }
      return;
    }
  }
}

}  // namespace sofie::graphnets
