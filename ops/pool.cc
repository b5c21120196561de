// Pooling, 1-D to 3-D: MaxPool (with the optional int64 Indices output and storage_order), AveragePool
// (count_include_pad), LpPool, and their Global forms. ceil_mode, dilations, pads and auto_pad as ONNX
// defines them. float32 and float64; MaxPool also int8 and uint8 (from opset 12).
//
// The windowed kernels copy a plane into the workspace with its padding (-inf or lowest for max, 0 for
// sums) when a window leaves the input, then walk the output rows (window_rows in conv_pool_common.h):
// vectors of accumulators for output positions fold in every tap (width stride 1 and 2 read whole vectors,
// larger strides gather). Averages divide each finished row by per-axis tap counts computed when planning.
// MaxPool with Indices takes a scalar path that tracks positions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/conv_pool_common.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class PoolKind { kMax, kAverage, kLp };

struct PoolParams : OpParams {
  int64_t planes = 0;  // N * C
  int64_t in_size = 0, out_size = 0;
  Window3 win;
  PaddedPlane pad;     // the windowed kernels read a padded copy of each plane (in the workspace)
  // AveragePool: taps counted in the divisor, per output position of each axis.
  std::vector<float> count_f32[kMaxSpatial];
  std::vector<double> count_f64[kMaxSpatial];
  int64_t extent[kMaxSpatial] = {1, 1, 1};  // input extents, for Indices in column-major order
};

// The reduction of n contiguous values: acc = f(acc, x[i]) from init in vector lanes, the lanes then
// combined with merge.
template <typename T, typename F, typename Merge>
inline T reduce_row(int64_t n, const T* x, T init, F f, Merge merge) {
  constexpr int L = kBlockLanes<T>;
  T lanes[L];
  for (int j = 0; j < L; ++j) lanes[j] = init;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int j = 0; j < L; ++j) lanes[j] = f(lanes[j], x[i + j]);
  }
  T r = init;
  for (; i < n; ++i) r = f(r, x[i]);
  for (int j = 0; j < L; ++j) r = merge(r, lanes[j]);
  return r;
}

template <typename T>
T lowest() {
  return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                              : std::numeric_limits<T>::lowest();
}

// b if b > a, else a (a NaN b never wins; a NaN a stays), on scalars or lane by lane on vectors.
template <typename V>
inline V max_of(V a, V b) {
  if constexpr (std::is_arithmetic_v<V>) {
    return select(b > a, b, a);
  } else {
    return b > a ? b : a;
  }
}

// f(v) for a scalar v, or f on every lane of a vector v.
template <typename V, typename F>
inline V map_lanes(V v, F f) {
  if constexpr (std::is_arithmetic_v<V>) {
    return f(v);
  } else {
    for (int j = 0; j < static_cast<int>(sizeof(V) / sizeof(v[0])); ++j) v[j] = f(v[j]);
    return v;
  }
}

// MaxPool with Indices: the first maximum in window order, its flat index in X (row-major, or
// column-major within the plane when storage_order is 1) offset by the plane.
template <typename T>
void max_plane_with_indices(const T* x, const PoolParams& p, bool column_major, int64_t plane, T* y,
                            int64_t* idx) {
  const Window3& w = p.win;
  const WindowAxis& a0 = w.ax[0];
  const WindowAxis& a1 = w.ax[1];
  const WindowAxis& a2 = w.ax[2];
  const int64_t base = plane * p.in_size;
  for (int64_t od = 0; od < a0.out; ++od) {
    for (int64_t oh = 0; oh < a1.out; ++oh) {
      T* yrow = y + (od * a1.out + oh) * a2.out;
      int64_t* irow = idx + (od * a1.out + oh) * a2.out;
      for (int64_t ow = 0; ow < a2.out; ++ow) {
        T best = lowest<T>();
        int64_t best_index = -1;
        for (int64_t kd = 0; kd < a0.k; ++kd) {
          const int64_t id = od * a0.s - a0.pb + kd * a0.d;
          if (id < 0 || id >= a0.in) continue;
          for (int64_t kh = 0; kh < a1.k; ++kh) {
            const int64_t ih = oh * a1.s - a1.pb + kh * a1.d;
            if (ih < 0 || ih >= a1.in) continue;
            for (int64_t kw = 0; kw < a2.k; ++kw) {
              const int64_t iw = ow * a2.s - a2.pb + kw * a2.d;
              if (iw < 0 || iw >= a2.in) continue;
              const T v = x[(id * a1.in + ih) * a2.in + iw];
              if (best_index < 0 || v > best) {
                best = v;
                best_index = column_major ? id + ih * p.extent[0] + iw * p.extent[0] * p.extent[1]
                                          : (id * a1.in + ih) * a2.in + iw;
              }
            }
          }
        }
        yrow[ow] = best;
        irow[ow] = best_index < 0 ? 0 : base + best_index;
      }
    }
  }
}

class PoolOp : public Op {
 public:
  PoolOp(PoolKind kind, bool global) : kind_(kind), global_(global) {}

  template <PoolKind kKind, bool kGlobal>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<PoolOp>(kKind, kGlobal);
    absl::Status status;
    if (!kGlobal) {
      // Attributes from the opset that introduced them; before that they are not part of the operator.
      const int ceil_since = kKind == PoolKind::kLp ? 18 : 10;
      const int dilations_since = kKind == PoolKind::kMax ? 10 : kKind == PoolKind::kLp ? 18 : 19;
      op->win_ = WindowAttrs::read(a, node, node.opset >= dilations_since, &status);
      if (node.opset >= ceil_since) op->ceil_mode_ = a.get_int("ceil_mode", 0) != 0;
    }
    if (kKind == PoolKind::kMax && !kGlobal) {
      if (node.opset >= 8) op->storage_order_ = a.get_int("storage_order", 0);
      op->int8_allowed_ = node.opset >= 12;
    }
    if (kKind == PoolKind::kAverage) op->count_include_pad_ = a.get_int("count_include_pad", 0) != 0;
    if (kKind == PoolKind::kLp) {
      op->p_ = node.opset < 2 ? static_cast<double>(a.get_float("p", 2.0f)) : static_cast<double>(a.get_int("p", 2));
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_RETURN_IF_ERROR(status);
    if (!kGlobal && op->win_.kernel_shape.empty()) return node_error(node, "the kernel_shape attribute is required");
    if (op->storage_order_ != 0 && op->storage_order_ != 1) {
      return node_error(node, absl::StrCat("storage_order is ", op->storage_order_, "; expected 0 or 1"));
    }
    if (kKind == PoolKind::kLp && !(op->p_ > 0)) {
      return node_error(node, absl::StrCat("p is ", op->p_, "; expected > 0"));
    }
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    if (int8_allowed_) {
      SOFIE_RETURN_IF_ERROR(
          check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt8, DType::kUInt8}));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    }
    if (ctx.num_outputs() > (kind_ == PoolKind::kMax && !global_ ? 2 : 1)) {
      return ctx.error(absl::StrCat("has ", ctx.num_outputs(), " outputs; expected ",
                                    kind_ == PoolKind::kMax && !global_ ? "1 or 2" : "1"));
    }
    if (ctx.has_output(1) && ctx.node().opset < 8) {
      return ctx.error("the Indices output exists from opset 8");
    }
    const SymShape& x = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(0);
    if (!x.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      if (ctx.has_output(1)) ctx.set_output(1, DType::kInt64, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    if (x.rank() < 3) {
      return ctx.error(absl::StrCat("X must have rank >= 3 ([N, C, spatial...]), got ", x.to_string()));
    }
    const int64_t spatial = x.rank() - 2;
    std::vector<Dim> out = {x[0], x[1]};
    if (global_) {
      out.resize(x.rank(), Dim::known(1));
    } else {
      SOFIE_RETURN_IF_ERROR(win_.check(ctx.node(), spatial));
      for (int64_t i = 0; i < spatial; ++i) {
        if (!x[2 + i].is_known()) {
          out.push_back(Dim::unknown());
          continue;
        }
        auto axis = plan_axis(i, spatial, x[2 + i].value);
        if (!axis.ok()) return ctx.error(absl::StrCat("spatial axis ", i, ": ", axis.status().message()));
        out.push_back(Dim::known(axis->out));
      }
    }
    ctx.set_output(0, dtype, SymShape(out));
    if (ctx.has_output(1)) ctx.set_output(1, DType::kInt64, SymShape(out));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    if (x.size() < 3) return ctx.error(absl::StrCat("X must have rank >= 3, got ", dims_string(x)));
    const int64_t spatial = static_cast<int64_t>(x.size()) - 2;
    if (spatial > kMaxSpatial) {
      return unsupported(ctx.node(), absl::StrCat(spatial, " spatial axes; supported: 1 to 3"));
    }
    auto& p = ctx.make_params<PoolParams>();
    p.planes = x[0] * x[1];
    Dims out = {x[0], x[1]};
    std::vector<WindowAxis> axes;
    for (int64_t i = 0; i < spatial; ++i) {
      if (global_) {
        axes.push_back(WindowAxis{x[2 + i], 1, x[2 + i], 1, 1, 0, 0});
      } else {
        SOFIE_RETURN_IF_ERROR(win_.check(ctx.node(), spatial));
        auto axis = plan_axis(i, spatial, x[2 + i]);
        if (!axis.ok()) return ctx.error(absl::StrCat("spatial axis ", i, ": ", axis.status().message()));
        axes.push_back(*axis);
      }
      out.push_back(axes.back().out);
    }
    p.win = to_window3(axes);
    p.in_size = p.win.in_size();
    p.out_size = p.win.out_size();
    for (int i = 0; i < kMaxSpatial; ++i) p.extent[i] = p.win.ax[i].in;
    if (kind_ == PoolKind::kAverage && !global_) {
      for (int i = 0; i < kMaxSpatial; ++i) {
        const WindowAxis& a = p.win.ax[i];
        // Taps inside [0, in), or inside the padded extent [-pb, in + pe) with count_include_pad.
        const int64_t first = count_include_pad_ ? -a.pb : 0;
        const int64_t last = count_include_pad_ ? a.in + a.pe : a.in;
        for (int64_t o = 0; o < a.out; ++o) {
          int64_t n = 0;
          for (int64_t k = 0; k < a.k; ++k) {
            const int64_t pos = o * a.s - a.pb + k * a.d;
            n += pos >= first && pos < last;
          }
          p.count_f32[i].push_back(static_cast<float>(n));
          p.count_f64[i].push_back(static_cast<double>(n));
        }
      }
    }
    if (!global_) {
      p.pad = padded_plane(p.win);
      if (p.pad.needed && !ctx.has_output(1)) {
        ctx.set_workspace(static_cast<size_t>(p.pad.size()) * dtype_size(ctx.input_dtype(0)));
      }
    }
    ctx.set_output_shape(0, out);
    if (ctx.has_output(1)) ctx.set_output_shape(1, out);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<PoolParams>();
    if (p.planes == 0 || p.out_size == 0) return absl::OkStatus();
    const TensorView& x = ctx.input(0);
    visit_numeric(x.dtype, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int8_t> ||
                    std::is_same_v<T, uint8_t>) {
        run_typed<T>(ctx, p);
      }
    });
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<WindowAxis> plan_axis(int64_t i, int64_t spatial, int64_t in) const {
    return forward_axis(win_.auto_pad, in, win_.kernel_shape[i], win_.stride(i), win_.dilation(i), win_.pad_begin(i),
                        win_.pad_end(i, spatial), ceil_mode_);
  }

  template <typename T>
  void run_typed(const RunContext& ctx, const PoolParams& p) const {
    const T* x = ctx.input(0).data_as<T>();
    T* y = ctx.output(0).data_as<T>();
    T* buf = static_cast<T*>(ctx.workspace);
    if (kind_ == PoolKind::kMax) {
      if (ctx.has_output(1)) {
        int64_t* idx = ctx.output(1).data_as<int64_t>();
        for (int64_t c = 0; c < p.planes; ++c) {
          max_plane_with_indices(x + c * p.in_size, p, storage_order_ == 1, c, y + c * p.out_size,
                                 idx + c * p.out_size);
        }
        return;
      }
      auto mx = [](T a, T b) { return max_of(a, b); };
      for (int64_t c = 0; c < p.planes; ++c) {
        if (global_) {
          y[c] = reduce_row(p.in_size, x + c * p.in_size, lowest<T>(), mx, mx);
        } else {
          const T* xp = pad_plane(x + c * p.in_size, p.win, p.pad, lowest<T>(), buf);
          window_rows(xp, p.pad, p.win, lowest<T>(), y + c * p.out_size,
                      [](auto a, auto v, int64_t) { return max_of(a, v); });
        }
      }
      return;
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (kind_ == PoolKind::kAverage) {
        auto add = [](T a, T b) { return a + b; };
        for (int64_t c = 0; c < p.planes; ++c) {
          if (global_) {
            y[c] = reduce_row(p.in_size, x + c * p.in_size, T(0), add, add) / static_cast<T>(p.in_size);
          } else {
            const T* c0;
            const T* c1;
            const T* c2;
            if constexpr (std::is_same_v<T, float>) {
              c0 = p.count_f32[0].data(), c1 = p.count_f32[1].data(), c2 = p.count_f32[2].data();
            } else {
              c0 = p.count_f64[0].data(), c1 = p.count_f64[1].data(), c2 = p.count_f64[2].data();
            }
            const T* xp = pad_plane(x + c * p.in_size, p.win, p.pad, T(0), buf);
            window_rows(xp, p.pad, p.win, T(0), y + c * p.out_size, [](auto a, auto v, int64_t) { return a + v; },
                        [c0, c1, c2](T* row, int64_t n, int64_t od, int64_t oh) {
                          const T c01 = c0[od] * c1[oh];
                          for_lanes<kBlockLanes<T>>(n, [&](int64_t o) { row[o] = row[o] / (c01 * c2[o]); });
                        });
          }
        }
        return;
      }
      // LpPool: (sum |x|^p)^(1/p); padding adds nothing.
      const T pw = static_cast<T>(p_);
      auto lp = [&](auto term, auto root) {
        auto acc = [term](T a, T b) { return a + term(b); };
        auto add = [](T a, T b) { return a + b; };
        for (int64_t c = 0; c < p.planes; ++c) {
          if (global_) {
            y[c] = root(reduce_row(p.in_size, x + c * p.in_size, T(0), acc, add));
          } else {
            const T* xp = pad_plane(x + c * p.in_size, p.win, p.pad, T(0), buf);
            window_rows(xp, p.pad, p.win, T(0), y + c * p.out_size,
                        [term](auto a, auto v, int64_t) { return a + map_lanes(v, term); },
                        [root](T* row, int64_t n, int64_t, int64_t) {
                          for_lanes<kBlockLanes<T>>(n, [&](int64_t o) { row[o] = root(row[o]); });
                        });
          }
        }
      };
      if (p_ == 1.0) {
        lp([](T v) { return std::abs(v); }, [](T s) { return s; });
      } else if (p_ == 2.0) {
        lp([](T v) { return v * v; }, [](T s) { return std::sqrt(s); });
      } else {
        lp([pw](T v) { return std::pow(std::abs(v), pw); }, [pw](T s) { return std::pow(s, T(1) / pw); });
      }
    }
  }

  PoolKind kind_;
  bool global_;
  WindowAttrs win_;
  bool ceil_mode_ = false;
  bool count_include_pad_ = false;
  bool int8_allowed_ = false;
  int64_t storage_order_ = 0;
  double p_ = 2.0;
};

constexpr auto kMax = PoolKind::kMax;
constexpr auto kAverage = PoolKind::kAverage;
constexpr auto kLp = PoolKind::kLp;

// Ranges split where ONNX changed the operator: MaxPool gained Indices and storage_order at 8, ceil_mode
// and dilations at 10, int8/uint8 at 12; AveragePool count_include_pad at 7, ceil_mode at 10, dilations
// at 19; LpPool's p became an int at 2, ceil_mode and dilations came at 18.
SOFIE_REGISTER_OP("", "MaxPool", 1, 7, (&PoolOp::create<kMax, false>));
SOFIE_REGISTER_OP("", "MaxPool", 8, 9, (&PoolOp::create<kMax, false>));
SOFIE_REGISTER_OP("", "MaxPool", 10, 11, (&PoolOp::create<kMax, false>));
SOFIE_REGISTER_OP("", "MaxPool", 12, kMaxOpset, (&PoolOp::create<kMax, false>));
SOFIE_REGISTER_OP("", "AveragePool", 1, 6, (&PoolOp::create<kAverage, false>));
SOFIE_REGISTER_OP("", "AveragePool", 7, 9, (&PoolOp::create<kAverage, false>));
SOFIE_REGISTER_OP("", "AveragePool", 10, 18, (&PoolOp::create<kAverage, false>));
SOFIE_REGISTER_OP("", "AveragePool", 19, kMaxOpset, (&PoolOp::create<kAverage, false>));
SOFIE_REGISTER_OP("", "LpPool", 1, 1, (&PoolOp::create<kLp, false>));
SOFIE_REGISTER_OP("", "LpPool", 2, 17, (&PoolOp::create<kLp, false>));
SOFIE_REGISTER_OP("", "LpPool", 18, kMaxOpset, (&PoolOp::create<kLp, false>));
SOFIE_REGISTER_OP("", "GlobalMaxPool", 1, kMaxOpset, (&PoolOp::create<kMax, true>));
SOFIE_REGISTER_OP("", "GlobalAveragePool", 1, kMaxOpset, (&PoolOp::create<kAverage, true>));
SOFIE_REGISTER_OP("", "GlobalLpPool", 1, 1, (&PoolOp::create<kLp, true>));
SOFIE_REGISTER_OP("", "GlobalLpPool", 2, kMaxOpset, (&PoolOp::create<kLp, true>));

}  // namespace
}  // namespace sofie::ops
