#include "ops/movement_util.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "ops/vec_loop.h"

namespace sofie::ops {

bool plan_strided_copy(absl::Span<const int64_t> dims, absl::Span<const int64_t> in_strides, int64_t in_offset,
                       size_t element_size, StridedCopy& out) {
  out.total = num_elements(dims);
  out.in_offset = in_offset;
  out.element_size = element_size;
  out.dims.clear();
  out.in_strides.clear();
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    // Stepping the previous loop once == walking this one fully: one longer loop.
    if (!out.dims.empty() && out.in_strides.back() == in_strides[d] * dims[d]) {
      out.dims.back() *= dims[d];
      out.in_strides.back() = in_strides[d];
      continue;
    }
    out.dims.push_back(dims[d]);
    out.in_strides.push_back(in_strides[d]);
  }
  if (out.dims.empty()) {
    out.dims.push_back(1);
    out.in_strides.push_back(1);
  }
  return out.dims.size() <= static_cast<size_t>(kMaxStridedLoops);
}

namespace {

// W bytes, copied through one register.
template <size_t W>
struct Chunk {
  typedef char type __attribute__((vector_size(W)));
};

// out[r * n0, (r + 1) * n0) = in[r * s1, r * s1 + n0) for r < n1, rows of `bytes` in [W, 2W] bytes each:
// two W-byte copies per row, overlapping in the middle (no call per row).
template <size_t W, typename T>
void copy_rows_by(int64_t n1, int64_t s1, int64_t n0, size_t bytes, const T* in, T* out) {
  using C = typename Chunk<W>::type;
  for (int64_t r = 0; r < n1; ++r) {
    const char* src = reinterpret_cast<const char*>(in + r * s1);
    char* dst = reinterpret_cast<char*>(out + r * n0);
    C head, tail;
    std::memcpy(&head, src, W);
    std::memcpy(&tail, src + bytes - W, W);
    std::memcpy(dst, &head, W);
    std::memcpy(dst + bytes - W, &tail, W);
  }
}

// out[r * n0, (r + 1) * n0) = in[r * s1, r * s1 + n0) for r < n1: contiguous rows, short ones without a
// call each.
template <typename T>
void copy_rows(int64_t n1, int64_t s1, int64_t n0, const T* in, T* out) {
  const size_t bytes = static_cast<size_t>(n0) * sizeof(T);
  if (bytes >= 64) {
    for (int64_t r = 0; r < n1; ++r) std::memcpy(out + r * n0, in + r * s1, bytes);
  } else if (bytes >= 32) {
    copy_rows_by<32>(n1, s1, n0, bytes, in, out);
  } else if (bytes >= 16) {
    copy_rows_by<16>(n1, s1, n0, bytes, in, out);
  } else if (bytes >= 8) {
    copy_rows_by<8>(n1, s1, n0, bytes, in, out);
  } else if (bytes >= 4) {
    copy_rows_by<4>(n1, s1, n0, bytes, in, out);
  } else {
    for (int64_t r = 0; r < n1; ++r) {
      for (int64_t i = 0; i < n0; ++i) out[r * n0 + i] = in[r * s1 + i];
    }
  }
}

#ifdef __AVX__
// Loops over the registers of a block: unrolled, so that the arrays of vectors stay in registers.
#define SOFIE_UNROLL _Pragma("GCC unroll 8")

// out[j * out_stride + k] = in[k * in_stride + j] for j, k < 8: an 8 x 8 block of 4-byte elements
// transposed in AVX registers (three rounds of two-vector shuffles).
inline void transpose_8x8(const uint32_t* in, int64_t in_stride, uint32_t* out, int64_t out_stride) {
  using V = Vec<uint32_t>;
  using I = Vec<int32_t>;
  V r[8], t[8], u[8];
  SOFIE_UNROLL
  for (int k = 0; k < 8; ++k) r[k] = load_vec(in + k * in_stride);
  SOFIE_UNROLL
  for (int k = 0; k < 8; k += 2) {
    t[k] = __builtin_shuffle(r[k], r[k + 1], I{0, 8, 1, 9, 4, 12, 5, 13});
    t[k + 1] = __builtin_shuffle(r[k], r[k + 1], I{2, 10, 3, 11, 6, 14, 7, 15});
  }
  SOFIE_UNROLL
  for (int k = 0; k < 8; k += 4) {
    SOFIE_UNROLL
    for (int h = 0; h < 2; ++h) {
      u[k + 2 * h] = __builtin_shuffle(t[k + h], t[k + h + 2], I{0, 1, 8, 9, 4, 5, 12, 13});
      u[k + 2 * h + 1] = __builtin_shuffle(t[k + h], t[k + h + 2], I{2, 3, 10, 11, 6, 7, 14, 15});
    }
  }
  SOFIE_UNROLL
  for (int k = 0; k < 4; ++k) {
    store_vec(out + k * out_stride, __builtin_shuffle(u[k], u[k + 4], I{0, 1, 2, 3, 8, 9, 10, 11}));
    store_vec(out + (k + 4) * out_stride, __builtin_shuffle(u[k], u[k + 4], I{4, 5, 6, 7, 12, 13, 14, 15}));
  }
}
#endif

// out[r * n0 + i] = in[r + i * s0] for r < n1, i < n0: a transpose, in 8 x 8 tiles that read 8 contiguous
// input elements and write 8 contiguous output elements per line.
template <typename T>
void transpose_rows(int64_t n1, int64_t n0, int64_t s0, const T* in, T* out) {
  constexpr int64_t B = 8;
  for (int64_t r0 = 0; r0 < n1; r0 += B) {
    const int64_t rb = std::min(B, n1 - r0);
    for (int64_t i0 = 0; i0 < n0; i0 += B) {
      const int64_t ib = std::min(B, n0 - i0);
      const T* src = in + r0 + i0 * s0;
      T* dst = out + r0 * n0 + i0;
#ifdef __AVX__
      if constexpr (sizeof(T) == 4) {
        if (rb == B && ib == B) {
          transpose_8x8(src, s0, dst, n0);
          continue;
        }
      }
#endif
      for (int64_t r = 0; r < rb; ++r) {
        for (int64_t i = 0; i < ib; ++i) dst[r * n0 + i] = src[r + i * s0];
      }
    }
  }
}

// The two innermost loops of a copy as one block: out[r * n0 + i] = in[r * s1 + i * s0] for r < n1, i < n0,
// so that short rows cost no odometer step each.
template <typename T>
void copy_block_of(int64_t n1, int64_t s1, int64_t n0, int64_t s0, const T* in, T* out) {
  if (s0 == 1 && s1 == 0) {
    // One row repeated (Tile, Expand): written once, then the output copied onto its own end, doubling.
    copy_rows(1, 0, n0, in, out);
    for (int64_t done = 1; done < n1;) {
      const int64_t rows = std::min(done, n1 - done);
      std::memcpy(out + done * n0, out, static_cast<size_t>(rows * n0) * sizeof(T));
      done += rows;
    }
  } else if (s0 == 1) {
    copy_rows(n1, s1, n0, in, out);
  } else if (s0 == 0) {
    // Each row one value (Expand along the last axis). A row shorter than a vector is stored as a whole
    // vector spilling into the rows after it, which are written next; the last rows exactly.
    int64_t r = 0;
    if (n0 < kVecLanes<T>) {
      for (; (r * n0 + kVecLanes<T>) <= n1 * n0; ++r) store_vec(out + r * n0, splat(in[r * s1]));
    }
    for (; r < n1; ++r) std::fill(out + r * n0, out + (r + 1) * n0, in[r * s1]);
  } else if (s1 == 1 && n1 > 1) {
    transpose_rows(n1, n0, s0, in, out);
  } else {
    for (int64_t r = 0; r < n1; ++r) {
      for (int64_t i = 0; i < n0; ++i) out[r * n0 + i] = in[r * s1 + i * s0];
    }
  }
}

template <typename T>
void copy_loops(const StridedCopy& p, const T* in, T* out) {
  const int rank = static_cast<int>(p.dims.size());
  const int64_t n0 = p.dims[rank - 1], s0 = p.in_strides[rank - 1];
  const int64_t n1 = rank > 1 ? p.dims[rank - 2] : 1, s1 = rank > 1 ? p.in_strides[rank - 2] : 0;
  const int outer = std::max(rank - 2, 0);
  int64_t index[kMaxStridedLoops] = {};
  int64_t off = p.in_offset;
  for (int64_t done = 0; done < p.total; done += n1 * n0) {
    copy_block_of(n1, s1, n0, s0, in + off, out + done);
    for (int d = outer - 1; d >= 0; --d) {
      off += p.in_strides[d];
      if (++index[d] < p.dims[d]) break;
      off -= p.in_strides[d] * p.dims[d];
      index[d] = 0;
    }
  }
}

// f(T{}) with T the unsigned integer of element_size bytes (8 for any other size).
template <typename F>
void with_element_bits(size_t element_size, F f) {
  switch (element_size) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(uint64_t{}); break;
  }
}

}  // namespace

void run_strided_copy(const StridedCopy& p, const void* in, void* out) {
  if (p.total == 0) return;
  with_element_bits(p.element_size, [&](auto zero) {
    using T = decltype(zero);
    copy_loops(p, static_cast<const T*>(in), static_cast<T*>(out));
  });
}

void copy_block(int64_t n1, int64_t s1, int64_t n0, int64_t s0, size_t element_size, const void* in, void* out) {
  if (n1 <= 0 || n0 <= 0) return;
  with_element_bits(element_size, [&](auto zero) {
    using T = decltype(zero);
    copy_block_of(n1, s1, n0, s0, static_cast<const T*>(in), static_cast<T*>(out));
  });
}

}  // namespace sofie::ops
