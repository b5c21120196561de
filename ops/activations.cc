// Elementwise activations: Relu, LeakyRelu, Sigmoid, Tanh, Elu, Selu, Celu, HardSigmoid, HardSwish,
// Softplus, Softsign, Gelu, Mish, ThresholdedRelu. float32 goes through vectorised loops built on
// branch-free exp/log/erf (ops/kernels/math_f32.h, ops/fast_math.h; Sigmoid and Tanh through the kernel
// ABI); float64 through <cmath>.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "ops/fast_math.h"
#include "ops/kernels/sofie_kernels.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Activation {
  kRelu,
  kLeakyRelu,
  kSigmoid,
  kTanh,
  kElu,
  kSelu,
  kCelu,
  kHardSigmoid,
  kHardSwish,
  kSoftplus,
  kSoftsign,
  kGelu,
  kGeluTanh,
  kMish,
  kThresholdedRelu,
};

// The attributes an activation reads, with ONNX's defaults.
struct ActivationAttrs {
  float alpha = 0.0f;
  float beta = 0.0f;
  float gamma = 0.0f;
};

absl::StatusOr<ActivationAttrs> read_attrs(const Node& node, Activation kind) {
  Attrs a(node);
  ActivationAttrs out;
  switch (kind) {
    case Activation::kLeakyRelu: out.alpha = a.get_float("alpha", 0.01f); break;
    case Activation::kElu:
    case Activation::kCelu:
    case Activation::kThresholdedRelu: out.alpha = a.get_float("alpha", 1.0f); break;
    case Activation::kSelu:
      out.alpha = a.get_float("alpha", 1.67326319217681884765625f);
      out.gamma = a.get_float("gamma", 1.05070102214813232421875f);
      break;
    case Activation::kHardSigmoid:
      out.alpha = a.get_float("alpha", 0.2f);
      out.beta = a.get_float("beta", 0.5f);
      break;
    default: break;
  }
  SOFIE_RETURN_IF_ERROR(a.status());
  if (kind == Activation::kCelu && out.alpha == 0.0f) {
    return node_error(node, "alpha must not be 0 (Celu divides by it)");
  }
  return out;
}

class ActivationOp : public Op {
 public:
  ActivationOp(Activation kind, ActivationAttrs attrs) : kind_(kind), attrs_(attrs) {}

  template <Activation kKind>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    SOFIE_ASSIGN_OR_RETURN(ActivationAttrs attrs, read_attrs(node, kKind));
    return std::unique_ptr<Op>(std::make_unique<ActivationOp>(kKind, attrs));
  }

  // Gelu's `approximate` picks the formula once, at load.
  static absl::StatusOr<std::unique_ptr<Op>> create_gelu(const Node& node) {
    Attrs a(node);
    const std::string approximate = a.get_string("approximate", "none");
    SOFIE_RETURN_IF_ERROR(a.status());
    if (approximate != "none" && approximate != "tanh") {
      return node_error(node, absl::StrCat("approximate '", approximate, "' is not one of none, tanh"));
    }
    const Activation kind = approximate == "tanh" ? Activation::kGeluTanh : Activation::kGelu;
    return std::unique_ptr<Op>(std::make_unique<ActivationOp>(kind, ActivationAttrs{}));
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
    ctx.set_inplace(0, 0);  // elementwise: every kernel below works with x == y
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    const int64_t n = x.numel();
    if (n == 0) return absl::OkStatus();
    void* y = ctx.output(0).data;
    switch (x.dtype) {
      case DType::kFloat32: apply_float(n, x.data_as<float>(), static_cast<float*>(y)); break;
      case DType::kFloat64: apply_float(n, x.data_as<double>(), static_cast<double*>(y)); break;
      case DType::kInt32: apply_int(n, x.data_as<int32_t>(), static_cast<int32_t*>(y)); break;
      case DType::kInt64: apply_int(n, x.data_as<int64_t>(), static_cast<int64_t*>(y)); break;
      default: return ctx.error(absl::StrCat("unsupported dtype ", dtype_name(x.dtype)));
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  void apply_int(int64_t n, const T* x, T* y) const {
    map_unary(n, x, y, [](T v) { return std::max(v, T(0)); });  // only Relu takes integers
  }

  template <typename T>
  void apply_float(int64_t n, const T* x, T* y) const {
    const T alpha = static_cast<T>(attrs_.alpha);
    const T beta = static_cast<T>(attrs_.beta);
    const T gamma = static_cast<T>(attrs_.gamma);
    switch (kind_) {
      case Activation::kRelu:
        map_unary(n, x, y, [](T v) { return std::max(v, T(0)); });
        return;
      case Activation::kLeakyRelu:
        map_unary(n, x, y, [alpha](T v) { return select(v >= T(0), v, static_cast<T>(v * alpha)); });
        return;
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
      case Activation::kElu:
        map_unary(n, x, y, [alpha](T v) { return select(v < T(0), static_cast<T>(alpha * expm1_t(v)), v); });
        return;
      case Activation::kSelu:
        map_unary(n, x, y, [alpha, gamma](T v) {
          return static_cast<T>(gamma * select(v <= T(0), static_cast<T>(alpha * expm1_t(v)), v));
        });
        return;
      case Activation::kCelu: {
        const T inv_alpha = T(1) / alpha;
        map_unary(n, x, y, [alpha, inv_alpha](T v) {
          return select(v > T(0), v, static_cast<T>(alpha * expm1_t(static_cast<T>(v * inv_alpha))));
        });
        return;
      }
      case Activation::kHardSigmoid:
        map_unary(n, x, y, [alpha, beta](T v) { return std::max(T(0), std::min(T(1), alpha * v + beta)); });
        return;
      case Activation::kHardSwish:
        map_unary(n, x, y, [](T v) { return v * std::max(T(0), std::min(T(1), v * T(1.0 / 6.0) + T(0.5))); });
        return;
      case Activation::kSoftplus:
        map_unary(n, x, y, [](T v) { return softplus_t(v); });
        return;
      case Activation::kSoftsign:
        map_unary(n, x, y, [](T v) { return v / (T(1) + std::fabs(v)); });
        return;
      case Activation::kGelu:
        map_unary(n, x, y, [](T v) { return T(0.5) * v * (T(1) + erf_t(static_cast<T>(v * T(M_SQRT1_2)))); });
        return;
      case Activation::kGeluTanh: {
        const T k = static_cast<T>(std::sqrt(2.0 / M_PI));
        map_unary(n, x, y, [k](T v) {
          return T(0.5) * v * (T(1) + tanh_t(static_cast<T>(k * (v + T(0.044715) * v * v * v))));
        });
        return;
      }
      case Activation::kMish:
        map_unary(n, x, y, [](T v) { return v * tanh_t(softplus_t(v)); });
        return;
      case Activation::kThresholdedRelu:
        map_unary(n, x, y, [alpha](T v) { return select(v > alpha, v, T(0)); });
        return;
    }
  }

  Activation kind_;
  ActivationAttrs attrs_;
};

SOFIE_REGISTER_OP("", "Relu", 6, kMaxOpset, &ActivationOp::create<Activation::kRelu>);
SOFIE_REGISTER_OP("", "LeakyRelu", 6, kMaxOpset, &ActivationOp::create<Activation::kLeakyRelu>);
SOFIE_REGISTER_OP("", "Sigmoid", 6, kMaxOpset, &ActivationOp::create<Activation::kSigmoid>);
SOFIE_REGISTER_OP("", "Tanh", 6, kMaxOpset, &ActivationOp::create<Activation::kTanh>);
SOFIE_REGISTER_OP("", "Elu", 6, kMaxOpset, &ActivationOp::create<Activation::kElu>);
SOFIE_REGISTER_OP("", "Selu", 6, kMaxOpset, &ActivationOp::create<Activation::kSelu>);
SOFIE_REGISTER_OP("", "Celu", 12, kMaxOpset, &ActivationOp::create<Activation::kCelu>);
SOFIE_REGISTER_OP("", "HardSigmoid", 6, kMaxOpset, &ActivationOp::create<Activation::kHardSigmoid>);
SOFIE_REGISTER_OP("", "HardSwish", 14, kMaxOpset, &ActivationOp::create<Activation::kHardSwish>);
SOFIE_REGISTER_OP("", "Softplus", 1, kMaxOpset, &ActivationOp::create<Activation::kSoftplus>);
SOFIE_REGISTER_OP("", "Softsign", 1, kMaxOpset, &ActivationOp::create<Activation::kSoftsign>);
SOFIE_REGISTER_OP("", "Gelu", 20, kMaxOpset, &ActivationOp::create_gelu);
SOFIE_REGISTER_OP("", "Mish", 18, kMaxOpset, &ActivationOp::create<Activation::kMish>);
SOFIE_REGISTER_OP("", "ThresholdedRelu", 10, kMaxOpset, &ActivationOp::create<Activation::kThresholdedRelu>);

}  // namespace
}  // namespace sofie::ops
