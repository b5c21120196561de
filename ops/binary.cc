// Add, Sub, Mul, Div with numpy (multidirectional) broadcasting, for float32, float64 and all integer
// dtypes. Integer Div truncates toward zero (as C++ and ONNX Runtime); a zero divisor is an error, not a
// trap. Integer overflow wraps (as ONNX Runtime and numpy).
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class BinaryKind { kAdd, kSub, kMul, kDiv };

constexpr int kMaxBroadcastRank = 16;

// The output walked as nested loops after coalescing: adjacent dims that are contiguous in both inputs
// are merged and size-1 dims dropped, so [N,C,H,W] + [C,1,1] becomes [N, C, H*W] with strides
// a = (C*H*W, H*W, 1), b = (0, 1, 0). The innermost loop's strides are then 0 or 1.
struct BroadcastParams : OpParams {
  int64_t total = 0;
  Dims dims;
  Dims a_strides, b_strides;
};

int plan_broadcast(const Dims& a, const Dims& b, const Dims& out, BroadcastParams& p) {
  const size_t rank = out.size();
  Dims a_pad(rank, 1), b_pad(rank, 1);
  std::copy(a.begin(), a.end(), a_pad.end() - a.size());
  std::copy(b.begin(), b.end(), b_pad.end() - b.size());
  Dims a_full = row_major_strides(a_pad), b_full = row_major_strides(b_pad);
  p.total = num_elements(out);
  p.dims.clear();
  p.a_strides.clear();
  p.b_strides.clear();
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    const int64_t sa = a_pad[d] == 1 ? 0 : a_full[d];
    const int64_t sb = b_pad[d] == 1 ? 0 : b_full[d];
    if (!p.dims.empty()) {
      const int64_t inner = out[d];
      // Merge into the previous (outer) dim when stepping it equals stepping through this one fully.
      if (p.a_strides.back() == sa * inner && p.b_strides.back() == sb * inner) {
        p.dims.back() *= inner;
        p.a_strides.back() = sa;
        p.b_strides.back() = sb;
        continue;
      }
    }
    p.dims.push_back(out[d]);
    p.a_strides.push_back(sa);
    p.b_strides.push_back(sb);
  }
  if (p.dims.empty()) {  // all ones: a single element
    p.dims.push_back(1);
    p.a_strides.push_back(0);
    p.b_strides.push_back(0);
  }
  return static_cast<int>(p.dims.size());
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

template <typename T, typename F>
void run_broadcast(const BroadcastParams& p, const T* a, const T* b, T* y, F f) {
  const int rank = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims[rank - 1];
  const int64_t sa = p.a_strides[rank - 1], sb = p.b_strides[rank - 1];
  if (rank == 1) {
    map_binary(inner, a, sa, b, sb, y, f);
    return;
  }
  int64_t index[kMaxBroadcastRank] = {};
  int64_t a_off = 0, b_off = 0;
  for (int64_t done = 0; done < p.total; done += inner) {
    map_binary(inner, a + a_off, sa, b + b_off, sb, y + done, f);
    for (int d = rank - 2; d >= 0; --d) {
      a_off += p.a_strides[d];
      b_off += p.b_strides[d];
      if (++index[d] < p.dims[d]) break;
      a_off -= p.a_strides[d] * p.dims[d];
      b_off -= p.b_strides[d] * p.dims[d];
      index[d] = 0;
    }
  }
}

class BinaryOp : public Op {
 public:
  explicit BinaryOp(BinaryKind kind) : kind_(kind) {}

  template <BinaryKind kKind>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    if (a.has("broadcast") || a.has("axis")) {
      return unsupported(node, "the legacy 'broadcast'/'axis' attributes (opset < 7) are not supported");
    }
    return std::unique_ptr<Op>(std::make_unique<BinaryOp>(kKind));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(
        check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
                                   DType::kUInt8}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    auto shape = broadcast_symbolic(ctx.input_shape(0), ctx.input_shape(1));
    if (!shape.ok()) return ctx.error(shape.status().message());
    ctx.set_output(0, ctx.input_dtype(0), *std::move(shape));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    auto out = broadcast_dims(ctx.input_shape(0), ctx.input_shape(1));
    if (!out.ok()) return ctx.error(out.status().message());
    auto& p = ctx.make_params<BroadcastParams>();
    const int rank = plan_broadcast(ctx.input_shape(0), ctx.input_shape(1), *out, p);
    if (rank > kMaxBroadcastRank) {
      return ctx.error(absl::StrCat("broadcasting ", dims_string(ctx.input_shape(0)), " and ",
                                    dims_string(ctx.input_shape(1)), " needs more than ", kMaxBroadcastRank,
                                    " loop levels"));
    }
    ctx.set_output_shape(0, *std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<BroadcastParams>();
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
            const TensorView& divisor = ctx.input(1);
            const int64_t n = divisor.numel();
            for (int64_t i = 0; i < n; ++i) {
              if (b[i] == 0) {
                status = ctx.error(absl::StrCat("integer division by zero (divisor element ", i, ")"));
                return;
              }
            }
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

SOFIE_REGISTER_OP("", "Add", 7, kMaxOpset, &BinaryOp::create<BinaryKind::kAdd>);
SOFIE_REGISTER_OP("", "Sub", 7, kMaxOpset, &BinaryOp::create<BinaryKind::kSub>);
SOFIE_REGISTER_OP("", "Mul", 7, kMaxOpset, &BinaryOp::create<BinaryKind::kMul>);
SOFIE_REGISTER_OP("", "Div", 7, kMaxOpset, &BinaryOp::create<BinaryKind::kDiv>);

}  // namespace
}  // namespace sofie::ops
