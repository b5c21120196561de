// PRelu (slope broadcast unidirectionally to X) and Clip (bounds as attributes before opset 11, as optional
// scalar inputs from 11, integer dtypes from 12). Both are elementwise over vectorisable loops.
#include <algorithm>
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

constexpr int kMaxPReluRank = 16;

// X walked as nested loops after dropping size-1 dims and merging dims that are contiguous in the slope
// too: [N,C,H,W] with slope [C,1,1] becomes [N, C, H*W] with slope strides (0, 1, 0). The innermost slope
// stride is then 0 or 1.
struct PReluParams : OpParams {
  int64_t total = 0;
  Dims dims;
  Dims slope_strides;
};

// The slope's shape must broadcast to X's (unidirectionally): right-aligned, each dim equal or 1.
bool slope_broadcasts(const Dims& x, const Dims& slope) {
  if (slope.size() > x.size()) return false;
  const size_t offset = x.size() - slope.size();
  for (size_t d = 0; d < slope.size(); ++d) {
    if (slope[d] != 1 && slope[d] != x[offset + d]) return false;
  }
  return true;
}

void plan_prelu(const Dims& x, const Dims& slope, PReluParams& p) {
  const size_t rank = x.size();
  Dims padded(rank, 1);
  std::copy(slope.begin(), slope.end(), padded.end() - slope.size());
  const Dims full = row_major_strides(padded);
  p.total = num_elements(x);
  p.dims.clear();
  p.slope_strides.clear();
  for (size_t d = 0; d < rank; ++d) {
    if (x[d] == 1) continue;
    const int64_t s = padded[d] == 1 ? 0 : full[d];
    if (!p.dims.empty() && p.slope_strides.back() == s * x[d]) {
      p.dims.back() *= x[d];
      p.slope_strides.back() = s;
      continue;
    }
    p.dims.push_back(x[d]);
    p.slope_strides.push_back(s);
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    p.slope_strides.push_back(0);
  }
}

// x * slope, wrapping for integers (signed overflow is undefined behaviour).
template <typename T>
T times(T x, T slope) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(x) * static_cast<U>(slope));
  } else {
    return x * slope;
  }
}

template <typename T>
void run_prelu(const PReluParams& p, const T* x, const T* slope, T* y) {
  const auto f = [](T v, T s) { return select(v < T(0), times(v, s), v); };
  const int rank = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims[rank - 1];
  const int64_t s_inner = p.slope_strides[rank - 1];
  int64_t index[kMaxPReluRank] = {};
  int64_t off = 0;
  for (int64_t done = 0; done < p.total; done += inner) {
    map_binary(inner, x + done, 1, slope + off, s_inner, y + done, f);
    for (int d = rank - 2; d >= 0; --d) {
      off += p.slope_strides[d];
      if (++index[d] < p.dims[d]) break;
      off -= p.slope_strides[d] * p.dims[d];
      index[d] = 0;
    }
  }
}

class PReluOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<PReluOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(
        check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    const SymShape& x = ctx.input_shape(0);
    const SymShape& slope = ctx.input_shape(1);
    if (x.rank_known() && slope.rank_known()) {
      bool ok = slope.rank() <= x.rank();
      for (int64_t d = 0; ok && d < slope.rank(); ++d) {
        const Dim& s = slope[d];
        const Dim& xd = x[x.rank() - slope.rank() + d];
        if (s.is_known() && s.value != 1 && xd.is_known() && xd.value != s.value) ok = false;
      }
      if (!ok) return broadcast_error(ctx.node(), x.to_string(), slope.to_string());
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const Dims& slope = ctx.input_shape(1);
    if (!slope_broadcasts(x, slope)) return broadcast_error(ctx.node(), dims_string(x), dims_string(slope));
    auto& p = ctx.make_params<PReluParams>();
    plan_prelu(x, slope, p);
    if (p.dims.size() > kMaxPReluRank) {
      return ctx.error(absl::StrCat("X ", dims_string(x), " needs more than ", kMaxPReluRank, " loop levels"));
    }
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<PReluParams>();
    if (p.total == 0) return absl::OkStatus();
    visit_numeric(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      run_prelu(p, ctx.input(0).data_as<T>(), ctx.input(1).data_as<T>(), ctx.output(0).data_as<T>());
    });
    return absl::OkStatus();
  }

 private:
  static absl::Status broadcast_error(const Node& node, const std::string& x, const std::string& slope) {
    return node_error(node, absl::StrCat("slope ", slope, " does not broadcast to X ", x,
                                         " (each dim of the slope, right-aligned, must be 1 or X's)"));
  }
};

SOFIE_REGISTER_OP("", "PRelu", 7, kMaxOpset, &PReluOp::create);

// ---------------------------------------------------------------------------------------------------
// Clip: y = min(max(x, lo), hi); NaN stays NaN; lo > hi gives hi everywhere (as numpy.clip and ONNX).
class ClipOp : public Op {
 public:
  ClipOp(bool bounds_are_inputs, float min, float max) : bounds_are_inputs_(bounds_are_inputs), min_(min), max_(max) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool inputs = node.opset >= 11;
    float min = std::numeric_limits<float>::lowest(), max = std::numeric_limits<float>::max();
    if (!inputs) {
      min = a.get_float("min", min);
      max = a.get_float("max", max);
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<ClipOp>(inputs, min, max));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, bounds_are_inputs_ ? 3 : 1));
    if (ctx.node().opset >= 12) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32,
                                                       DType::kInt64, DType::kInt8, DType::kUInt8}));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    }
    for (int i = 1; i < 3; ++i) {
      if (ctx.has_input(i)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    for (int i = 1; i < 3; ++i) {
      if (ctx.has_input(i) && num_elements(ctx.input_shape(i)) != 1) {
        return ctx.error(absl::StrCat(i == 1 ? "min" : "max", " must be a scalar, got shape ",
                                      dims_string(ctx.input_shape(i))));
      }
    }
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    const int64_t n = x.numel();
    if (n == 0) return absl::OkStatus();
    visit_numeric(x.dtype, [&](auto zero) {
      using T = decltype(zero);
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if (!bounds_are_inputs_) {
        lo = static_cast<T>(min_);
        hi = static_cast<T>(max_);
      }
      if (ctx.has_input(1)) lo = ctx.input(1).data_as<T>()[0];
      if (ctx.has_input(2)) hi = ctx.input(2).data_as<T>()[0];
      map_unary(n, x.data_as<T>(), ctx.output(0).data_as<T>(), [lo, hi](T v) { return std::min(std::max(v, lo), hi); });
    });
    return absl::OkStatus();
  }

 private:
  bool bounds_are_inputs_;
  float min_, max_;
};

SOFIE_REGISTER_OP("", "Clip", 6, 10, &ClipOp::create);
SOFIE_REGISTER_OP("", "Clip", 11, kMaxOpset, &ClipOp::create);

}  // namespace
}  // namespace sofie::ops
