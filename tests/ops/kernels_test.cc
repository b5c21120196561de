// The kernel ABI checked directly: GEMM/GEMV against naive double-precision loops (this checks the
// maths, not an operator), the float32 exp/sigmoid/tanh against <cmath> in double, and BLIS's
// sub-configuration choice.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/kernels/sofie_kernels.h"

namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> out(n);
  for (float& v : out) v = dist(gen);
  return out;
}

// C = alpha op(A) op(B) + beta C in double, same storage conventions as sofie_gemm_f32.
std::vector<double> naive_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                               const std::vector<float>& A, int64_t lda, const std::vector<float>& B, int64_t ldb,
                               double beta, const std::vector<float>& C, int64_t ldc) {
  std::vector<double> out(static_cast<size_t>(M * ldc), 0.0);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double a = ta ? A[k * lda + m] : A[m * lda + k];
        const double b = tb ? B[n * ldb + k] : B[k * ldb + n];
        s += a * b;
      }
      out[m * ldc + n] = alpha * s + (beta == 0 ? 0.0 : beta * C[m * ldc + n]);
    }
  }
  return out;
}

void check_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, float beta, int64_t pad) {
  const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  const std::vector<float> A = random_floats(static_cast<size_t>((ta ? K : M) * lda + 1), 1);
  const std::vector<float> B = random_floats(static_cast<size_t>((tb ? N : K) * ldb + 1), 2);
  std::vector<float> C = random_floats(static_cast<size_t>(M * ldc + 1), 3);
  if (beta == 0.0f) {
    for (float& c : C) c = std::numeric_limits<float>::quiet_NaN();  // write-only: must not leak through
  }
  const std::vector<double> want = naive_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  sofie_gemm_f32(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  int64_t bad = 0;
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      const double w = want[m * ldc + n], g = C[m * ldc + n];
      if (!(std::fabs(g - w) <= 1e-5 * K + 1e-5 * std::fabs(w))) ++bad;
    }
  }
  INFO("transA " << ta << " transB " << tb << " M " << M << " N " << N << " K " << K << " alpha " << alpha
                 << " beta " << beta << " pad " << pad);
  CHECK(bad == 0);
}

TEST_CASE("sofie_gemm_f32 matches a double-precision loop") {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (int64_t M : {1, 2, 3, 8, 9, 33}) {
        for (int64_t N : {1, 5, 17, 64}) {
          for (int64_t K : {0, 1, 7, 16, 100}) {
            check_gemm(ta, tb, M, N, K, 1.0f, 0.0f, 0);
          }
        }
      }
      check_gemm(ta, tb, 40, 70, 300, 0.5f, 2.0f, 3);
      check_gemm(ta, tb, 1, 1030, 513, -1.5f, 1.0f, 5);
      check_gemm(ta, tb, 130, 1, 70, 1.0f, 0.25f, 0);
      check_gemm(ta, tb, 4, 9, 31, 2.0f, -1.0f, 2);
    }
  }
}

TEST_CASE("sofie_gemm_f32 with an empty output does nothing") {
  float c = 42.0f;
  sofie_gemm_f32(0, 0, 0, 5, 3, 1.0f, nullptr, 3, nullptr, 5, 0.0f, &c, 5);
  sofie_gemm_f32(0, 0, 5, 0, 3, 1.0f, nullptr, 3, nullptr, 0, 0.0f, &c, 0);
  CHECK(c == 42.0f);
}

TEST_CASE("sofie_gemv_f32 handles strided x and both layouts of B") {
  for (int trans_b : {0, 1}) {
    for (int64_t incx : {1, 3}) {
      for (int64_t N : {1, 4, 15, 16, 17, 600}) {
        for (int64_t K : {1, 5, 16, 33}) {
          const int64_t ldb = (trans_b ? K : N) + 1;
          const std::vector<float> x = random_floats(static_cast<size_t>(K * incx), 4);
          const std::vector<float> B = random_floats(static_cast<size_t>((trans_b ? N : K) * ldb), 5);
          std::vector<float> y = random_floats(static_cast<size_t>(N), 6);
          std::vector<double> want(N);
          for (int64_t n = 0; n < N; ++n) {
            double s = 0;
            for (int64_t k = 0; k < K; ++k) s += double(x[k * incx]) * (trans_b ? B[n * ldb + k] : B[k * ldb + n]);
            want[n] = 0.75 * s - 0.5 * y[n];
          }
          sofie_gemv_f32(trans_b, N, K, 0.75f, x.data(), incx, B.data(), ldb, -0.5f, y.data());
          int64_t bad = 0;
          for (int64_t n = 0; n < N; ++n) bad += !(std::fabs(y[n] - want[n]) <= 1e-5 * K + 1e-5 * std::fabs(want[n]));
          INFO("trans_b " << trans_b << " incx " << incx << " N " << N << " K " << K);
          CHECK(bad == 0);
        }
      }
    }
  }
}

// Worst relative error of f against ref over [lo, hi], skipping references below `tiny`.
template <typename F, typename R>
double worst_relative_error(F f, R ref, float lo, float hi, double tiny) {
  std::vector<float> x;
  for (double v = lo; v <= hi; v += (hi - lo) / 200003.0) x.push_back(static_cast<float>(v));
  std::vector<float> y(x.size());
  f(x.data(), y.data(), static_cast<sofie_dim_t>(x.size()));
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double r = ref(static_cast<double>(x[i]));
    if (std::fabs(r) < tiny) continue;
    worst = std::max(worst, std::fabs(y[i] - r) / std::fabs(r));
  }
  return worst;
}

TEST_CASE("float32 exp, sigmoid and tanh are within 1e-6 relative of double <cmath>") {
  CHECK(worst_relative_error(sofie_exp_f32, [](double v) { return std::exp(v); }, -87.0f, 88.0f, 0) < 1e-6);
  CHECK(worst_relative_error(sofie_exp_f32, [](double v) { return std::exp(v); }, -1.0f, 1.0f, 0) < 1e-6);
  CHECK(worst_relative_error(sofie_sigmoid_f32, [](double v) { return 1 / (1 + std::exp(-v)); }, -80.0f, 80.0f, 0) <
        1e-6);
  CHECK(worst_relative_error(sofie_tanh_f32, [](double v) { return std::tanh(v); }, -20.0f, 20.0f, 1e-30) < 1e-6);
  CHECK(worst_relative_error(sofie_tanh_f32, [](double v) { return std::tanh(v); }, -1e-3f, 1e-3f, 1e-30) < 1e-6);
}

TEST_CASE("exp, sigmoid and tanh saturate cleanly and work in place") {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {-inf, inf, -200.0f, 200.0f, std::numeric_limits<float>::quiet_NaN()};
  std::vector<float> y(x.size());
  sofie_sigmoid_f32(x.data(), y.data(), 5);
  CHECK(y[0] < 1e-37f);
  CHECK(y[1] == 1.0f);
  CHECK(std::isnan(y[4]));
  sofie_tanh_f32(x.data(), y.data(), 5);
  CHECK(y[0] == -1.0f);
  CHECK(y[1] == 1.0f);
  CHECK(y[2] == -1.0f);
  CHECK(y[3] == 1.0f);
  CHECK(std::isnan(y[4]));
  sofie_exp_f32(x.data(), y.data(), 5);
  CHECK(y[0] < 1e-37f);
  CHECK(std::isfinite(y[1]));
  CHECK(std::isnan(y[4]));
  std::vector<float> v = random_floats(100, 7), copy = v;
  sofie_tanh_f32(v.data(), v.data(), 100);
  for (size_t i = 0; i < v.size(); ++i) {
    const float want = std::tanh(copy[i]);
    CHECK(std::fabs(v[i] - want) <= 1e-6f * std::fabs(want) + 1e-7f);
  }
}

TEST_CASE("the kernel ABI version matches the header") {
  CHECK(sofie_kernel_abi_version() == SOFIE_KERNEL_ABI_VERSION);
}

TEST_CASE("BLIS runs a tuned sub-configuration, not generic") {
  const std::string backend = sofie_gemm_backend_f32();
  INFO("BLIS sub-configuration: " << backend);
  CHECK(backend != "generic");
  // A 256^3 GEMM: generic BLIS manages a few GFLOP/s here, tuned kernels tens. The bound is loose
  // (shared CI machines), it only catches the generic fallback.
  const int64_t n = 256;
  const std::vector<float> A = random_floats(n * n, 8), B = random_floats(n * n, 9);
  std::vector<float> C(n * n);
  sofie_gemm_f32(0, 0, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);  // warm-up
  double best = 1e9;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    sofie_gemm_f32(0, 0, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double gflops = 2.0 * n * n * n / best / 1e9;
  INFO("256^3 sgemm: " << gflops << " GFLOP/s");
  CHECK(gflops > 8.0);
}

}  // namespace
