// ConvTranspose, 1-D to 3-D (groups, dilations, strides, pads, output_padding, output_shape, auto_pad,
// optional bias), float32 and float64: per image and group one GEMM, cols = W_g^T X_g, whose rows
// (m, kd, kh, kw) are then scattered and summed into the output (col2im). 1x1 kernels with stride 1 and
// no padding skip the scatter: the GEMM accumulates straight into the output.
//
// Padding from output_shape or SAME_*: total = stride * (in - 1) + output_padding + dilated kernel - out,
// split as the spec says (SAME_UPPER: the odd one at the end; otherwise at the beginning). A negative total
// (a requested output larger than the natural one) adds positions at the end that only get the bias.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/conv_pool_common.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// Here WindowAxis::in is X's extent and WindowAxis::out Y's.
absl::StatusOr<WindowAxis> transpose_axis(AutoPad ap, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb,
                                          int64_t pe, int64_t output_padding, int64_t target) {
  WindowAxis a{in, 0, k, s, d, pb, pe};
  const int64_t natural = s * (in - 1) + output_padding + (k - 1) * d + 1;
  const bool same = ap == AutoPad::kSameUpper || ap == AutoPad::kSameLower;
  if (target >= 0 || same) {
    if (target < 0) target = in * s;
    const int64_t total = std::max<int64_t>(0, natural - target);
    if (ap == AutoPad::kSameUpper) {
      a.pb = total / 2;
      a.pe = total - a.pb;
    } else {
      a.pe = total / 2;
      a.pb = total - a.pe;
    }
    a.out = target;
  } else {
    if (ap == AutoPad::kValid) a.pb = a.pe = 0;
    a.out = natural - a.pb - a.pe;
  }
  if (a.out < 0) {
    return absl::InvalidArgumentError(absl::StrCat("input extent ", in, " gives output extent ", a.out,
                                                   " (pads ", a.pb, "+", a.pe, " too large)"));
  }
  return a;
}

struct ConvTransposeParams : OpParams {
  int64_t N = 0, C = 0, M = 0, G = 1, Cg = 0, Mg = 0;
  int64_t rows = 0;  // Mg * kernel size: rows of the columns matrix
  int64_t in_size = 0, out_size = 0;
  Window3 win;
  bool direct = false;  // 1x1, stride 1, no padding: no col2im
  bool has_bias = false;
};

// y (one group: Mg planes of out_size) += the columns scattered to their output positions.
template <typename T>
void col2im(const T* col, int64_t channels, const Window3& w, T* y) {
  const WindowAxis& a0 = w.ax[0];
  const WindowAxis& a1 = w.ax[1];
  const WindowAxis& a2 = w.ax[2];
  const int64_t in_size = w.in_size();
  const T* row = col;
  for (int64_t m = 0; m < channels; ++m) {
    T* ym = y + m * w.out_size();
    for (int64_t kd = 0; kd < a0.k; ++kd) {
      for (int64_t kh = 0; kh < a1.k; ++kh) {
        for (int64_t kw = 0; kw < a2.k; ++kw, row += in_size) {
          const int64_t off = kw * a2.d - a2.pb;
          int64_t lo, hi;
          valid_range(a2.in, a2.s, off, a2.out, &lo, &hi);
          if (hi <= lo) continue;
          for (int64_t id = 0; id < a0.in; ++id) {
            const int64_t od = id * a0.s - a0.pb + kd * a0.d;
            if (od < 0 || od >= a0.out) continue;
            for (int64_t ih = 0; ih < a1.in; ++ih) {
              const int64_t oh = ih * a1.s - a1.pb + kh * a1.d;
              if (oh < 0 || oh >= a1.out) continue;
              const T* src = row + (id * a1.in + ih) * a2.in;
              T* dst = ym + (od * a1.out + oh) * a2.out;
              if (a2.s == 1) {
                add_row(hi - lo, src + lo, dst + lo + off);
              } else {
                for (int64_t i = lo; i < hi; ++i) dst[i * a2.s + off] += src[i];
              }
            }
          }
        }
      }
    }
  }
}

template <typename T>
void conv_transpose_run(const ConvTransposeParams& p, const T* x, const T* w, const T* bias, T* y, T* col) {
  for (int64_t n = 0; n < p.N; ++n) {
    for (int64_t g = 0; g < p.G; ++g) {
      const T* xg = x + (n * p.C + g * p.Cg) * p.in_size;
      const T* wg = w + g * p.Cg * p.rows;  // [Cg, Mg * kernel size]
      T* yg = y + (n * p.M + g * p.Mg) * p.out_size;
      for (int64_t m = 0; m < p.Mg; ++m) {
        fill_row(p.out_size, p.has_bias ? bias[g * p.Mg + m] : T(0), yg + m * p.out_size);
      }
      if (p.Cg == 0 || p.in_size == 0) continue;
      if (p.direct) {
        gemm_rows(true, p.Mg, p.in_size, p.Cg, wg, p.rows, xg, p.in_size, true, yg, p.out_size);
      } else {
        gemm_rows(true, p.rows, p.in_size, p.Cg, wg, p.rows, xg, p.in_size, false, col, p.in_size);
        col2im(col, p.Mg, p.win, yg);
      }
    }
  }
}

class ConvTransposeOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<ConvTransposeOp>();
    absl::Status status;
    op->win_ = WindowAttrs::read(a, node, /*has_dilations=*/true, &status);
    op->group_ = a.get_int("group", 1);
    op->output_padding_ = a.get_ints("output_padding");
    op->output_shape_ = a.get_ints("output_shape");
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_RETURN_IF_ERROR(status);
    if (op->group_ < 1) return node_error(node, absl::StrCat("group is ", op->group_, "; expected >= 1"));
    for (int64_t v : op->output_padding_) {
      if (v < 0) {
        return node_error(node, absl::StrCat("output_padding [", absl::StrJoin(op->output_padding_, ","),
                                             "] must be >= 0"));
      }
    }
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    const SymShape& x = ctx.input_shape(0);
    const SymShape& w = ctx.input_shape(1);
    const DType dtype = ctx.input_dtype(0);
    if (!x.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    if (x.rank() < 3) {
      return ctx.error(absl::StrCat("X must have rank >= 3 ([N, C, spatial...]), got ", x.to_string()));
    }
    const int64_t spatial = x.rank() - 2;
    SOFIE_RETURN_IF_ERROR(check_attrs(ctx.node(), spatial));
    if (w.rank_known() && w.rank() != x.rank()) {
      return ctx.error(absl::StrCat("W ", w.to_string(), " must have the rank of X ", x.to_string()));
    }
    if (w.rank_known() && x[1].is_known() && w[0].is_known() && x[1].value != w[0].value) {
      return ctx.error(absl::StrCat("X ", x.to_string(), " has ", x[1].value, " channels but W ", w.to_string(),
                                    " expects ", w[0].value));
    }
    Dim m = Dim::unknown();
    if (w.rank_known() && w[1].is_known()) m = Dim::known(w[1].value * group_);
    std::vector<Dim> out = {x[0], m};
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t k = -1;
      if (!win_.kernel_shape.empty()) {
        k = win_.kernel_shape[i];
      } else if (w.rank_known() && w[2 + i].is_known()) {
        k = w[2 + i].value;
      }
      if (k < 0 || !x[2 + i].is_known()) {
        out.push_back(Dim::unknown());
        continue;
      }
      auto axis = plan_axis(i, spatial, x[2 + i].value, k);
      if (!axis.ok()) return ctx.error(absl::StrCat("spatial axis ", i, ": ", axis.status().message()));
      out.push_back(Dim::known(axis->out));
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const Dims& w = ctx.input_shape(1);
    if (x.size() < 3 || w.size() != x.size()) {
      return ctx.error(absl::StrCat("X ", dims_string(x), " and W ", dims_string(w),
                                    " must have the same rank >= 3"));
    }
    const int64_t spatial = static_cast<int64_t>(x.size()) - 2;
    SOFIE_RETURN_IF_ERROR(check_attrs(ctx.node(), spatial));
    auto& p = ctx.make_params<ConvTransposeParams>();
    p.N = x[0];
    p.C = x[1];
    p.G = group_;
    if (p.C != w[0]) {
      return ctx.error(absl::StrCat("X ", dims_string(x), " has ", p.C, " channels but W ", dims_string(w),
                                    " expects ", w[0]));
    }
    if (p.C % p.G != 0) {
      return ctx.error(absl::StrCat("X has ", p.C, " channels, not a multiple of group ", p.G));
    }
    p.Cg = p.C / p.G;
    p.Mg = w[1];
    p.M = p.Mg * p.G;
    if (ctx.has_input(2)) {
      const Dims& b = ctx.input_shape(2);
      if (b.size() != 1 || b[0] != p.M) {
        return ctx.error(absl::StrCat("B is ", dims_string(b), "; expected [", p.M, "] (one per output channel)"));
      }
      p.has_bias = true;
    }
    std::vector<WindowAxis> axes;
    Dims out = {p.N, p.M};
    for (int64_t i = 0; i < spatial; ++i) {
      const int64_t k = w[2 + i];
      if (!win_.kernel_shape.empty() && win_.kernel_shape[i] != k) {
        return ctx.error(absl::StrCat("kernel_shape [", absl::StrJoin(win_.kernel_shape, ","),
                                      "] does not match W ", dims_string(w)));
      }
      auto axis = plan_axis(i, spatial, x[2 + i], k);
      if (!axis.ok()) return ctx.error(absl::StrCat("spatial axis ", i, ": ", axis.status().message()));
      axes.push_back(*axis);
      out.push_back(axis->out);
    }
    p.win = to_window3(axes);
    p.in_size = p.win.in_size();
    p.out_size = p.win.out_size();
    p.rows = p.Mg * p.win.kernel_size();
    p.direct = p.in_size == p.out_size;
    for (const WindowAxis& a : p.win.ax) p.direct = p.direct && a.k == 1 && a.s == 1 && a.pb == 0 && a.in == a.out;
    if (!p.direct) ctx.set_workspace(static_cast<size_t>(p.rows * p.in_size) * dtype_size(ctx.input_dtype(0)));
    ctx.set_output_shape(0, out);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<ConvTransposeParams>();
    if (p.N == 0 || p.M == 0 || p.out_size == 0) return absl::OkStatus();
    auto go = [&](auto zero) {
      using T = decltype(zero);
      conv_transpose_run<T>(p, ctx.input(0).data_as<T>(), ctx.input(1).data_as<T>(),
                            p.has_bias ? ctx.input(2).data_as<T>() : nullptr, ctx.output(0).data_as<T>(),
                            static_cast<T*>(ctx.workspace));
    };
    if (ctx.input(0).dtype == DType::kFloat32) {
      go(float{});
    } else {
      go(double{});
    }
    return absl::OkStatus();
  }

 private:
  absl::Status check_attrs(const Node& node, int64_t spatial) const {
    SOFIE_RETURN_IF_ERROR(win_.check(node, spatial));
    if (!output_padding_.empty() && static_cast<int64_t>(output_padding_.size()) != spatial) {
      return node_error(node, absl::StrCat("output_padding [", absl::StrJoin(output_padding_, ","), "] has ",
                                           output_padding_.size(), " values; expected ", spatial));
    }
    const int64_t n = static_cast<int64_t>(output_shape_.size());
    if (n != 0 && n != spatial && n != spatial + 2) {
      return node_error(node, absl::StrCat("output_shape [", absl::StrJoin(output_shape_, ","), "] has ", n,
                                           " values; expected ", spatial, " (spatial axes) or ", spatial + 2));
    }
    for (int64_t v : output_shape_) {
      if (v < 0) {
        return node_error(node, absl::StrCat("output_shape [", absl::StrJoin(output_shape_, ","),
                                             "] must be >= 0"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<WindowAxis> plan_axis(int64_t i, int64_t spatial, int64_t in, int64_t k) const {
    const int64_t target =
        output_shape_.empty() ? -1 : output_shape_[static_cast<int64_t>(output_shape_.size()) - spatial + i];
    return transpose_axis(win_.auto_pad, in, k, win_.stride(i), win_.dilation(i), win_.pad_begin(i),
                          win_.pad_end(i, spatial), output_padding_.empty() ? 0 : output_padding_[i], target);
  }

  WindowAttrs win_;
  int64_t group_ = 1;
  std::vector<int64_t> output_padding_;
  std::vector<int64_t> output_shape_;
};

SOFIE_REGISTER_OP("", "ConvTranspose", 1, kMaxOpset, &ConvTransposeOp::create);

}  // namespace
}  // namespace sofie::ops
