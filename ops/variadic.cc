// The n-ary elementwise reductions over their inputs: Sum, Mean (float32, float64), Min, Max (every numeric
// dtype), with numpy (multidirectional) broadcasting across all inputs. One input is a view of it (no copy).
// Two or more: y = f(x0, x1), then y = f(y, xk) in place for each further input, each step one planned
// two-operand loop of ops/broadcast.h. Min and Max propagate NaN (as numpy's minimum/maximum).
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/broadcast.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Variadic { kSum, kMean, kMin, kMax };

struct VariadicParams : OpParams {
  std::vector<BroadcastLoop<2>> steps;  // steps[k - 1] combines input k; empty for one input
};

template <typename T>
struct MinOf {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return select((a < b) | (a != a), a, b);  // `|`, not `||`: no branch
    } else {
      return a < b ? a : b;
    }
  }
};

template <typename T>
struct MaxOf {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return select((a > b) | (a != a), a, b);
    } else {
      return a > b ? a : b;
    }
  }
};

struct Add {
  template <typename T>
  T operator()(T a, T b) const { return a + b; }
};

class VariadicOp : public Op {
 public:
  explicit VariadicOp(Variadic kind) : kind_(kind) {}

  template <Variadic kKind>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<VariadicOp>(kKind));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, std::numeric_limits<int>::max()));
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return ctx.error(absl::StrCat("input ", i, " is missing"));
    }
    if (kind_ == Variadic::kSum || kind_ == Variadic::kMean) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(
          ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8, DType::kUInt8}));
    }
    for (int i = 1; i < ctx.num_inputs(); ++i) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
    auto shape = broadcast_inputs_symbolic(ctx, 0, ctx.num_inputs());
    if (!shape.ok()) return shape.status();
    ctx.set_output(0, ctx.input_dtype(0), *std::move(shape));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const int n = ctx.num_inputs();
    auto out = broadcast_inputs(ctx, 0, n);
    if (!out.ok()) return out.status();
    auto& p = ctx.make_params<VariadicParams>();
    if (n == 1) {
      ctx.set_output_shape(0, *std::move(out));
      ctx.set_alias(0, 0);
      return absl::OkStatus();
    }
    p.steps.resize(n - 1);
    for (int k = 1; k < n; ++k) {
      const Dims& first = k == 1 ? ctx.input_shape(0) : *out;
      if (!plan_broadcast<2>({&first, &ctx.input_shape(k)}, *out, p.steps[k - 1])) {
        return ctx.error(absl::StrCat("broadcasting input ", k, " ", dims_string(ctx.input_shape(k)), " to ",
                                      dims_string(*out), " needs more than ", kMaxBroadcastRank, " loop levels"));
      }
    }
    ctx.set_output_shape(0, *std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<VariadicParams>();
    if (p.steps.empty() || p.steps[0].total == 0) return absl::OkStatus();  // one input: a view
    visit_numeric(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      switch (kind_) {
        case Variadic::kSum: combine<T>(ctx, p, Add{}); break;
        case Variadic::kMean: {
          combine<T>(ctx, p, Add{});
          const T count = static_cast<T>(ctx.num_inputs);
          T* y = ctx.output(0).data_as<T>();
          map_unary(p.steps[0].total, y, y, [count](T v) { return v / count; });
          break;
        }
        case Variadic::kMin: combine<T>(ctx, p, MinOf<T>{}); break;
        case Variadic::kMax: combine<T>(ctx, p, MaxOf<T>{}); break;
      }
    });
    return absl::OkStatus();
  }

 private:
  template <typename T, typename F>
  static void combine(const RunContext& ctx, const VariadicParams& p, F f) {
    T* y = ctx.output(0).data_as<T>();
    run_broadcast(p.steps[0], ctx.input(0).data_as<T>(), ctx.input(1).data_as<T>(), y, f);
    for (size_t k = 1; k < p.steps.size(); ++k) {
      run_broadcast(p.steps[k], static_cast<const T*>(y), ctx.input(static_cast<int>(k) + 1).data_as<T>(), y, f);
    }
  }

  Variadic kind_;
};

// Opsets 6 and 7 require equal shapes: broadcasting is a superset, so one registration covers them all.
SOFIE_REGISTER_OP("", "Sum", 6, kMaxOpset, &VariadicOp::create<Variadic::kSum>);
SOFIE_REGISTER_OP("", "Mean", 6, kMaxOpset, &VariadicOp::create<Variadic::kMean>);
SOFIE_REGISTER_OP("", "Min", 6, kMaxOpset, &VariadicOp::create<Variadic::kMin>);
SOFIE_REGISTER_OP("", "Max", 6, kMaxOpset, &VariadicOp::create<Variadic::kMax>);

}  // namespace
}  // namespace sofie::ops
