/* sofie's kernel ABI: the plain C functions that both the interpreter (ops/) and JIT-generated code call.
 *
 * Rules of the ABI:
 *   - C linkage, raw pointers and sizes, no structs, no allocation by the caller's contract (the kernels
 *     themselves allocate nothing either, except BLIS's own packing buffers, which BLIS pools).
 *   - Matrices are row-major with an explicit leading dimension (elements between consecutive rows).
 *   - Sizes are signed 64-bit (sofie_dim_t); zero sizes are valid and do nothing (beyond scaling by beta).
 *   - This header includes nothing, so generated code compiled with -nostdsysteminc can include it.
 *   - Any change to a signature or to the meaning of an argument bumps SOFIE_KERNEL_ABI_VERSION (the
 *     version is part of the JIT cache key).
 *
 * Thread safety: every function may be called from any number of threads at once. The first GEMM call
 * selects BLIS's sub-configuration (see sofie_gemm_backend_f32) and is internally synchronised.
 */
#ifndef SOFIE_OPS_KERNELS_SOFIE_KERNELS_H_
#define SOFIE_OPS_KERNELS_SOFIE_KERNELS_H_

#define SOFIE_KERNEL_ABI_VERSION 1

#if defined(__INT64_TYPE__)
typedef __INT64_TYPE__ sofie_dim_t;
#else
#include <stdint.h>
typedef int64_t sofie_dim_t;
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The SOFIE_KERNEL_ABI_VERSION the library was built with; a JIT checks it against the header it used. */
int sofie_kernel_abi_version(void);

/* C[M,N] = alpha * op(A) * op(B) + beta * C, all float32, row-major.
 *   op(A) is M x K: A is stored [M,K] (trans_a == 0) or [K,M] (trans_a != 0), rows lda apart.
 *   op(B) is K x N: B is stored [K,N] (trans_b == 0) or [N,K] (trans_b != 0), rows ldb apart.
 *   C is [M,N], rows ldc apart. With beta == 0, C is write-only (NaNs in it do not propagate).
 * M == 1 and N == 1 (with ldc == 1) go to sofie_gemv_f32, as do other shapes with a few rows where it is
 * measured faster; the rest to BLIS (serial), with its sub-configuration chosen per call: on CPUs with
 * AVX-512 the skx context for large products and haswell's (whose "sup" kernels need no packing) for
 * small M (see gemm_f32.cc). */
void sofie_gemm_f32(int trans_a, int trans_b, sofie_dim_t M, sofie_dim_t N, sofie_dim_t K, float alpha,
                    const float* A, sofie_dim_t lda, const float* B, sofie_dim_t ldb, float beta, float* C,
                    sofie_dim_t ldc);

/* y[N] = alpha * x[K] * op(B) + beta * y: a row vector times a matrix, float32.
 *   x has K elements, incx apart (incx >= 1).
 *   op(B) is K x N: B is stored [K,N] (trans_b == 0) or [N,K] (trans_b != 0), rows ldb apart.
 *   y has N contiguous elements. With beta == 0, y is write-only.
 * Hand-written and vectorised: for single-row inference this is several times faster than sgemm. */
void sofie_gemv_f32(int trans_b, sofie_dim_t N, sofie_dim_t K, float alpha, const float* x, sofie_dim_t incx,
                    const float* B, sofie_dim_t ldb, float beta, float* y);

/* Name of the BLIS sub-configuration GEMM uses for large products ("haswell" on AMD CPUs, else BLIS's
 * default: "skx", "haswell", ...); selects it on first use. "generic" means BLIS did not recognise the CPU
 * and GEMM is several times slower than it should be. */
const char* sofie_gemm_backend_f32(void);

/* Elementwise float32 maths, y[i] = f(x[i]); x == y (in place) is allowed.
 * exp: branch-free range reduction + polynomial, relative error below 2e-7 on [-87, 88]; inputs are
 * clamped to about [-87.3, 88.3] (so no inf, and no denormals), NaN propagates.
 * sigmoid and tanh: built on the same exp, relative error below 1e-6. */
void sofie_exp_f32(const float* x, float* y, sofie_dim_t n);
void sofie_sigmoid_f32(const float* x, float* y, sofie_dim_t n);
void sofie_tanh_f32(const float* x, float* y, sofie_dim_t n);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* SOFIE_OPS_KERNELS_SOFIE_KERNELS_H_ */
