// Softmax and LogSoftmax, both semantics: before opset 13 the input is coerced to 2-D at `axis` (default 1)
// and each row [prod(dims[:axis]), prod(dims[axis:])] is normalised; from opset 13 it normalises along
// `axis` alone (default -1). float32 uses the vectorisable exp of ops/kernels/math_f32.h, float64 std::exp.
// LogSoftmax is x - max - log(sum(exp(x - max))), never log(softmax) (which underflows to -inf).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ops/kernels/math_f32.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// Softmax over `n` elements `inner` apart, for each of `outer` x `inner` positions.
struct SoftmaxParams : OpParams {
  int64_t outer = 0, n = 0, inner = 0;
};

template <typename T>
T exp_of(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return kernels::exp_f32(v);
  } else {
    return std::exp(v);
  }
}

template <typename T>
T row_max(int64_t n, const T* x) {
  constexpr int L = kBlockLanes<T>;
  T lanes[L];
  for (int j = 0; j < L; ++j) lanes[j] = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int j = 0; j < L; ++j) lanes[j] = std::max(lanes[j], x[i + j]);
  }
  T m = -std::numeric_limits<T>::infinity();
  for (int j = 0; j < L; ++j) m = std::max(m, lanes[j]);
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

template <typename T>
T row_sum(int64_t n, const T* x) {
  constexpr int L = kBlockLanes<T>;
  T lanes[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int j = 0; j < L; ++j) lanes[j] += x[i + j];
  }
  T s = 0;
  for (int j = 0; j < L; ++j) s += lanes[j];
  for (; i < n; ++i) s += x[i];
  return s;
}

// Contiguous rows of n. For LogSoftmax the exponentials go through y before y gets x - log-sum-exp.
template <typename T>
void softmax_rows(int64_t rows, int64_t n, const T* x, T* y, bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    const T m = row_max(n, xr);
    map_unary(n, xr, yr, [m](T v) { return exp_of(v - m); });
    if (log) {
      const T shift = m + std::log(row_sum(n, yr));
      map_unary(n, xr, yr, [shift](T v) { return v - shift; });
    } else {
      const T scale = T(1) / row_sum(n, yr);
      map_unary(n, yr, yr, [scale](T v) { return v * scale; });
    }
  }
}

// Along a strided axis: the running max and sum of `inner` positions at once live in the workspace,
// so every pass reads contiguous memory.
template <typename T>
void softmax_strided(const SoftmaxParams& p, const T* x, T* y, T* max, T* sum, bool log) {
  const int64_t inner = p.inner;
  for (int64_t o = 0; o < p.outer; ++o) {
    const T* xo = x + o * p.n * inner;
    T* yo = y + o * p.n * inner;
    std::fill(max, max + inner, -std::numeric_limits<T>::infinity());
    std::fill(sum, sum + inner, T(0));
    for (int64_t k = 0; k < p.n; ++k) {
      const T* xk = xo + k * inner;
      for (int64_t i = 0; i < inner; ++i) max[i] = std::max(max[i], xk[i]);
    }
    for (int64_t k = 0; k < p.n; ++k) {
      const T* xk = xo + k * inner;
      T* yk = yo + k * inner;
      for (int64_t i = 0; i < inner; ++i) yk[i] = exp_of(xk[i] - max[i]);
      for (int64_t i = 0; i < inner; ++i) sum[i] += yk[i];
    }
    if (log) {
      for (int64_t i = 0; i < inner; ++i) sum[i] = max[i] + std::log(sum[i]);
      for (int64_t k = 0; k < p.n; ++k) {
        const T* xk = xo + k * inner;
        T* yk = yo + k * inner;
        for (int64_t i = 0; i < inner; ++i) yk[i] = xk[i] - sum[i];
      }
      continue;
    }
    for (int64_t i = 0; i < inner; ++i) sum[i] = T(1) / sum[i];
    for (int64_t k = 0; k < p.n; ++k) {
      T* yk = yo + k * inner;
      for (int64_t i = 0; i < inner; ++i) yk[i] *= sum[i];
    }
  }
}

class SoftmaxOp : public Op {
 public:
  SoftmaxOp(int64_t axis, bool coerce_2d, bool log) : axis_(axis), coerce_2d_(coerce_2d), log_(log) {}

  template <bool kLog>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool coerce_2d = node.opset < 13;
    const int64_t axis = a.get_int("axis", coerce_2d ? 1 : -1);
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<SoftmaxOp>(axis, coerce_2d, kLog));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    const SymShape& x = ctx.input_shape(0);
    if (x.rank_known()) {
      auto axis = resolve_axis(x.rank());
      if (!axis.ok()) return ctx.error(axis.status().message());
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    auto resolved = resolve_axis(static_cast<int64_t>(x.size()));
    if (!resolved.ok()) return ctx.error(resolved.status().message());
    const int64_t axis = *resolved;
    auto& p = ctx.make_params<SoftmaxParams>();
    const absl::Span<const int64_t> dims(x);
    p.outer = num_elements(dims.subspan(0, axis));
    if (coerce_2d_) {
      p.n = num_elements(dims.subspan(axis));
      p.inner = 1;
    } else {
      p.n = x[axis];
      p.inner = num_elements(dims.subspan(axis + 1));
    }
    if (p.inner > 1) ctx.set_workspace(2 * static_cast<size_t>(p.inner) * dtype_size(ctx.input_dtype(0)));
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<SoftmaxParams>();
    if (p.outer * p.n * p.inner == 0) return absl::OkStatus();
    const TensorView& x = ctx.input(0);
    auto go = [&](auto zero) {
      using T = decltype(zero);
      if (p.inner == 1) {
        softmax_rows(p.outer, p.n, x.data_as<T>(), ctx.output(0).data_as<T>(), log_);
      } else {
        T* max = static_cast<T*>(ctx.workspace);
        softmax_strided(p, x.data_as<T>(), ctx.output(0).data_as<T>(), max, max + p.inner, log_);
      }
    };
    if (x.dtype == DType::kFloat32) {
      go(float{});
    } else {
      go(double{});
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<int64_t> resolve_axis(int64_t rank) const {
    // The 2-D coercion also accepts axis == rank (all dims go to the rows).
    const int64_t limit = coerce_2d_ ? rank + 1 : rank;
    if (axis_ < -rank || axis_ >= limit) {
      return absl::InvalidArgumentError(absl::StrCat("axis ", axis_, " is out of range for rank ", rank));
    }
    return axis_ < 0 ? axis_ + rank : axis_;
  }

  int64_t axis_;
  bool coerce_2d_;
  bool log_;
};

SOFIE_REGISTER_OP("", "Softmax", 1, 12, &SoftmaxOp::create<false>);
SOFIE_REGISTER_OP("", "Softmax", 13, kMaxOpset, &SoftmaxOp::create<false>);
SOFIE_REGISTER_OP("", "LogSoftmax", 1, 12, &SoftmaxOp::create<true>);
SOFIE_REGISTER_OP("", "LogSoftmax", 13, kMaxOpset, &SoftmaxOp::create<true>);

}  // namespace
}  // namespace sofie::ops
