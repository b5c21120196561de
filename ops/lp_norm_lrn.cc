// LpNormalization (p = 1 or 2 along one axis; a zero vector stays zero) and LRN (local response
// normalisation across channels: y = x / (bias + alpha / size * sum of x^2 over a window of `size`
// channels)^beta, the window [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to the channels).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ops/fast_math.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// X as [outer, n, inner]; the norm runs over n.
struct LpParams : OpParams {
  int64_t outer = 0, n = 0, inner = 0;
};

class LpNormOp : public Op {
 public:
  LpNormOp(int64_t axis, int64_t p) : axis_(axis), p_(p) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", -1);
    const int64_t p = a.get_int("p", 2);
    SOFIE_RETURN_IF_ERROR(a.status());
    if (p != 1 && p != 2) return node_error(node, absl::StrCat("p ", p, " is not 1 or 2"));
    return std::unique_ptr<Op>(std::make_unique<LpNormOp>(axis, p));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    const SymShape& x = ctx.input_shape(0);
    if (x.rank_known()) {
      auto axis = normalize_axis(axis_, x.rank());
      if (!axis.ok()) return ctx.error(axis.status().message());
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    auto resolved = normalize_axis(axis_, static_cast<int64_t>(x.size()));
    if (!resolved.ok()) return ctx.error(resolved.status().message());
    const absl::Span<const int64_t> dims(x);
    auto& p = ctx.make_params<LpParams>();
    p.outer = num_elements(dims.subspan(0, *resolved));
    p.n = x[*resolved];
    p.inner = num_elements(dims.subspan(*resolved + 1));
    if (p.inner > 1) ctx.set_workspace(static_cast<size_t>(p.inner) * dtype_size(ctx.input_dtype(0)));
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<LpParams>();
    if (p.outer * p.n * p.inner == 0) return absl::OkStatus();
    if (ctx.input(0).dtype == DType::kFloat32) {
      apply<float>(ctx, p);
    } else {
      apply<double>(ctx, p);
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  T term(T v) const {
    return p_ == 1 ? std::fabs(v) : v * v;
  }

  // 1 / norm from the accumulated sum (|x| or x^2); a zero norm gives factor 0 (the vector is zero).
  template <typename T>
  T inverse_norm(T sum) const {
    const T norm = p_ == 1 ? sum : std::sqrt(sum);
    return norm == T(0) ? T(0) : T(1) / norm;
  }

  template <typename T>
  void apply(const RunContext& ctx, const LpParams& p) const {
    const T* x = ctx.input(0).data_as<T>();
    T* y = ctx.output(0).data_as<T>();
    if (p.inner == 1) {
      constexpr int L = kBlockLanes<T>;
      for (int64_t o = 0; o < p.outer; ++o) {
        const T* xr = x + o * p.n;
        T lanes[L] = {};
        int64_t i = 0;
        if (p_ == 1) {
          for (; i + L <= p.n; i += L) {
            for (int j = 0; j < L; ++j) lanes[j] += std::fabs(xr[i + j]);
          }
        } else {
          for (; i + L <= p.n; i += L) {
            for (int j = 0; j < L; ++j) lanes[j] += xr[i + j] * xr[i + j];
          }
        }
        T sum = 0;
        for (int j = 0; j < L; ++j) sum += lanes[j];
        for (; i < p.n; ++i) sum += term(xr[i]);
        const T f = inverse_norm(sum);
        map_unary(p.n, xr, y + o * p.n, [f](T v) { return v * f; });
      }
      return;
    }
    // Along a strided axis: `inner` sums at once in the workspace, each pass over contiguous rows.
    T* acc = static_cast<T*>(ctx.workspace);
    for (int64_t o = 0; o < p.outer; ++o) {
      const T* xo = x + o * p.n * p.inner;
      T* yo = y + o * p.n * p.inner;
      std::fill(acc, acc + p.inner, T(0));
      for (int64_t k = 0; k < p.n; ++k) {
        const T* xk = xo + k * p.inner;
        if (p_ == 1) {
          map_binary(p.inner, acc, 1, xk, 1, acc, [](T s, T v) { return s + std::fabs(v); });
        } else {
          map_binary(p.inner, acc, 1, xk, 1, acc, [](T s, T v) { return s + v * v; });
        }
      }
      for (int64_t i = 0; i < p.inner; ++i) acc[i] = inverse_norm(acc[i]);
      for (int64_t k = 0; k < p.n; ++k) {
        const T* xk = xo + k * p.inner;
        T* yk = yo + k * p.inner;
        map_binary(p.inner, xk, 1, acc, 1, yk, [](T v, T f) { return v * f; });
      }
    }
  }

  int64_t axis_;
  int64_t p_;
};

SOFIE_REGISTER_OP("", "LpNormalization", 1, kMaxOpset, &LpNormOp::create);

// ---------------------------------------------------------------------------------------------------
// X as [batch, channels, spatial]; the window sums of squares of one (batch, channel) live in the
// workspace (`spatial` elements), summed directly over the window's channels (size is small, and a
// running add/subtract window would drift).
struct LrnParams : OpParams {
  int64_t batch = 0, channels = 0, spatial = 0;
};

class LrnOp : public Op {
 public:
  LrnOp(int64_t size, float alpha, float beta, float bias) : size_(size), alpha_(alpha), beta_(beta), bias_(bias) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t size = a.require_int("size");
    const float alpha = a.get_float("alpha", 1e-4f);
    const float beta = a.get_float("beta", 0.75f);
    const float bias = a.get_float("bias", 1.0f);
    SOFIE_RETURN_IF_ERROR(a.status());
    if (size < 1) return node_error(node, absl::StrCat("size ", size, " must be at least 1"));
    return std::unique_ptr<Op>(std::make_unique<LrnOp>(size, alpha, beta, bias));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    const SymShape& x = ctx.input_shape(0);
    if (x.rank_known() && x.rank() < 2) {
      return ctx.error(absl::StrCat("X must have rank >= 2 ([N, C, ...]), got ", x.to_string()));
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    if (x.size() < 2) return ctx.error(absl::StrCat("X must have rank >= 2 ([N, C, ...]), got ", dims_string(x)));
    auto& p = ctx.make_params<LrnParams>();
    p.batch = x[0];
    p.channels = x[1];
    p.spatial = num_elements(absl::Span<const int64_t>(x).subspan(2));
    ctx.set_workspace(static_cast<size_t>(p.spatial) * dtype_size(ctx.input_dtype(0)));
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<LrnParams>();
    if (p.batch * p.channels * p.spatial == 0) return absl::OkStatus();
    if (ctx.input(0).dtype == DType::kFloat32) {
      apply<float>(ctx, p);
    } else {
      apply<double>(ctx, p);
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  void apply(const RunContext& ctx, const LrnParams& p) const {
    const T* x = ctx.input(0).data_as<T>();
    T* y = ctx.output(0).data_as<T>();
    T* sum = static_cast<T*>(ctx.workspace);
    const int64_t front = (size_ - 1) / 2, back = size_ - 1 - front;
    const T k = static_cast<T>(bias_), a = static_cast<T>(alpha_) / static_cast<T>(size_);
    const T minus_beta = -static_cast<T>(beta_);
    // exp(-beta * log(base)) is exact enough and vectorises; it needs base > 0, certain when bias > 0 and
    // alpha >= 0, else std::pow.
    const bool fast = bias_ > 0.0f && alpha_ >= 0.0f;
    for (int64_t b = 0; b < p.batch; ++b) {
      const T* xb = x + b * p.channels * p.spatial;
      T* yb = y + b * p.channels * p.spatial;
      for (int64_t c = 0; c < p.channels; ++c) {
        std::fill(sum, sum + p.spatial, T(0));
        const int64_t first = std::max<int64_t>(0, c - front), last = std::min(p.channels - 1, c + back);
        for (int64_t w = first; w <= last; ++w) {
          const T* xw = xb + w * p.spatial;
          map_binary(p.spatial, sum, 1, xw, 1, sum, [](T s, T v) { return s + v * v; });
        }
        const T* xc = xb + c * p.spatial;
        T* yc = yb + c * p.spatial;
        if (fast) {
          map_unary(p.spatial, sum, sum, [k, a, minus_beta](T s) { return exp_t(minus_beta * log_t(k + a * s)); });
        } else {
          for (int64_t i = 0; i < p.spatial; ++i) sum[i] = std::pow(k + a * sum[i], minus_beta);
        }
        map_binary(p.spatial, xc, 1, sum, 1, yc, [](T v, T f) { return v * f; });
      }
    }
  }

  int64_t size_;
  float alpha_, beta_, bias_;
};

SOFIE_REGISTER_OP("", "LRN", 1, kMaxOpset, &LrnOp::create);

}  // namespace
}  // namespace sofie::ops
