// CumSum (opset 11+): running sums along the axis given by input 1 (a scalar or one-element int32/int64
// tensor), optionally exclusive (each output leaves out its own element) and/or reverse (sums from the end).
// The axis is read when running, so it may be any tensor; the output shape never depends on it.
// Along an inner axis each row is a scalar scan; along an outer axis whole contiguous rows are added to the
// previous output row (vectorised). Integer sums wrap.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

template <typename T>
T add_wrapping(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}

// [outer, n, inner] in elements; position k of the axis is at k * step from the slice start.
template <typename T>
void cumsum(int64_t outer, int64_t n, int64_t inner, bool exclusive, bool reverse, const T* x, T* y) {
  const int64_t first = reverse ? n - 1 : 0;
  const int64_t dir = reverse ? -1 : 1;
  for (int64_t o = 0; o < outer; ++o) {
    const T* xo = x + o * n * inner;
    T* yo = y + o * n * inner;
    if (inner == 1) {
      T acc = T(0);
      for (int64_t j = 0, k = first; j < n; ++j, k += dir) {
        if (exclusive) {
          yo[k] = acc;
          acc = add_wrapping(acc, xo[k]);
        } else {
          acc = add_wrapping(acc, xo[k]);
          yo[k] = acc;
        }
      }
      continue;
    }
    // Row by row: y[k] = y[prev] + x[k] (inclusive) or x[prev] (exclusive); the first row is x or 0.
    T* y_first = yo + first * inner;
    if (exclusive) {
      std::fill(y_first, y_first + inner, T(0));
    } else {
      std::copy(xo + first * inner, xo + (first + 1) * inner, y_first);
    }
    for (int64_t j = 1, k = first + dir; j < n; ++j, k += dir) {
      const int64_t prev = k - dir;
      const T* addend = xo + (exclusive ? prev : k) * inner;
      map_binary(inner, yo + prev * inner, 1, addend, 1, yo + k * inner, [](T a, T b) { return add_wrapping(a, b); });
    }
  }
}

class CumSumOp : public Op {
 public:
  CumSumOp(bool exclusive, bool reverse) : exclusive_(exclusive), reverse_(reverse) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool exclusive = a.get_int("exclusive", 0) != 0;
    const bool reverse = a.get_int("reverse", 0) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<CumSumOp>(exclusive, reverse));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(
        check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    const SymShape& axis_shape = ctx.input_shape(1);
    if (axis_shape.is_static() && num_elements(axis_shape.to_dims()) != 1) {
      return ctx.error(absl::StrCat("axis must be a scalar, got shape ", axis_shape.to_string()));
    }
    const SymShape& in = ctx.input_shape(0);
    if (const Tensor* t = ctx.input_constant(1); t != nullptr && in.rank_known()) {
      auto axis = read_axis(t->view(), in.rank());
      if (!axis.ok()) return ctx.error(axis.status().message());
    }
    ctx.set_output(0, ctx.input_dtype(0), in);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    if (num_elements(ctx.input_shape(1)) != 1) {
      return ctx.error(absl::StrCat("axis must be a scalar, got shape ", dims_string(ctx.input_shape(1))));
    }
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    const int64_t rank = x.rank();
    auto axis_or = read_axis(ctx.input(1), rank);
    if (!axis_or.ok()) return ctx.error(axis_or.status().message());
    const int64_t axis = *axis_or;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.shape[d];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= x.shape[d];
    const int64_t n = rank == 0 ? 1 : x.shape[axis];
    if (outer * n * inner == 0) return absl::OkStatus();
    visit_numeric(x.dtype, [&](auto zero) {
      using T = decltype(zero);
      cumsum(outer, n, inner, exclusive_, reverse_, x.data_as<T>(), ctx.output(0).data_as<T>());
    });
    return absl::OkStatus();
  }

 private:
  // The axis value, normalised; a scalar input (rank 0) accepts axis 0 and -1 (numpy's cumsum of a
  // 0-d array sums it as one element).
  static absl::StatusOr<int64_t> read_axis(const TensorView& v, int64_t rank) {
    int64_t axis = v.dtype == DType::kInt32 ? v.data_as<int32_t>()[0] : v.data_as<int64_t>()[0];
    const int64_t limit = std::max<int64_t>(rank, 1);
    if (axis < -limit || axis >= limit) {
      return absl::InvalidArgumentError(absl::StrCat("axis ", axis, " is out of range [", -limit, ", ", limit - 1,
                                                     "] for an input of rank ", rank));
    }
    return axis < 0 ? axis + limit : axis;
  }

  bool exclusive_;
  bool reverse_;
};

SOFIE_REGISTER_OP("", "CumSum", 11, kMaxOpset, &CumSumOp::create);

}  // namespace
}  // namespace sofie::ops
