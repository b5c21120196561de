// Small numeric operators without a family of their own:
//   Hardmax (1-12: input coerced to 2-D at `axis`, default 1; 13+: along `axis` alone, default -1):
//     1 at the first maximum of each row, 0 elsewhere (a NaN counts as the maximum, as numpy.argmax);
//   Shrink (9): x < -lambd ? x + bias : x > lambd ? x - bias : 0, every numeric dtype (integers compute
//     in double and truncate, as ONNX's reference);
//   Det (11): determinants of [*, M, M] by LU decomposition with partial pivoting, in double;
//   ReverseSequence (10): reverses the first sequence_lens[b] steps along time_axis of each batch entry;
//   MeanVarianceNormalization (9, 13): (x - mean) / (sqrt(E[x^2] - mean^2) + 1e-9) over `axes`
//     (default [0, 2, 3]), as ONNX's function body.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

template <typename T>
void run_float(DType t, T&& f) {
  if (t == DType::kFloat32) {
    f(float{});
  } else {
    f(double{});
  }
}

// ---------------------------------------------------------------------------------------------------
struct HardmaxParams : OpParams {
  int64_t outer = 0, n = 0, inner = 0;
};

template <typename T>
bool beats(T v, T best) {
  return v > best || (std::isnan(v) && !std::isnan(best));
}

class HardmaxOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<HardmaxOp>();
    op->coerce_2d_ = node.opset < 13;
    op->axis_ = a.get_int("axis", op->coerce_2d_ ? 1 : -1);
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::move(op));
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
    auto axis = resolve_axis(static_cast<int64_t>(x.size()));
    if (!axis.ok()) return ctx.error(axis.status().message());
    auto& p = ctx.make_params<HardmaxParams>();
    const absl::Span<const int64_t> dims(x);
    p.outer = num_elements(dims.subspan(0, *axis));
    p.n = coerce_2d_ ? num_elements(dims.subspan(*axis)) : x[*axis];
    p.inner = coerce_2d_ ? 1 : num_elements(dims.subspan(*axis + 1));
    if (p.inner > 1) ctx.set_workspace(static_cast<size_t>(p.inner) * (sizeof(int64_t) + sizeof(double)));
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<HardmaxParams>();
    const int64_t total = p.outer * p.n * p.inner;
    run_float(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* x = ctx.input(0).data_as<T>();
      T* y = ctx.output(0).data_as<T>();
      std::fill(y, y + total, T(0));
      if (p.n == 0) return;
      if (p.inner == 1) {
        for (int64_t o = 0; o < p.outer; ++o) {
          const T* row = x + o * p.n;
          int64_t best = 0;
          for (int64_t k = 1; k < p.n; ++k) {
            if (beats(row[k], row[best])) best = k;
          }
          y[o * p.n + best] = T(1);
        }
        return;
      }
      // Along a strided axis: the best index and value of `inner` positions at once.
      int64_t* idx = static_cast<int64_t*>(ctx.workspace);
      T* best = reinterpret_cast<T*>(idx + p.inner);
      for (int64_t o = 0; o < p.outer; ++o) {
        const T* xo = x + o * p.n * p.inner;
        std::fill(idx, idx + p.inner, 0);
        std::copy(xo, xo + p.inner, best);
        for (int64_t k = 1; k < p.n; ++k) {
          const T* row = xo + k * p.inner;
          for (int64_t i = 0; i < p.inner; ++i) {
            if (beats(row[i], best[i])) {
              best[i] = row[i];
              idx[i] = k;
            }
          }
        }
        T* yo = y + o * p.n * p.inner;
        for (int64_t i = 0; i < p.inner; ++i) yo[idx[i] * p.inner + i] = T(1);
      }
    });
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<int64_t> resolve_axis(int64_t rank) const {
    const int64_t limit = coerce_2d_ ? rank + 1 : rank;
    if (axis_ < -rank || axis_ >= limit) {
      return absl::InvalidArgumentError(absl::StrCat("axis ", axis_, " is out of range for rank ", rank));
    }
    return axis_ < 0 ? axis_ + rank : axis_;
  }

  bool coerce_2d_ = false;
  int64_t axis_ = -1;
};

SOFIE_REGISTER_OP("", "Hardmax", 1, 12, &HardmaxOp::create);
SOFIE_REGISTER_OP("", "Hardmax", 13, kMaxOpset, &HardmaxOp::create);

// ---------------------------------------------------------------------------------------------------
class ShrinkOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<ShrinkOp>();
    op->lambd_ = a.get_float("lambd", 0.5f);
    op->bias_ = a.get_float("bias", 0.0f);
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32,
                                                     DType::kInt8, DType::kUInt8}));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    visit_numeric(x.dtype, [&](auto zero) {
      using T = decltype(zero);
      using F = std::conditional_t<std::is_floating_point_v<T>, T, double>;
      const F lambd = static_cast<F>(lambd_), bias = static_cast<F>(bias_);
      map_unary(x.numel(), x.data_as<T>(), ctx.output(0).data_as<T>(), [=](T v) {
        const F f = static_cast<F>(v);
        const F r = select(f < -lambd, f + bias, select(f > lambd, f - bias, F(0)));
        return static_cast<T>(r);
      });
    });
    return absl::OkStatus();
  }

 private:
  float lambd_ = 0.5f;
  float bias_ = 0.0f;
};

SOFIE_REGISTER_OP("", "Shrink", 9, kMaxOpset, &ShrinkOp::create);

// ---------------------------------------------------------------------------------------------------
class DetOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<DetOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    const SymShape& x = ctx.input_shape(0);
    if (!x.rank_known()) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape());
      return absl::OkStatus();
    }
    if (x.rank() < 2) return ctx.error(absl::StrCat("X is ", x.to_string(), "; expected [*, M, M]"));
    const Dim& r = x[x.rank() - 2];
    const Dim& c = x[x.rank() - 1];
    if (r.is_known() && c.is_known() && r.value != c.value) {
      return ctx.error(absl::StrCat("X is ", x.to_string(), "; expected square matrices [*, M, M]"));
    }
    ctx.set_output(0, ctx.input_dtype(0),
                   SymShape(std::vector<Dim>(x.dims().begin(), x.dims().end() - 2)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    if (x.size() < 2 || x[x.size() - 1] != x[x.size() - 2]) {
      return ctx.error(absl::StrCat("X is ", dims_string(x), "; expected square matrices [*, M, M]"));
    }
    const int64_t m = x.back();
    ctx.set_workspace(static_cast<size_t>(m * m) * sizeof(double));
    ctx.set_output_shape(0, Dims(x.begin(), x.end() - 2));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    const int64_t m = x.shape.back();
    const int64_t count = ctx.output(0).numel();
    double* a = static_cast<double*>(ctx.workspace);
    run_float(x.dtype, [&](auto zero) {
      using T = decltype(zero);
      for (int64_t b = 0; b < count; ++b) {
        const T* src = x.data_as<T>() + b * m * m;
        for (int64_t i = 0; i < m * m; ++i) a[i] = src[i];
        ctx.output(0).data_as<T>()[b] = static_cast<T>(lu_det(a, m));
      }
    });
    return absl::OkStatus();
  }

 private:
  // Determinant of the m x m matrix a (destroyed): Gaussian elimination with partial pivoting.
  static double lu_det(double* a, int64_t m) {
    double det = 1.0;
    for (int64_t k = 0; k < m; ++k) {
      int64_t piv = k;
      for (int64_t i = k + 1; i < m; ++i) {
        if (std::fabs(a[i * m + k]) > std::fabs(a[piv * m + k])) piv = i;
      }
      const double pv = a[piv * m + k];
      if (pv == 0.0) return 0.0;
      if (piv != k) {
        std::swap_ranges(a + k * m + k, a + k * m + m, a + piv * m + k);
        det = -det;
      }
      det *= pv;
      const double inv = 1.0 / pv;
      for (int64_t i = k + 1; i < m; ++i) {
        const double f = a[i * m + k] * inv;
        if (f == 0.0) continue;
        double* ri = a + i * m;
        const double* rk = a + k * m;
        for (int64_t j = k + 1; j < m; ++j) ri[j] -= f * rk[j];
      }
    }
    return det;
  }
};

SOFIE_REGISTER_OP("", "Det", 11, kMaxOpset, &DetOp::create);

// ---------------------------------------------------------------------------------------------------
struct ReverseSequenceParams : OpParams {
  int64_t batch = 0, time = 0, inner = 0;
  int64_t batch_stride = 0, time_stride = 0;  // in slices of `inner` elements
};

class ReverseSequenceOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<ReverseSequenceOp>();
    op->batch_axis_ = a.get_int("batch_axis", 1);
    op->time_axis_ = a.get_int("time_axis", 0);
    SOFIE_RETURN_IF_ERROR(a.status());
    const bool ok = (op->batch_axis_ == 0 || op->batch_axis_ == 1) && (op->time_axis_ == 0 || op->time_axis_ == 1) &&
                    op->batch_axis_ != op->time_axis_;
    if (!ok) {
      return node_error(node, absl::StrCat("batch_axis ", op->batch_axis_, " and time_axis ", op->time_axis_,
                                           " must be 0 and 1 in some order"));
    }
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    const SymShape& x = ctx.input_shape(0);
    if (x.rank_known() && x.rank() < 2) return ctx.error(absl::StrCat("input is ", x.to_string(), "; expected rank >= 2"));
    ctx.set_output(0, ctx.input_dtype(0), x);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const Dims& lens = ctx.input_shape(1);
    if (x.size() < 2) return ctx.error(absl::StrCat("input is ", dims_string(x), "; expected rank >= 2"));
    auto& p = ctx.make_params<ReverseSequenceParams>();
    p.batch = x[batch_axis_];
    p.time = x[time_axis_];
    p.inner = num_elements(absl::Span<const int64_t>(x).subspan(2));
    p.batch_stride = batch_axis_ == 0 ? p.time : 1;
    p.time_stride = time_axis_ == 0 ? p.batch : 1;
    if (lens.size() != 1 || lens[0] != p.batch) {
      return ctx.error(absl::StrCat("sequence_lens is ", dims_string(lens), "; expected [", p.batch,
                                    "] (input ", dims_string(x), ", batch_axis ", batch_axis_, ")"));
    }
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<ReverseSequenceParams>();
    const TensorView& x = ctx.input(0);
    const TensorView& lens = ctx.input(1);
    const size_t row = static_cast<size_t>(p.inner) * dtype_size(x.dtype);
    const char* src = static_cast<const char*>(x.data);
    char* dst = static_cast<char*>(ctx.output(0).data);
    for (int64_t b = 0; b < p.batch; ++b) {
      const int64_t len = lens.dtype == DType::kInt32 ? lens.data_as<int32_t>()[b] : lens.data_as<int64_t>()[b];
      if (len < 0 || len > p.time) {
        return ctx.error(absl::StrCat("sequence_lens[", b, "] is ", len, "; expected [0, ", p.time, "]"));
      }
      for (int64_t t = 0; t < p.time; ++t) {
        const int64_t from = t < len ? len - 1 - t : t;
        if (row == 0) continue;
        std::memcpy(dst + (b * p.batch_stride + t * p.time_stride) * row,
                    src + (b * p.batch_stride + from * p.time_stride) * row, row);
      }
    }
    return absl::OkStatus();
  }

 private:
  int64_t batch_axis_ = 1;
  int64_t time_axis_ = 0;
};

SOFIE_REGISTER_OP("", "ReverseSequence", 10, kMaxOpset, &ReverseSequenceOp::create);

// ---------------------------------------------------------------------------------------------------
// The input as runs of adjacent dims that are all reduced or all kept (merged), walked with an odometer
// over the outer runs; the innermost run is either reduced (one group, a contiguous stretch) or kept (a
// contiguous stretch of groups).
struct MvnParams : OpParams {
  Dims dims;          // merged dims
  Dims group_stride;  // 0 for reduced runs
  int64_t total = 0, groups = 0, group_size = 0;
};

template <typename F>
void for_each_stretch(const MvnParams& p, F&& f) {
  if (p.total == 0) return;
  const int rank = static_cast<int>(p.dims.size());
  const int64_t len = p.dims[rank - 1];
  const int64_t step = p.group_stride[rank - 1];
  Dims index(rank, 0);
  int64_t offset = 0, group = 0;
  while (true) {
    f(offset, group, len, step);
    offset += len;
    int d = rank - 2;
    for (; d >= 0; --d) {
      group += p.group_stride[d];
      if (++index[d] < p.dims[d]) break;
      group -= p.group_stride[d] * p.dims[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

class MeanVarianceNormalizationOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<MeanVarianceNormalizationOp>();
    op->axes_ = a.get_ints("axes", {0, 2, 3});
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    const SymShape& x = ctx.input_shape(0);
    if (x.rank_known()) {
      std::vector<bool> reduced;
      SOFIE_RETURN_IF_ERROR(reduced_axes(ctx.node(), x.rank(), &reduced));
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    std::vector<bool> reduced;
    SOFIE_RETURN_IF_ERROR(reduced_axes(ctx.node(), static_cast<int64_t>(x.size()), &reduced));
    auto& p = ctx.make_params<MvnParams>();
    p.total = num_elements(x);
    p.groups = 1;
    for (size_t d = 0; d < x.size(); ++d) p.groups *= reduced[d] ? 1 : x[d];
    p.group_size = p.groups ? p.total / std::max<int64_t>(p.groups, 1) : 0;
    // Merge runs of equal kind (size-1 dims join any run); group strides are row-major over kept runs.
    std::vector<bool> kind;
    for (size_t d = 0; d < x.size(); ++d) {
      if (x[d] == 1) continue;
      if (!p.dims.empty() && kind.back() == reduced[d]) {
        p.dims.back() *= x[d];
        continue;
      }
      p.dims.push_back(x[d]);
      kind.push_back(reduced[d]);
    }
    if (p.dims.empty()) {
      p.dims.push_back(1);
      kind.push_back(true);
    }
    p.group_stride.assign(p.dims.size(), 0);
    int64_t stride = 1;
    for (size_t d = p.dims.size(); d-- > 0;) {
      if (kind[d]) continue;
      p.group_stride[d] = stride;
      stride *= p.dims[d];
    }
    ctx.set_workspace(2 * static_cast<size_t>(p.groups) * sizeof(double));
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<MvnParams>();
    double* sum = static_cast<double*>(ctx.workspace);
    double* sq = sum + p.groups;
    std::fill(sum, sum + 2 * p.groups, 0.0);
    run_float(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* x = ctx.input(0).data_as<T>();
      T* y = ctx.output(0).data_as<T>();
      for_each_stretch(p, [&](int64_t off, int64_t g, int64_t len, int64_t step) {
        const T* xs = x + off;
        if (step == 0) {
          double s = 0, q = 0;
          for (int64_t i = 0; i < len; ++i) {
            s += xs[i];
            q += static_cast<double>(xs[i]) * xs[i];
          }
          sum[g] += s;
          sq[g] += q;
          return;
        }
        for (int64_t i = 0; i < len; ++i) {
          sum[g + i] += xs[i];
          sq[g + i] += static_cast<double>(xs[i]) * xs[i];
        }
      });
      // sum -> mean, sq -> 1 / (std + 1e-9).
      const double inv_n = p.group_size ? 1.0 / static_cast<double>(p.group_size) : 0.0;
      for (int64_t g = 0; g < p.groups; ++g) {
        const double mean = sum[g] * inv_n;
        const double var = std::max(0.0, sq[g] * inv_n - mean * mean);
        sum[g] = mean;
        sq[g] = 1.0 / (std::sqrt(var) + 1e-9);
      }
      for_each_stretch(p, [&](int64_t off, int64_t g, int64_t len, int64_t step) {
        const T* xs = x + off;
        T* ys = y + off;
        if (step == 0) {
          const T mean = static_cast<T>(sum[g]), inv = static_cast<T>(sq[g]);
          map_unary(len, xs, ys, [=](T v) { return (v - mean) * inv; });
          return;
        }
        for (int64_t i = 0; i < len; ++i) ys[i] = static_cast<T>((xs[i] - sum[g + i]) * sq[g + i]);
      });
    });
    return absl::OkStatus();
  }

 private:
  absl::Status reduced_axes(const Node& node, int64_t rank, std::vector<bool>* reduced) const {
    reduced->assign(static_cast<size_t>(rank), false);
    for (int64_t a : axes_) {
      auto axis = normalize_axis(a, rank);
      if (!axis.ok()) {
        return node_error(node, absl::StrCat("axes [", absl::StrJoin(axes_, ","), "] are out of range for rank ",
                                             rank));
      }
      (*reduced)[*axis] = true;
    }
    return absl::OkStatus();
  }

  std::vector<int64_t> axes_;
};

SOFIE_REGISTER_OP("", "MeanVarianceNormalization", 9, kMaxOpset, &MeanVarianceNormalizationOp::create);

}  // namespace
}  // namespace sofie::ops
