// Fourier transforms: DFT (opset 17: `axis` attribute; opset 20: `axis` input) and STFT (opset 17), float32
// and float64. Complex values are a trailing dimension of 2 (real, imaginary); real inputs have 1 there.
//
// Every transform runs through FftPlan, built once per plan in reshape and kept in the params:
//  - power-of-two lengths: iterative radix-2 Cooley-Tukey, O(n log n), with the bit-reversal permutation
//    and the twiddles exp(-2 pi i k / n) precomputed;
//  - other lengths: Bluestein's chirp-z algorithm, also O(n log n): the DFT of length n becomes a circular
//    convolution of length m = 2^ceil(log2(2n - 1)) done with two radix-2 FFTs of size m; the chirp and the
//    FFT of the convolution filter are precomputed.
// The arithmetic is in double for both dtypes (a few ulps of float32 even for long transforms); each line
// of the transform is gathered into the workspace, transformed in place and scattered to the output.
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/misc_b_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

using Complex = std::complex<double>;
constexpr double kPi = 3.14159265358979323846264338327950288;

// Plain complex product: std::complex's operator* checks for NaN/inf (a library call per product).
inline Complex cmul(Complex a, Complex b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

class FftPlan {
 public:
  void init(int64_t n) {
    n_ = n;
    if (n <= 0) return;
    bluestein_ = (n & (n - 1)) != 0;
    m_ = 1;
    while (m_ < (bluestein_ ? 2 * n - 1 : n)) m_ <<= 1;
    int bits = 0;
    while ((int64_t{1} << bits) < m_) ++bits;
    bitrev_.resize(static_cast<size_t>(m_));
    for (int64_t i = 0; i < m_; ++i) {
      int64_t r = 0;
      for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
      bitrev_[i] = r;
    }
    twiddle_.resize(static_cast<size_t>(m_ / 2));
    for (int64_t k = 0; k < m_ / 2; ++k) {
      const double angle = -2.0 * kPi * static_cast<double>(k) / static_cast<double>(m_);
      twiddle_[k] = {std::cos(angle), std::sin(angle)};
    }
    if (!bluestein_) return;
    // chirp_k = exp(-i pi k^2 / n); k^2 is reduced mod 2n first so the angle stays small and exact.
    chirp_.resize(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) {
      const int64_t k2 = static_cast<int64_t>((static_cast<unsigned __int128>(k) * k) % (2 * n));
      const double angle = -kPi * static_cast<double>(k2) / static_cast<double>(n);
      chirp_[k] = {std::cos(angle), std::sin(angle)};
    }
    filter_.assign(static_cast<size_t>(m_), Complex(0, 0));
    filter_[0] = std::conj(chirp_[0]);
    for (int64_t k = 1; k < n; ++k) filter_[k] = filter_[m_ - k] = std::conj(chirp_[k]);
    radix2(filter_.data());
  }

  int64_t size() const { return n_; }
  // Complex elements of scratch forward() needs besides the data.
  size_t scratch_size() const { return bluestein_ ? static_cast<size_t>(m_) : 0; }

  // In place: x[k] = sum_j x[j] exp(-2 pi i j k / n).
  void forward(Complex* x, Complex* scratch) const {
    if (!bluestein_) {
      radix2(x);
      return;
    }
    Complex* a = scratch;
    for (int64_t k = 0; k < n_; ++k) a[k] = cmul(x[k], chirp_[k]);
    for (int64_t k = n_; k < m_; ++k) a[k] = Complex(0, 0);
    radix2(a);
    // Inverse FFT of the product through conjugation: ifft(v) = conj(fft(conj(v))) / m.
    for (int64_t k = 0; k < m_; ++k) a[k] = std::conj(cmul(a[k], filter_[k]));
    radix2(a);
    const double scale = 1.0 / static_cast<double>(m_);
    for (int64_t k = 0; k < n_; ++k) x[k] = cmul(std::conj(a[k]) * scale, chirp_[k]);
  }

 private:
  // In-place radix-2 FFT of size m_.
  void radix2(Complex* a) const {
    for (int64_t i = 0; i < m_; ++i) {
      const int64_t j = bitrev_[i];
      if (i < j) std::swap(a[i], a[j]);
    }
    for (int64_t len = 2; len <= m_; len <<= 1) {
      const int64_t half = len / 2, step = m_ / len;
      for (int64_t i = 0; i < m_; i += len) {
        for (int64_t k = 0; k < half; ++k) {
          const Complex u = a[i + k];
          const Complex v = cmul(a[i + k + half], twiddle_[k * step]);
          a[i + k] = u + v;
          a[i + k + half] = u - v;
        }
      }
    }
  }

  int64_t n_ = 0, m_ = 0;
  bool bluestein_ = false;
  std::vector<int64_t> bitrev_;
  std::vector<Complex> twiddle_;  // m/2 values exp(-2 pi i k / m)
  std::vector<Complex> chirp_;    // Bluestein: n values
  std::vector<Complex> filter_;   // Bluestein: FFT of the wrapped conjugate chirp, m values
};

// One transform of a line of `count` input elements `stride` apart (channels 1 = real, 2 = complex),
// zero-padded or truncated to the plan's length, optionally windowed; `bins` outputs `out_stride` apart.
template <typename T>
void transform_line(const FftPlan& fft, const T* x, int64_t count, int64_t stride, int64_t channels,
                    const T* window, bool inverse, int64_t bins, T* y, int64_t out_stride, Complex* buf,
                    Complex* scratch) {
  const int64_t n = fft.size();
  const int64_t used = std::min(count, n);
  for (int64_t k = 0; k < used; ++k) {
    const T* p = x + k * stride;
    double re = static_cast<double>(p[0]);
    double im = channels == 2 ? static_cast<double>(p[1]) : 0.0;
    if (window != nullptr) {
      const double w = static_cast<double>(window[k]);
      re *= w;
      im *= w;
    }
    buf[k] = Complex(re, inverse ? -im : im);
  }
  for (int64_t k = used; k < n; ++k) buf[k] = Complex(0, 0);
  fft.forward(buf, scratch);
  const double scale = inverse ? 1.0 / static_cast<double>(n) : 1.0;
  const double sign = inverse ? -1.0 : 1.0;
  for (int64_t k = 0; k < bins; ++k) {
    y[k * out_stride] = static_cast<T>(buf[k].real() * scale);
    y[k * out_stride + 1] = static_cast<T>(sign * buf[k].imag() * scale);
  }
}

size_t fft_workspace(const FftPlan& fft) {
  return (static_cast<size_t>(fft.size()) + fft.scratch_size()) * sizeof(Complex);
}

// ---------------------------------------------------------------------------------------------------
// DFT

struct DftParams : OpParams {
  FftPlan fft;
  int64_t outer = 0, in_len = 0, inner = 0, channels = 1, bins = 0;
};

class DftOp : public Op {
 public:
  DftOp(int opset, int64_t axis, bool inverse, bool onesided)
      : axis_input_(opset >= 20), axis_(axis), inverse_(inverse), onesided_(onesided) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = node.opset >= 20 ? -2 : a.get_int("axis", 1);
    const bool inverse = a.get_int("inverse", 0) != 0;
    const bool onesided = a.get_int("onesided", 0) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    if (inverse && onesided) {
      return unsupported(node, "onesided=1 with inverse=1 (an inverse of a one-sided spectrum) is not supported");
    }
    return std::unique_ptr<Op>(std::make_unique<DftOp>(node.opset, axis, inverse, onesided));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, axis_input_ ? 3 : 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    if (ctx.has_input(1)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 2, {DType::kInt64, DType::kInt32}));
    const SymShape& x = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(0);
    if (!x.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    const int64_t rank = x.rank();
    SOFIE_RETURN_IF_ERROR(check_channels(ctx, x[rank - 1].is_known() ? x[rank - 1].value : -1, rank));
    std::optional<int64_t> axis_value = axis_;
    if (axis_input_ && ctx.has_input(2)) {
      SOFIE_ASSIGN_OR_RETURN(axis_value, load_int(ctx, 2, "axis"));
    }
    std::vector<Dim> out(x.dims());
    out[rank - 1] = Dim::known(2);
    if (!axis_value) {
      for (int64_t d = 0; d + 1 < rank; ++d) out[d] = Dim::unknown();
      ctx.set_output(0, dtype, SymShape(std::move(out)));
      return absl::OkStatus();
    }
    auto axis = resolve_axis(*axis_value, rank);
    if (!axis.ok()) return ctx.error(axis.status().message());
    std::optional<int64_t> n;
    if (ctx.has_input(1)) {
      SOFIE_ASSIGN_OR_RETURN(n, load_int(ctx, 1, "dft_length"));
      if (n && *n < 1) return ctx.error(absl::StrCat("dft_length is ", *n, "; expected a positive length"));
    } else if (x[*axis].is_known()) {
      n = x[*axis].value;
    }
    if (n) {
      out[*axis] = Dim::known(onesided_ ? *n / 2 + 1 : *n);
    } else if (ctx.has_input(1) || onesided_) {
      out[*axis] = Dim::unknown();
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(x.size());
    SOFIE_RETURN_IF_ERROR(check_channels(ctx, x[rank - 1], rank));
    int64_t axis_value = axis_;
    if (axis_input_ && ctx.has_input(2)) {
      SOFIE_ASSIGN_OR_RETURN(axis_value, plan_int(ctx, 2, "axis"));
    }
    auto axis = resolve_axis(axis_value, rank);
    if (!axis.ok()) return ctx.error(axis.status().message());
    int64_t n = x[*axis];
    if (ctx.has_input(1)) {
      SOFIE_ASSIGN_OR_RETURN(n, plan_int(ctx, 1, "dft_length"));
      if (n < 1) return ctx.error(absl::StrCat("dft_length is ", n, "; expected a positive length"));
    }
    auto& p = ctx.make_params<DftParams>();
    p.fft.init(n);
    p.outer = num_elements(absl::Span<const int64_t>(x).subspan(0, *axis));
    p.in_len = x[*axis];
    p.inner = num_elements(absl::Span<const int64_t>(x).subspan(*axis + 1, rank - 2 - *axis));
    p.channels = x[rank - 1];
    p.bins = onesided_ ? n / 2 + 1 : n;
    if (n == 0) p.bins = 0;
    Dims out = x;
    out[*axis] = p.bins;
    out[rank - 1] = 2;
    ctx.set_workspace(fft_workspace(p.fft));
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<DftParams>();
    if (p.outer * p.inner * p.bins == 0) return absl::OkStatus();
    if (ctx.input(0).dtype == DType::kFloat32) {
      go<float>(ctx, p);
    } else {
      go<double>(ctx, p);
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  void go(const RunContext& ctx, const DftParams& p) const {
    const T* x = ctx.input(0).data_as<T>();
    T* y = ctx.output(0).data_as<T>();
    Complex* buf = static_cast<Complex*>(ctx.workspace);
    Complex* scratch = buf + p.fft.size();
    for (int64_t o = 0; o < p.outer; ++o) {
      for (int64_t i = 0; i < p.inner; ++i) {
        const T* xi = x + ((o * p.in_len) * p.inner + i) * p.channels;
        T* yi = y + ((o * p.bins) * p.inner + i) * 2;
        transform_line(p.fft, xi, p.in_len, p.inner * p.channels, p.channels, static_cast<const T*>(nullptr),
                       inverse_, p.bins, yi, p.inner * 2, buf, scratch);
      }
    }
  }

  // The last axis holds 1 (real) or 2 (complex) values; a one-sided spectrum needs a real input.
  template <typename Ctx>
  absl::Status check_channels(const Ctx& ctx, int64_t channels, int64_t rank) const {
    if (rank < 2) return ctx.error(absl::StrCat("input has rank ", rank, "; expected at least 2 ([..., n, 1|2])"));
    if (channels >= 0 && channels != 1 && channels != 2) {
      return ctx.error(absl::StrCat("the last input dimension is ", channels, "; expected 1 (real) or 2 (complex)"));
    }
    if (onesided_ && channels == 2) {
      return ctx.error("onesided=1 needs a real input (last dimension 1); the input is complex");
    }
    return absl::OkStatus();
  }

  // Any axis but the last (the complex one): [-rank, -2] or [0, rank - 2].
  static absl::StatusOr<int64_t> resolve_axis(int64_t axis, int64_t rank) {
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a > rank - 2) {
      return absl::InvalidArgumentError(absl::StrCat("axis ", axis, " is out of range for an input of rank ", rank,
                                                     "; expected [", -rank, ", -2] or [0, ", rank - 2, "]"));
    }
    return a;
  }

  bool axis_input_;
  int64_t axis_;
  bool inverse_, onesided_;
};

// ---------------------------------------------------------------------------------------------------
// STFT: frames of `frame_length` samples, `frame_step` apart, each windowed and transformed.

struct StftParams : OpParams {
  FftPlan fft;
  int64_t batch = 0, length = 0, channels = 1, frames = 0, step = 0, bins = 0;
};

class StftOp : public Op {
 public:
  explicit StftOp(bool onesided) : onesided_(onesided) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool onesided = a.get_int("onesided", 1) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<StftOp>(onesided));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 4));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    if (ctx.has_input(3)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 3, {DType::kInt64, DType::kInt32}));
    if (!ctx.has_input(2) && !ctx.has_input(3)) {
      return ctx.error("needs a window or a frame_length input (both are absent)");
    }
    const SymShape& x = ctx.input_shape(0);
    std::vector<Dim> out(4, Dim::unknown());
    out[3] = Dim::known(2);
    if (x.rank_known()) {
      if (x.rank() != 3) {
        return ctx.error(absl::StrCat("signal has shape ", x.to_string(), "; expected [batch, length, 1|2]"));
      }
      out[0] = x[0];
      if (x[2].is_known()) SOFIE_RETURN_IF_ERROR(check_channels(ctx, x[2].value));
    }
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    if (x.size() != 3) {
      return ctx.error(absl::StrCat("signal has shape ", dims_string(x), "; expected [batch, length, 1|2]"));
    }
    SOFIE_RETURN_IF_ERROR(check_channels(ctx, x[2]));
    SOFIE_ASSIGN_OR_RETURN(const int64_t step, plan_int(ctx, 1, "frame_step"));
    if (step < 1) return ctx.error(absl::StrCat("frame_step is ", step, "; expected a positive step"));
    int64_t frame_length = -1;
    if (ctx.has_input(3)) {
      SOFIE_ASSIGN_OR_RETURN(frame_length, plan_int(ctx, 3, "frame_length"));
      if (frame_length < 1) return ctx.error(absl::StrCat("frame_length is ", frame_length, "; expected >= 1"));
    }
    if (ctx.has_input(2)) {
      const Dims& w = ctx.input_shape(2);
      if (w.size() != 1 || (frame_length >= 0 && w[0] != frame_length) || w[0] < 1) {
        return ctx.error(absl::StrCat("window has shape ", dims_string(w), "; expected [frame_length]",
                                      frame_length >= 0 ? absl::StrCat(" = [", frame_length, "]") : ""));
      }
      frame_length = w[0];
    }
    if (frame_length > x[1]) {
      return ctx.error(absl::StrCat("frame_length ", frame_length, " exceeds the signal length ", x[1]));
    }
    auto& p = ctx.make_params<StftParams>();
    p.fft.init(frame_length);
    p.batch = x[0];
    p.length = x[1];
    p.channels = x[2];
    p.step = step;
    p.frames = (x[1] - frame_length) / step + 1;
    p.bins = onesided_ ? frame_length / 2 + 1 : frame_length;
    ctx.set_workspace(fft_workspace(p.fft));
    ctx.set_output_shape(0, Dims{p.batch, p.frames, p.bins, 2});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<StftParams>();
    if (p.batch * p.frames == 0) return absl::OkStatus();
    if (ctx.input(0).dtype == DType::kFloat32) {
      go<float>(ctx, p);
    } else {
      go<double>(ctx, p);
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  void go(const RunContext& ctx, const StftParams& p) const {
    const T* x = ctx.input(0).data_as<T>();
    const T* window = ctx.has_input(2) ? ctx.input(2).data_as<T>() : nullptr;
    T* y = ctx.output(0).data_as<T>();
    Complex* buf = static_cast<Complex*>(ctx.workspace);
    Complex* scratch = buf + p.fft.size();
    for (int64_t b = 0; b < p.batch; ++b) {
      for (int64_t f = 0; f < p.frames; ++f) {
        const T* frame = x + (b * p.length + f * p.step) * p.channels;
        T* out = y + ((b * p.frames + f) * p.bins) * 2;
        transform_line(p.fft, frame, p.fft.size(), p.channels, p.channels, window, false, p.bins, out, 2, buf,
                       scratch);
      }
    }
  }

  template <typename Ctx>
  absl::Status check_channels(const Ctx& ctx, int64_t channels) const {
    if (channels != 1 && channels != 2) {
      return ctx.error(absl::StrCat("the last signal dimension is ", channels, "; expected 1 (real) or 2 (complex)"));
    }
    if (onesided_ && channels == 2) {
      return ctx.error("onesided=1 needs a real signal (last dimension 1); the signal is complex");
    }
    return absl::OkStatus();
  }

  bool onesided_;
};

SOFIE_REGISTER_OP("", "DFT", 17, 19, &DftOp::create);
SOFIE_REGISTER_OP("", "DFT", 20, kMaxOpset, &DftOp::create);
SOFIE_REGISTER_OP("", "STFT", 17, kMaxOpset, &StftOp::create);

}  // namespace
}  // namespace sofie::ops
