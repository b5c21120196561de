// Kernel ABI benchmark: sofie_gemv_f32 (both layouts of B) and sofie_gemm_f32 against references measured
// in the same run, single-threaded.
//
//   naive  a plain loop nest compiled into this binary with the project's flags (-O2 -march=x86-64-v3,
//          no -ffast-math): for op(B) stored [K,N] the k-outer "axpy" order, for op(B) stored [N,K] the
//          n-outer dot-product order, i.e. the natural contiguous loop for each layout.
//   blis   bli_sgemm with BLIS's default context (the sub-configuration sofie selects at start-up: skx on
//          CPUs with AVX-512), called directly, with M = 1 for the GEMV rows.
//
// Each shape is timed in chunks of >= --min-ms milliseconds (default 5); the chunks of all variants of a
// shape are interleaved (sofie, naive, blis, sofie, ...) so that load from other processes hits all of
// them alike, and the median over --chunks chunks (default 9) is printed.
//
//   bazel run //tools/bench:bench_kernels -- [--chunks N] [--min-ms MS] [--filter SUBSTRING] [--no-naive-big]
//   bazel run //tools/bench:bench_kernels -- --contexts   (BLIS's contexts, with and without sup, M x N x K sweep)
//   bazel run //tools/bench:bench_kernels -- --model-shapes [--alpha A] [--beta B]   (the same columns on the
//          GEMMs of the benchmark suite's models; beta 1 is what a Gemm with a bias runs)
//   bazel run //tools/bench:bench_kernels -- --shape TRANS_B,M,N,K [--shape ...]   (the same, given shapes)
//          --sofie-only with any of these times sofie_gemm_f32 alone: for builds before and after a change
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "blis.h"
#include "ops/kernels/sofie_kernels.h"

namespace {

using Clock = std::chrono::steady_clock;
using Index = sofie_dim_t;

// Operands 64-byte aligned, as sofie's tensors are (malloc's 16 bytes puts rows across cache lines, which
// slows BLIS's sup kernels by up to 1.5x and would misstate the routes).
template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(size_t n) {
    void* p = nullptr;
    if (posix_memalign(&p, 64, std::max<size_t>(n, 1) * sizeof(T)) != 0) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  bool operator==(const CacheLineAllocator&) const { return true; }
  bool operator!=(const CacheLineAllocator&) const { return false; }
};
using Floats = std::vector<float, CacheLineAllocator<float>>;

// Keeps the compiler from assuming anything about memory across timed calls.
inline void clobber() { asm volatile("" ::: "memory"); }

// ---------------------------------------------------------------------------------------------------------
// Naive references (same binary, same flags).

// y[N] = alpha x[K] op(B) + beta y, x contiguous.
__attribute__((noinline)) void naive_gemv(int trans_b, Index N, Index K, float alpha, const float* x,
                                          const float* B, Index ldb, float beta, float* y) {
  if (trans_b) {
    for (Index n = 0; n < N; ++n) {
      float s = 0.0f;
      for (Index k = 0; k < K; ++k) s += x[k] * B[n * ldb + k];
      y[n] = alpha * s + (beta == 0.0f ? 0.0f : beta * y[n]);
    }
  } else {
    for (Index n = 0; n < N; ++n) y[n] = beta == 0.0f ? 0.0f : beta * y[n];
    for (Index k = 0; k < K; ++k) {
      const float a = alpha * x[k];
      for (Index n = 0; n < N; ++n) y[n] += a * B[k * ldb + n];
    }
  }
}

// C[M,N] = A[M,K] op(B): one naive GEMV per row.
__attribute__((noinline)) void naive_gemm(int trans_b, Index M, Index N, Index K, const float* A, Index lda,
                                          const float* B, Index ldb, float* C, Index ldc) {
  for (Index m = 0; m < M; ++m) naive_gemv(trans_b, N, K, 1.0f, A + m * lda, B, ldb, 0.0f, C + m * ldc);
}

void blis_gemm(int trans_b, Index M, Index N, Index K, const float* A, Index lda, const float* B, Index ldb,
               float* C, Index ldc, cntx_t* cntx) {
  float one = 1.0f, zero = 0.0f;
  bli_sgemm_ex(BLIS_NO_TRANSPOSE, trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, M, N, K, &one,
               const_cast<float*>(A), lda, 1, const_cast<float*>(B), ldb, 1, &zero, C, ldc, 1, cntx, nullptr);
}

// ---------------------------------------------------------------------------------------------------------
// Timing.

struct Runner {
  virtual ~Runner() = default;
  virtual void run(long reps) = 0;
};

template <typename F>
struct LambdaRunner : Runner {
  explicit LambdaRunner(F f) : f_(f) {}
  void run(long reps) override {
    for (long i = 0; i < reps; ++i) {
      f_();
      clobber();
    }
  }
  F f_;
};

template <typename F>
std::unique_ptr<Runner> runner(F f) {
  return std::unique_ptr<Runner>(new LambdaRunner<F>(f));
}

struct Shape {
  int trans_b;
  Index M, N, K;
};

struct Options {
  int chunks = 9;
  double min_ms = 5.0;
  std::string filter;
  bool naive_big = true;
  float alpha = 1.0f;  // --contexts only
  float beta = 0.0f;
  std::vector<Shape> shapes;  // --shape T,M,N,K (repeatable): these instead of the sweep
  bool sofie_only = false;    // --sofie-only: time sofie_gemm_f32 alone (before/after comparisons)
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median µs per call of each runner; chunks interleaved across runners.
std::vector<double> time_runners(const std::vector<Runner*>& rs, const Options& opt) {
  std::vector<long> reps(rs.size(), 1);
  for (size_t i = 0; i < rs.size(); ++i) {
    rs[i]->run(1);  // warm-up: page faults, BLIS pools, caches
    for (;;) {
      const auto t0 = Clock::now();
      rs[i]->run(reps[i]);
      const double ms = ms_since(t0);
      if (ms >= opt.min_ms) break;
      // Aim at 1.2x the minimum from the measured rate, at least doubling.
      const double want = ms > 0 ? reps[i] * 1.2 * opt.min_ms / ms : reps[i] * 2.0;
      reps[i] = std::max<long>(reps[i] * 2, static_cast<long>(want));
    }
  }
  std::vector<std::vector<double>> us(rs.size());
  for (int c = 0; c < opt.chunks; ++c) {
    for (size_t i = 0; i < rs.size(); ++i) {
      const auto t0 = Clock::now();
      rs[i]->run(reps[i]);
      us[i].push_back(ms_since(t0) * 1000.0 / static_cast<double>(reps[i]));
    }
  }
  std::vector<double> out;
  for (auto& v : us) out.push_back(median(v));
  return out;
}

Floats random_floats(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Floats v(n);
  for (float& f : v) f = dist(gen);
  return v;
}

double worst_diff(const Floats& a, const Floats& b) {
  double w = 0;
  for (size_t i = 0; i < a.size(); ++i) w = std::max(w, std::fabs(double(a[i]) - double(b[i])));
  return w;
}

void print_header(const char* what) {
  std::printf("\n%-30s %10s %8s %10s %8s %10s %8s %8s %8s\n", what, "sofie us", "GFLOP/s", "naive us",
              "GFLOP/s", "blis us", "GFLOP/s", "x naive", "x blis");
}

void print_row(const std::string& name, double flops, double sofie, double naive, double blis) {
  auto gf = [&](double us) { return us > 0 ? flops / us / 1e3 : 0.0; };
  std::printf("%-30s %10.3f %8.2f ", name.c_str(), sofie, gf(sofie));
  if (naive > 0) {
    std::printf("%10.3f %8.2f ", naive, gf(naive));
  } else {
    std::printf("%10s %8s ", "-", "-");
  }
  std::printf("%10.3f %8.2f ", blis, gf(blis));
  if (naive > 0) {
    std::printf("%8.2f ", naive / sofie);
  } else {
    std::printf("%8s ", "-");
  }
  std::printf("%8.2f\n", blis / sofie);
  std::fflush(stdout);
}

bool selected(const std::string& name, const Options& opt) {
  return opt.filter.empty() || name.find(opt.filter) != std::string::npos;
}

void bench_gemv(int trans_b, Index N, Index K, const Options& opt) {
  char name[96];
  std::snprintf(name, sizeof name, "gemv t%d N=%lld K=%lld", trans_b, (long long)N, (long long)K);
  if (!selected(name, opt)) return;
  const Index ldb = trans_b ? K : N;
  const Floats x = random_floats(K, 1), B = random_floats((trans_b ? N : K) * ldb, 2);
  Floats y1(N), y2(N), y3(N);
  auto r_sofie = runner([&] { sofie_gemv_f32(trans_b, N, K, 1.0f, x.data(), 1, B.data(), ldb, 0.0f, y1.data()); });
  auto r_naive = runner([&] { naive_gemv(trans_b, N, K, 1.0f, x.data(), B.data(), ldb, 0.0f, y2.data()); });
  auto r_blis = runner([&] { blis_gemm(trans_b, 1, N, K, x.data(), K, B.data(), ldb, y3.data(), N, nullptr); });
  const std::vector<double> t = time_runners({r_sofie.get(), r_naive.get(), r_blis.get()}, opt);
  if (worst_diff(y1, y2) > 1e-4 * K || worst_diff(y1, y3) > 1e-4 * K) {
    std::printf("%s: RESULTS DISAGREE (%g, %g)\n", name, worst_diff(y1, y2), worst_diff(y1, y3));
  }
  print_row(name, 2.0 * N * K, t[0], t[1], t[2]);
}

void bench_gemm(int trans_b, Index M, Index N, Index K, const Options& opt) {
  char name[96];
  std::snprintf(name, sizeof name, "gemm t%d %lldx%lldx%lld", trans_b, (long long)M, (long long)N, (long long)K);
  if (!selected(name, opt)) return;
  const Index ldb = trans_b ? K : N;
  const Floats A = random_floats(M * K, 3), B = random_floats((trans_b ? N : K) * ldb, 4);
  Floats c1(M * N), c2(M * N), c3(M * N);
  const bool with_naive = opt.naive_big || double(M) * N * K < 1e8;
  auto r_sofie =
      runner([&] { sofie_gemm_f32(0, trans_b, M, N, K, 1.0f, A.data(), K, B.data(), ldb, 0.0f, c1.data(), N); });
  auto r_naive = runner([&] { naive_gemm(trans_b, M, N, K, A.data(), K, B.data(), ldb, c2.data(), N); });
  auto r_blis = runner([&] { blis_gemm(trans_b, M, N, K, A.data(), K, B.data(), ldb, c3.data(), N, nullptr); });
  std::vector<Runner*> rs = {r_sofie.get(), r_blis.get()};
  if (with_naive) rs.push_back(r_naive.get());
  const std::vector<double> t = time_runners(rs, opt);
  if ((with_naive && worst_diff(c1, c2) > 1e-4 * K) || worst_diff(c1, c3) > 1e-4 * K) {
    std::printf("%s: RESULTS DISAGREE\n", name);
  }
  print_row(name, 2.0 * M * N * K, t[0], with_naive ? t[2] : -1.0, t[1]);
}

// BLIS's sub-configurations side by side on one shape: the data behind sofie_gemm_f32's per-call choice.
// Each registered context runs as BLIS would by default (its sup kernels below its thresholds, if it has
// any) and, when it has sup kernels, again with sup disabled through a rntm_t ("/pk": its packed gemm).
// "gemv" is one sofie_gemv_f32 per row of C; "sofie" is sofie_gemm_f32 as built.
struct Variant {
  std::string name;
  cntx_t* cntx;
  bool sup;
};

std::vector<Variant> blis_variants() {
  bli_init();
  std::vector<Variant> vs;
  for (arch_t id : {BLIS_ARCH_SKX, BLIS_ARCH_HASWELL, BLIS_ARCH_ZEN, BLIS_ARCH_ZEN2, BLIS_ARCH_ZEN3}) {
    cntx_t** slot = bli_gks_lookup_id(id);
    if (slot == nullptr || slot[BLIS_NAT] == nullptr) continue;
    cntx_t* cx = slot[BLIS_NAT];
    const bool has_sup = bli_cntx_get_l3_sup_thresh_dt(BLIS_FLOAT, BLIS_MT, cx) > 0 ||
                         bli_cntx_get_l3_sup_thresh_dt(BLIS_FLOAT, BLIS_NT, cx) > 0 ||
                         bli_cntx_get_l3_sup_thresh_dt(BLIS_FLOAT, BLIS_KT, cx) > 0;
    vs.push_back({bli_arch_string(id), cx, true});
    if (has_sup) vs.push_back({std::string(bli_arch_string(id)) + "/pk", cx, false});
  }
  return vs;
}

void print_variants(const std::vector<Variant>& vs) {
  if (vs.empty()) return;
  std::printf("sgemm blocking per context: MR x NR, MC KC NC; sup thresholds MT NT KT\n");
  for (const Variant& v : vs) {
    if (!v.sup) continue;  // the same context as the row before
    cntx_t* c = v.cntx;
    std::printf("  %-8s %2lld x %2lld, %4lld %4lld %5lld; %4lld %4lld %4lld\n", v.name.c_str(),
                (long long)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_MR, c),
                (long long)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_NR, c),
                (long long)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_MC, c),
                (long long)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_KC, c),
                (long long)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_NC, c),
                (long long)bli_cntx_get_l3_sup_thresh_dt(BLIS_FLOAT, BLIS_MT, c),
                (long long)bli_cntx_get_l3_sup_thresh_dt(BLIS_FLOAT, BLIS_NT, c),
                (long long)bli_cntx_get_l3_sup_thresh_dt(BLIS_FLOAT, BLIS_KT, c));
  }
}

void bench_context_shapes(const std::vector<Shape>& shapes, const Options& opt) {
  const std::vector<Variant> vs = opt.sofie_only ? std::vector<Variant>() : blis_variants();
  print_variants(vs);
  std::printf("median us (GFLOP/s), alpha %g beta %g; default arch %s\n", opt.alpha, opt.beta,
              bli_arch_string(bli_arch_query_id()));
  std::printf("%-24s", "t M x N x K");
  if (!opt.sofie_only) std::printf(" %18s", "gemv");
  for (const Variant& v : vs) std::printf(" %18s", v.name.c_str());
  std::printf(" %18s\n", "sofie");
  for (const Shape& s : shapes) {
    const int trans_b = s.trans_b;
    const Index M = s.M, N = s.N, K = s.K;
    char name[64];
    std::snprintf(name, sizeof name, "%d %lldx%lldx%lld", trans_b, (long long)M, (long long)N, (long long)K);
    if (!selected(name, opt)) continue;
    const Index ldb = trans_b ? K : N;
    const Floats A = random_floats(M * K, 3), B = random_floats((trans_b ? N : K) * ldb, 4);
    const Floats C0 = random_floats(M * N, 5);
    const size_t n_out = vs.size() + 2;
    std::vector<Floats> Cs(n_out, C0);
    std::vector<std::unique_ptr<Runner>> owned;
    std::vector<Runner*> rs;
    float alpha = opt.alpha, beta = opt.beta;
    if (!opt.sofie_only) {
      float* C = Cs[0].data();
      owned.push_back(runner([&, C] {
        for (Index m = 0; m < M; ++m)
          sofie_gemv_f32(trans_b, N, K, alpha, A.data() + m * K, 1, B.data(), ldb, beta, C + m * N);
      }));
      rs.push_back(owned.back().get());
    }
    for (size_t i = 0; i < vs.size(); ++i) {
      cntx_t* cx = vs[i].cntx;
      const bool sup = vs[i].sup;
      float* C = Cs[i + 1].data();
      owned.push_back(runner([&, cx, sup, C] {
        rntm_t rntm;
        bli_rntm_init(&rntm);
        bli_rntm_set_l3_sup(sup, &rntm);
        bli_sgemm_ex(BLIS_NO_TRANSPOSE, trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, M, N, K, &alpha,
                     const_cast<float*>(A.data()), K, 1, const_cast<float*>(B.data()), ldb, 1, &beta, C, N, 1, cx,
                     &rntm);
      }));
      rs.push_back(owned.back().get());
    }
    {
      float* C = Cs[n_out - 1].data();
      owned.push_back(runner([&, C] {
        sofie_gemm_f32(0, trans_b, M, N, K, alpha, A.data(), K, B.data(), ldb, beta, C, N);
      }));
      rs.push_back(owned.back().get());
    }
    const std::vector<double> t = time_runners(rs, opt);
    // With beta == 0 every variant computes the same C; otherwise each accumulated a different number of
    // times, so only beta == 0 is checked.
    if (beta == 0.0f && !opt.sofie_only) {
      for (size_t i = 1; i < n_out; ++i) {
        if (worst_diff(Cs[0], Cs[i]) > 1e-4 * K) std::printf("%s: RESULTS DISAGREE (column %zu)\n", name, i);
      }
    }
    std::printf("%-24s", name);
    for (double us : t) std::printf(" %9.2f (%6.1f)", us, 2.0 * M * N * K / us / 1e3);
    std::printf("\n");
    std::fflush(stdout);
  }
}

// The sweep over M x N x K that set sofie_gemm_f32's routes.
std::vector<Shape> sweep_shapes() {
  std::vector<Shape> shapes;
  const Index nk[][2] = {{64, 64}, {256, 256}, {1024, 1024}, {256, 1024}, {1024, 256}, {64, 1024}, {1024, 64}};
  for (int trans_b : {1, 0}) {
    for (const auto& s : nk) {
      for (Index M : {2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256}) shapes.push_back({trans_b, M, s[0], s[1]});
    }
  }
  return shapes;
}

// The GEMMs of the benchmark suite's models: Linear 1024 and 4096 (Gemm transB=1, N = K), the VAE
// decoder's 150 -> 40500 layer, and the GraphNets toy's edge/node MLPs (M = 8000 rows, N = 64).
std::vector<Shape> model_shapes() {
  std::vector<Shape> shapes;
  for (int trans_b : {1, 0}) {
    for (Index M : {1, 8, 64, 256}) shapes.push_back({trans_b, M, 1024, 1024});
    for (Index M : {1, 8, 64, 256}) shapes.push_back({trans_b, M, 4096, 4096});
    for (Index M : {1, 8, 64, 256}) shapes.push_back({trans_b, M, 40500, 150});
    for (Index K : {200, 260}) shapes.push_back({trans_b, 8000, 64, K});
  }
  return shapes;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  bool contexts = false;
  bool model = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--chunks" && i + 1 < argc) {
      opt.chunks = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--min-ms" && i + 1 < argc) {
      opt.min_ms = std::atof(argv[++i]);
    } else if (a == "--filter" && i + 1 < argc) {
      opt.filter = argv[++i];
    } else if (a == "--no-naive-big") {
      opt.naive_big = false;
    } else if (a == "--contexts") {
      contexts = true;
    } else if (a == "--model-shapes") {
      contexts = true;
      model = true;
    } else if (a == "--shape" && i + 1 < argc) {
      Shape sh{};
      long long m = 0, n = 0, k = 0;
      if (std::sscanf(argv[++i], "%d,%lld,%lld,%lld", &sh.trans_b, &m, &n, &k) != 4 || m <= 0 || n <= 0 || k <= 0) {
        std::fprintf(stderr, "--shape wants TRANS_B,M,N,K\n");
        return 2;
      }
      sh.M = m, sh.N = n, sh.K = k;
      opt.shapes.push_back(sh);
      contexts = true;
    } else if (a == "--sofie-only") {
      opt.sofie_only = true;
    } else if (a == "--alpha" && i + 1 < argc) {
      opt.alpha = static_cast<float>(std::atof(argv[++i]));
    } else if (a == "--beta" && i + 1 < argc) {
      opt.beta = static_cast<float>(std::atof(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: bench_kernels [--chunks N] [--min-ms MS] [--filter SUBSTRING] [--no-naive-big] "
                   "[--contexts | --model-shapes | --shape T,M,N,K...] [--sofie-only] [--alpha A] [--beta B]\n");
      return 2;
    }
  }
  // sofie selects BLIS's sub-configuration on its first GEMM call; do that before timing anything, so the
  // BLIS reference column runs on the same default context.
  const char* backend = sofie_gemm_backend_f32();
  std::printf("single thread; sofie's large products: %s; BLIS default sub-configuration (the blis column): %s; "
              "median of %d chunks of >= %.1f ms each\n",
              backend, bli_arch_string(bli_arch_query_id()), opt.chunks, opt.min_ms);
  if (contexts) {
    bench_context_shapes(!opt.shapes.empty() ? opt.shapes : model ? model_shapes() : sweep_shapes(), opt);
    return 0;
  }
  print_header("GEMV y = x op(B)");
  for (int trans_b : {0, 1}) {
    for (Index nk : {7, 16, 64, 256, 1024}) bench_gemv(trans_b, nk, nk, opt);
    bench_gemv(trans_b, 1, 64, opt);
    bench_gemv(trans_b, 65, 63, opt);
  }
  print_header("GEMM C = A op(B)");
  for (int trans_b : {1, 0}) {
    for (Index M : {1, 2, 4, 8, 16, 32, 64, 256}) bench_gemm(trans_b, M, 256, 256, opt);
    bench_gemm(trans_b, 1024, 1024, 1024, opt);
  }
  return 0;
}
