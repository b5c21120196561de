// Random generators: RandomNormal, RandomUniform (shape from the `shape` attribute) and RandomNormalLike,
// RandomUniformLike (the shape of input 0; its dtype too unless `dtype` is given). float32 and float64.
//
// Reproducibility: the generator is counter-based. Element i of the output is a function of (key, i) only:
// bits(i) = SplitMix64 output number i of a stream whose state starts at `key` (one 64-bit multiply-xorshift
// mix of key + (i + 1) * golden ratio). Uniform values use the top 24 (float32) or 53 (float64) bits; normal
// values come in Box-Muller pairs, elements 2j and 2j+1 from bits(2j) and bits(2j+1).
//  - With the `seed` attribute, key = mix(the seed's float32 bit pattern): every call, every session, every
//    thread and every load of the model gives the same output (and two nodes with the same seed, attributes
//    and shape give the same values).
//  - Without it, key = mix(a per-node value drawn from std::random_device at load ^ a per-node call counter):
//    each call gives new values.
// These ops are never constant-folded (foldable() is false).
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Output number i of the SplitMix64 stream seeded with key.
uint64_t bits_at(uint64_t key, uint64_t i) { return mix64(key + (i + 1) * kGolden); }

// [0, 1) with the precision of T.
template <typename T>
T unit(uint64_t bits) {
  if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(bits >> 40) * 0x1.0p-24f;
  } else {
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
  }
}

template <typename T>
void fill_uniform(uint64_t key, T low, T high, int64_t n, T* y) {
  const T range = high - low;
  for (int64_t i = 0; i < n; ++i) y[i] = low + range * unit<T>(bits_at(key, static_cast<uint64_t>(i)));
}

template <typename T>
void fill_normal(uint64_t key, double mean, double scale, int64_t n, T* y) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (int64_t i = 0; i < n; i += 2) {
    const uint64_t pair = static_cast<uint64_t>(i);
    // u1 in (0, 1] keeps the log finite.
    const double u1 = static_cast<double>((bits_at(key, pair) >> 11) + 1) * 0x1.0p-53;
    const double u2 = unit<double>(bits_at(key, pair + 1));
    const double r = std::sqrt(-2.0 * std::log(u1));
    y[i] = static_cast<T>(mean + scale * r * std::cos(kTwoPi * u2));
    if (i + 1 < n) y[i + 1] = static_cast<T>(mean + scale * r * std::sin(kTwoPi * u2));
  }
}

class RandomOp : public Op {
 public:
  enum class Dist { kNormal, kUniform };

  RandomOp(Dist dist, bool like, DType dtype, std::vector<int64_t> shape, float a, float b, bool seeded, float seed)
      : dist_(dist), like_(like), dtype_(dtype), shape_(std::move(shape)), a_(a), b_(b) {
    if (seeded) {
      uint32_t seed_bits;
      std::memcpy(&seed_bits, &seed, sizeof seed_bits);
      key_ = mix64(seed_bits);
      seeded_ = true;
    } else {
      std::random_device device;
      key_ = (static_cast<uint64_t>(device()) << 32) ^ device();
    }
  }

  // Attribute a/b: mean/scale for the normal, low/high for the uniform.
  template <Dist kDist, bool kLike>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs attrs(node);
    const bool normal = kDist == Dist::kNormal;
    const float a = attrs.get_float(normal ? "mean" : "low", 0.0f);
    const float b = attrs.get_float(normal ? "scale" : "high", 1.0f);
    const bool seeded = attrs.has("seed");
    const float seed = attrs.get_float("seed", 0.0f);
    std::vector<int64_t> shape;
    if (!kLike) {
      if (!attrs.has("shape")) return node_error(node, "the 'shape' attribute is required");
      shape = attrs.get_ints("shape");
    }
    DType dtype = DType::kUndefined;  // Like ops without `dtype`: the input's
    if (!kLike || attrs.has("dtype")) {
      const int64_t onnx_type = attrs.get_int("dtype", 1);
      SOFIE_RETURN_IF_ERROR(attrs.status());
      dtype = dtype_from_onnx(static_cast<int>(onnx_type));
      if (dtype != DType::kFloat32 && dtype != DType::kFloat64) {
        return unsupported(node, absl::StrCat("dtype ", onnx_type_name(static_cast<int>(onnx_type)),
                                              " is not supported; supported: float32, float64"));
      }
    }
    SOFIE_RETURN_IF_ERROR(attrs.status());
    for (int64_t d : shape) {
      if (d < 0) return node_error(node, absl::StrCat("shape ", dims_string(shape), " has a negative dimension"));
    }
    return std::unique_ptr<Op>(std::make_unique<RandomOp>(kDist, kLike, dtype, std::move(shape), a, b, seeded, seed));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, like_ ? 1 : 0, like_ ? 1 : 0));
    if (!like_) {
      ctx.set_output(0, dtype_, SymShape::of(shape_));
      return absl::OkStatus();
    }
    if (dtype_ == DType::kUndefined) {
      // The output takes the input's dtype, which then must be one the generator produces.
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
      dtype_ = ctx.input_dtype(0);
    }
    ctx.set_output(0, dtype_, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    if (like_) {
      ctx.set_output_shape(0, ctx.input_shape(0));
    } else {
      ctx.set_output_shape(0, Dims(shape_.begin(), shape_.end()));
    }
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    TensorView& y = ctx.output(0);
    const uint64_t key = seeded_ ? key_ : mix64(key_ ^ calls_.fetch_add(1, std::memory_order_relaxed) * kGolden);
    const int64_t n = y.numel();
    if (y.dtype == DType::kFloat32) {
      fill(key, n, y.data_as<float>());
    } else {
      fill(key, n, y.data_as<double>());
    }
    return absl::OkStatus();
  }

  bool foldable() const override { return false; }

 private:
  template <typename T>
  void fill(uint64_t key, int64_t n, T* y) const {
    if (dist_ == Dist::kNormal) {
      fill_normal(key, a_, b_, n, y);
    } else {
      fill_uniform(key, static_cast<T>(a_), static_cast<T>(b_), n, y);
    }
  }

  Dist dist_;
  bool like_;
  DType dtype_;
  std::vector<int64_t> shape_;
  float a_, b_;
  bool seeded_ = false;
  uint64_t key_ = 0;
  mutable std::atomic<uint64_t> calls_{0};
};

SOFIE_REGISTER_OP("", "RandomNormal", 1, kMaxOpset, (&RandomOp::create<RandomOp::Dist::kNormal, false>));
SOFIE_REGISTER_OP("", "RandomUniform", 1, kMaxOpset, (&RandomOp::create<RandomOp::Dist::kUniform, false>));
SOFIE_REGISTER_OP("", "RandomNormalLike", 1, kMaxOpset, (&RandomOp::create<RandomOp::Dist::kNormal, true>));
SOFIE_REGISTER_OP("", "RandomUniformLike", 1, kMaxOpset, (&RandomOp::create<RandomOp::Dist::kUniform, true>));

}  // namespace
}  // namespace sofie::ops
