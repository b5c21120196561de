// Window generators HannWindow, HammingWindow, BlackmanWindow and the mel filter bank MelWeightMatrix
// (opset 17). Their output shapes come from input values (`size`, `num_mel_bins`, `dft_length`), which
// must be known when planning; the values are computed in double and cast to `output_datatype` (float32,
// float64, int64, int32, int8, uint8).
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/misc_b_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

constexpr double kPi = 3.14159265358979323846264338327950288;

// Output dtypes of the generators (T2/T3 of the specs, within sofie's types).
constexpr DType kOutTypes[] = {DType::kFloat32, DType::kFloat64, DType::kInt64,
                               DType::kInt32,   DType::kInt8,    DType::kUInt8};

// The generalised cosine window a0 - a1 cos(2 pi k / N) + a2 cos(4 pi k / N), N = size (periodic) or
// size - 1 (symmetric). A window of size 1 is [1] whether periodic or not, as in PyTorch, NumPy and SciPy
// (the formula would give a0 - a1 + a2 for a periodic one and 0/0 for a symmetric one).
class WindowOp : public Op {
 public:
  WindowOp(double a0, double a1, double a2, bool periodic, DType dtype)
      : a0_(a0), a1_(a1), a2_(a2), periodic_(periodic), dtype_(dtype) {}

  template <int kKind>  // 0 Hann, 1 Hamming, 2 Blackman
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool periodic = a.get_int("periodic", 1) != 0;
    const int64_t onnx_type = a.get_int("output_datatype", 1);
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_ASSIGN_OR_RETURN(const DType dtype, attr_dtype(node, onnx_type, kOutTypes));
    double a0 = 0.5, a1 = 0.5, a2 = 0.0;
    if (kKind == 1) {
      a0 = 25.0 / 46.0;
      a1 = 21.0 / 46.0;
    } else if (kKind == 2) {
      a0 = 0.42;
      a1 = 0.5;
      a2 = 0.08;
    }
    return std::unique_ptr<Op>(std::make_unique<WindowOp>(a0, a1, a2, periodic, dtype));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kInt64, DType::kInt32}));
    SOFIE_ASSIGN_OR_RETURN(const std::optional<int64_t> size, load_int(ctx, 0, "size"));
    if (size && *size < 0) return ctx.error(absl::StrCat("size is ", *size, "; expected >= 0"));
    ctx.set_output(0, dtype_, SymShape({size ? Dim::known(*size) : Dim::unknown()}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    SOFIE_ASSIGN_OR_RETURN(const int64_t size, plan_int(ctx, 0, "size"));
    if (size < 0) return ctx.error(absl::StrCat("size is ", size, "; expected >= 0"));
    ctx.set_output_shape(0, Dims{size});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    TensorView& y = ctx.output(0);
    const int64_t size = y.shape[0];
    const int64_t period = periodic_ || size == 1 ? size : size - 1;
    visit_numeric(y.dtype, [&](auto zero) {
      using T = decltype(zero);
      T* out = y.data_as<T>();
      if (size == 1) {
        for (int64_t k = 0; k < size; ++k) out[k] = T(1);
        return;
      }
      const double step = 2.0 * kPi / static_cast<double>(period);
      for (int64_t k = 0; k < size; ++k) {
        const double t = step * static_cast<double>(k);
        out[k] = static_cast<T>(a0_ - a1_ * std::cos(t) + a2_ * std::cos(2.0 * t));
      }
    });
    return absl::OkStatus();
  }

 private:
  double a0_, a1_, a2_;
  bool periodic_;
  DType dtype_;
};

// MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] triangular filters on the mel scale
// (mel = 2595 log10(1 + hz / 700)), with the filter edges at num_mel_bins + 2 points evenly spaced in mel
// between lower_edge_hertz and upper_edge_hertz (the spacing divides by num_mel_bins + 2, as the ONNX
// reference and ONNX Runtime do), each mapped to the spectrogram bin floor((dft_length + 1) hz / rate).
struct MelParams : OpParams {
  int64_t mel_bins = 0, dft_length = 0, spectrogram_bins = 0;
};

class MelWeightMatrixOp : public Op {
 public:
  explicit MelWeightMatrixOp(DType dtype) : dtype_(dtype) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t onnx_type = a.get_int("output_datatype", 1);
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_ASSIGN_OR_RETURN(const DType dtype, attr_dtype(node, onnx_type, kOutTypes));
    return std::unique_ptr<Op>(std::make_unique<MelWeightMatrixOp>(dtype));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 5, 5));
    for (int i = 0; i < 3; ++i) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kInt64, DType::kInt32}));
    for (int i = 3; i < 5; ++i) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kFloat32, DType::kFloat64}));
    SOFIE_ASSIGN_OR_RETURN(const std::optional<int64_t> mel_bins, load_int(ctx, 0, "num_mel_bins"));
    SOFIE_ASSIGN_OR_RETURN(const std::optional<int64_t> dft_length, load_int(ctx, 1, "dft_length"));
    if (mel_bins) SOFIE_RETURN_IF_ERROR(check_sizes(ctx, *mel_bins, 1));
    if (dft_length) SOFIE_RETURN_IF_ERROR(check_sizes(ctx, 1, *dft_length));
    ctx.set_output(0, dtype_,
                   SymShape({dft_length ? Dim::known(*dft_length / 2 + 1) : Dim::unknown(),
                             mel_bins ? Dim::known(*mel_bins) : Dim::unknown()}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    SOFIE_ASSIGN_OR_RETURN(const int64_t mel_bins, plan_int(ctx, 0, "num_mel_bins"));
    SOFIE_ASSIGN_OR_RETURN(const int64_t dft_length, plan_int(ctx, 1, "dft_length"));
    SOFIE_RETURN_IF_ERROR(check_sizes(ctx, mel_bins, dft_length));
    for (int i = 2; i < 5; ++i) {
      if (num_elements(ctx.input_shape(i)) != 1) {
        return ctx.error(absl::StrCat("input ", i, " has shape ", dims_string(ctx.input_shape(i)),
                                      "; expected a scalar"));
      }
    }
    auto& p = ctx.make_params<MelParams>();
    p.mel_bins = mel_bins;
    p.dft_length = dft_length;
    p.spectrogram_bins = dft_length / 2 + 1;
    ctx.set_workspace(static_cast<size_t>(mel_bins + 2) * sizeof(int64_t));
    ctx.set_output_shape(0, Dims{p.spectrogram_bins, mel_bins});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<MelParams>();
    SOFIE_ASSIGN_OR_RETURN(const int64_t rate, single_int(ctx.input(2), "sample_rate"));
    SOFIE_ASSIGN_OR_RETURN(const double lower, single_real(ctx.input(3), "lower_edge_hertz"));
    SOFIE_ASSIGN_OR_RETURN(const double upper, single_real(ctx.input(4), "upper_edge_hertz"));
    if (rate <= 0) return ctx.error(absl::StrCat("sample_rate is ", rate, "; expected > 0"));
    if (!(lower >= 0 && lower <= upper)) {
      return ctx.error(absl::StrCat("lower_edge_hertz ", lower, " and upper_edge_hertz ", upper,
                                    " must satisfy 0 <= lower <= upper"));
    }
    auto to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
    const double low_mel = to_mel(lower);
    const double mel_step = (to_mel(upper) - low_mel) / static_cast<double>(p.mel_bins + 2);
    int64_t* bins = static_cast<int64_t*>(ctx.workspace);
    for (int64_t i = 0; i < p.mel_bins + 2; ++i) {
      const double hz = 700.0 * (std::pow(10.0, (low_mel + mel_step * static_cast<double>(i)) / 2595.0) - 1.0);
      bins[i] = static_cast<int64_t>(std::floor(static_cast<double>(p.dft_length + 1) * hz / static_cast<double>(rate)));
    }
    // The filters touch bins[0] .. bins[mel_bins + 1] - 1 (and bins[mel_bins] itself).
    if (bins[p.mel_bins] >= p.spectrogram_bins || bins[p.mel_bins + 1] > p.spectrogram_bins) {
      return ctx.error(absl::StrCat("upper_edge_hertz ", upper, " maps to spectrogram bin ", bins[p.mel_bins + 1],
                                    "; the ", p.spectrogram_bins, " bins of dft_length ", p.dft_length,
                                    " at sample_rate ", rate, " end before it (upper_edge_hertz must be at most ",
                                    "sample_rate / 2)"));
    }
    TensorView& y = ctx.output(0);
    visit_numeric(y.dtype, [&](auto zero) {
      using T = decltype(zero);
      T* out = y.data_as<T>();
      std::fill(out, out + p.spectrogram_bins * p.mel_bins, T(0));
      for (int64_t i = 0; i < p.mel_bins; ++i) {
        const int64_t left = bins[i], center = bins[i + 1], right = bins[i + 2];
        if (center == left) {
          out[center * p.mel_bins + i] = T(1);
        } else {
          for (int64_t j = left; j <= center; ++j) {
            out[j * p.mel_bins + i] = static_cast<T>(static_cast<double>(j - left) / static_cast<double>(center - left));
          }
        }
        for (int64_t j = center; j < right; ++j) {
          out[j * p.mel_bins + i] = static_cast<T>(static_cast<double>(right - j) / static_cast<double>(right - center));
        }
      }
    });
    return absl::OkStatus();
  }

 private:
  template <typename Ctx>
  static absl::Status check_sizes(const Ctx& ctx, int64_t mel_bins, int64_t dft_length) {
    if (mel_bins < 1) return ctx.error(absl::StrCat("num_mel_bins is ", mel_bins, "; expected >= 1"));
    if (dft_length < 1) return ctx.error(absl::StrCat("dft_length is ", dft_length, "; expected >= 1"));
    return absl::OkStatus();
  }

  DType dtype_;
};

SOFIE_REGISTER_OP("", "HannWindow", 17, kMaxOpset, &WindowOp::create<0>);
SOFIE_REGISTER_OP("", "HammingWindow", 17, kMaxOpset, &WindowOp::create<1>);
SOFIE_REGISTER_OP("", "BlackmanWindow", 17, kMaxOpset, &WindowOp::create<2>);
SOFIE_REGISTER_OP("", "MelWeightMatrix", 17, kMaxOpset, &MelWeightMatrixOp::create);

}  // namespace
}  // namespace sofie::ops
