// Sampling at computed positions: GridSample (opset 16 modes bilinear/nearest/bicubic; opset 20 renamed them
// linear/nearest/cubic and allowed N-D inputs, of which sofie runs the 4-D ones), AffineGrid (opset 20, 2-D
// and 3-D) and RoiAlign (opset 10; opset 16 adds coordinate_transformation_mode). float32 and float64; the
// coordinates and sums are computed in double.
//
// GridSample follows PyTorch's grid_sample (which the ONNX spec and test data were written from): for each
// output pixel the taps (plane offsets and weights) are computed once, then applied to every channel.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "ops/misc_b_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

template <typename F>
void visit_float(DType t, F&& f) {
  if (t == DType::kFloat32) {
    f(float{});
  } else {
    f(double{});
  }
}

// A coordinate as an index, with NaN and huge values sent far out of range (never undefined behaviour).
inline int64_t to_index(double v) {
  if (!(std::fabs(v) < 1e15)) return std::numeric_limits<int32_t>::min();
  return static_cast<int64_t>(v);
}

// ---------------------------------------------------------------------------------------------------
// GridSample

enum class Interp { kLinear, kNearest, kCubic };
enum class Padding { kZeros, kBorder, kReflection };

// Mirrors `v` into [twice_low / 2, twice_high / 2].
double reflect(double v, int64_t twice_low, int64_t twice_high) {
  if (twice_low == twice_high) return 0;
  const double low = twice_low / 2.0;
  const double span = (twice_high - twice_low) / 2.0;
  v = std::fabs(v - low);
  const double extra = std::fmod(v, span);
  const int64_t flips = to_index(std::floor(v / span));
  return flips % 2 == 0 ? extra + low : span - extra + low;
}

class GridSampleOp : public Op {
 public:
  GridSampleOp(Interp interp, Padding padding, bool align) : interp_(interp), padding_(padding), align_(align) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool v20 = node.opset >= 20;
    const std::string mode = a.get_string("mode", v20 ? "linear" : "bilinear");
    const std::string padding = a.get_string("padding_mode", "zeros");
    const bool align = a.get_int("align_corners", 0) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    Interp interp;
    if (mode == (v20 ? "linear" : "bilinear")) {
      interp = Interp::kLinear;
    } else if (mode == "nearest") {
      interp = Interp::kNearest;
    } else if (mode == (v20 ? "cubic" : "bicubic")) {
      interp = Interp::kCubic;
    } else {
      return node_error(node, absl::StrCat("mode '", mode, "' is not one of ",
                                           v20 ? "linear, nearest, cubic" : "bilinear, nearest, bicubic",
                                           " (opset ", node.opset, ")"));
    }
    Padding pad;
    if (padding == "zeros") {
      pad = Padding::kZeros;
    } else if (padding == "border") {
      pad = Padding::kBorder;
    } else if (padding == "reflection") {
      pad = Padding::kReflection;
    } else {
      return node_error(node, absl::StrCat("padding_mode '", padding, "' is not one of zeros, border, reflection"));
    }
    return std::unique_ptr<Op>(std::make_unique<GridSampleOp>(interp, pad, align));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kFloat32, DType::kFloat64}));
    const SymShape& x = ctx.input_shape(0);
    const SymShape& grid = ctx.input_shape(1);
    if (x.rank_known() && x.rank() != 4) {
      if (ctx.node().opset >= 20 && x.rank() >= 3) {
        return unsupported(ctx.node(), absl::StrCat("input X has shape ", x.to_string(),
                                                    "; only 4-D inputs (2 spatial axes) are supported"));
      }
      return ctx.error(absl::StrCat("input X has shape ", x.to_string(), "; expected [N, C, H, W]"));
    }
    if (grid.rank_known() && (grid.rank() != 4 || (grid[3].is_known() && grid[3].value != 2))) {
      return ctx.error(absl::StrCat("grid has shape ", grid.to_string(), "; expected [N, H_out, W_out, 2]"));
    }
    std::vector<Dim> out(4, Dim::unknown());
    if (x.rank_known()) {
      out[0] = x[0];
      out[1] = x[1];
    }
    if (grid.rank_known()) {
      if (!out[0].is_known() && !out[0].is_symbol()) out[0] = grid[0];
      out[2] = grid[1];
      out[3] = grid[2];
    }
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const Dims& grid = ctx.input_shape(1);
    if (x.size() != 4) return ctx.error(absl::StrCat("input X has shape ", dims_string(x), "; expected [N, C, H, W]"));
    if (grid.size() != 4 || grid[3] != 2 || grid[0] != x[0]) {
      return ctx.error(absl::StrCat("grid has shape ", dims_string(grid), "; expected [", x[0], ", H_out, W_out, 2]"));
    }
    ctx.set_output_shape(0, Dims{x[0], x[1], grid[1], grid[2]});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    visit_float(ctx.input(0).dtype, [&](auto zx) {
      visit_float(ctx.input(1).dtype, [&](auto zg) { go<decltype(zx), decltype(zg)>(ctx); });
    });
    return absl::OkStatus();
  }

 private:
  double unnormalize(double c, int64_t size) const {
    return align_ ? (c + 1) / 2 * static_cast<double>(size - 1) : ((c + 1) * static_cast<double>(size) - 1) / 2;
  }

  // Padding applied to a source coordinate (border clamps, reflection mirrors then clamps).
  double pad_coordinate(double c, int64_t size) const {
    if (padding_ == Padding::kBorder) return std::clamp(c, 0.0, static_cast<double>(size - 1));
    if (padding_ == Padding::kReflection) {
      c = align_ ? reflect(c, 0, 2 * (size - 1)) : reflect(c, -1, 2 * size - 1);
      return std::clamp(c, 0.0, static_cast<double>(size - 1));
    }
    return c;
  }

  template <typename T, typename G>
  void go(const RunContext& ctx) const {
    const Dims& xs = ctx.input(0).shape;
    const int64_t n_batch = xs[0], channels = xs[1], h = xs[2], w = xs[3];
    const Dims& gs = ctx.input(1).shape;
    const int64_t pixels = gs[1] * gs[2];
    const T* x = ctx.input(0).data_as<T>();
    const G* grid = ctx.input(1).data_as<G>();
    T* y = ctx.output(0).data_as<T>();
    const int64_t plane = h * w;
    if (plane == 0) {  // every tap is outside an empty input
      std::fill(y, y + ctx.output(0).numel(), T(0));
      return;
    }
    int64_t offsets[16];
    double weights[16];
    for (int64_t n = 0; n < n_batch; ++n) {
      const T* xn = x + n * channels * plane;
      T* yn = y + n * channels * pixels;
      for (int64_t p = 0; p < pixels; ++p) {
        const G* g = grid + (n * pixels + p) * 2;
        const int taps = make_taps(static_cast<double>(g[0]), static_cast<double>(g[1]), h, w, offsets, weights);
        for (int64_t c = 0; c < channels; ++c) {
          const T* xc = xn + c * plane;
          double sum = 0;
          for (int k = 0; k < taps; ++k) sum += weights[k] * static_cast<double>(xc[offsets[k]]);
          yn[c * pixels + p] = static_cast<T>(sum);
        }
      }
    }
  }

  // The taps of one output pixel; taps outside the input get weight 0 (and a valid offset).
  int make_taps(double gx, double gy, int64_t h, int64_t w, int64_t* offsets, double* weights) const {
    auto add = [&](int& k, int64_t iy, int64_t ix, double weight) {
      const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
      offsets[k] = inside ? iy * w + ix : 0;
      weights[k] = inside ? weight : 0.0;
      ++k;
    };
    int k = 0;
    if (interp_ == Interp::kCubic) {
      const double ix = unnormalize(gx, w), iy = unnormalize(gy, h);
      const double fx = std::floor(ix), fy = std::floor(iy);
      double cx[4], cy[4];
      cubic_coefficients(ix - fx, cx);
      cubic_coefficients(iy - fy, cy);
      for (int i = 0; i < 4; ++i) {
        // Each tap is padded on its own (border/reflection move it inside; zeros leave it out).
        const int64_t ty = to_index(pad_coordinate(fy - 1 + i, h));
        for (int j = 0; j < 4; ++j) add(k, ty, to_index(pad_coordinate(fx - 1 + j, w)), cy[i] * cx[j]);
      }
      return k;
    }
    const double ix = pad_coordinate(unnormalize(gx, w), w), iy = pad_coordinate(unnormalize(gy, h), h);
    if (interp_ == Interp::kNearest) {
      add(k, to_index(std::nearbyint(iy)), to_index(std::nearbyint(ix)), 1.0);
      return k;
    }
    const double fx = std::floor(ix), fy = std::floor(iy);
    const int64_t x0 = to_index(fx), y0 = to_index(fy);
    const double tx = ix - fx, ty = iy - fy;
    add(k, y0, x0, (1 - ty) * (1 - tx));
    add(k, y0, x0 + 1, (1 - ty) * tx);
    add(k, y0 + 1, x0, ty * (1 - tx));
    add(k, y0 + 1, x0 + 1, ty * tx);
    return k;
  }

  // Cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 around a point t in [0, 1).
  static void cubic_coefficients(double t, double* c) {
    constexpr double A = -0.75;
    auto near = [](double v) { return ((A + 2) * v - (A + 3)) * v * v + 1; };
    auto far = [](double v) { return ((A * v - 5 * A) * v + 8 * A) * v - 4 * A; };
    c[0] = far(t + 1);
    c[1] = near(t);
    c[2] = near(1 - t);
    c[3] = far(2 - t);
  }

  Interp interp_;
  Padding padding_;
  bool align_;
};

// ---------------------------------------------------------------------------------------------------
// AffineGrid: grid[n, (d,) h, w] = theta[n] @ [x_w, y_h, (z_d,) 1] with the normalised base coordinates
// of PyTorch's affine_grid (a size-1 axis has the single coordinate 0).

class AffineGridOp : public Op {
 public:
  explicit AffineGridOp(bool align) : align_(align) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool align = a.get_int("align_corners", 0) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<AffineGridOp>(align));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64}));
    SOFIE_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> size, load_ints(ctx, 1, "size"));
    if (size) {
      SOFIE_RETURN_IF_ERROR(check_size(ctx, *size));
      Dims out = out_dims(*size);
      ctx.set_output(0, ctx.input_dtype(0), SymShape::of(out));
      return absl::OkStatus();
    }
    const SymShape& s = ctx.input_shape(1);
    if (s.rank_known() && s.rank() == 1 && s[0].is_known()) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape(std::vector<Dim>(s[0].value, Dim::unknown())));
    } else {
      ctx.set_output(0, ctx.input_dtype(0), SymShape::unknown_rank());
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    SOFIE_ASSIGN_OR_RETURN(const std::vector<int64_t> size, plan_ints(ctx, 1, "size"));
    SOFIE_RETURN_IF_ERROR(check_size(ctx, size));
    const int64_t spatial = static_cast<int64_t>(size.size()) - 2;
    const Dims& theta = ctx.input_shape(0);
    if (theta.size() != 3 || theta[0] != size[0] || theta[1] != spatial || theta[2] != spatial + 1) {
      return ctx.error(absl::StrCat("theta has shape ", dims_string(theta), "; expected [", size[0], ", ", spatial,
                                    ", ", spatial + 1, "] for size ", dims_string(size)));
    }
    ctx.set_output_shape(0, out_dims(size));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    visit_float(ctx.input(0).dtype, [&](auto zero) { go<decltype(zero)>(ctx); });
    return absl::OkStatus();
  }

 private:
  template <typename Ctx>
  static absl::Status check_size(const Ctx& ctx, const std::vector<int64_t>& size) {
    if (size.size() != 4 && size.size() != 5) {
      return ctx.error(absl::StrCat("size has ", size.size(), " values; expected 4 ([N, C, H, W]) or 5 ",
                                    "([N, C, D, H, W])"));
    }
    for (int64_t d : size) {
      if (d < 0) return ctx.error(absl::StrCat("size ", dims_string(size), " has a negative dimension"));
    }
    return absl::OkStatus();
  }

  static Dims out_dims(const std::vector<int64_t>& size) {
    Dims out{size[0]};
    out.insert(out.end(), size.begin() + 2, size.end());
    out.push_back(static_cast<int64_t>(size.size()) - 2);
    return out;
  }

  double base(int64_t i, int64_t steps) const {
    if (steps <= 1) return 0.0;
    const double s = static_cast<double>(steps);
    const double v = -1.0 + 2.0 * static_cast<double>(i) / (s - 1);
    return align_ ? v : v * (s - 1) / s;
  }

  template <typename T>
  void go(const RunContext& ctx) const {
    const Dims& out = ctx.output(0).shape;
    const int64_t spatial = static_cast<int64_t>(out.size()) - 2;
    const int64_t d_size = spatial == 3 ? out[1] : 1;
    const int64_t h_size = out[spatial == 3 ? 2 : 1], w_size = out[spatial == 3 ? 3 : 2];
    const T* theta = ctx.input(0).data_as<T>();
    T* y = ctx.output(0).data_as<T>();
    const int64_t rows = spatial, cols = spatial + 1;
    for (int64_t n = 0; n < out[0]; ++n) {
      double m[12];
      for (int64_t i = 0; i < rows * cols; ++i) m[i] = static_cast<double>(theta[n * rows * cols + i]);
      for (int64_t d = 0; d < d_size; ++d) {
        const double z = spatial == 3 ? base(d, d_size) : 0.0;
        for (int64_t hh = 0; hh < h_size; ++hh) {
          const double yy = base(hh, h_size);
          for (int64_t ww = 0; ww < w_size; ++ww) {
            const double xx = base(ww, w_size);
            for (int64_t r = 0; r < rows; ++r) {
              const double* mr = m + r * cols;
              double v = mr[0] * xx + mr[1] * yy + mr[cols - 1];
              if (spatial == 3) v += mr[2] * z;
              *y++ = static_cast<T>(v);
            }
          }
        }
      }
    }
  }

  bool align_;
};

// ---------------------------------------------------------------------------------------------------
// RoiAlign, as ONNX Runtime computes it: bilinear samples on a roi_bin_grid of each output bin (samples
// outside [-1, size] count 0, others are clamped into the map), averaged, or for mode=max the largest
// weighted corner value over the samples (ONNX Runtime's and the ONNX reference's definition of max).

class RoiAlignOp : public Op {
 public:
  RoiAlignOp(bool max_mode, bool half_pixel, int64_t oh, int64_t ow, int64_t ratio, double scale)
      : max_(max_mode), half_pixel_(half_pixel), oh_(oh), ow_(ow), ratio_(ratio), scale_(scale) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const std::string mode = a.get_string("mode", "avg");
    const std::string ctm = node.opset >= 16 ? a.get_string("coordinate_transformation_mode", "half_pixel")
                                             : std::string("output_half_pixel");
    const int64_t oh = a.get_int("output_height", 1), ow = a.get_int("output_width", 1);
    const int64_t ratio = a.get_int("sampling_ratio", 0);
    const float scale = a.get_float("spatial_scale", 1.0f);
    SOFIE_RETURN_IF_ERROR(a.status());
    if (mode != "avg" && mode != "max") {
      return node_error(node, absl::StrCat("mode '", mode, "' is not one of avg, max"));
    }
    if (ctm != "half_pixel" && ctm != "output_half_pixel") {
      return node_error(node, absl::StrCat("coordinate_transformation_mode '", ctm,
                                           "' is not one of half_pixel, output_half_pixel"));
    }
    if (oh < 1 || ow < 1) {
      return node_error(node, absl::StrCat("output_height ", oh, " and output_width ", ow, " must be >= 1"));
    }
    if (ratio < 0) return node_error(node, absl::StrCat("sampling_ratio is ", ratio, "; expected >= 0"));
    return std::unique_ptr<Op>(std::make_unique<RoiAlignOp>(mode == "max", ctm == "half_pixel", oh, ow, ratio, scale));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 2, {DType::kInt64}));
    const SymShape& x = ctx.input_shape(0);
    const SymShape& rois = ctx.input_shape(1);
    if (x.rank_known() && x.rank() != 4) {
      return ctx.error(absl::StrCat("input X has shape ", x.to_string(), "; expected [N, C, H, W]"));
    }
    if (rois.rank_known() && (rois.rank() != 2 || (rois[1].is_known() && rois[1].value != 4))) {
      return ctx.error(absl::StrCat("rois has shape ", rois.to_string(), "; expected [num_rois, 4]"));
    }
    ctx.set_output(0, ctx.input_dtype(0),
                   SymShape({rois.rank_known() ? rois[0] : Dim::unknown(), x.rank_known() ? x[1] : Dim::unknown(),
                             Dim::known(oh_), Dim::known(ow_)}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const Dims& rois = ctx.input_shape(1);
    const Dims& idx = ctx.input_shape(2);
    if (x.size() != 4) return ctx.error(absl::StrCat("input X has shape ", dims_string(x), "; expected [N, C, H, W]"));
    if (rois.size() != 2 || rois[1] != 4) {
      return ctx.error(absl::StrCat("rois has shape ", dims_string(rois), "; expected [num_rois, 4]"));
    }
    if (idx.size() != 1 || idx[0] != rois[0]) {
      return ctx.error(absl::StrCat("batch_indices has shape ", dims_string(idx), "; expected [", rois[0], "]"));
    }
    ctx.set_workspace(static_cast<size_t>(x[1]) * sizeof(double));
    ctx.set_output_shape(0, Dims{rois[0], x[1], oh_, ow_});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    absl::Status status;
    visit_float(ctx.input(0).dtype, [&](auto zero) { status = go<decltype(zero)>(ctx); });
    return status;
  }

 private:
  struct Sample {
    int64_t pos[4];
    double w[4];
  };

  template <typename T>
  absl::Status go(const RunContext& ctx) const {
    const Dims& xs = ctx.input(0).shape;
    const int64_t batch = xs[0], channels = xs[1], height = xs[2], width = xs[3];
    const T* x = ctx.input(0).data_as<T>();
    const T* rois = ctx.input(1).data_as<T>();
    const int64_t* batch_indices = ctx.input(2).data_as<int64_t>();
    const int64_t num_rois = ctx.input(1).shape[0];
    T* y = ctx.output(0).data_as<T>();
    const double offset = half_pixel_ ? 0.5 : 0.0;
    if (height == 0 || width == 0) {  // every sample is outside an empty map
      std::fill(y, y + ctx.output(0).numel(), T(0));
    }
    for (int64_t r = 0; r < num_rois; ++r) {
      const int64_t b = batch_indices[r];
      if (b < 0 || b >= batch) {
        return ctx.error(absl::StrCat("batch_indices[", r, "] is ", b, "; expected [0, ", batch - 1, "]"));
      }
      const T* roi = rois + r * 4;
      const double x0 = static_cast<double>(roi[0]) * scale_ - offset, y0 = static_cast<double>(roi[1]) * scale_ - offset;
      double roi_w = static_cast<double>(roi[2]) * scale_ - offset - x0;
      double roi_h = static_cast<double>(roi[3]) * scale_ - offset - y0;
      if (!half_pixel_) {  // malformed rois become 1x1
        roi_w = std::max(roi_w, 1.0);
        roi_h = std::max(roi_h, 1.0);
      }
      const double bin_h = roi_h / static_cast<double>(oh_), bin_w = roi_w / static_cast<double>(ow_);
      const int64_t grid_h = ratio_ > 0 ? ratio_ : std::max<int64_t>(0, to_index(std::ceil(roi_h / oh_)));
      const int64_t grid_w = ratio_ > 0 ? ratio_ : std::max<int64_t>(0, to_index(std::ceil(roi_w / ow_)));
      const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
      if (height == 0 || width == 0) continue;
      const T* image = x + b * channels * height * width;
      double* acc = static_cast<double*>(ctx.workspace);
      for (int64_t ph = 0; ph < oh_; ++ph) {
        for (int64_t pw = 0; pw < ow_; ++pw) {
          std::fill(acc, acc + channels, 0.0);
          bool first = true;
          for (int64_t iy = 0; iy < grid_h; ++iy) {
            const double yy = y0 + ph * bin_h + (iy + 0.5) * bin_h / static_cast<double>(grid_h);
            for (int64_t ix = 0; ix < grid_w; ++ix) {
              const double xx = x0 + pw * bin_w + (ix + 0.5) * bin_w / static_cast<double>(grid_w);
              const Sample s = sample(yy, xx, height, width);
              for (int64_t c = 0; c < channels; ++c) {
                const T* plane = image + c * height * width;
                const double v0 = s.w[0] * static_cast<double>(plane[s.pos[0]]);
                const double v1 = s.w[1] * static_cast<double>(plane[s.pos[1]]);
                const double v2 = s.w[2] * static_cast<double>(plane[s.pos[2]]);
                const double v3 = s.w[3] * static_cast<double>(plane[s.pos[3]]);
                if (max_) {
                  const double m = std::max(std::max(v0, v1), std::max(v2, v3));
                  acc[c] = first ? m : std::max(acc[c], m);
                } else {
                  acc[c] += v0 + v1 + v2 + v3;
                }
              }
              first = false;
            }
          }
          T* out = y + r * channels * oh_ * ow_ + ph * ow_ + pw;
          for (int64_t c = 0; c < channels; ++c) out[c * oh_ * ow_] = static_cast<T>(max_ ? acc[c] : acc[c] / count);
        }
      }
    }
    return absl::OkStatus();
  }

  static Sample sample(double y, double x, int64_t height, int64_t width) {
    Sample s{{0, 0, 0, 0}, {0, 0, 0, 0}};
    if (y < -1.0 || y > static_cast<double>(height) || x < -1.0 || x > static_cast<double>(width) ||
        height == 0 || width == 0) {
      return s;
    }
    y = std::max(y, 0.0);
    x = std::max(x, 0.0);
    int64_t y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x), y_high, x_high;
    if (y_low >= height - 1) {
      y_high = y_low = height - 1;
      y = static_cast<double>(y_low);
    } else {
      y_high = y_low + 1;
    }
    if (x_low >= width - 1) {
      x_high = x_low = width - 1;
      x = static_cast<double>(x_low);
    } else {
      x_high = x_low + 1;
    }
    const double ly = y - static_cast<double>(y_low), lx = x - static_cast<double>(x_low);
    const double hy = 1 - ly, hx = 1 - lx;
    s.pos[0] = y_low * width + x_low;
    s.pos[1] = y_low * width + x_high;
    s.pos[2] = y_high * width + x_low;
    s.pos[3] = y_high * width + x_high;
    s.w[0] = hy * hx;
    s.w[1] = hy * lx;
    s.w[2] = ly * hx;
    s.w[3] = ly * lx;
    return s;
  }

  bool max_, half_pixel_;
  int64_t oh_, ow_, ratio_;
  double scale_;
};

SOFIE_REGISTER_OP("", "GridSample", 16, 19, &GridSampleOp::create);
SOFIE_REGISTER_OP("", "GridSample", 20, kMaxOpset, &GridSampleOp::create);
SOFIE_REGISTER_OP("", "AffineGrid", 20, kMaxOpset, &AffineGridOp::create);
SOFIE_REGISTER_OP("", "RoiAlign", 10, 15, &RoiAlignOp::create);
SOFIE_REGISTER_OP("", "RoiAlign", 16, kMaxOpset, &RoiAlignOp::create);

}  // namespace
}  // namespace sofie::ops
