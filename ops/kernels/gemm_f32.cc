// GEMM through BLIS's typed API (serial build: runs on the caller's thread), with single-row shapes routed
// to the hand-written GEMV, and BLIS's sub-configuration chosen once per process.
#include <cstdlib>

#include "blis.h"
#include "ops/kernels/sofie_kernels.h"

namespace {

// BLIS 0.9 does not recognise recent CPUs (AMD Zen 5) and falls back to its slow `generic`
// sub-configuration. BLIS reads BLIS_ARCH_TYPE (a number: an arch_t value) once, at its initialisation,
// so it has to be in the environment before BLIS's first call. A value the user set wins.
void select_blis_arch() {
  if (std::getenv("BLIS_ARCH_TYPE") == nullptr) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
      setenv("BLIS_ARCH_TYPE", "0", 0);  // BLIS_ARCH_SKX
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      setenv("BLIS_ARCH_TYPE", "3", 0);  // BLIS_ARCH_HASWELL
    }
  }
  bli_init();
}

void ensure_blis_ready() {
  // Function-local static: initialised exactly once, other threads wait (C++11 magic statics).
  static const bool ready = (select_blis_arch(), true);
  (void)ready;
}

// Up to this many rows, GEMM runs as one GEMV per row. Measured on Zen 5 with the skx sub-configuration:
// sgemm at M = 2..8 reaches only 2-18 GFLOP/s (it packs B for a handful of rows), the GEMV 25-40.
constexpr sofie_dim_t kMaxRowsAsGemv = 8;

}  // namespace

extern "C" int sofie_kernel_abi_version(void) { return SOFIE_KERNEL_ABI_VERSION; }

extern "C" const char* sofie_gemm_backend_f32(void) {
  ensure_blis_ready();
  return bli_arch_string(bli_arch_query_id());
}

extern "C" void sofie_gemm_f32(int trans_a, int trans_b, sofie_dim_t M, sofie_dim_t N, sofie_dim_t K,
                               float alpha, const float* A, sofie_dim_t lda, const float* B, sofie_dim_t ldb,
                               float beta, float* C, sofie_dim_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (M <= kMaxRowsAsGemv) {
    // Row m of C = (row m of op(A)) op(B); that row is a column of A when A is transposed.
    for (sofie_dim_t m = 0; m < M; ++m) {
      const float* x = trans_a ? A + m : A + m * lda;
      sofie_gemv_f32(trans_b, N, K, alpha, x, trans_a ? lda : 1, B, ldb, beta, C + m * ldc);
    }
    return;
  }
  if (N == 1 && ldc == 1) {
    // C[M,1]^T = op(B)^T[1,K] op(A)^T: the same GEMV with the operands' roles swapped.
    sofie_gemv_f32(!trans_a, M, K, alpha, B, trans_b ? 1 : ldb, A, lda, beta, C);
    return;
  }
  if (K <= 0) {
    // BLIS handles k == 0 too, but scaling here keeps the beta == 0 contract obvious.
    for (sofie_dim_t m = 0; m < M; ++m) {
      float* c = C + m * ldc;
      for (sofie_dim_t n = 0; n < N; ++n) c[n] = beta == 0.0f ? 0.0f : beta * c[n];
    }
    return;
  }
  ensure_blis_ready();
  // Row-major storage = (row stride ld, column stride 1) in BLIS's general-stride API; a transposed
  // operand is described by its stored shape plus BLIS_TRANSPOSE.
  float alpha_v = alpha;
  float beta_v = beta;
  bli_sgemm(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, M, N, K,
            &alpha_v, const_cast<float*>(A), lda, 1, const_cast<float*>(B), ldb, 1, &beta_v, C, ldc, 1);
}
