// Bernoulli (opset 15): y[i] = 1 with probability x[i], else 0. Input float32/float64; output the input's
// dtype or `dtype` (float32, float64, int64, int32, int8, uint8, bool).
//
// The draws are counter-based, like the Random* generators (ops/random.cc): element i compares
// u_i = (top 53 bits of SplitMix64 output number i of a stream keyed by `key`) * 2^-53, uniform in [0, 1),
// with x[i] (y = u_i < x[i]), so p = 0 always gives 0 and p = 1 always gives 1.
//  - With the `seed` attribute, key = mix(the seed's float32 bit pattern): every call, session, thread and
//    load gives the same output for the same input.
//  - Without it, key = mix(a per-node value from std::random_device at load ^ a per-node call counter).
// Never constant-folded (foldable() is false).
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "ops/misc_b_util.h"
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

constexpr DType kOutTypes[] = {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32,
                               DType::kInt8,    DType::kUInt8,   DType::kBool};

class BernoulliOp : public Op {
 public:
  BernoulliOp(DType dtype, bool seeded, float seed) : dtype_(dtype), seeded_(seeded) {
    if (seeded) {
      uint32_t seed_bits;
      std::memcpy(&seed_bits, &seed, sizeof seed_bits);
      key_ = mix64(seed_bits);
    } else {
      std::random_device device;
      key_ = (static_cast<uint64_t>(device()) << 32) ^ device();
    }
  }

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool has_dtype = a.has("dtype");
    const int64_t onnx_type = a.get_int("dtype", 1);
    const bool seeded = a.has("seed");
    const float seed = a.get_float("seed", 0.0f);
    SOFIE_RETURN_IF_ERROR(a.status());
    DType dtype = DType::kUndefined;  // the input's
    if (has_dtype) {
      SOFIE_ASSIGN_OR_RETURN(dtype, attr_dtype(node, onnx_type, kOutTypes));
    }
    return std::unique_ptr<Op>(std::make_unique<BernoulliOp>(dtype, seeded, seed));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    if (dtype_ == DType::kUndefined) dtype_ = ctx.input_dtype(0);
    ctx.set_output(0, dtype_, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const uint64_t key = seeded_ ? key_ : mix64(key_ ^ calls_.fetch_add(1, std::memory_order_relaxed) * kGolden);
    const TensorView& x = ctx.input(0);
    TensorView& y = ctx.output(0);
    visit_any(y.dtype, [&](auto zero) {
      using T = decltype(zero);
      if (x.dtype == DType::kFloat32) {
        draw(key, x.numel(), x.data_as<float>(), y.data_as<T>());
      } else {
        draw(key, x.numel(), x.data_as<double>(), y.data_as<T>());
      }
    });
    return absl::OkStatus();
  }

  bool foldable() const override { return false; }

 private:
  template <typename P, typename T>
  static void draw(uint64_t key, int64_t n, const P* p, T* y) {
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t bits = mix64(key + (static_cast<uint64_t>(i) + 1) * kGolden);
      const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
      y[i] = static_cast<T>(u < static_cast<double>(p[i]) ? 1 : 0);
    }
  }

  DType dtype_;
  bool seeded_;
  uint64_t key_ = 0;
  mutable std::atomic<uint64_t> calls_{0};
};

SOFIE_REGISTER_OP("", "Bernoulli", 15, kMaxOpset, &BernoulliOp::create);

}  // namespace
}  // namespace sofie::ops
