// GEMM through BLIS's typed expert API (serial build: runs on the caller's thread), with BLIS's
// sub-configuration chosen per call, and the shapes where it pays routed to the hand-written GEMV.
//
// BLIS 0.9 registers a context (block sizes + kernels) for every sub-configuration of its x86_64 family at
// initialisation, and bli_sgemm_ex takes the context to use as an argument. So one process can use several:
//   default  the one selected at start-up from BLIS_ARCH_TYPE (skx on CPUs with AVX-512; see below).
//            skx has no "sup" (small/unpacked) kernels: it packs A and B for every call, which is right for
//            large products and 5-20x too slow for a few rows (M = 2..32: 2-25 GFLOP/s). Its packing uses
//            BLIS's reference (C) kernels.
//   small    haswell's context (AVX2 + FMA kernels, available on every CPU that has AVX-512), whose sup
//            kernels handle any product with a dimension below 201 without packing: 40-100 GFLOP/s for
//            M = 2..64 here.
//   packed   haswell's context again, with sup disabled through a rntm_t: its packed gemm (6x16 kernel,
//            assembly packing kernels). Only on AMD CPUs, whose AVX-512 runs at AVX2's FLOP rate (Zen 4,
//            Zen 5: a 512-bit FMA costs two 256-bit ones), so skx's wider kernel gains nothing there; for
//            B stored [N,K] it is 1.3-2.2x faster than skx and sup once M passes 8-32.
// Each is used where measured faster (tools/bench/bench_kernels --contexts, --model-shapes, --shape; the
// zen, zen2 and zen3 contexts measured within noise of haswell's, sup or packed).
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
  cntx_t* small = nullptr;   // haswell's context, or nullptr: use the default everywhere
  cntx_t* packed = nullptr;  // haswell's context on AMD CPUs (run with sup disabled), or nullptr
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
    // AMD's AVX-512 (Zen 4, and Zen 5 as measured in a VM) issues a 512-bit FMA as two 256-bit halves: skx's
    // wider kernel gains nothing there and its reference packing costs. Elsewhere (Intel) skx is unmeasured
    // against it, so the default stays.
    if (__builtin_cpu_is("amd")) ctx.packed = ctx.small;
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
  kBlisPacked,    // BLIS, haswell's context with sup disabled: its packed path (asm packing kernels)
  kBlisDefault,   // BLIS, the default context
};

// Measured single-threaded with tools/bench/bench_kernels --contexts / --model-shapes / --shape, first on
// Zen 4 (skx as the large-product context), then on Zen 5 (haswell packed as the large-product context).
// Figures are Zen 5, us per call.
Route choose_route(bool trans_b, Index M, Index N, Index K, Index ldb, const BlisContexts& ctx) {
  if (M == 1) return Route::kGemvRows;
  if (ctx.small == nullptr) return M <= 8 ? Route::kGemvRows : Route::kBlisDefault;
  if (trans_b) {
    // B stored [N,K] (PyTorch Linear): the GEMV's dot-product kernel beats sup while the rows are short
    // (K <= 128) and there are few of them.
    if (K <= 128 && (M <= 4 || (M <= 16 && N <= 128))) return Route::kGemvRows;
    // Sup runs this layout with dot-product ("rd") kernels, flat at 35-48 GFLOP/s; haswell's packed path
    // reaches 60-95 once M passes 8 (K >= 1024) or 32 (K <= 256): 64x1024x1024 1680 vs sup 3630, skx 3570;
    // 64x4096x4096 34.7 ms vs sup 50.3, skx 62.7. skx packs B from this layout element by element
    // (bli_sscal2v_skx_ref, about half its time), hence its place last.
    if (M <= 8 || (M <= 32 && K <= 256)) return Route::kBlisSmall;
    if (ctx.packed != nullptr) return Route::kBlisPacked;
    return M <= 64 ? Route::kBlisSmall : Route::kBlisDefault;  // Zen 4's choice without the packed route
  }
  // B stored [K,N]. Sup streams panels of B with stride ldb; when the rows of B are a multiple of 4 KiB
  // apart, those reads alias in the L1 cache and sup drops to 10-30 GFLOP/s (N = 1024, 2048 measured;
  // N = 1000 or 1280 run at full speed). There the GEMV (few rows, B in the caches) or skx do better,
  // except when B is large: the GEMV then reads B from memory once per row (8x4096x4096: GEMV rows 65 ms,
  // sup 17.8, skx 22.9) and haswell's packed path leads from M = 8 on (64x4096x4096: 34.4 ms vs skx 49.4;
  // 64x2048x2048: 7.7 vs 9.3; with B 1024x1024 skx leads up to M = 48 and they tie above).
  if (ldb % 1024 == 0) {
    const bool big_b = N * K > 1024 * 1024;
    if (M <= 8) return big_b ? Route::kBlisSmall : Route::kGemvRows;
    return big_b && ctx.packed != nullptr ? Route::kBlisPacked : Route::kBlisDefault;
  }
  if ((M <= 2 && N * K <= 256 * 256) || (M <= 8 && K <= 16)) return Route::kGemvRows;
  if (M <= 32 || (N <= 128 && M <= 256)) return Route::kBlisSmall;
  // Larger products: haswell's packed path 3-30% ahead of skx (64x40500x150 11.9 ms vs 14.9; 8000x64x200
  // 2.64 vs 2.85; 64x3000x3000 16.2 vs 21.4), within noise at N = K = 256.
  return ctx.packed != nullptr ? Route::kBlisPacked : Route::kBlisDefault;
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
  const Route route = choose_route(trans_b != 0, M, N, K, ldb, ctx);
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
  cntx_t* cntx = nullptr;
  rntm_t rntm;
  rntm_t* rntm_p = nullptr;
  if (route == Route::kBlisSmall) {
    cntx = ctx.small;
  } else if (route == Route::kBlisPacked) {
    cntx = ctx.packed;
    bli_rntm_init(&rntm);
    bli_rntm_disable_l3_sup(&rntm);
    rntm_p = &rntm;
  }
  bli_sgemm_ex(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, M, N, K,
               &alpha_v, const_cast<float*>(A), lda, 1, const_cast<float*>(B), ldb, 1, &beta_v, C, ldc, 1, cntx,
               rntm_p);
}
