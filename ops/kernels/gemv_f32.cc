// Row vector times matrix, float32, without intrinsics and without -ffast-math.
// GCC 12 at -O2 uses the "very cheap" vectoriser cost model, which only vectorises loops whose trip count
// is a known multiple of the vector width. So every hot loop here is a loop over blocks of kLanes
// elements with a fixed-size inner loop (which GCC turns into two AVX2 operations), plus a scalar tail;
// and dot products keep kLanes independent partial sums, so no float reduction has to be reassociated.
#include <cstdint>

#include "ops/kernels/sofie_kernels.h"

namespace {

using Index = sofie_dim_t;

constexpr int kLanes = 16;
// Columns accumulated per pass over the rows of B[K,N]: the accumulator block stays in L1.
constexpr Index kColumnBlock = 512;

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

// y[N] = alpha * x[K] B[N,K]^T + beta y: one dot product per row of B.
void gemv_dots_f32(Index N, Index K, float alpha, const float* x, Index incx, const float* B, Index ldb,
                   float beta, float* y) {
  float dots[4];
  Index n = 0;
  if (incx == 1) {
    for (; n + 4 <= N; n += 4) {
      dot_rows_f32<4>(K, x, B + n * ldb, ldb, dots);
      store_f32(4, alpha, dots, beta, y + n);
    }
    for (; n < N; ++n) {
      dot_rows_f32<1>(K, x, B + n * ldb, ldb, dots);
      store_f32(1, alpha, dots, beta, y + n);
    }
    return;
  }
  for (; n < N; ++n) {  // strided x: rare (a transposed A with a padded leading dimension)
    const float* b = B + n * ldb;
    float s = 0.0f;
    for (Index k = 0; k < K; ++k) s += x[k * incx] * b[k];
    store_f32(1, alpha, &s, beta, y + n);
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
