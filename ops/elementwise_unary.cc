// Elementwise unary operators: Neg, Abs, Sign (numeric); Reciprocal, Sqrt, Exp, Log, Floor, Ceil, Round,
// Erf and the trigonometric and hyperbolic functions (float32, float64); IsNaN, IsInf (float -> bool);
// Not (bool). float32 Exp, Log and Erf are branch-free and vectorised (Exp through the kernel ABI);
// the other transcendental functions call <cmath>. Integer Neg and Abs wrap (as numpy): -INT_MIN == INT_MIN.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ops/fast_math.h"
#include "ops/kernels/math_f32.h"
#include "ops/kernels/sofie_kernels.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Unary {
  kNeg, kAbs, kSign,
  kReciprocal, kSqrt, kExp, kLog, kFloor, kCeil, kRound, kErf,
  kSin, kCos, kTan, kAsin, kAcos, kAtan, kSinh, kCosh, kAsinh, kAcosh, kAtanh,
  kIsNaN, kIsInf, kNot,
};

bool is_numeric_kind(Unary k) { return k == Unary::kNeg || k == Unary::kAbs || k == Unary::kSign; }

// ---------------------------------------------------------------------------------------------------------
// float32 kernels

// sofie_exp_f32 clamps its input to about [-87.3, 88.4] (no inf, no denormals): elements outside that range
// are redone with std::exp, so overflow gives inf and underflow denormals or 0, as the ONNX reference.
// Chunks go through a local copy of x, so y may alias x.
void exp_f32_array(int64_t n, const float* x, float* y) {
  constexpr int kChunk = 256;
  constexpr float kHi = 88.3762626647949f;
  constexpr float kLo = -87.3365447505531f;
  float xb[kChunk];
  for (int64_t i = 0; i < n; i += kChunk) {
    const int m = static_cast<int>(std::min<int64_t>(kChunk, n - i));
    std::memcpy(xb, x + i, sizeof(float) * m);
    sofie_exp_f32(xb, y + i, m);
    for (int j = 0; j < m; ++j) {
      if (xb[j] > kHi || xb[j] < kLo) y[i + j] = std::exp(xb[j]);
    }
  }
}

// log for every float: log_f32 (fast_math.h) covers positive normal finite inputs; denormals are scaled by
// 2^23 first; 0 gives -inf, negative numbers NaN, +inf and NaN themselves. Two loops per block (the core,
// then the special cases): GCC 12 does not vectorise the fused body.
inline float log_core_f32(float x) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const bool denormal = x < std::numeric_limits<float>::min();
  float v = select(x > 0.0f, x, 1.0f);
  v = select(x < kInf, v, 1.0f);
  v = v * select(denormal, 8388608.0f, 1.0f);
  return log_f32(v) - select(denormal, 15.9423851528787421f, 0.0f);  // 23 * ln 2
}

inline float log_special_f32(float x, float r) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  r = select(x == 0.0f, -kInf, r);
  r = select(x < 0.0f, std::numeric_limits<float>::quiet_NaN(), r);
  r = select(x == kInf, kInf, r);
  return select(x != x, x, r);
}

void log_f32_array(int64_t n, const float* x, float* y) {
  constexpr int L = kBlockLanes<float>;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    float xb[L], rb[L];
    for (int j = 0; j < L; ++j) xb[j] = x[i + j];
    for (int j = 0; j < L; ++j) rb[j] = log_core_f32(xb[j]);
    for (int j = 0; j < L; ++j) y[i + j] = log_special_f32(xb[j], rb[j]);
  }
  for (; i < n; ++i) y[i] = log_special_f32(x[i], log_core_f32(x[i]));
}

// erf(x) = x * P(x^2) / Q(x^2) on [-4, 4] (the rational approximation of Eigen and XLA; relative error
// below 5e-7 everywhere, so also for tiny x), +-1 beyond.
inline float erf_any_f32(float x) {
  const float c = select(x > 4.0f, 4.0f, select(x < -4.0f, -4.0f, x));
  const float x2 = c * c;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 - 2.10102402082508e-06f;
  p = p * x2 - 5.69250639462346e-05f;
  p = p * x2 - 7.34990630326855e-04f;
  p = p * x2 - 2.95459980854025e-03f;
  p = p * x2 - 1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 - 2.13374055278905e-04f;
  q = q * x2 - 1.68282697438203e-03f;
  q = q * x2 - 7.37332916720468e-03f;
  q = q * x2 - 1.42647390514189e-02f;
  return c * (p / q);  // not (c * p) / q: that loses bits when c * p is denormal
}

// ---------------------------------------------------------------------------------------------------------
// Typed loops

template <typename T>
void run_numeric(Unary kind, int64_t n, const T* x, T* y) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    switch (kind) {
      case Unary::kNeg: map_unary(n, x, y, [](T v) { return static_cast<T>(U(0) - static_cast<U>(v)); }); return;
      case Unary::kAbs:
        if constexpr (std::is_signed_v<T>) {
          map_unary(n, x, y, [](T v) { return v < 0 ? static_cast<T>(U(0) - static_cast<U>(v)) : v; });
        } else {
          map_unary(n, x, y, [](T v) { return v; });
        }
        return;
      case Unary::kSign: map_unary(n, x, y, [](T v) { return static_cast<T>((v > 0) - (v < 0)); }); return;
      default: return;
    }
  } else {
    switch (kind) {
      case Unary::kNeg: map_unary(n, x, y, [](T v) { return -v; }); return;
      case Unary::kAbs: map_unary(n, x, y, [](T v) { return std::fabs(v); }); return;
      case Unary::kSign:  // NaN stays NaN, as numpy
        map_unary(n, x, y, [](T v) { return select(v > T(0), T(1), select(v < T(0), T(-1), v)); });
        return;
      default: return;
    }
  }
}

template <typename T>
void run_float(Unary kind, int64_t n, const T* x, T* y) {
  constexpr bool kF32 = std::is_same_v<T, float>;
  switch (kind) {
    case Unary::kNeg:
    case Unary::kAbs:
    case Unary::kSign: run_numeric(kind, n, x, y); return;
    case Unary::kReciprocal: map_unary(n, x, y, [](T v) { return T(1) / v; }); return;
    case Unary::kSqrt: map_unary(n, x, y, [](T v) { return std::sqrt(v); }); return;
    case Unary::kExp:
      if constexpr (kF32) {
        exp_f32_array(n, x, y);
      } else {
        map_unary(n, x, y, [](T v) { return std::exp(v); });
      }
      return;
    case Unary::kLog:
      if constexpr (kF32) {
        log_f32_array(n, x, y);
      } else {
        map_unary(n, x, y, [](T v) { return std::log(v); });
      }
      return;
    case Unary::kErf:
      if constexpr (kF32) {
        map_unary(n, x, y, erf_any_f32);
      } else {
        map_unary(n, x, y, [](T v) { return std::erf(v); });
      }
      return;
    // Through nearbyint, which vectorises (floor and ceil do not at -O2): round, step back by one where
    // that went the wrong way; the sign of a zero result is the input's (floor(-0.0), ceil(-0.5) are -0).
    case Unary::kFloor:
      map_unary(n, x, y, [](T v) {
        const T r = std::nearbyint(v);
        return std::copysign(r - select(r > v, T(1), T(0)), v);
      });
      return;
    case Unary::kCeil:
      map_unary(n, x, y, [](T v) {
        const T r = std::nearbyint(v);
        return std::copysign(r + select(r < v, T(1), T(0)), v);
      });
      return;
    // Halves to even: the default rounding mode, without raising FE_INEXACT.
    case Unary::kRound: map_unary(n, x, y, [](T v) { return std::nearbyint(v); }); return;
    case Unary::kSin: map_unary(n, x, y, [](T v) { return std::sin(v); }); return;
    case Unary::kCos: map_unary(n, x, y, [](T v) { return std::cos(v); }); return;
    case Unary::kTan: map_unary(n, x, y, [](T v) { return std::tan(v); }); return;
    case Unary::kAsin: map_unary(n, x, y, [](T v) { return std::asin(v); }); return;
    case Unary::kAcos: map_unary(n, x, y, [](T v) { return std::acos(v); }); return;
    case Unary::kAtan: map_unary(n, x, y, [](T v) { return std::atan(v); }); return;
    case Unary::kSinh: map_unary(n, x, y, [](T v) { return std::sinh(v); }); return;
    case Unary::kCosh: map_unary(n, x, y, [](T v) { return std::cosh(v); }); return;
    case Unary::kAsinh: map_unary(n, x, y, [](T v) { return std::asinh(v); }); return;
    case Unary::kAcosh: map_unary(n, x, y, [](T v) { return std::acosh(v); }); return;
    case Unary::kAtanh: map_unary(n, x, y, [](T v) { return std::atanh(v); }); return;
    case Unary::kIsNaN:
    case Unary::kIsInf:
    case Unary::kNot: return;
  }
}

// IsNaN, IsInf: float in, bool (one byte, 0 or 1) out.
template <typename T>
void run_classify(Unary kind, bool detect_positive, bool detect_negative, int64_t n, const T* x, uint8_t* y) {
  constexpr T kInf = std::numeric_limits<T>::infinity();
  if (kind == Unary::kIsNaN) {
    map_unary(n, x, y, [](T v) { return static_cast<uint8_t>(v != v); });
    return;
  }
  const T pos = detect_positive ? kInf : std::numeric_limits<T>::quiet_NaN();  // NaN matches nothing
  const T neg = detect_negative ? -kInf : std::numeric_limits<T>::quiet_NaN();
  map_unary(n, x, y, [pos, neg](T v) { return static_cast<uint8_t>((v == pos) | (v == neg)); });
}

// ---------------------------------------------------------------------------------------------------------

class UnaryOp : public Op {
 public:
  UnaryOp(Unary kind, bool detect_positive, bool detect_negative)
      : kind_(kind), detect_positive_(detect_positive), detect_negative_(detect_negative) {}

  template <Unary kKind>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    bool positive = true, negative = true;
    if (kKind == Unary::kIsInf) {
      const int64_t p = a.get_int("detect_positive", 1);
      const int64_t n = a.get_int("detect_negative", 1);
      SOFIE_RETURN_IF_ERROR(a.status());
      if ((p != 0 && p != 1) || (n != 0 && n != 1)) {
        return node_error(node, absl::StrCat("detect_positive and detect_negative must be 0 or 1, got ", p, " and ",
                                             n));
      }
      positive = p == 1;
      negative = n == 1;
    }
    return std::unique_ptr<Op>(std::make_unique<UnaryOp>(kKind, positive, negative));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    DType out = ctx.input_dtype(0);
    switch (kind_) {
      case Unary::kNeg:
        SOFIE_RETURN_IF_ERROR(check_input_dtype(
            ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8}));
        break;
      case Unary::kAbs:
      case Unary::kSign:
        SOFIE_RETURN_IF_ERROR(check_input_dtype(
            ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8, DType::kUInt8}));
        break;
      case Unary::kNot:
        SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kBool}));
        break;
      case Unary::kIsNaN:
      case Unary::kIsInf:
        SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
        out = DType::kBool;
        break;
      default:
        SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
        break;
    }
    ctx.set_output(0, out, ctx.input_shape(0));
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
    if (kind_ == Unary::kNot) {
      map_unary(n, x.data_as<uint8_t>(), static_cast<uint8_t*>(y), [](uint8_t v) { return uint8_t(v == 0); });
      return absl::OkStatus();
    }
    visit_numeric(x.dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* in = x.data_as<T>();
      if constexpr (std::is_floating_point_v<T>) {
        if (kind_ == Unary::kIsNaN || kind_ == Unary::kIsInf) {
          run_classify(kind_, detect_positive_, detect_negative_, n, in, static_cast<uint8_t*>(y));
        } else {
          run_float(kind_, n, in, static_cast<T*>(y));
        }
      } else if (is_numeric_kind(kind_)) {
        run_numeric(kind_, n, in, static_cast<T*>(y));
      }
    });
    return absl::OkStatus();
  }

 private:
  Unary kind_;
  bool detect_positive_;
  bool detect_negative_;
};

SOFIE_REGISTER_OP("", "Neg", 6, kMaxOpset, &UnaryOp::create<Unary::kNeg>);
SOFIE_REGISTER_OP("", "Abs", 6, kMaxOpset, &UnaryOp::create<Unary::kAbs>);
SOFIE_REGISTER_OP("", "Sign", 9, kMaxOpset, &UnaryOp::create<Unary::kSign>);
SOFIE_REGISTER_OP("", "Reciprocal", 6, kMaxOpset, &UnaryOp::create<Unary::kReciprocal>);
SOFIE_REGISTER_OP("", "Sqrt", 6, kMaxOpset, &UnaryOp::create<Unary::kSqrt>);
SOFIE_REGISTER_OP("", "Exp", 6, kMaxOpset, &UnaryOp::create<Unary::kExp>);
SOFIE_REGISTER_OP("", "Log", 6, kMaxOpset, &UnaryOp::create<Unary::kLog>);
SOFIE_REGISTER_OP("", "Floor", 6, kMaxOpset, &UnaryOp::create<Unary::kFloor>);
SOFIE_REGISTER_OP("", "Ceil", 6, kMaxOpset, &UnaryOp::create<Unary::kCeil>);
SOFIE_REGISTER_OP("", "Round", 11, kMaxOpset, &UnaryOp::create<Unary::kRound>);
SOFIE_REGISTER_OP("", "Erf", 9, kMaxOpset, &UnaryOp::create<Unary::kErf>);
SOFIE_REGISTER_OP("", "Sin", 7, kMaxOpset, &UnaryOp::create<Unary::kSin>);
SOFIE_REGISTER_OP("", "Cos", 7, kMaxOpset, &UnaryOp::create<Unary::kCos>);
SOFIE_REGISTER_OP("", "Tan", 7, kMaxOpset, &UnaryOp::create<Unary::kTan>);
SOFIE_REGISTER_OP("", "Asin", 7, kMaxOpset, &UnaryOp::create<Unary::kAsin>);
SOFIE_REGISTER_OP("", "Acos", 7, kMaxOpset, &UnaryOp::create<Unary::kAcos>);
SOFIE_REGISTER_OP("", "Atan", 7, kMaxOpset, &UnaryOp::create<Unary::kAtan>);
SOFIE_REGISTER_OP("", "Sinh", 9, kMaxOpset, &UnaryOp::create<Unary::kSinh>);
SOFIE_REGISTER_OP("", "Cosh", 9, kMaxOpset, &UnaryOp::create<Unary::kCosh>);
SOFIE_REGISTER_OP("", "Asinh", 9, kMaxOpset, &UnaryOp::create<Unary::kAsinh>);
SOFIE_REGISTER_OP("", "Acosh", 9, kMaxOpset, &UnaryOp::create<Unary::kAcosh>);
SOFIE_REGISTER_OP("", "Atanh", 9, kMaxOpset, &UnaryOp::create<Unary::kAtanh>);
SOFIE_REGISTER_OP("", "IsNaN", 9, kMaxOpset, &UnaryOp::create<Unary::kIsNaN>);
SOFIE_REGISTER_OP("", "IsInf", 10, kMaxOpset, &UnaryOp::create<Unary::kIsInf>);
SOFIE_REGISTER_OP("", "Not", 1, kMaxOpset, &UnaryOp::create<Unary::kNot>);

}  // namespace
}  // namespace sofie::ops
