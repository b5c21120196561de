// Cast between all sofie dtypes (float32, float64, int64, int32, int8, uint8, bool).
// Float to integer truncates toward zero after saturating to the target's range (NaN becomes 0), so no
// input is undefined behaviour; anything to bool is `!= 0`; integer narrowing wraps (as numpy).
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ops/cast.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    const double d = static_cast<double>(v);
    if (!(d == d)) return To(0);
    // (double)max may round up (2^63 for int64): ">=" saturates exactly the values that would overflow.
    if (d <= static_cast<double>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
    if (d >= static_cast<double>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

class CastOp : public Op {
 public:
  explicit CastOp(DType to) : to_(to) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t to = a.require_int("to");
    SOFIE_RETURN_IF_ERROR(a.status());
    const DType dtype = dtype_from_onnx(static_cast<int>(to));
    if (dtype == DType::kUndefined) {
      return unsupported(node, absl::StrCat("cannot cast to ", onnx_type_name(static_cast<int>(to)),
                                           ": sofie does not support that dtype"));
    }
    return std::unique_ptr<Op>(std::make_unique<CastOp>(dtype));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    ctx.set_output(0, to_, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    TensorView& y = ctx.output(0);
    const int64_t n = x.numel();
    if (n == 0) return absl::OkStatus();
    cast_elements(x.dtype, x.data, to_, y.data, n);
    return absl::OkStatus();
  }

 private:
  DType to_;
};

SOFIE_REGISTER_OP("", "Cast", 6, kMaxOpset, &CastOp::create);

}  // namespace

void cast_elements(DType from, const void* in, DType to, void* out, int64_t n) {
  if (n == 0) return;
  if (from == to) {
    if (out != in) std::memcpy(out, in, static_cast<size_t>(n) * dtype_size(from));
    return;
  }
  visit_any(from, [&](auto from_zero) {
    using From = decltype(from_zero);
    visit_any(to, [&](auto to_zero) {
      using To = decltype(to_zero);
      map_unary(n, static_cast<const From*>(in), static_cast<To*>(out), [](From v) { return convert<To>(v); });
    });
  });
}
}  // namespace sofie::ops
