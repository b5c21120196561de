// The kernel ABI checked directly: GEMM/GEMV against naive double-precision loops (this checks the
// maths, not an operator), the float32 exp/sigmoid/tanh against <cmath> in double, and BLIS's
// sub-configuration choice.
#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
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

// C = alpha op(A) op(B) + beta C checked against double precision, with the classical error bound
// (K + 2) u (|alpha| sum_k |a_mk b_kn| + |beta c|), u = 2^-24, times 4. Padding (ld > row length) holds
// NaN in A and B, as does C when beta == 0: none of it may leak into the result.
void check_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, float beta, int64_t pad,
                int64_t ldb_override = 0) {
  const int64_t a_rows = ta ? K : M, a_cols = ta ? M : K, b_rows = tb ? N : K, b_cols = tb ? K : N;
  const int64_t lda = a_cols + pad, ldb = ldb_override > 0 ? ldb_override : b_cols + pad, ldc = N + pad;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto fill = [&](int64_t rows, int64_t cols, int64_t ld, uint32_t seed) {
    std::vector<float> v = random_floats(static_cast<size_t>(std::max<int64_t>(rows * ld, 1)), seed);
    for (int64_t i = 0; i < rows * ld; ++i) {
      if (i % ld >= cols) v[i] = nan;
    }
    return v;
  };
  const std::vector<float> A = fill(a_rows, a_cols, lda, 1), B = fill(b_rows, b_cols, ldb, 2);
  std::vector<float> C = fill(M, N, ldc, 3);
  if (beta == 0.0f) std::fill(C.begin(), C.end(), nan);
  const std::vector<float> C0 = C;
  sofie_gemm_f32(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  int64_t bad = 0, touched = 0;
  double worst = 0;
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < ldc; ++n) {
      if (n >= N) {  // padding of C: untouched
        touched += !(std::isnan(C[m * ldc + n]) && std::isnan(C0[m * ldc + n])) && C[m * ldc + n] != C0[m * ldc + n];
        continue;
      }
      double s = 0, scale = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double p = double(ta ? A[k * lda + m] : A[m * lda + k]) * (tb ? B[n * ldb + k] : B[k * ldb + n]);
        s += p;
        scale += std::fabs(p);
      }
      const double c0 = beta == 0.0f ? 0.0 : double(beta) * C0[m * ldc + n];
      const double want = alpha * s + c0, err = std::fabs(C[m * ldc + n] - want);
      scale = std::fabs(alpha) * scale + std::fabs(c0);
      if (!(err <= 4.0 * (K + 2) * std::ldexp(1.0, -24) * scale)) ++bad;
      if (scale > 0) worst = std::max(worst, err / scale);
    }
  }
  INFO("transA " << ta << " transB " << tb << " M " << M << " N " << N << " K " << K << " alpha " << alpha
                 << " beta " << beta << " pad " << pad << " ldb " << ldb << " worst error / sum|terms| " << worst);
  CHECK(bad == 0);
  CHECK(touched == 0);
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

TEST_CASE("sofie_gemm_f32 on every route: GEMV rows, BLIS small-M context, BLIS packed and default contexts") {
  // The routes depend on M, N, K, the layout of B and ldb (gemm_f32.cc); these shapes cover each of them
  // for both layouts of B, with and without a transposed A, alpha != 1 and beta != 0.
  struct Shape {
    int64_t M, N, K;
  };
  const Shape shapes[] = {
      {2, 64, 64},    {4, 100, 7},   {16, 64, 100},  {16, 96, 130},  {3, 33, 200},  {7, 130, 129},
      {24, 70, 300},  {64, 40, 257}, {65, 40, 257},  {100, 50, 60},  {130, 200, 90}, {300, 64, 64},
      {2, 300, 200},  {12, 20, 16},  {6, 1, 50},     {33, 1, 9},
  };
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (const Shape& s : shapes) {
        check_gemm(ta, tb, s.M, s.N, s.K, 1.0f, 0.0f, 0);
        check_gemm(ta, tb, s.M, s.N, s.K, -0.75f, 0.5f, 3);
      }
    }
  }
  // B's rows a multiple of 4 KiB apart (ldb % 1024 == 0), which takes its own route for trans_b == 0.
  for (bool ta : {false, true}) {
    for (int64_t M : {2, 8, 9, 40}) {
      check_gemm(ta, false, M, 300, 20, 1.0f, 0.0f, 0, 1024);
      check_gemm(ta, false, M, 1024, 20, 2.0f, 1.0f, 0);
    }
    // ... with B larger than 1024 x 1024: sup for a few rows, the packed or default context for more.
    for (int64_t M : {4, 40}) check_gemm(ta, false, M, 1024, 1030, 0.5f, 1.0f, 0);
  }
}

TEST_CASE("sofie_gemm_f32 with an empty output does nothing") {
  float c = 42.0f;
  sofie_gemm_f32(0, 0, 0, 5, 3, 1.0f, nullptr, 3, nullptr, 5, 0.0f, &c, 5);
  sofie_gemm_f32(0, 0, 5, 0, 3, 1.0f, nullptr, 3, nullptr, 0, 0.0f, &c, 0);
  CHECK(c == 42.0f);
}

// Floats placed so that the last one ends exactly where an inaccessible page begins: a kernel that reads
// even one float past the end faults. The storage before `data()` is readable.
class GuardedFloats {
 public:
  explicit GuardedFloats(size_t n) : n_(n) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = (n * sizeof(float) + page - 1) / page * page;
    map_bytes_ = bytes + page;
    void* p = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    base_ = static_cast<char*>(p);
    REQUIRE(mprotect(base_ + bytes, page, PROT_NONE) == 0);
    data_ = reinterpret_cast<float*>(base_ + bytes) - n;
  }
  ~GuardedFloats() { munmap(base_, map_bytes_); }
  GuardedFloats(const GuardedFloats&) = delete;
  GuardedFloats& operator=(const GuardedFloats&) = delete;
  float* data() { return data_; }
  float& operator[](size_t i) { return data_[i]; }
  size_t size() const { return n_; }

 private:
  size_t n_, map_bytes_;
  char* base_;
  float* data_;
};

// One GEMV checked against double precision. B's padding columns (ldb > row length) hold NaN, and so does
// y when beta == 0: neither may leak into the result. x, B and y each end at an inaccessible page.
// Tolerance: the classical bound for a K-term float dot product plus the alpha/beta roundings,
// (K + 2) u (|alpha| sum |x_k b_k| + |beta y|) with u = 2^-24, times 4.
void check_gemv(int trans_b, int64_t N, int64_t K, int64_t incx, int64_t pad, float alpha, float beta) {
  const int64_t rows = trans_b ? N : K, row_len = trans_b ? K : N, ldb = row_len + pad;
  const size_t x_size = K > 0 ? static_cast<size_t>((K - 1) * incx + 1) : 1;
  const size_t b_size = rows > 0 ? static_cast<size_t>((rows - 1) * ldb + row_len) : 1;
  GuardedFloats x(x_size), B(b_size), y(static_cast<size_t>(N));
  std::mt19937 gen(static_cast<uint32_t>(N * 131 + K * 7 + incx + pad * 3 + trans_b));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = dist(gen);
  for (size_t i = 0; i < B.size(); ++i) {
    B[i] = (static_cast<int64_t>(i) % ldb) < row_len ? dist(gen) : std::numeric_limits<float>::quiet_NaN();
  }
  std::vector<float> y0(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    y0[n] = beta == 0.0f ? std::numeric_limits<float>::quiet_NaN() : dist(gen);
    y[n] = y0[n];
  }
  sofie_gemv_f32(trans_b, N, K, alpha, x.data(), incx, B.data(), ldb, beta, y.data());
  int64_t bad = 0;
  double worst = 0;
  for (int64_t n = 0; n < N; ++n) {
    double s = 0, scale = 0;
    for (int64_t k = 0; k < K; ++k) {
      const double p = double(x[k * incx]) * (trans_b ? B[n * ldb + k] : B[k * ldb + n]);
      s += p;
      scale += std::fabs(p);
    }
    const double want = alpha * s + (beta == 0.0f ? 0.0 : double(beta) * y0[n]);
    scale = std::fabs(alpha) * scale + (beta == 0.0f ? 0.0 : std::fabs(double(beta) * y0[n]));
    const double err = std::fabs(y[n] - want), tol = 4.0 * (K + 2) * std::ldexp(1.0, -24) * scale;
    if (!(err <= tol)) ++bad;
    if (scale > 0) worst = std::max(worst, err / scale);
  }
  INFO("trans_b " << trans_b << " N " << N << " K " << K << " incx " << incx << " pad " << pad << " alpha "
                  << alpha << " beta " << beta << " worst error / sum|terms| " << worst);
  CHECK(bad == 0);
}

TEST_CASE("sofie_gemv_f32 matches double precision: both layouts, odd sizes, strides, alpha, beta") {
  const int64_t sizes_n[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 64, 65, 130};
  const int64_t sizes_k[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 63, 64, 65, 100, 257};
  for (int trans_b : {0, 1}) {
    for (int64_t N : sizes_n) {
      for (int64_t K : sizes_k) check_gemv(trans_b, N, K, 1, 0, 1.0f, 0.0f);
    }
    for (int64_t N : {1, 7, 9, 17, 65}) {
      for (int64_t K : {1, 3, 7, 8, 9, 17, 33, 100}) {
        check_gemv(trans_b, N, K, 1, 3, 0.75f, -0.5f);  // padded rows of B (NaN padding), both scalings
        check_gemv(trans_b, N, K, 3, 1, -1.5f, 1.0f);   // strided x
        check_gemv(trans_b, N, K, 1, 0, 2.0f, 0.25f);
      }
    }
    // Long rows and columns, and a strided x longer than the kernel's gather block (1024).
    check_gemv(trans_b, 3, 1500, 1, 0, 1.0f, 0.0f);
    check_gemv(trans_b, 9, 2100, 2, 5, 0.5f, 2.0f);
    check_gemv(trans_b, 1030, 13, 1, 0, 1.0f, 1.0f);
    check_gemv(trans_b, 600, 600, 1, 2, -1.0f, 0.0f);
    check_gemv(trans_b, 1024, 1024, 1, 0, 1.0f, 0.0f);
  }
  // Short rows of a B over 12 MB: the transposed layout prefetches the row blocks ahead (up to the end of
  // B, which is followed by an inaccessible page); the last block is partial, with and without padding.
  check_gemv(1, 21003, 150, 1, 0, 1.0f, 0.0f);
  check_gemv(1, 20105, 150, 1, 7, 0.5f, 1.0f);
}

TEST_CASE("sofie_gemv_f32 with K == 0 scales y by beta and reads neither x nor B") {
  for (int trans_b : {0, 1}) {
    for (int64_t incx : {1, 2}) {
      std::vector<float> y = {1.0f, -2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 9.0f};
      sofie_gemv_f32(trans_b, 9, 0, 1.0f, nullptr, incx, nullptr, 9, 0.5f, y.data());
      CHECK(y[0] == 0.5f);
      CHECK(y[1] == -1.0f);
      CHECK(y[8] == 4.5f);
      for (float& v : y) v = std::numeric_limits<float>::quiet_NaN();
      sofie_gemv_f32(trans_b, 9, 0, 1.0f, nullptr, incx, nullptr, 9, 0.0f, y.data());
      for (float v : y) CHECK(v == 0.0f);
    }
  }
  float y = 42.0f;
  sofie_gemv_f32(1, 0, 5, 1.0f, nullptr, 1, nullptr, 5, 0.0f, &y);  // N == 0: nothing at all
  sofie_gemv_f32(0, 0, 5, 1.0f, nullptr, 1, nullptr, 5, 0.0f, &y);
  CHECK(y == 42.0f);
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
