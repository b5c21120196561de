// Arithmetic with numpy (multidirectional) broadcasting: Add, Sub, Mul, Div, Mod, Pow, for float32,
// float64 and all integer dtypes. Integer Div truncates toward zero (as C++ and ONNX Runtime); a zero
// divisor is an error, not a trap. Integer overflow wraps (as ONNX Runtime and numpy).
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ops/broadcast.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class BinaryKind { kAdd, kSub, kMul, kDiv };

struct BroadcastParams : OpParams {
  BroadcastLoop<2> loop;
};

// Plans a two-input broadcast: output shape and loop.
absl::Status plan_binary(ReshapeContext& ctx) {
  auto out = broadcast_inputs(ctx, 0, 2);
  if (!out.ok()) return out.status();
  auto& p = ctx.make_params<BroadcastParams>();
  SOFIE_RETURN_IF_ERROR(plan_broadcast_inputs<2>(ctx, {0, 1}, *out, p.loop));
  ctx.set_output_shape(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status infer_binary(InferContext& ctx, DType out_dtype) {
  auto shape = broadcast_inputs_symbolic(ctx, 0, 2);
  if (!shape.ok()) return shape.status();
  ctx.set_output(0, out_dtype, *std::move(shape));
  return absl::OkStatus();
}

// A zero divisor anywhere in `divisor` (every element is used unless the output is empty).
template <typename T>
absl::Status check_nonzero_divisor(const RunContext& ctx, const TensorView& divisor) {
  const T* b = divisor.data_as<T>();
  const int64_t n = divisor.numel();
  for (int64_t i = 0; i < n; ++i) {
    if (b[i] == 0) return ctx.error(absl::StrCat("integer division by zero (divisor element ", i, ")"));
  }
  return absl::OkStatus();
}

// Integer arithmetic wraps: computed in the unsigned type (int8 + int8 would otherwise promote to int,
// and int32/int64 overflow is undefined behaviour).
template <typename T, typename F>
struct Wrapping {
  T operator()(T x, T y) const {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(F{}(static_cast<U>(x), static_cast<U>(y)));
    } else {
      return F{}(x, y);
    }
  }
};
struct Plus {
  template <typename T>
  T operator()(T x, T y) const { return x + y; }
};
struct Minus {
  template <typename T>
  T operator()(T x, T y) const { return x - y; }
};
struct Times {
  template <typename T>
  T operator()(T x, T y) const { return x * y; }
};

template <typename T>
struct Divide {
  T operator()(T x, T y) const {
    if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      // x / -1 is -x, computed with wrap-around so the most negative value does not trap.
      using U = std::make_unsigned_t<T>;
      return y == T(-1) ? static_cast<T>(U(0) - static_cast<U>(x)) : static_cast<T>(x / y);
    } else {
      return static_cast<T>(x / y);
    }
  }
};

class BinaryOp : public Op {
 public:
  explicit BinaryOp(BinaryKind kind) : kind_(kind) {}

  template <BinaryKind kKind>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    SOFIE_RETURN_IF_ERROR(reject_legacy_broadcast_attrs(node));
    return std::unique_ptr<Op>(std::make_unique<BinaryOp>(kKind));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(
        check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
                                   DType::kUInt8}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    return infer_binary(ctx, ctx.input_dtype(0));
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    SOFIE_RETURN_IF_ERROR(plan_binary(ctx));
    // y may overwrite a when it has a's shape: each row reads a[i] (and b) before writing y[i].
    if (ctx.output(0).shape == ctx.input_shape(0)) ctx.set_inplace(0, 0);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<BroadcastParams>().loop;
    if (p.total == 0) return absl::OkStatus();
    absl::Status status;
    visit_numeric(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* a = ctx.input(0).data_as<T>();
      const T* b = ctx.input(1).data_as<T>();
      T* y = ctx.output(0).data_as<T>();
      switch (kind_) {
        case BinaryKind::kAdd: run_broadcast(p, a, b, y, Wrapping<T, Plus>{}); break;
        case BinaryKind::kSub: run_broadcast(p, a, b, y, Wrapping<T, Minus>{}); break;
        case BinaryKind::kMul: run_broadcast(p, a, b, y, Wrapping<T, Times>{}); break;
        case BinaryKind::kDiv:
          if constexpr (std::is_integral_v<T>) {
            status = check_nonzero_divisor<T>(ctx, ctx.input(1));
            if (!status.ok()) return;
          }
          run_broadcast(p, a, b, y, Divide<T>{});
          break;
      }
    });
    return status;
  }

 private:
  BinaryKind kind_;
};

// ------------------------------------------------------------------------------------------------------
// Mod: fmod=0 is the integer remainder with the sign of the divisor (Python's %, numpy.mod); fmod=1 the
// C remainder with the sign of the dividend (std::fmod for floats). Floats require fmod=1 (ONNX).

template <typename T, bool kFmod>
struct Remainder {
  T operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::fmod(x, y);
    } else if constexpr (std::is_signed_v<T>) {
      // x % -1 is 0; computing it would trap on the most negative x.
      const T r = y == T(-1) ? T(0) : static_cast<T>(x % y);
      if constexpr (kFmod) {
        return r;
      } else {
        return (r != 0 && ((r < 0) != (y < 0))) ? static_cast<T>(r + y) : r;
      }
    } else {
      return static_cast<T>(x % y);
    }
  }
};

class ModOp : public Op {
 public:
  explicit ModOp(bool fmod) : fmod_(fmod) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t fmod = a.get_int("fmod", 0);
    SOFIE_RETURN_IF_ERROR(a.status());
    if (fmod != 0 && fmod != 1) return node_error(node, absl::StrCat("fmod must be 0 or 1, got ", fmod));
    return std::unique_ptr<Op>(std::make_unique<ModOp>(fmod == 1));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(
        check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
                                   DType::kUInt8}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    if (is_float(ctx.input_dtype(0)) && !fmod_) {
      return ctx.error(absl::StrCat("fmod must be 1 for ", dtype_name(ctx.input_dtype(0)), " inputs, got 0"));
    }
    return infer_binary(ctx, ctx.input_dtype(0));
  }

  absl::Status reshape(ReshapeContext& ctx) const override { return plan_binary(ctx); }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<BroadcastParams>().loop;
    if (p.total == 0) return absl::OkStatus();
    absl::Status status;
    visit_numeric(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_integral_v<T>) {
        status = check_nonzero_divisor<T>(ctx, ctx.input(1));
        if (!status.ok()) return;
      }
      const T* a = ctx.input(0).data_as<T>();
      const T* b = ctx.input(1).data_as<T>();
      T* y = ctx.output(0).data_as<T>();
      if (fmod_) {
        run_broadcast(p, a, b, y, Remainder<T, true>{});
      } else {
        run_broadcast(p, a, b, y, Remainder<T, false>{});
      }
    });
    return status;
  }

 private:
  bool fmod_;
};

// ------------------------------------------------------------------------------------------------------
// Pow: base float32, float64, int32 or int64; exponent any numeric dtype; the output has the base's dtype.
// Mixed dtypes are computed in double and converted (as numpy's power(x, y).astype(x.dtype)); an integer
// result out of range saturates, NaN becomes 0. Integer base and non-negative integer exponent is exact
// with wrap-around (as numpy).

template <typename T>
T saturate_to(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    constexpr double kLo = static_cast<double>(std::numeric_limits<T>::min());
    // 2^bits-1: the first double above the largest value (the largest itself may not be a double).
    constexpr double kHi = -kLo;
    if (std::isnan(v)) return T(0);
    if (v >= kHi) return std::numeric_limits<T>::max();
    if (v <= kLo) return std::numeric_limits<T>::min();
    return static_cast<T>(v);
  }
}

template <typename T, typename E>
struct Power {
  T operator()(T x, E e) const {
    if constexpr (std::is_same_v<T, E> && std::is_floating_point_v<T>) {
      return std::pow(x, e);
    } else if constexpr (std::is_integral_v<T> && std::is_integral_v<E>) {
      if (e < 0) return saturate_to<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
      using U = std::make_unsigned_t<T>;
      U base = static_cast<U>(x), result = 1;
      for (std::make_unsigned_t<E> k = static_cast<std::make_unsigned_t<E>>(e); k != 0; k >>= 1) {
        if (k & 1) result = static_cast<U>(result * base);
        base = static_cast<U>(base * base);
      }
      return static_cast<T>(result);
    } else {
      return saturate_to<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
    }
  }
};

// A known scalar exponent on a float base that has a cheaper exact form (x^2 in LayerNorm and RMSNorm
// decompositions).
enum class PowFast { kNone, kIdentity, kSquare, kCube, kSqrt };

struct PowParams : OpParams {
  BroadcastLoop<2> loop;
  PowFast fast = PowFast::kNone;
};

template <typename T>
void run_pow_fast(PowFast fast, int64_t n, const T* x, T* y) {
  switch (fast) {
    case PowFast::kIdentity: map_unary(n, x, y, [](T v) { return v; }); return;
    case PowFast::kSquare: map_unary(n, x, y, [](T v) { return v * v; }); return;
    case PowFast::kCube: map_unary(n, x, y, [](T v) { return v * v * v; }); return;
    case PowFast::kSqrt:
      // pow(-inf, 0.5) is +inf where sqrt gives NaN.
      map_unary(n, x, y, [](T v) {
        return select(v == -std::numeric_limits<T>::infinity(), std::numeric_limits<T>::infinity(), std::sqrt(v));
      });
      return;
    case PowFast::kNone: return;
  }
}

class PowOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    SOFIE_RETURN_IF_ERROR(reject_legacy_broadcast_attrs(node));
    return std::unique_ptr<Op>(std::make_unique<PowOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64,
                                                     DType::kInt8, DType::kUInt8}));
    return infer_binary(ctx, ctx.input_dtype(0));
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    auto out = broadcast_inputs(ctx, 0, 2);
    if (!out.ok()) return out.status();
    auto& p = ctx.make_params<PowParams>();
    SOFIE_RETURN_IF_ERROR(plan_broadcast_inputs<2>(ctx, {0, 1}, *out, p.loop));
    const TensorView* e = ctx.input_value(1);
    if (e != nullptr && e->numel() == 1 && is_float(ctx.input_dtype(0)) &&
        num_elements(*out) == num_elements(ctx.input_shape(0))) {
      double v = 0;
      visit_numeric(e->dtype, [&](auto zero) { v = static_cast<double>(e->data_as<decltype(zero)>()[0]); });
      if (v == 1) p.fast = PowFast::kIdentity;
      if (v == 2) p.fast = PowFast::kSquare;
      if (v == 3) p.fast = PowFast::kCube;
      if (v == 0.5) p.fast = PowFast::kSqrt;
    }
    ctx.set_output_shape(0, *std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<PowParams>();
    if (p.loop.total == 0) return absl::OkStatus();
    visit_numeric(ctx.input(0).dtype, [&](auto base_zero) {
      using T = decltype(base_zero);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t> ||
                    std::is_same_v<T, int64_t>) {
        const T* x = ctx.input(0).data_as<T>();
        T* y = ctx.output(0).data_as<T>();
        if constexpr (std::is_floating_point_v<T>) {
          if (p.fast != PowFast::kNone) {
            run_pow_fast(p.fast, p.loop.total, x, y);
            return;
          }
        }
        visit_numeric(ctx.input(1).dtype, [&](auto exp_zero) {
          using E = decltype(exp_zero);
          run_broadcast(p.loop, x, ctx.input(1).data_as<E>(), y, Power<T, E>{});
        });
      }
    });
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "Add", 7, kMaxOpset, &BinaryOp::create<BinaryKind::kAdd>);
SOFIE_REGISTER_OP("", "Sub", 7, kMaxOpset, &BinaryOp::create<BinaryKind::kSub>);
SOFIE_REGISTER_OP("", "Mul", 7, kMaxOpset, &BinaryOp::create<BinaryKind::kMul>);
SOFIE_REGISTER_OP("", "Div", 7, kMaxOpset, &BinaryOp::create<BinaryKind::kDiv>);
SOFIE_REGISTER_OP("", "Mod", 10, kMaxOpset, &ModOp::create);
SOFIE_REGISTER_OP("", "Pow", 7, kMaxOpset, &PowOp::create);

}  // namespace
}  // namespace sofie::ops
