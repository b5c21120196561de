// Row vector times matrix, float32, without -ffast-math.
//
// y = x B, B stored [K,N] (trans_b == 0): y is a sum of rows of B scaled by elements of x ("axpy" form).
// Written without intrinsics: GCC 12 at -O2 uses the "very cheap" vectoriser cost model, which only
// vectorises loops whose trip count is a known multiple of the vector width, so every hot loop is a loop
// over blocks of kLanes elements with a fixed-size inner loop (two AVX2 operations) plus a scalar tail.
//
// y = x B^T, B stored [N,K] (trans_b != 0, every PyTorch Linear exported as Gemm transB=1): one dot
// product per row of B. For the small K of inference layers the horizontal reduction at the end of each
// dot product decides the speed, and GCC will not reassociate a float sum without -ffast-math: a plain C++
// reduction runs lane by lane (the portable version below, 4x slower than trans_b == 0). On x86 with AVX2 +
// FMA (the project's baseline, -march=x86-64-v3) this file therefore uses intrinsics:
//   - eight rows of B at a time against each load of x: eight accumulators, eight independent FMA chains;
//   - a transposing reduction tree of in-lane shuffles and adds that turns the eight accumulators into the
//     eight results in one register, which alpha and beta then scale with vector operations;
//   - the K % 8 tail of each row as one more step over the window [K - 8, K) (inside the row; the lanes
//     already counted are masked off), and for K < 8 a masked load, or an ordinary load and a mask where
//     the 8 floats provably lie inside B's span;
//   - K < 32 as straight-line code with x held in registers, and K < 8 with the multiplications fused
//     into the first stage of the reduction;
//   - for K < 32 the last, partial block of rows repeats its last row; for longer rows the last 1-7 rows
//     run in blocks of 4, 2 and 1 rows with 2, 4 and 8 accumulators per row (so N = 1 is not latency-bound).
// Measured on this project's AMD machine (AVX-512 Zen 4, AVX2 code): trans_b != 0 is now faster than
// trans_b == 0 for K >= 16 and for N <= 16 (61 GFLOP/s at N = K = 64, 4.5x the old version). It is slower
// for many very short rows, K <= 3 with N >= 64 or K = 7..11 with N >= 256 (1.05-1.3x, 3x at K = 1):
// there every row costs a reduction that the axpy form does not have.
#include <cstdint>

#include "ops/kernels/sofie_kernels.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define SOFIE_GEMV_AVX2 1
#else
#define SOFIE_GEMV_AVX2 0
#endif

namespace {

using Index = sofie_dim_t;

constexpr int kLanes = 16;
// Columns accumulated per pass over the rows of B[K,N]: the accumulator block stays in L1.
constexpr Index kColumnBlock = 512;
// A strided x is copied into a contiguous stack buffer this many elements at a time (trans_b != 0).
constexpr Index kXChunk = 1024;

// y = alpha * acc + beta * y (y write-only when beta == 0).
void store_f32(Index n, float alpha, const float* __restrict acc, float beta, float* __restrict y) {
  Index j = 0;
  if (beta == 0.0f) {
    for (; j + kLanes <= n; j += kLanes) {
      for (int i = 0; i < kLanes; ++i) y[j + i] = alpha * acc[j + i];
    }
    for (; j < n; ++j) y[j] = alpha * acc[j];
  } else {
    for (; j + kLanes <= n; j += kLanes) {
      for (int i = 0; i < kLanes; ++i) y[j + i] = alpha * acc[j + i] + beta * y[j + i];
    }
    for (; j < n; ++j) y[j] = alpha * acc[j] + beta * y[j];
  }
}

// acc[0..n) += x0 r0 + x1 r1 + x2 r2 + x3 r3
void axpy4_f32(Index n, float x0, const float* __restrict r0, float x1, const float* __restrict r1, float x2,
               const float* __restrict r2, float x3, const float* __restrict r3, float* __restrict acc) {
  Index j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int i = 0; i < kLanes; ++i) {
      acc[j + i] += x0 * r0[j + i] + x1 * r1[j + i] + x2 * r2[j + i] + x3 * r3[j + i];
    }
  }
  for (; j < n; ++j) acc[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
}

void axpy1_f32(Index n, float x0, const float* __restrict r0, float* __restrict acc) {
  Index j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int i = 0; i < kLanes; ++i) acc[j + i] += x0 * r0[j + i];
  }
  for (; j < n; ++j) acc[j] += x0 * r0[j];
}

// y[N] = alpha * x[K] B[K,N] + beta y: accumulate whole rows of B (contiguous), four at a time.
void gemv_rows_f32(Index N, Index K, float alpha, const float* x, Index incx, const float* B, Index ldb,
                   float beta, float* y) {
  alignas(64) float acc[kColumnBlock];
  for (Index n0 = 0; n0 < N; n0 += kColumnBlock) {
    const Index nb = N - n0 < kColumnBlock ? N - n0 : kColumnBlock;
    for (Index j = 0; j < nb; ++j) acc[j] = 0.0f;
    Index k = 0;
    for (; k + 4 <= K; k += 4) {
      const float* r = B + k * ldb + n0;
      axpy4_f32(nb, x[k * incx], r, x[(k + 1) * incx], r + ldb, x[(k + 2) * incx], r + 2 * ldb,
                x[(k + 3) * incx], r + 3 * ldb, acc);
    }
    for (; k < K; ++k) axpy1_f32(nb, x[k * incx], B + k * ldb + n0, acc);
    store_f32(nb, alpha, acc, beta, y + n0);
  }
}

#if SOFIE_GEMV_AVX2

alignas(32) constexpr int32_t kMaskTable[24] = {0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1,
                                                 0, 0, 0, 0, 0, 0, 0, 0};
// Lanes [0, r) set, 0 <= r <= 8.
inline __m256i first_lanes_mask(Index r) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 16 - r));
}
// Lanes [8 - r, 8) set, 0 <= r <= 8.
inline __m256i last_lanes_mask(Index r) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + r));
}

// Horizontal sums by a transposing tree of in-lane shuffles and adds (cheaper than vhaddps, which is
// three micro-ops on current AMD and Intel cores).
//   pair_sums(a, b)   = a0+a2 b0+b2 a1+a3 b1+b3 | the same for lanes 4-7
//   quad_sums(ab, cd) = (a0+a2)+(a1+a3) b.. c.. d.. | the same for lanes 4-7, from two pair_sums
//   halves(q0, q1)    = lane i: low-half sum + high-half sum of vector i % 4 of q0 (i < 4) or q1 (i >= 4)
inline __m256 pair_sums(__m256 a, __m256 b) {
  return _mm256_add_ps(_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b));
}
inline __m256 quad_sums(__m256 ab, __m256 cd) {
  return _mm256_add_ps(_mm256_shuffle_ps(ab, cd, 0x44), _mm256_shuffle_ps(ab, cd, 0xEE));
}
inline __m256 halves(__m256 q0, __m256 q1) {
  return _mm256_add_ps(_mm256_permute2f128_ps(q0, q1, 0x20), _mm256_permute2f128_ps(q0, q1, 0x31));
}
// Lane i of the result is the sum of the lanes of v[i].
inline __m256 reduce8(const __m256 (&v)[8]) {
  return halves(quad_sums(pair_sums(v[0], v[1]), pair_sums(v[2], v[3])),
                quad_sums(pair_sums(v[4], v[5]), pair_sums(v[6], v[7])));
}

// y[0..count) = alpha * sums + beta * y (y write-only when beta == 0); count < 8 only with kPartial, and
// then y[count..8) is neither read nor written.
// The partial case goes through memory rather than a masked store (vmaskmovps stores are slow on AMD),
// with the same roundings: y = fma(beta, y, alpha * sum).
template <bool kPartial>
__attribute__((always_inline)) inline void store_sums(__m256 sums, float alpha, float beta, float* y, Index count) {
  const __m256 s = _mm256_mul_ps(_mm256_set1_ps(alpha), sums);
  if (!kPartial) {
    _mm256_storeu_ps(y, beta == 0.0f ? s : _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(y), s));
  } else {
    alignas(32) float t[8];
    _mm256_store_ps(t, s);
    for (Index r = 0; r < count; ++r) y[r] = beta == 0.0f ? t[r] : __builtin_fmaf(beta, y[r], t[r]);
  }
}

// The last K % 8 elements of each row, as one more 8-lane step after the K / 8 full ones: set up once per
// call. With K >= 8 the step is the window [K - 8, K), which overlaps the last full step and lies inside
// the row; the lanes that belong to the full steps are cleared in x and, by a bitwise AND, in B (so that
// an Inf in B is not multiplied by 0). With K < 8 the step is [0, 8) masked to the first K lanes.
// Held by value in the block functors below: a reference would be reloaded after every store to y.
struct KTail {
  Index start;    // first element of the step's window
  __m256 mask;    // the lanes of the window that belong to the tail (all bits set), others 0
  __m256 x;       // x over the window, zeros outside the mask
};

inline KTail make_tail(Index K, const float* x) {
  KTail t;
  const Index n = K % 8;
  if (K >= 8) {
    t.start = K - 8;
    t.mask = _mm256_castsi256_ps(last_lanes_mask(n));
    t.x = _mm256_and_ps(_mm256_loadu_ps(x + t.start), t.mask);
  } else {
    t.start = 0;
    t.mask = _mm256_castsi256_ps(first_lanes_mask(n));
    t.x = _mm256_maskload_ps(x, _mm256_castps_si256(t.mask));
  }
  return t;
}

// The tail step's window of a row, zeros outside the mask, K >= 8: an ordinary load and an AND.
__attribute__((always_inline)) inline __m256 load_tail(const float* row, const KTail& t) {
  return _mm256_and_ps(_mm256_loadu_ps(row + t.start), t.mask);
}

// The same for K < 8, where the window [0, 8) extends past the row. With `plain` (the caller has checked
// that the 8 floats lie inside B's span; whatever follows the row, even NaN, is cleared) an ordinary load
// and an AND, else a masked load, which reads nothing past the row.
__attribute__((always_inline)) inline __m256 load_short_row(const float* row, const KTail& t, bool plain) {
  return plain ? _mm256_and_ps(_mm256_loadu_ps(row), t.mask) : _mm256_maskload_ps(row, _mm256_castps_si256(t.mask));
}

// Blocks are eight rows of B. For K < 32 the last block of a call may have fewer real rows (kPartial,
// count < 8): its missing rows repeat its last row (cheap for short rows), and only `count` results are
// stored.
template <bool kPartial>
__attribute__((always_inline)) inline const float* row_ptr(const float* b, Index ldb, int r, Index count) {
  return b + (kPartial && r >= count ? count - 1 : r) * ldb;
}

// Dot products of x with R rows of B (R = 8, or 4, 2, 1 for the last rows of a call), K >= 32. Each load
// of x serves R rows, and U = 8 / R accumulators per row (each takes every U-th step of 8) keep eight
// independent FMA chains in flight, which covers the FMA latency. Always inlined, so R and U are constants
// and the arrays of vectors live in registers.
template <int R, bool kTail>
__attribute__((always_inline)) inline void dots_long(Index K, const float* __restrict x, const KTail& tail,
                                                     const float* __restrict b, Index ldb, float alpha, float beta,
                                                     float* __restrict y) {
  constexpr int U = 8 / R;
  __m256 acc[U][R];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[u][r] = _mm256_setzero_ps();
  }
  Index k = 0;
  for (; k + 8 * U <= K; k += 8 * U) {
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      const __m256 xv = _mm256_loadu_ps(x + k + 8 * u);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        acc[u][r] = _mm256_fmadd_ps(_mm256_loadu_ps(b + r * ldb + k + 8 * u), xv, acc[u][r]);
      }
    }
  }
  if (U > 1) {
    for (; k + 8 <= K; k += 8) {
      const __m256 xv = _mm256_loadu_ps(x + k);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[0][r] = _mm256_fmadd_ps(_mm256_loadu_ps(b + r * ldb + k), xv, acc[0][r]);
    }
  }
  if (kTail) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[0][r] = _mm256_fmadd_ps(load_tail(b + r * ldb, tail), tail.x, acc[0][r]);
  }
  // Fold the U accumulators of each row pairwise, then reduce (missing rows as zeros).
#pragma GCC unroll 8
  for (int w = U / 2; w >= 1; w /= 2) {
#pragma GCC unroll 8
    for (int u = 0; u < w; ++u) {
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[u][r] = _mm256_add_ps(acc[u][r], acc[u + w][r]);
    }
  }
  __m256 v[8];
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r) v[r] = r < R ? acc[0][r] : _mm256_setzero_ps();
  store_sums<R < 8>(reduce8(v), alpha, beta, y, R);
}

// Dot products of x with 8 rows of B, 8 <= K < 32: S = K / 8 full steps (a compile-time 1..3) with x
// already in registers (xs), then the tail. Straight-line code; full blocks walk the rows with one pointer
// (row offsets r * ldb would each need a register).
template <bool kPartial, bool kTail, int S>
__attribute__((always_inline)) inline void dots_short(const __m256 (&xs)[S], const KTail& tail,
                                                      const float* __restrict b, Index ldb, Index count, float alpha,
                                                      float beta, float* __restrict y) {
  __m256 acc[8];
  const float* row = b;
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r, row += ldb) {
    if (kPartial) row = row_ptr<kPartial>(b, ldb, r, count);
    acc[r] = _mm256_mul_ps(_mm256_loadu_ps(row), xs[0]);
#pragma GCC unroll 4
    for (int s = 1; s < S; ++s) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(row + 8 * s), xs[s], acc[r]);
    if (kTail) acc[r] = _mm256_fmadd_ps(load_tail(row, tail), tail.x, acc[r]);
  }
  store_sums<kPartial>(reduce8(acc), alpha, beta, y, count);
}

// Dot products of x with 8 rows of B, 1 <= K < 8: one partial vector per row. The products go straight
// into the first stage of the reduction: rows are interleaved pairwise and multiplied by x interleaved
// the same way (x_lo = x0 x0 x1 x1 | x4 x4 x5 x5, x_hi = x2 x2 x3 x3 | x6 x6 x7 x7), which saves the
// separate multiplications.
template <bool kPartial>
__attribute__((always_inline)) inline void dots_tiny(const KTail& tail, __m256 x_lo, __m256 x_hi,
                                                     const float* __restrict b, Index ldb, Index count, bool plain,
                                                     float alpha, float beta, float* __restrict y) {
  __m256 v[8];
  const float* row = b;
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r, row += ldb) {
    if (kPartial) row = row_ptr<kPartial>(b, ldb, r, count);
    v[r] = load_short_row(row, tail, plain);
  }
  __m256 p[4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    p[i] = _mm256_fmadd_ps(_mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]), x_hi,
                           _mm256_mul_ps(_mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]), x_lo));
  }
  store_sums<kPartial>(halves(quad_sums(p[0], p[1]), quad_sums(p[2], p[3])), alpha, beta, y, count);
}

// Runs block.template run<kPartial>(b, y, count, plain) over rows [0, N) in blocks of eight, the last one
// possibly partial. `plain` (used for K < 8) says that every row of the block may be read with an
// ordinary 8-float load: the last of those loads, (n + 7) * ldb + [0, 8), ends inside B's span, which
// ends at (N - 1) * ldb + K.
template <typename Block>
__attribute__((always_inline)) inline void for_row_blocks(Index N, Index K, const float* B, Index ldb, float* y,
                                                          const Block& block) {
  const Index overhang = 8 - K;  // floats an 8-float load reads past the end of a row with K < 8
  Index n = 0;
  for (; n + 8 <= N; n += 8) block.template run<false>(B + n * ldb, y + n, 8, (N - n - 8) * ldb >= overhang);
  if (n < N) block.template run<true>(B + n * ldb, y + n, N - n, false);
}

// Short rows of a large B: each block of eight rows reads eight short runs, interleaved, and the hardware
// prefetchers do not keep up; the block kPrefetchBlocks ahead is then prefetched by hand. Measured on this
// project's AMD machine with B[40500, 150] (the VAE decoder's last layer, 24 MB): the decoder at batch 1
// (`sofie bench ... --tier interp`) 1.5-1.7 -> 0.57-0.68 ms.
// Rows of 1 KB or longer are streamed well by the hardware (prefetching them measured slower), and a B in
// the caches loses a few percent to the extra instructions.
constexpr Index kPrefetchMaxRowBytes = 1024;
constexpr Index kPrefetchMinBytes = Index{12} << 20;
constexpr Index kPrefetchBlocks = 2;

template <bool kTail>
struct LongBlock {
  Index K;
  const float* x;
  KTail tail;
  Index ldb;
  float alpha, beta;
  const float* prefetch_end;  // null: no prefetching; else the end of B's span
  template <bool kPartial>
  __attribute__((always_inline)) void run(const float* b, float* y, Index count, bool) const {
    if (!kPartial) {
      if (prefetch_end != nullptr) {
        const char* ahead = reinterpret_cast<const char*>(b + kPrefetchBlocks * 8 * ldb);
        const char* end = reinterpret_cast<const char*>(prefetch_end);
        const Index bytes = 8 * ldb * static_cast<Index>(sizeof(float));
        for (Index off = 0; off < bytes && ahead + off < end; off += 64) _mm_prefetch(ahead + off, _MM_HINT_T0);
      }
      dots_long<8, kTail>(K, x, tail, b, ldb, alpha, beta, y);
      return;
    }
    // The last 1-7 rows: blocks of 4, 2, 1 rows with 2, 4, 8 accumulators per row.
    Index r = 0;
    if (count - r >= 4) {
      dots_long<4, kTail>(K, x, tail, b + r * ldb, ldb, alpha, beta, y + r);
      r += 4;
    }
    if (count - r >= 2) {
      dots_long<2, kTail>(K, x, tail, b + r * ldb, ldb, alpha, beta, y + r);
      r += 2;
    }
    if (count - r >= 1) dots_long<1, kTail>(K, x, tail, b + r * ldb, ldb, alpha, beta, y + r);
  }
};

template <bool kTail, int S>
struct ShortBlock {
  __m256 xs[S];
  KTail tail;
  Index ldb;
  float alpha, beta;
  template <bool kPartial>
  __attribute__((always_inline)) void run(const float* b, float* y, Index count, bool) const {
    dots_short<kPartial, kTail, S>(xs, tail, b, ldb, count, alpha, beta, y);
  }
};

struct TinyBlock {
  KTail tail;
  __m256 x_lo, x_hi;
  Index ldb;
  float alpha, beta;
  template <bool kPartial>
  __attribute__((always_inline)) void run(const float* b, float* y, Index count, bool plain) const {
    dots_tiny<kPartial>(tail, x_lo, x_hi, b, ldb, count, plain, alpha, beta, y);
  }
};

__attribute__((noinline)) void gemv_dots_tiny(Index N, Index K, const float* x, const float* B, Index ldb,
                                              float alpha, float beta, float* y) {
  const KTail tail = make_tail(K, x);
  const TinyBlock block{tail, _mm256_unpacklo_ps(tail.x, tail.x), _mm256_unpackhi_ps(tail.x, tail.x), ldb, alpha,
                        beta};
  for_row_blocks(N, K, B, ldb, y, block);
}

template <bool kTail, int S>
__attribute__((noinline)) void gemv_dots_short(Index N, Index K, const float* x, const float* B, Index ldb,
                                               float alpha, float beta, float* y) {
  ShortBlock<kTail, S> block{{}, make_tail(K, x), ldb, alpha, beta};
#pragma GCC unroll 4
  for (int s = 0; s < S; ++s) block.xs[s] = _mm256_loadu_ps(x + 8 * s);
  for_row_blocks(N, K, B, ldb, y, block);
}

template <bool kTail>
__attribute__((noinline)) void gemv_dots_long(Index N, Index K, const float* x, const float* B, Index ldb,
                                              float alpha, float beta, float* y) {
  const Index row_bytes = ldb * static_cast<Index>(sizeof(float));
  const bool prefetch = row_bytes <= kPrefetchMaxRowBytes && N * row_bytes >= kPrefetchMinBytes;
  const float* end = prefetch ? B + (N - 1) * ldb + K : nullptr;
  for_row_blocks(N, K, B, ldb, y, LongBlock<kTail>{K, x, make_tail(K, x), ldb, alpha, beta, end});
}

// y[N] = alpha * x[K] B[N,K]^T + beta y, x contiguous.
void gemv_dots_contiguous(Index N, Index K, float alpha, const float* x, const float* B, Index ldb, float beta,
                          float* y) {
  if (K <= 0) {  // neither x nor B is read
    for (Index n = 0; n < N; ++n) y[n] = beta == 0.0f ? 0.0f : beta * y[n];
    return;
  }
  const bool tail = K % 8 != 0;
  switch (K / 8) {
    case 0:
      return gemv_dots_tiny(N, K, x, B, ldb, alpha, beta, y);
    case 1:
      return tail ? gemv_dots_short<true, 1>(N, K, x, B, ldb, alpha, beta, y)
                  : gemv_dots_short<false, 1>(N, K, x, B, ldb, alpha, beta, y);
    case 2:
      return tail ? gemv_dots_short<true, 2>(N, K, x, B, ldb, alpha, beta, y)
                  : gemv_dots_short<false, 2>(N, K, x, B, ldb, alpha, beta, y);
    case 3:
      return tail ? gemv_dots_short<true, 3>(N, K, x, B, ldb, alpha, beta, y)
                  : gemv_dots_short<false, 3>(N, K, x, B, ldb, alpha, beta, y);
    default:
      return tail ? gemv_dots_long<true>(N, K, x, B, ldb, alpha, beta, y)
                  : gemv_dots_long<false>(N, K, x, B, ldb, alpha, beta, y);
  }
}

#else  // portable version

// Dot products of contiguous x with kRows consecutive rows of B[N,K].
template <int kRows>
void dot_rows_f32(Index K, const float* __restrict x, const float* __restrict B, Index ldb, float* out) {
  float acc[kRows][kLanes] = {};
  Index k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    for (int r = 0; r < kRows; ++r) {
      for (int i = 0; i < kLanes; ++i) acc[r][i] += x[k + i] * B[r * ldb + k + i];
    }
  }
  for (int r = 0; r < kRows; ++r) {
    float s = 0.0f;
    for (int i = 0; i < kLanes; ++i) s += acc[r][i];
    for (Index kk = k; kk < K; ++kk) s += x[kk] * B[r * ldb + kk];
    out[r] = s;
  }
}

void gemv_dots_contiguous(Index N, Index K, float alpha, const float* x, const float* B, Index ldb, float beta,
                          float* y) {
  float dots[4];
  Index n = 0;
  for (; n + 4 <= N; n += 4) {
    dot_rows_f32<4>(K, x, B + n * ldb, ldb, dots);
    store_f32(4, alpha, dots, beta, y + n);
  }
  for (; n < N; ++n) {
    dot_rows_f32<1>(K, x, B + n * ldb, ldb, dots);
    store_f32(1, alpha, dots, beta, y + n);
  }
}

#endif  // SOFIE_GEMV_AVX2

// y[N] = alpha * x[K] B[N,K]^T + beta y: one dot product per row of B.
void gemv_dots_f32(Index N, Index K, float alpha, const float* x, Index incx, const float* B, Index ldb,
                   float beta, float* y) {
  if (incx == 1) {
    gemv_dots_contiguous(N, K, alpha, x, B, ldb, beta, y);
    return;
  }
  if (K <= 0) {
    gemv_dots_contiguous(N, 0, alpha, x, B, ldb, beta, y);
    return;
  }
  // Strided x (a column of a transposed A): gathered into a contiguous block, kXChunk elements of K at a
  // time; the blocks after the first accumulate into y.
  alignas(64) float xc[kXChunk];
  for (Index k0 = 0; k0 < K; k0 += kXChunk) {
    const Index kb = K - k0 < kXChunk ? K - k0 : kXChunk;
    for (Index k = 0; k < kb; ++k) xc[k] = x[(k0 + k) * incx];
    gemv_dots_contiguous(N, kb, alpha, xc, B + k0, ldb, k0 == 0 ? beta : 1.0f, y);
  }
}

}  // namespace

extern "C" void sofie_gemv_f32(int trans_b, sofie_dim_t N, sofie_dim_t K, float alpha, const float* x,
                               sofie_dim_t incx, const float* B, sofie_dim_t ldb, float beta, float* y) {
  if (N <= 0) return;
  if (trans_b) {
    gemv_dots_f32(N, K, alpha, x, incx, B, ldb, beta, y);
  } else {
    gemv_rows_f32(N, K, alpha, x, incx, B, ldb, beta, y);
  }
}
