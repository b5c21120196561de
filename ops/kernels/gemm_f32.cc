// GEMM through BLIS's typed expert API (serial build: runs on the caller's thread), with BLIS's
// sub-configuration chosen per call, and the shapes where it pays routed to the hand-written GEMV.
//
// BLIS 0.9 registers a context (block sizes + kernels) for every sub-configuration of its x86_64 family at
// initialisation, and bli_sgemm_ex takes the context to use as an argument. So one process can use two:
//   default  the one selected at start-up from BLIS_ARCH_TYPE (skx on CPUs with AVX-512; see below).
//            skx has no "sup" (small/unpacked) kernels: it packs A and B for every call, which is right for
//            large products and 5-20x too slow for a few rows (M = 2..32: 2-25 GFLOP/s).
//   small    haswell's context (AVX2 + FMA kernels, available on every CPU that has AVX-512), whose sup
//            kernels handle any product with a dimension below 201 without packing: 40-100 GFLOP/s for
//            M = 2..64 here. Used where measured faster (tools/bench/bench_kernels --contexts).
// bli_gks_lookup_id() has hidden visibility: it is not exported by libblis.so, and a reference to it only
// links when the static archive (what //third_party:blis links) is part of the same link as this file.
// The reference is weak, so a link where it cannot resolve (a shared BLIS, or this library in a shared
// object of its own) still loads, and then every call uses the default context: slower, never wrong.
#include <cstdlib>

#include "blis.h"
#include "ops/kernels/sofie_kernels.h"

#pragma weak bli_gks_lookup_id

namespace {

using Index = sofie_dim_t;

struct BlisContexts {
  cntx_t* small = nullptr;  // haswell's context, or nullptr: use the default everywhere
};

// BLIS 0.9 does not recognise recent CPUs (AMD Zen 4/5) and falls back to its slow `generic`
// sub-configuration. BLIS reads BLIS_ARCH_TYPE (a number: an arch_t value) once, at its initialisation,
// so it has to be in the environment before BLIS's first call. A value the user set wins, and then
// every call uses it (no per-call choice).
BlisContexts init_blis() {
  BlisContexts ctx;
  bool user_choice = std::getenv("BLIS_ARCH_TYPE") != nullptr;
  bool avx2 = false;
  if (!user_choice) {
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (__builtin_cpu_supports("avx512f")) {
      setenv("BLIS_ARCH_TYPE", "0", 0);  // BLIS_ARCH_SKX
    } else if (avx2) {
      setenv("BLIS_ARCH_TYPE", "3", 0);  // BLIS_ARCH_HASWELL
    }
  }
  bli_init();
  if (!user_choice && avx2 && &bli_gks_lookup_id != nullptr) {
    cntx_t** haswell = bli_gks_lookup_id(BLIS_ARCH_HASWELL);  // null if not registered
    if (haswell != nullptr) ctx.small = haswell[BLIS_NAT];
  }
  return ctx;
}

const BlisContexts& blis() {
  // Function-local static: initialised exactly once, other threads wait (C++11 magic statics).
  static const BlisContexts contexts = init_blis();
  return contexts;
}

enum class Route {
  kGemvRows,      // one sofie_gemv_f32 per row of C
  kBlisSmall,     // BLIS, haswell's context (its sup path)
  kBlisDefault,   // BLIS, the default context
};

// Measured on Zen 4 (AVX-512, default skx), single thread; see tools/bench/bench_kernels --contexts.
Route choose_route(bool trans_b, Index M, Index N, Index K, Index ldb, bool have_small) {
  if (M == 1) return Route::kGemvRows;
  if (!have_small) return M <= 8 ? Route::kGemvRows : Route::kBlisDefault;
  if (trans_b) {
    // B stored [N,K] (PyTorch Linear): the GEMV's dot-product kernel beats sup while the rows are short
    // (K <= 128) and there are few of them; sup beats skx up to M = 64 at every N, K measured (2-10x).
    if (K <= 128 && (M <= 4 || (M <= 16 && N <= 128))) return Route::kGemvRows;
    return M <= 64 ? Route::kBlisSmall : Route::kBlisDefault;
  }
  // B stored [K,N]. Sup streams panels of B with stride ldb; when the rows of B are a multiple of 4 KiB
  // apart, those reads alias in the L1 cache and sup drops to 10-30 GFLOP/s (N = 1024, 2048 measured;
  // N = 1000 or 1280 run at full speed). There the GEMV (few rows) or skx do better.
  if (ldb % 1024 == 0) return M <= 8 ? Route::kGemvRows : Route::kBlisDefault;
  if ((M <= 2 && N * K <= 256 * 256) || (M <= 8 && K <= 16)) return Route::kGemvRows;
  return (M <= 32 || (N <= 128 && M <= 256)) ? Route::kBlisSmall : Route::kBlisDefault;
}

}  // namespace

extern "C" int sofie_kernel_abi_version(void) { return SOFIE_KERNEL_ABI_VERSION; }

extern "C" const char* sofie_gemm_backend_f32(void) {
  blis();
  return bli_arch_string(bli_arch_query_id());
}

extern "C" void sofie_gemm_f32(int trans_a, int trans_b, sofie_dim_t M, sofie_dim_t N, sofie_dim_t K,
                               float alpha, const float* A, sofie_dim_t lda, const float* B, sofie_dim_t ldb,
                               float beta, float* C, sofie_dim_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    // BLIS handles k == 0 too, but scaling here keeps the beta == 0 contract obvious.
    for (sofie_dim_t m = 0; m < M; ++m) {
      float* c = C + m * ldc;
      for (sofie_dim_t n = 0; n < N; ++n) c[n] = beta == 0.0f ? 0.0f : beta * c[n];
    }
    return;
  }
  if (N == 1 && ldc == 1 && M > 1) {
    // C[M,1]^T = op(B)^T[1,K] op(A)^T: one GEMV with the operands' roles swapped.
    sofie_gemv_f32(!trans_a, M, K, alpha, B, trans_b ? 1 : ldb, A, lda, beta, C);
    return;
  }
  const BlisContexts& ctx = blis();
  const Route route = choose_route(trans_b != 0, M, N, K, ldb, ctx.small != nullptr);
  if (route == Route::kGemvRows) {
    // Row m of C = (row m of op(A)) op(B); that row is a column of A when A is transposed.
    for (sofie_dim_t m = 0; m < M; ++m) {
      const float* x = trans_a ? A + m : A + m * lda;
      sofie_gemv_f32(trans_b, N, K, alpha, x, trans_a ? lda : 1, B, ldb, beta, C + m * ldc);
    }
    return;
  }
  // Row-major storage = (row stride ld, column stride 1) in BLIS's general-stride API; a transposed
  // operand is described by its stored shape plus BLIS_TRANSPOSE.
  float alpha_v = alpha;
  float beta_v = beta;
  bli_sgemm_ex(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, M, N, K,
               &alpha_v, const_cast<float*>(A), lda, 1, const_cast<float*>(B), ldb, 1, &beta_v, C, ldc, 1,
               route == Route::kBlisSmall ? ctx.small : nullptr, nullptr);
}
