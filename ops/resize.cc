// Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): nearest, n-linear and cubic interpolation of
// any subset of dims, with every coordinate_transformation_mode of the spec, scales or sizes (known while
// planning), roi for tf_crop_and_resize, axes and keep_aspect_ratio_policy (18+), antialias (18+).
//
// The reshape step builds, per resized axis, the source indices and weights of every output position
// (the interpolation is separable: ONNX's reference interpolates one axis after the other). Nearest then
// gathers in one pass; linear and cubic resample one axis per pass (shrinking axes first), through two
// ping-pong buffers in the workspace, the innermost loop running over the contiguous trailing elements.
// Resize-10 and Upsample use the asymmetric transform and ONNX Runtime's nearest rounding for them (floor
// when enlarging an axis, ceil when shrinking it), which reproduces the old reference outputs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfCropAndResize,
  kTfHalfPixelForNn,
};
enum class Rounding { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kLegacy };
enum class KeepAspect { kStretch, kNotLarger, kNotSmaller };

struct ResizeConfig {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  Rounding rounding = Rounding::kRoundPreferFloor;
  KeepAspect keep = KeepAspect::kStretch;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;
  double extrapolation = 0.0;
  std::vector<int64_t> axes;         // empty: all
  int roi_input = -1, scales_input = -1, sizes_input = -1;
  std::vector<float> attr_scales;    // Upsample-7
};

// One axis: output position j reads `taps` source positions index[j * taps + k] with weights w[...].
struct AxisMap {
  int axis = 0;
  int64_t in = 0, out = 0;
  int64_t outer = 0, inner = 0;  // linear/cubic passes: the data as [outer, in, inner] when this pass runs
  int taps = 1;
  bool identity = true;
  std::vector<int64_t> index;
  std::vector<double> wd;
  std::vector<float> wf;
  std::vector<uint8_t> extrapolate;  // per output position: write the extrapolation value
};

constexpr int kMaxResizeRank = 16;

struct ResizeParams : OpParams {
  Dims in_dims, out_dims;
  bool alias = false;
  std::vector<AxisMap> passes;  // linear/cubic: the non-identity axes, in execution order
  // nearest: per axis, the source offset (index * input stride) of each output position, -1 = extrapolate
  std::vector<std::vector<int64_t>> offsets;
  bool any_extrapolation = false;
  double extrapolation_value = 0.0;
  size_t buffer_elements = 0;
};

// ---------------------------------------------------------------------------------------------------
// Coordinates and weights.

// Output position x on an axis of `in` elements resized to out_int (target length out_float = scale * in).
double original_coordinate(Coord c, double x, double scale, int64_t in, int64_t out_int, double roi_start,
                           double roi_end) {
  const double out_float = scale * static_cast<double>(in);
  switch (c) {
    case Coord::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case Coord::kHalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out_int) / out_float;
      const double center = static_cast<double>(in) / 2;
      return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    }
    case Coord::kPytorchHalfPixel: return out_int > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case Coord::kAlignCorners:
      // As ONNX's reference: the target length before flooring (they differ only for fractional scales).
      return out_int == 1 ? 0.0 : x * static_cast<double>(in - 1) / (out_float - 1);
    case Coord::kAsymmetric: return x / scale;
    case Coord::kTfCropAndResize:
      if (out_int > 1) {
        return roi_start * static_cast<double>(in - 1) +
               x * (roi_end - roi_start) * static_cast<double>(in - 1) / static_cast<double>(out_int - 1);
      }
      return 0.5 * (roi_start + roi_end) * static_cast<double>(in - 1);
    case Coord::kTfHalfPixelForNn: return (x + 0.5) / scale;
  }
  return x;
}

int64_t nearest_index(Rounding r, double x, double scale) {
  const double f = std::floor(x);
  switch (r) {
    case Rounding::kRoundPreferFloor: return static_cast<int64_t>(x - f == 0.5 ? f : std::round(x));
    case Rounding::kRoundPreferCeil: return static_cast<int64_t>(x - f == 0.5 ? f + 1 : std::round(x));
    case Rounding::kFloor: return static_cast<int64_t>(f);
    case Rounding::kCeil: return static_cast<int64_t>(std::ceil(x));
    case Rounding::kLegacy: return static_cast<int64_t>(scale < 1 ? std::ceil(x) : f);
  }
  return static_cast<int64_t>(f);
}

// The interpolation kernel at distance d (in source pixels, scaled by the antialias factor).
double kernel(Mode mode, double a, double d) {
  d = std::fabs(d);
  if (mode == Mode::kLinear) return std::max(0.0, 1.0 - d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0.0;
}

AxisMap map_axis(const ResizeConfig& cfg, int axis, int64_t in, int64_t out, double scale, double roi_start,
                 double roi_end) {
  AxisMap m;
  m.axis = axis;
  m.in = in;
  m.out = out;
  m.extrapolate.assign(out, 0);
  const bool nearest = cfg.mode == Mode::kNearest;
  // Antialiasing widens the kernel by 1 / scale when shrinking; otherwise the footprint is 2 (linear) or
  // 4 (cubic) pixels starting at floor(x) + start.
  const double support = cfg.mode == Mode::kCubic ? 2.0 : 1.0;
  const double filter_scale = cfg.antialias && scale < 1 ? scale : 1.0;
  const int64_t start = nearest ? 0 : static_cast<int64_t>(std::floor(-support / filter_scale)) + 1;
  m.taps = nearest ? 1 : static_cast<int>(2 - 2 * start);
  m.index.assign(out * m.taps, 0);
  m.wd.assign(out * m.taps, 0.0);
  m.identity = out == in;
  std::vector<double> w(m.taps);
  for (int64_t j = 0; j < out; ++j) {
    const double x = original_coordinate(cfg.coord, static_cast<double>(j), scale, in, out, roi_start, roi_end);
    int64_t* idx = &m.index[j * m.taps];
    double* wj = &m.wd[j * m.taps];
    if (cfg.coord == Coord::kTfCropAndResize && (x < 0 || x > static_cast<double>(in - 1))) {
      m.extrapolate[j] = 1;
      m.identity = false;
      continue;
    }
    if (nearest) {
      idx[0] = std::min(std::max<int64_t>(nearest_index(cfg.rounding, x, scale), 0), in - 1);
      wj[0] = 1.0;
      if (idx[0] != j) m.identity = false;
      continue;
    }
    const int64_t x0 = static_cast<int64_t>(std::floor(x));
    double sum = 0;
    for (int k = 0; k < m.taps; ++k) {
      const int64_t i = x0 + start + k;
      w[k] = kernel(cfg.mode, cfg.cubic_a, (static_cast<double>(i) - x) * filter_scale);
      if (cfg.exclude_outside && (i < 0 || i >= in)) w[k] = 0;
      sum += w[k];
    }
    const bool normalise = cfg.exclude_outside || filter_scale != 1.0;
    double on_j = 0, elsewhere = 0;
    for (int k = 0; k < m.taps; ++k) {
      idx[k] = std::min(std::max<int64_t>(x0 + start + k, 0), in - 1);
      wj[k] = normalise && sum != 0 ? w[k] / sum : w[k];
      (idx[k] == j ? on_j : elsewhere) += std::fabs(wj[k]);
    }
    // Identity only when all the weight sits on x[j] (possibly split over clamped taps).
    if (on_j != 1.0 || elsewhere != 0.0) m.identity = false;
  }
  m.wf.assign(m.wd.begin(), m.wd.end());
  return m;
}

// ---------------------------------------------------------------------------------------------------
// Kernels.

template <typename T>
void gather_nearest(const ResizeParams& p, const T* x, T* y) {
  const int rank = static_cast<int>(p.out_dims.size());
  const int64_t inner = p.out_dims[rank - 1];
  const int64_t* last = p.offsets[rank - 1].data();
  const T ext = static_cast<T>(p.extrapolation_value);
  const int64_t total = num_elements(p.out_dims);
  int64_t index[kMaxResizeRank] = {};
  for (int64_t done = 0; done < total; done += inner) {
    int64_t base = 0;
    bool outside = false;
    for (int d = 0; d + 1 < rank; ++d) {
      const int64_t o = p.offsets[d][index[d]];
      outside |= o < 0;
      base += o;
    }
    T* yr = y + done;
    if (outside) {
      std::fill(yr, yr + inner, ext);
    } else if (p.any_extrapolation) {
      for (int64_t j = 0; j < inner; ++j) yr[j] = last[j] < 0 ? ext : x[base + last[j]];
    } else {
      const T* xr = x + base;
      for (int64_t j = 0; j < inner; ++j) yr[j] = xr[last[j]];
    }
    for (int d = rank - 2; d >= 0; --d) {
      if (++index[d] < p.out_dims[d]) break;
      index[d] = 0;
    }
  }
}

template <typename T>
void resample_axis(const AxisMap& m, T ext, const T* x, T* y) {
  const int64_t outer = m.outer, inner = m.inner;
  const int taps = m.taps;
  const T* weights;
  if constexpr (std::is_same_v<T, float>) {
    weights = m.wf.data();
  } else {
    weights = m.wd.data();
  }
  for (int64_t o = 0; o < outer; ++o) {
    const T* xo = x + o * m.in * inner;
    T* yo = y + o * m.out * inner;
    for (int64_t j = 0; j < m.out; ++j) {
      T* yj = yo + j * inner;
      if (m.extrapolate[j]) {
        std::fill(yj, yj + inner, ext);
        continue;
      }
      const int64_t* idx = &m.index[j * taps];
      const T* w = weights + j * taps;
      if (inner == 1) {
        T acc = 0;
        for (int k = 0; k < taps; ++k) acc += w[k] * xo[idx[k]];
        yj[0] = acc;
        continue;
      }
      const T w0 = w[0];
      map_unary(inner, xo + idx[0] * inner, yj, [w0](T v) { return w0 * v; });
      for (int k = 1; k < taps; ++k) {
        const T wk = w[k];
        if (wk == T(0)) continue;
        map_binary(inner, yj, 1, xo + idx[k] * inner, 1, yj, [wk](T acc, T v) { return acc + wk * v; });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
class ResizeOp : public Op {
 public:
  explicit ResizeOp(ResizeConfig cfg) : cfg_(std::move(cfg)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create_resize(const Node& node) {
    Attrs a(node);
    ResizeConfig cfg;
    const int opset = node.opset;
    const std::string mode = a.get_string("mode", "nearest");
    std::string coord = "asymmetric", nearest_mode = "round_prefer_floor", keep = "stretch";
    if (opset >= 11) {
      coord = a.get_string("coordinate_transformation_mode", "half_pixel");
      nearest_mode = a.get_string("nearest_mode", "round_prefer_floor");
      cfg.cubic_a = a.get_float("cubic_coeff_a", -0.75f);
      cfg.exclude_outside = a.get_int("exclude_outside", 0) != 0;
      cfg.extrapolation = a.get_float("extrapolation_value", 0.0f);
      cfg.roi_input = 1;
      cfg.scales_input = 2;
      cfg.sizes_input = 3;
    } else {
      cfg.scales_input = 1;
      cfg.coord = Coord::kAsymmetric;
    }
    if (opset >= 18) {
      cfg.antialias = a.get_int("antialias", 0) != 0;
      cfg.axes = a.get_ints("axes", {});
      keep = a.get_string("keep_aspect_ratio_policy", "stretch");
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_RETURN_IF_ERROR(parse_mode(node, mode, opset >= 11, cfg));
    if (opset < 11) {
      cfg.rounding = Rounding::kLegacy;
    } else {
      SOFIE_RETURN_IF_ERROR(parse_coord(node, coord, cfg));
      SOFIE_RETURN_IF_ERROR(parse_rounding(node, nearest_mode, cfg));
    }
    if (keep == "stretch") {
      cfg.keep = KeepAspect::kStretch;
    } else if (keep == "not_larger") {
      cfg.keep = KeepAspect::kNotLarger;
    } else if (keep == "not_smaller") {
      cfg.keep = KeepAspect::kNotSmaller;
    } else {
      return node_error(node, absl::StrCat("keep_aspect_ratio_policy '", keep,
                                           "' is not one of stretch, not_larger, not_smaller"));
    }
    return std::unique_ptr<Op>(std::make_unique<ResizeOp>(std::move(cfg)));
  }

  static absl::StatusOr<std::unique_ptr<Op>> create_upsample(const Node& node) {
    Attrs a(node);
    ResizeConfig cfg;
    const std::string mode = a.get_string("mode", "nearest");
    if (node.opset < 9) {
      cfg.attr_scales = a.get_floats("scales", {});
      if (!a.has("scales")) a.require_int("scales");  // reports the missing attribute
    } else {
      cfg.scales_input = 1;
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_RETURN_IF_ERROR(parse_mode(node, mode, false, cfg));
    cfg.coord = Coord::kAsymmetric;
    cfg.rounding = Rounding::kLegacy;
    return std::unique_ptr<Op>(std::make_unique<ResizeOp>(std::move(cfg)));
  }

  absl::Status infer(InferContext& ctx) override {
    const int max_inputs = cfg_.sizes_input >= 0 ? 4 : cfg_.scales_input >= 0 ? 2 : 1;
    const int min_inputs = cfg_.sizes_input >= 0 ? 1 : max_inputs;
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, min_inputs, max_inputs));
    if (cfg_.mode == Mode::kNearest) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32,
                                                       DType::kInt64, DType::kInt8, DType::kUInt8, DType::kBool}));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    }
    if (cfg_.roi_input >= 0 && ctx.has_input(cfg_.roi_input)) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, cfg_.roi_input, {DType::kFloat32, DType::kFloat64}));
    }
    if (cfg_.scales_input >= 0 && ctx.has_input(cfg_.scales_input)) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, cfg_.scales_input, {DType::kFloat32, DType::kFloat64}));
    }
    if (cfg_.sizes_input >= 0 && ctx.has_input(cfg_.sizes_input)) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, cfg_.sizes_input, {DType::kInt64, DType::kInt32}));
    }
    const SymShape& x = ctx.input_shape(0);
    if (!x.rank_known()) {
      ctx.set_output(0, ctx.input_dtype(0), x);
      return absl::OkStatus();
    }
    // Every dim stays where the resize is known to keep it; the rest are known only when planning, unless
    // the input is static and the scales/sizes/roi are constants.
    std::vector<Dim> dims(x.dims());
    const Tensor* scales = cfg_.scales_input >= 0 ? ctx.input_constant(cfg_.scales_input) : nullptr;
    const Tensor* sizes = cfg_.sizes_input >= 0 ? ctx.input_constant(cfg_.sizes_input) : nullptr;
    const bool have_scales = !cfg_.attr_scales.empty() || (scales != nullptr && scales->numel() > 0);
    const bool have_sizes = sizes != nullptr && sizes->numel() > 0;
    if (x.is_static() && (have_scales || have_sizes)) {
      std::vector<ReshapeContext::Port> ports(ctx.num_inputs());
      for (int i = 0; i < ctx.num_inputs(); ++i) {
        if (!ctx.has_input(i)) continue;
        ports[i].present = true;
        ports[i].dtype = ctx.input_dtype(i);
        if (i == 0) {
          ports[i].shape = x.to_dims();
        } else if (const Tensor* c = ctx.input_constant(i)) {
          ports[i].shape = c->shape();
          ports[i].value = &c->view();
        }
      }
      Dims out;
      std::vector<double> scale, roi;
      ReshapeContext probe(ctx.node(), std::move(ports), {});
      SOFIE_RETURN_IF_ERROR(output_geometry(probe, out, scale, roi));
      ctx.set_output(0, ctx.input_dtype(0), SymShape::of(out));
      return absl::OkStatus();
    }
    if (have_sizes && cfg_.keep == KeepAspect::kStretch) {
      auto values = read_int_values(sizes->view(), "sizes");
      if (!values.ok()) return ctx.error(values.status().message());
      auto axes = resolved_axes(x.rank());
      if (!axes.ok()) return ctx.error(axes.status().message());
      if (values->size() == axes->size()) {
        for (size_t k = 0; k < axes->size(); ++k) dims[(*axes)[k]] = Dim::known((*values)[k]);
      }
    } else if (have_scales) {
      std::vector<float> s = cfg_.attr_scales;
      if (s.empty()) {
        for (int64_t i = 0; i < scales->numel(); ++i) {
          s.push_back(scales->dtype() == DType::kFloat64 ? static_cast<float>(scales->data_as<double>()[i])
                                                          : scales->data_as<float>()[i]);
        }
      }
      auto axes = resolved_axes(x.rank());
      if (!axes.ok()) return ctx.error(axes.status().message());
      if (s.size() == axes->size()) {
        for (size_t k = 0; k < axes->size(); ++k) {
          Dim& d = dims[(*axes)[k]];
          if (s[k] == 1.0f) continue;
          d = d.is_known() ? Dim::known(static_cast<int64_t>(std::floor(static_cast<double>(s[k]) * d.value)))
                           : Dim::unknown();
        }
      }
    } else {
      auto axes = resolved_axes(x.rank());
      if (!axes.ok()) return ctx.error(axes.status().message());
      for (int64_t a : *axes) dims[a] = Dim::unknown();
    }
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(dims)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    Dims out;
    std::vector<double> scale, roi;
    SOFIE_RETURN_IF_ERROR(output_geometry(ctx, out, scale, roi));
    const Dims& in = ctx.input_shape(0);
    auto& p = ctx.make_params<ResizeParams>();
    p.in_dims = in;
    p.out_dims = out;
    p.extrapolation_value = cfg_.extrapolation;
    ctx.set_output_shape(0, out);
    const int rank = static_cast<int>(in.size());
    if (rank > kMaxResizeRank) {
      return ctx.error(absl::StrCat("X ", dims_string(in), " has rank ", rank, "; at most ", kMaxResizeRank,
                                    " is supported"));
    }
    if (num_elements(out) == 0) return absl::OkStatus();
    for (int d = 0; d < rank; ++d) {
      if (in[d] == 0) {
        return ctx.error(absl::StrCat("cannot resize the empty dim ", d, " of X ", dims_string(in), " to ", out[d]));
      }
    }
    std::vector<AxisMap> maps;
    bool identity = true;
    for (int d = 0; d < rank; ++d) {
      maps.push_back(map_axis(cfg_, d, in[d], out[d], scale[d], roi[d], roi[rank + d]));
      identity = identity && maps.back().identity;
    }
    if (identity) {
      p.alias = true;
      ctx.set_alias(0, 0);
      return absl::OkStatus();
    }
    if (cfg_.mode == Mode::kNearest) {
      const Dims strides = row_major_strides(in);
      p.offsets.resize(rank);
      for (int d = 0; d < rank; ++d) {
        const AxisMap& m = maps[d];
        p.offsets[d].resize(m.out);
        for (int64_t j = 0; j < m.out; ++j) {
          p.offsets[d][j] = m.extrapolate[j] ? -1 : m.index[j] * strides[d];
          if (m.extrapolate[j]) p.any_extrapolation = true;
        }
      }
      return absl::OkStatus();
    }
    for (AxisMap& m : maps) {
      if (!m.identity) p.passes.push_back(std::move(m));
    }
    // Shrinking axes first: later passes then work on fewer elements. Among equal ratios the innermost axis
    // first, since its pass is the one without a contiguous inner loop.
    std::sort(p.passes.begin(), p.passes.end(), [](const AxisMap& a, const AxisMap& b) {
      const double ra = static_cast<double>(a.out) / static_cast<double>(a.in);
      const double rb = static_cast<double>(b.out) / static_cast<double>(b.in);
      return ra != rb ? ra < rb : a.axis > b.axis;
    });
    Dims cur = in;
    for (size_t k = 0; k < p.passes.size(); ++k) {
      AxisMap& m = p.passes[k];
      const absl::Span<const int64_t> dims(cur);
      m.outer = num_elements(dims.subspan(0, m.axis));
      m.inner = num_elements(dims.subspan(m.axis + 1));
      cur[m.axis] = m.out;
      if (k + 1 < p.passes.size()) {
        p.buffer_elements = std::max(p.buffer_elements, static_cast<size_t>(num_elements(cur)));
      }
    }
    if (p.passes.size() > 1) {
      const size_t bytes = (p.buffer_elements * dtype_size(ctx.input_dtype(0)) + 63) / 64 * 64;
      ctx.set_workspace(2 * bytes);
    }
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<ResizeParams>();
    if (p.alias || num_elements(p.out_dims) == 0) return absl::OkStatus();
    const TensorView& x = ctx.input(0);
    if (cfg_.mode == Mode::kNearest) {
      visit_any(x.dtype, [&](auto zero) {
        using T = decltype(zero);
        if constexpr (std::is_same_v<T, bool>) {
          gather_nearest(p, x.data_as<uint8_t>(), ctx.output(0).data_as<uint8_t>());
        } else {
          gather_nearest(p, x.data_as<T>(), ctx.output(0).data_as<T>());
        }
      });
      return absl::OkStatus();
    }
    auto go = [&](auto zero) {
      using T = decltype(zero);
      const size_t stride = (p.buffer_elements * sizeof(T) + 63) / 64 * 64 / sizeof(T);
      T* buffers[2] = {static_cast<T*>(ctx.workspace), static_cast<T*>(ctx.workspace) + stride};
      const T ext = static_cast<T>(p.extrapolation_value);
      const T* src = x.data_as<T>();
      for (size_t k = 0; k < p.passes.size(); ++k) {
        T* dst = k + 1 == p.passes.size() ? ctx.output(0).data_as<T>() : buffers[k % 2];
        resample_axis(p.passes[k], ext, src, dst);
        src = dst;
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
  static absl::Status parse_mode(const Node& node, const std::string& mode, bool cubic_allowed, ResizeConfig& cfg) {
    if (mode == "nearest") {
      cfg.mode = Mode::kNearest;
    } else if (mode == "linear") {
      cfg.mode = Mode::kLinear;
    } else if (mode == "cubic" && cubic_allowed) {
      cfg.mode = Mode::kCubic;
    } else {
      return node_error(node, absl::StrCat("mode '", mode, "' is not one of nearest, linear",
                                           cubic_allowed ? ", cubic" : ""));
    }
    return absl::OkStatus();
  }

  static absl::Status parse_coord(const Node& node, const std::string& name, ResizeConfig& cfg) {
    const int opset = node.opset;
    if (name == "half_pixel") {
      cfg.coord = Coord::kHalfPixel;
    } else if (name == "half_pixel_symmetric" && opset >= 19) {
      cfg.coord = Coord::kHalfPixelSymmetric;
    } else if (name == "pytorch_half_pixel") {
      cfg.coord = Coord::kPytorchHalfPixel;
    } else if (name == "align_corners") {
      cfg.coord = Coord::kAlignCorners;
    } else if (name == "asymmetric") {
      cfg.coord = Coord::kAsymmetric;
    } else if (name == "tf_crop_and_resize") {
      cfg.coord = Coord::kTfCropAndResize;
    } else if (name == "tf_half_pixel_for_nn" && opset < 13) {
      cfg.coord = Coord::kTfHalfPixelForNn;
    } else {
      return node_error(node, absl::StrCat("coordinate_transformation_mode '", name, "' is not valid at opset ",
                                           opset));
    }
    return absl::OkStatus();
  }

  static absl::Status parse_rounding(const Node& node, const std::string& name, ResizeConfig& cfg) {
    if (name == "round_prefer_floor") {
      cfg.rounding = Rounding::kRoundPreferFloor;
    } else if (name == "round_prefer_ceil") {
      cfg.rounding = Rounding::kRoundPreferCeil;
    } else if (name == "floor") {
      cfg.rounding = Rounding::kFloor;
    } else if (name == "ceil") {
      cfg.rounding = Rounding::kCeil;
    } else {
      return node_error(node, absl::StrCat("nearest_mode '", name,
                                           "' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<int64_t>> resolved_axes(int64_t rank) const {
    std::vector<int64_t> axes = cfg_.axes;
    if (axes.empty()) {
      axes.resize(rank);
      std::iota(axes.begin(), axes.end(), 0);
      return axes;
    }
    std::vector<bool> seen(rank, false);
    for (int64_t& a : axes) {
      SOFIE_ASSIGN_OR_RETURN(a, normalize_axis(a, rank));
      if (seen[a]) return absl::InvalidArgumentError(absl::StrCat("axes [", absl::StrJoin(cfg_.axes, ","), "] repeat an axis"));
      seen[a] = true;
    }
    return axes;
  }

  // Output dims, the scale of every axis (as the coordinate transforms use it) and the roi [starts, ends]
  // (2 * rank values) from the attributes and the scales/sizes/roi inputs.
  absl::Status output_geometry(const ReshapeContext& ctx, Dims& out, std::vector<double>& scale,
                               std::vector<double>& roi) const {
    const Dims& in = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(in.size());
    auto axes_or = resolved_axes(rank);
    if (!axes_or.ok()) return ctx.error(axes_or.status().message());
    const std::vector<int64_t>& axes = *axes_or;
    const size_t n = axes.size();
    out = in;
    scale.assign(rank, 1.0);
    roi.assign(2 * rank, 0.0);
    for (int64_t d = 0; d < rank; ++d) roi[rank + d] = 1.0;

    std::vector<double> scales;
    std::vector<int64_t> sizes;
    if (!cfg_.attr_scales.empty()) {
      scales.assign(cfg_.attr_scales.begin(), cfg_.attr_scales.end());
    }
    if (cfg_.scales_input >= 0 && ctx.has_input(cfg_.scales_input) &&
        num_elements(ctx.input_shape(cfg_.scales_input)) > 0) {
      const TensorView* v = ctx.input_value(cfg_.scales_input);
      if (v == nullptr) return unsupported(ctx.node(), "the 'scales' input must be known when planning");
      for (int64_t i = 0; i < v->numel(); ++i) {
        scales.push_back(v->dtype == DType::kFloat64 ? v->data_as<double>()[i] : v->data_as<float>()[i]);
      }
    }
    if (cfg_.sizes_input >= 0 && ctx.has_input(cfg_.sizes_input) &&
        num_elements(ctx.input_shape(cfg_.sizes_input)) > 0) {
      const TensorView* v = ctx.input_value(cfg_.sizes_input);
      if (v == nullptr) return unsupported(ctx.node(), "the 'sizes' input must be known when planning");
      auto values = read_int_values(*v, "sizes");
      if (!values.ok()) return ctx.error(values.status().message());
      sizes = *std::move(values);
    }
    if (scales.empty() == sizes.empty()) {
      return ctx.error(scales.empty() ? "neither 'scales' nor 'sizes' is given (one must be non-empty)"
                                      : "both 'scales' and 'sizes' are given (only one may be non-empty)");
    }
    const std::string what = scales.empty() ? "sizes" : "scales";
    const size_t count = scales.empty() ? sizes.size() : scales.size();
    if (count != n) {
      return ctx.error(absl::StrCat(what, " has ", count, " values; expected ", n,
                                    cfg_.axes.empty() ? absl::StrCat(" (the rank of X ", dims_string(in), ")")
                                                      : std::string(" (one per axis in 'axes')")));
    }
    if (!scales.empty()) {
      for (size_t k = 0; k < n; ++k) {
        if (!(scales[k] > 0)) {
          return ctx.error(absl::StrCat("scales [", absl::StrJoin(scales, ","), "] must all be positive"));
        }
        const int64_t a = axes[k];
        scale[a] = scales[k];
        out[a] = static_cast<int64_t>(std::floor(scales[k] * static_cast<double>(in[a])));
      }
    } else {
      for (size_t k = 0; k < n; ++k) {
        if (sizes[k] < 0) return ctx.error(absl::StrCat("sizes [", absl::StrJoin(sizes, ","), "] has a negative size"));
        if (in[axes[k]] == 0 && sizes[k] != 0) {
          return ctx.error(absl::StrCat("cannot resize the empty dim ", axes[k], " of X ", dims_string(in), " to ",
                                        sizes[k]));
        }
      }
      if (cfg_.keep == KeepAspect::kStretch) {
        for (size_t k = 0; k < n; ++k) {
          const int64_t a = axes[k];
          out[a] = sizes[k];
          scale[a] = in[a] == 0 ? 1.0 : static_cast<double>(sizes[k]) / static_cast<double>(in[a]);
        }
      } else {
        double s = cfg_.keep == KeepAspect::kNotLarger ? INFINITY : 0.0;
        for (size_t k = 0; k < n; ++k) {
          if (in[axes[k]] == 0) continue;
          const double r = static_cast<double>(sizes[k]) / static_cast<double>(in[axes[k]]);
          s = cfg_.keep == KeepAspect::kNotLarger ? std::min(s, r) : std::max(s, r);
        }
        if (std::isinf(s)) s = 1.0;
        for (int64_t a : axes) {
          scale[a] = s;
          out[a] = static_cast<int64_t>(std::floor(s * static_cast<double>(in[a]) + 0.5));
        }
      }
    }
    if (cfg_.coord == Coord::kTfCropAndResize && cfg_.roi_input >= 0 && ctx.has_input(cfg_.roi_input) &&
        num_elements(ctx.input_shape(cfg_.roi_input)) > 0) {
      const TensorView* v = ctx.input_value(cfg_.roi_input);
      if (v == nullptr) return unsupported(ctx.node(), "the 'roi' input must be known when planning");
      if (v->numel() != static_cast<int64_t>(2 * n)) {
        return ctx.error(absl::StrCat("roi has ", v->numel(), " values; expected ", 2 * n, " (starts, then ends)"));
      }
      for (size_t k = 0; k < 2 * n; ++k) {
        const double r = v->dtype == DType::kFloat64 ? v->data_as<double>()[k] : v->data_as<float>()[k];
        roi[(k < n ? 0 : rank) + axes[k % n]] = r;
      }
    }
    return absl::OkStatus();
  }

  ResizeConfig cfg_;
};

SOFIE_REGISTER_OP("", "Resize", 10, 10, &ResizeOp::create_resize);
SOFIE_REGISTER_OP("", "Resize", 11, 12, &ResizeOp::create_resize);
SOFIE_REGISTER_OP("", "Resize", 13, 17, &ResizeOp::create_resize);
SOFIE_REGISTER_OP("", "Resize", 18, 18, &ResizeOp::create_resize);
SOFIE_REGISTER_OP("", "Resize", 19, kMaxOpset, &ResizeOp::create_resize);
SOFIE_REGISTER_OP("", "Upsample", 7, 8, &ResizeOp::create_upsample);
SOFIE_REGISTER_OP("", "Upsample", 9, 9, &ResizeOp::create_upsample);

}  // namespace
}  // namespace sofie::ops
