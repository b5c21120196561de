// Conv, 1-D to 3-D (groups, depthwise, dilations, strides, pads, auto_pad, optional bias), float32 and
// float64. One of three kernels per plan:
//   pointwise  1x1 kernel, stride 1, no padding: Y_g = W_g X_g, one GEMM per image and group, no copy;
//   depthwise  one input channel per group: a direct window walk over the padded input plane, with
//              accumulators for a block of output positions kept across the taps;
//   im2col     everything else: the group's patches unrolled into the workspace, then one GEMM.
// The bias initialises the output and the GEMM accumulates onto it (beta = 1): no extra pass.
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

enum class ConvKernel { kPointwise, kDepthwise, kIm2col };

struct ConvParams : OpParams {
  int64_t N = 0, C = 0, M = 0, G = 1, Cg = 0, Mg = 0;
  int64_t kdim = 0;  // Cg * kernel size: the GEMM's inner dimension
  int64_t in_size = 0, out_size = 0;
  Window3 win;
  PaddedPlane pad;  // depthwise: the input plane with its padding, in the workspace
  ConvKernel kernel = ConvKernel::kIm2col;
  bool has_bias = false;
};

// The columns of one group of one image: row (c, kd, kh, kw), column (od, oh, ow); zeros where the
// window reads padding.
template <typename T>
void im2col(const T* x, int64_t channels, const Window3& w, T* col) {
  const WindowAxis& a0 = w.ax[0];
  const WindowAxis& a1 = w.ax[1];
  const WindowAxis& a2 = w.ax[2];
  const int64_t in_size = w.in_size();
  const int64_t ow = a2.out;
  T* row = col;
  for (int64_t c = 0; c < channels; ++c) {
    const T* xc = x + c * in_size;
    for (int64_t kd = 0; kd < a0.k; ++kd) {
      for (int64_t kh = 0; kh < a1.k; ++kh) {
        for (int64_t kw = 0; kw < a2.k; ++kw) {
          const int64_t off = kw * a2.d - a2.pb;
          int64_t lo, hi;
          valid_range(ow, a2.s, off, a2.in, &lo, &hi);
          for (int64_t od = 0; od < a0.out; ++od) {
            const int64_t id = od * a0.s - a0.pb + kd * a0.d;
            const bool d_ok = id >= 0 && id < a0.in;
            for (int64_t oh = 0; oh < a1.out; ++oh) {
              T* dst = row + (od * a1.out + oh) * ow;
              const int64_t ih = oh * a1.s - a1.pb + kh * a1.d;
              if (!d_ok || ih < 0 || ih >= a1.in) {
                std::fill(dst, dst + ow, T(0));
                continue;
              }
              const T* src = xc + (id * a1.in + ih) * a2.in;
              std::fill(dst, dst + lo, T(0));
              if (a2.s == 1) {
                if (hi > lo) std::memcpy(dst + lo, src + lo + off, static_cast<size_t>(hi - lo) * sizeof(T));
              } else {
                for (int64_t o = lo; o < hi; ++o) dst[o] = src[o * a2.s + off];
              }
              std::fill(dst + hi, dst + ow, T(0));
            }
          }
          row += w.out_size();
        }
      }
    }
  }
}

// Output rows [0, rows) of `size` elements: the bias of each row, or zeros.
template <typename T>
void init_rows(T* y, int64_t rows, int64_t size, const T* bias) {
  for (int64_t r = 0; r < rows; ++r) fill_row(size, bias ? bias[r] : T(0), y + r * size);
}

template <typename T>
void conv_run(const ConvParams& p, const T* x, const T* w, const T* bias, T* y, T* col) {
  const int64_t kernel_size = p.win.kernel_size();
  for (int64_t n = 0; n < p.N; ++n) {
    for (int64_t g = 0; g < p.G; ++g) {
      const T* xg = x + (n * p.C + g * p.Cg) * p.in_size;
      const T* wg = w + g * p.Mg * p.kdim;
      T* yg = y + (n * p.M + g * p.Mg) * p.out_size;
      const T* bg = p.has_bias ? bias + g * p.Mg : nullptr;
      if (p.kernel == ConvKernel::kDepthwise) {
        // One input plane per group: each output channel is a direct window walk over it.
        const T* xp = pad_plane(xg, p.win, p.pad, T(0), col);
        for (int64_t m = 0; m < p.Mg; ++m) {
          const T* wk = wg + m * kernel_size;
          window_rows(xp, p.pad, p.win, bg ? bg[m] : T(0), yg + m * p.out_size,
                      [wk](auto acc, auto v, int64_t tap) { return acc + wk[tap] * v; });
        }
        continue;
      }
      init_rows(yg, p.Mg, p.out_size, bg);
      if (p.kdim == 0) continue;
      if (p.kernel == ConvKernel::kPointwise) {
        gemm_rows(false, p.Mg, p.out_size, p.Cg, wg, p.kdim, xg, p.in_size, true, yg, p.out_size);
      } else {
        im2col(xg, p.Cg, p.win, col);
        gemm_rows(false, p.Mg, p.out_size, p.kdim, wg, p.kdim, col, p.out_size, true, yg, p.out_size);
      }
    }
  }
}

class ConvOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<ConvOp>();
    absl::Status status;
    op->win_ = WindowAttrs::read(a, node, /*has_dilations=*/true, &status);
    op->group_ = a.get_int("group", 1);
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_RETURN_IF_ERROR(status);
    if (op->group_ < 1) return node_error(node, absl::StrCat("group is ", op->group_, "; expected >= 1"));
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
    SOFIE_RETURN_IF_ERROR(win_.check(ctx.node(), spatial));
    if (w.rank_known() && w.rank() != x.rank()) {
      return ctx.error(absl::StrCat("W ", w.to_string(), " must have the rank of X ", x.to_string()));
    }
    if (w.rank_known() && x[1].is_known() && w[1].is_known() && x[1].value != w[1].value * group_) {
      return ctx.error(absl::StrCat("X ", x.to_string(), " has ", x[1].value, " channels but W ", w.to_string(),
                                    " with group ", group_, " expects ", w[1].value * group_));
    }
    std::vector<Dim> out = {x[0], w.rank_known() ? w[0] : Dim::unknown()};
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
      auto axis = forward_axis(win_.auto_pad, x[2 + i].value, k, win_.stride(i), win_.dilation(i), win_.pad_begin(i),
                               win_.pad_end(i, spatial), false);
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
    SOFIE_RETURN_IF_ERROR(win_.check(ctx.node(), spatial));
    auto& p = ctx.make_params<ConvParams>();
    p.N = x[0];
    p.C = x[1];
    p.M = w[0];
    p.G = group_;
    p.Cg = w[1];
    if (p.C != p.Cg * p.G) {
      return ctx.error(absl::StrCat("X ", dims_string(x), " has ", p.C, " channels but W ", dims_string(w),
                                    " with group ", p.G, " expects ", p.Cg * p.G));
    }
    if (p.M % p.G != 0) {
      return ctx.error(absl::StrCat("W ", dims_string(w), " has ", p.M, " output channels, not a multiple of group ",
                                    p.G));
    }
    p.Mg = p.M / p.G;
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
      auto axis = forward_axis(win_.auto_pad, x[2 + i], k, win_.stride(i), win_.dilation(i), win_.pad_begin(i),
                               win_.pad_end(i, spatial), false);
      if (!axis.ok()) return ctx.error(absl::StrCat("spatial axis ", i, ": ", axis.status().message()));
      axes.push_back(*axis);
      out.push_back(axis->out);
    }
    p.win = to_window3(axes);
    p.in_size = p.win.in_size();
    p.out_size = p.win.out_size();
    p.kdim = p.Cg * p.win.kernel_size();
    bool pointwise = true;
    for (const WindowAxis& a : p.win.ax) pointwise = pointwise && a.k == 1 && a.s == 1 && a.pb == 0 && a.pe == 0;
    if (pointwise) {
      p.kernel = ConvKernel::kPointwise;
    } else if (p.Cg == 1) {
      p.kernel = ConvKernel::kDepthwise;
      p.pad = padded_plane(p.win);
      if (p.pad.needed) ctx.set_workspace(static_cast<size_t>(p.pad.size()) * dtype_size(ctx.input_dtype(0)));
    } else {
      p.kernel = ConvKernel::kIm2col;
      ctx.set_workspace(static_cast<size_t>(p.kdim * p.out_size) * dtype_size(ctx.input_dtype(0)));
    }
    ctx.set_output_shape(0, out);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<ConvParams>();
    if (p.N == 0 || p.M == 0 || p.out_size == 0) return absl::OkStatus();
    auto go = [&](auto zero) {
      using T = decltype(zero);
      conv_run<T>(p, ctx.input(0).data_as<T>(), ctx.input(1).data_as<T>(),
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
  WindowAttrs win_;
  int64_t group_ = 1;
};

SOFIE_REGISTER_OP("", "Conv", 1, kMaxOpset, &ConvOp::create);

}  // namespace
}  // namespace sofie::ops
