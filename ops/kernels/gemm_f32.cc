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
//            Zen 5: a 512-bit FMA costs two 256-bit ones), so skx's wider kernel gains nothing there, and it
//            is 1.1-2.3x faster than skx on large products (most for B stored [N,K], which skx packs
//            element by element); on those CPUs it replaces skx altogether.
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

// Measured on Zen 5 (AMD EPYC in a VM), single thread, 64-byte aligned operands as sofie's tensors are:
// tools/bench/bench_kernels --contexts (the M x N x K sweep) and --model-shapes; us per call. Used when the
// packed route exists (AMD CPUs).
Route choose_route_packed(bool trans_b, Index M, Index N, Index K, Index ldb) {
  if (trans_b) {
    // B stored [N,K] (PyTorch Linear): the GEMV's dot-product kernel beats sup while the rows are short
    // (K <= 128) and there are few of them.
    if (K <= 128 && (M <= 4 || (M <= 16 && N <= 128))) return Route::kGemvRows;
    // Sup runs this layout with dot-product ("rd") kernels, flat at 40-50 GFLOP/s; haswell's packed path
    // reaches 80-95 and leads from M = 24 (K = 64, K >= 1024; with K = 256 they tie at M = 48-64):
    // 64x1024x1024 1550 vs sup 2010, skx 3500; 64x4096x4096 32.2 ms vs sup 33.8, skx 59.5; 64x40500x150
    // 12.8 vs 14.7, skx 25.5; 24x1024x64 39 vs 47.5. skx packs B from this layout element by element
    // (bli_sscal2v_skx_ref, about half its time, with alpha = 1 and beta = 0 or 1 alike).
    return (M <= 16 || (M <= 32 && K <= 256)) ? Route::kBlisSmall : Route::kBlisPacked;
  }
  // B stored [K,N]. With its rows a multiple of 4 KiB apart, sup's strided reads of B alias in the L1
  // cache from M = 48 on (192x1024x1024: sup 6160, packed 4680, skx 5190); below, sup leads (8x1024x1024
  // 280 vs GEMV rows 510, skx 515), the GEMV only at M = 2 with B in the caches. Otherwise sup leads up to
  // M = 192, or at any M when N <= 128 (64x3000x3000 12.4 ms vs packed 16.7, skx 23.4; 8000x64x260 3.8 vs
  // 4.1); above, the packed path (256x40500x150 36 ms vs sup 45, skx 41.5).
  const bool aliased = ldb % 1024 == 0;
  if ((M <= 2 && N * K <= (aliased ? 1024 * 1024 : 256 * 256)) || (M <= 8 && K <= 16)) return Route::kGemvRows;
  if (aliased) return M <= 32 ? Route::kBlisSmall : Route::kBlisPacked;
  return (M <= 192 || N <= 128) ? Route::kBlisSmall : Route::kBlisPacked;
}

// Set on Zen 4 with skx as the large-product context (before the packed route; operands then 16-byte
// aligned, which slows sup's kernels), kept for the CPUs without the packed route (Intel, where skx's
// AVX-512 kernel may have twice the FLOPs: unmeasured).
Route choose_route_default(bool trans_b, Index M, Index N, Index K, Index ldb) {
  if (trans_b) {
    if (K <= 128 && (M <= 4 || (M <= 16 && N <= 128))) return Route::kGemvRows;
    return M <= 64 ? Route::kBlisSmall : Route::kBlisDefault;
  }
  // Sup with rows of B 4 KiB apart measured 10-30 GFLOP/s on Zen 4 (N = 1024, 2048). But a B beyond the
  // caches is read from memory once per row by the GEMV (Zen 5, 8x4096x4096: GEMV rows 52 ms, sup 9.6).
  if (ldb % 1024 == 0) {
    if (M <= 8) return N * K > 1024 * 1024 ? Route::kBlisSmall : Route::kGemvRows;
    return Route::kBlisDefault;
  }
  if ((M <= 2 && N * K <= 256 * 256) || (M <= 8 && K <= 16)) return Route::kGemvRows;
  return (M <= 32 || (N <= 128 && M <= 256)) ? Route::kBlisSmall : Route::kBlisDefault;
}

// B stored [N,K] within L1 (at most 32 KB) against up to 64 rows of short K: one GEMV per row beats BLIS's
// per-call cost on any CPU (it was the recurrent ops' own rule): 64x16x16 0.76 vs 2.6 us, 64x32x8 0.9 vs 2.7,
// 64x64x64 6.5 vs 8.3, 64x128x32 6.9 vs 8.4 (tools/bench/bench_kernels --contexts --shape 1,M,N,K). A larger
// B would be re-read from L2 by every row: 64x256x64 (LSTM hidden 64, batch 64) 38 vs 25 us through BLIS.
bool gemv_rows_fit_l1(bool trans_b, Index M, Index N, Index K, Index ldb) {
  return trans_b && M <= 64 && K <= 64 && N * ldb * static_cast<Index>(sizeof(float)) <= 32 * 1024;
}

Route choose_route(bool trans_b, Index M, Index N, Index K, Index ldb, const BlisContexts& ctx) {
  if (M == 1 || gemv_rows_fit_l1(trans_b, M, N, K, ldb)) return Route::kGemvRows;
  if (ctx.small == nullptr) return M <= 8 ? Route::kGemvRows : Route::kBlisDefault;
  return ctx.packed != nullptr ? choose_route_packed(trans_b, M, N, K, ldb)
                               : choose_route_default(trans_b, M, N, K, ldb);
}

}  // namespace

extern "C" int sofie_kernel_abi_version(void) { return SOFIE_KERNEL_ABI_VERSION; }

extern "C" const char* sofie_gemm_backend_f32(void) {
  const BlisContexts& ctx = blis();
  // On AMD the packed route replaces BLIS's default context for large products.
  if (ctx.packed != nullptr) return "haswell";
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
