// Elementwise activations: Relu, LeakyRelu, Sigmoid, Tanh. float32 goes through vectorised loops (Sigmoid
// and Tanh through the kernel ABI's branch-free exp); float64 through <cmath>.
#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ops/kernels/sofie_kernels.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Activation { kRelu, kLeakyRelu, kSigmoid, kTanh };

class ActivationOp : public Op {
 public:
  ActivationOp(Activation kind, float alpha) : kind_(kind), alpha_(alpha) {}

  template <Activation kKind>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const float alpha = kKind == Activation::kLeakyRelu ? a.get_float("alpha", 0.01f) : 0.0f;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<ActivationOp>(kKind, alpha));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    if (kind_ == Activation::kRelu) {
      SOFIE_RETURN_IF_ERROR(
          check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64}));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    const int64_t n = x.numel();
    if (n == 0) return absl::OkStatus();
    void* y = ctx.output(0).data;
    switch (x.dtype) {
      case DType::kFloat32: apply(n, x.data_as<float>(), static_cast<float*>(y)); break;
      case DType::kFloat64: apply(n, x.data_as<double>(), static_cast<double*>(y)); break;
      case DType::kInt32: apply(n, x.data_as<int32_t>(), static_cast<int32_t*>(y)); break;
      case DType::kInt64: apply(n, x.data_as<int64_t>(), static_cast<int64_t*>(y)); break;
      default: return ctx.error(absl::StrCat("unsupported dtype ", dtype_name(x.dtype)));
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  void apply(int64_t n, const T* x, T* y) const {
    switch (kind_) {
      case Activation::kRelu:
        map_unary(n, x, y, [](T v) { return std::max(v, T(0)); });
        return;
      case Activation::kLeakyRelu: {
        const T alpha = static_cast<T>(alpha_);
        map_unary(n, x, y, [alpha](T v) { return select(v >= T(0), v, static_cast<T>(v * alpha)); });
        return;
      }
      case Activation::kSigmoid:
        if constexpr (std::is_same_v<T, float>) {
          sofie_sigmoid_f32(x, y, n);
        } else {
          map_unary(n, x, y, [](T v) { return T(1) / (T(1) + std::exp(-v)); });
        }
        return;
      case Activation::kTanh:
        if constexpr (std::is_same_v<T, float>) {
          sofie_tanh_f32(x, y, n);
        } else {
          map_unary(n, x, y, [](T v) { return std::tanh(v); });
        }
        return;
    }
  }

  Activation kind_;
  float alpha_;
};

SOFIE_REGISTER_OP("", "Relu", 6, kMaxOpset, &ActivationOp::create<Activation::kRelu>);
SOFIE_REGISTER_OP("", "LeakyRelu", 6, kMaxOpset, &ActivationOp::create<Activation::kLeakyRelu>);
SOFIE_REGISTER_OP("", "Sigmoid", 6, kMaxOpset, &ActivationOp::create<Activation::kSigmoid>);
SOFIE_REGISTER_OP("", "Tanh", 6, kMaxOpset, &ActivationOp::create<Activation::kTanh>);

}  // namespace
}  // namespace sofie::ops
