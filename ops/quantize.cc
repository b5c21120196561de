// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear, for int8/uint8 (and int32 for Dequantize)
// with float32 scales. Opset 10: per-tensor scale and zero point; 13: `axis` with a 1-D scale of
// x.shape[axis] values (per-axis); 19: `saturate` (meaningful only for float8, out of scope); 21:
// `block_size` (a scale of x's rank whose `axis` dimension is ceil(x.shape[axis] / block_size)) and
// `output_dtype`. float8, int4 and 16-bit types are kUnimplemented.
// Quantizing is saturate(round_half_even(x / scale) + zero_point); the value is clamped to the
// representable range before rounding (to integer bounds, so the result is the same) so that the rounding
// (vroundps through std::rint) and the conversion vectorise. NaN quantizes to the lowest value.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// How scale and zero point map onto x viewed as [outer, A, inner].
enum class QuantMode { kTensor, kAxis, kBlock };

struct QuantParams : OpParams {
  QuantMode mode = QuantMode::kTensor;
  int64_t outer = 1, A = 1, inner = 1;
  int64_t block = 1, scale_A = 1;  // kBlock: block size, scale's extent along the axis
};

// Reads axis and block_size per opset and resolves the layout of scale (input 1) against x (input 0).
struct QuantLayout {
  int64_t axis = 1;
  int64_t block_size = 0;
  bool per_axis_allowed = false;

  void read(Attrs& a, int opset) {
    per_axis_allowed = opset >= 13;
    if (per_axis_allowed) axis = a.get_int("axis", 1);
    if (opset >= 21) block_size = a.get_int("block_size", 0);
  }

  absl::Status check(const Node& node) const {
    if (block_size < 0) return node_error(node, absl::StrCat("block_size is ", block_size, "; expected >= 0"));
    return absl::OkStatus();
  }

  absl::Status resolve(const ReshapeContext& ctx, const char* scale_name, QuantParams& p) const {
    const Dims& x = ctx.input_shape(0);
    const Dims& s = ctx.input_shape(1);
    const int64_t rank = static_cast<int64_t>(x.size());
    if (ctx.has_input(2) && ctx.input_shape(2) != s) {
      return ctx.error(absl::StrCat("zero point ", dims_string(ctx.input_shape(2)), " must have the shape of ",
                                    scale_name, " ", dims_string(s)));
    }
    const int64_t n = num_elements(x);
    if (block_size == 0 && num_elements(s) == 1 && s.size() <= 1) {
      p.mode = QuantMode::kTensor;
      p.inner = n;
      return absl::OkStatus();
    }
    if (!per_axis_allowed) {
      return ctx.error(absl::StrCat(scale_name, " is ", dims_string(s), "; expected a scalar before opset 13"));
    }
    auto ax = normalize_axis(axis, rank);
    if (!ax.ok()) return ctx.error(absl::StrCat("axis ", axis, " is out of range for x ", dims_string(x)));
    const absl::Span<const int64_t> dims(x);
    p.outer = num_elements(dims.subspan(0, *ax));
    p.A = x[*ax];
    p.inner = num_elements(dims.subspan(*ax + 1));
    if (block_size == 0) {
      if (s.size() != 1 || s[0] != p.A) {
        return ctx.error(absl::StrCat(scale_name, " is ", dims_string(s), "; expected a scalar or [", p.A,
                                      "] (x ", dims_string(x), " along axis ", *ax, ")"));
      }
      p.mode = QuantMode::kAxis;
      return absl::OkStatus();
    }
    p.mode = QuantMode::kBlock;
    p.block = block_size;
    p.scale_A = (p.A + block_size - 1) / block_size;
    Dims want = x;
    want[*ax] = p.scale_A;
    if (s != want) {
      return ctx.error(absl::StrCat(scale_name, " is ", dims_string(s), "; expected ", dims_string(want),
                                    " for x ", dims_string(x), " with block_size ", block_size, " along axis ",
                                    *ax));
    }
    return absl::OkStatus();
  }
};

// Walks x as rows of `inner` elements sharing one scale (kTensor, kAxis) or rows of per-element scales
// (kBlock); row(offset, count, scale_index, scale_step) with scale_step 0 (one scale) or 1 (one per element).
template <typename F>
void for_each_quant_row(const QuantParams& p, F&& row) {
  if (p.mode == QuantMode::kTensor) {
    row(0, p.inner, 0, 0);
    return;
  }
  for (int64_t o = 0; o < p.outer; ++o) {
    for (int64_t a = 0; a < p.A; ++a) {
      const int64_t off = (o * p.A + a) * p.inner;
      if (p.mode == QuantMode::kAxis) {
        row(off, p.inner, a, 0);
      } else {
        row(off, p.inner, (o * p.scale_A + a / p.block) * p.inner, 1);
      }
    }
  }
}

template <typename Q, typename X>
void quantize_row(int64_t n, const X* x, const float* s, int64_t s_step, const Q* zp, Q* y) {
  using F = std::conditional_t<std::is_same_v<X, float>, float, double>;
  constexpr F qmin = std::numeric_limits<Q>::min(), qmax = std::numeric_limits<Q>::max();
  if (s_step == 0) {
    const F scale = s[0];
    const int32_t z = zp ? zp[0] : 0;
    const F lo = qmin - z, hi = qmax - z;
    map_unary(n, x, y, [=](X v) {
      F f = static_cast<F>(v) / scale;
      f = select(f > lo, f, lo);
      f = select(f < hi, f, hi);
      return static_cast<Q>(static_cast<int32_t>(std::rint(f)) + z);
    });
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int32_t z = zp ? zp[i] : 0;
    const F lo = qmin - z, hi = qmax - z;
    F f = static_cast<F>(x[i]) / static_cast<F>(s[i]);
    f = f > lo ? f : lo;
    f = f < hi ? f : hi;
    y[i] = static_cast<Q>(static_cast<int32_t>(std::rint(f)) + z);
  }
}

template <typename Q>
void dequantize_row(int64_t n, const Q* x, const float* s, int64_t s_step, const Q* zp, float* y) {
  using Wide = std::conditional_t<std::is_same_v<Q, int32_t>, int64_t, int32_t>;
  if (s_step == 0) {
    const float scale = s[0];
    const Wide z = zp ? zp[0] : 0;
    map_unary(n, x, y, [=](Q v) { return static_cast<float>(static_cast<Wide>(v) - z) * scale; });
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const Wide z = zp ? zp[i] : 0;
    y[i] = static_cast<float>(static_cast<Wide>(x[i]) - z) * s[i];
  }
}

template <typename Q>
const Q* zero_point_of(const RunContext& ctx) {
  return ctx.has_input(2) ? ctx.input(2).data_as<Q>() : nullptr;
}

// ---------------------------------------------------------------------------------------------------
class QuantizeLinearOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<QuantizeLinearOp>();
    op->layout_.read(a, node.opset);
    if (node.opset >= 21) op->output_dtype_ = a.get_int("output_dtype", 0);
    if (node.opset >= 19) a.get_int("saturate", 1);  // float8 only; integer outputs always saturate
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_RETURN_IF_ERROR(op->layout_.check(node));
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kInt32}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kFloat32}));
    DType out = DType::kUInt8;
    if (output_dtype_ != 0) {
      out = dtype_from_onnx(static_cast<int>(output_dtype_));
      if (out != DType::kInt8 && out != DType::kUInt8) {
        return unsupported(ctx.node(), absl::StrCat("output_dtype ", onnx_type_name(static_cast<int>(output_dtype_)),
                                                   " is not supported; supported: int8, uint8"));
      }
    }
    if (ctx.has_input(2)) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 2, {DType::kUInt8, DType::kInt8}));
      if (output_dtype_ != 0 && ctx.input_dtype(2) != out) {
        return ctx.error(absl::StrCat("output_dtype ", dtype_name(out), " differs from y_zero_point's dtype ",
                                      dtype_name(ctx.input_dtype(2))));
      }
      out = ctx.input_dtype(2);
    }
    ctx.set_output(0, out, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    auto& p = ctx.make_params<QuantParams>();
    SOFIE_RETURN_IF_ERROR(layout_.resolve(ctx, "y_scale", p));
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<QuantParams>();
    const float* s = ctx.input(1).data_as<float>();
    const DType out = ctx.output(0).dtype;
    auto go = [&](auto qtag, auto xtag) {
      using Q = decltype(qtag);
      using X = decltype(xtag);
      const X* x = ctx.input(0).data_as<X>();
      const Q* zp = zero_point_of<Q>(ctx);
      Q* y = ctx.output(0).data_as<Q>();
      for_each_quant_row(p, [&](int64_t off, int64_t n, int64_t si, int64_t step) {
        quantize_row<Q, X>(n, x + off, s + si, step, zp ? zp + si : nullptr, y + off);
      });
    };
    const bool int_x = ctx.input(0).dtype == DType::kInt32;
    if (out == DType::kUInt8) {
      int_x ? go(uint8_t{}, int32_t{}) : go(uint8_t{}, float{});
    } else {
      int_x ? go(int8_t{}, int32_t{}) : go(int8_t{}, float{});
    }
    return absl::OkStatus();
  }

 private:
  QuantLayout layout_;
  int64_t output_dtype_ = 0;
};

// ---------------------------------------------------------------------------------------------------
class DequantizeLinearOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<DequantizeLinearOp>();
    op->layout_.read(a, node.opset);
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_RETURN_IF_ERROR(op->layout_.check(node));
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kUInt8, DType::kInt8, DType::kInt32}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kFloat32}));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    ctx.set_output(0, DType::kFloat32, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    auto& p = ctx.make_params<QuantParams>();
    SOFIE_RETURN_IF_ERROR(layout_.resolve(ctx, "x_scale", p));
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<QuantParams>();
    const float* s = ctx.input(1).data_as<float>();
    float* y = ctx.output(0).data_as<float>();
    auto go = [&](auto qtag) {
      using Q = decltype(qtag);
      const Q* x = ctx.input(0).data_as<Q>();
      const Q* zp = zero_point_of<Q>(ctx);
      for_each_quant_row(p, [&](int64_t off, int64_t n, int64_t si, int64_t step) {
        dequantize_row<Q>(n, x + off, s + si, step, zp ? zp + si : nullptr, y + off);
      });
    };
    switch (ctx.input(0).dtype) {
      case DType::kUInt8: go(uint8_t{}); break;
      case DType::kInt8: go(int8_t{}); break;
      default: go(int32_t{}); break;
    }
    return absl::OkStatus();
  }

 private:
  QuantLayout layout_;
};

// ---------------------------------------------------------------------------------------------------
// uint8 with the range [min(0, min x), max(0, max x)] mapped onto [0, 255]. An all-zero (or empty) x has
// scale 1 and zero point 0, as ONNX Runtime (the formula would divide 0 by 0).
class DynamicQuantizeLinearOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<DynamicQuantizeLinearOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32}));
    ctx.set_output(0, DType::kUInt8, ctx.input_shape(0));
    if (ctx.has_output(1)) ctx.set_output(1, DType::kFloat32, SymShape(std::vector<Dim>{}));
    if (ctx.has_output(2)) ctx.set_output(2, DType::kUInt8, SymShape(std::vector<Dim>{}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_shape(0, ctx.input_shape(0));
    if (ctx.has_output(1)) ctx.set_output_shape(1, Dims{});
    if (ctx.has_output(2)) ctx.set_output_shape(2, Dims{});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& xv = ctx.input(0);
    const float* x = xv.data_as<float>();
    const int64_t n = xv.numel();
    constexpr int L = kBlockLanes<float>;
    float lo[L], hi[L];
    for (int j = 0; j < L; ++j) lo[j] = hi[j] = 0.0f;
    int64_t i = 0;
    for (; i + L <= n; i += L) {
      for (int j = 0; j < L; ++j) lo[j] = std::min(lo[j], x[i + j]);
      for (int j = 0; j < L; ++j) hi[j] = std::max(hi[j], x[i + j]);
    }
    float mn = 0.0f, mx = 0.0f;
    for (int j = 0; j < L; ++j) mn = std::min(mn, lo[j]);
    for (int j = 0; j < L; ++j) mx = std::max(mx, hi[j]);
    for (; i < n; ++i) {
      mn = std::min(mn, x[i]);
      mx = std::max(mx, x[i]);
    }
    const float scale = mx == mn ? 1.0f : (mx - mn) / 255.0f;
    const float zp_f = std::min(255.0f, std::max(0.0f, 0.0f - mn / scale));
    const uint8_t zp = static_cast<uint8_t>(static_cast<int32_t>(std::rint(zp_f)));
    quantize_row<uint8_t, float>(n, x, &scale, 0, &zp, ctx.output(0).data_as<uint8_t>());
    if (ctx.has_output(1)) ctx.output(1).data_as<float>()[0] = scale;
    if (ctx.has_output(2)) ctx.output(2).data_as<uint8_t>()[0] = zp;
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "QuantizeLinear", 10, 12, &QuantizeLinearOp::create);
SOFIE_REGISTER_OP("", "QuantizeLinear", 13, 18, &QuantizeLinearOp::create);
SOFIE_REGISTER_OP("", "QuantizeLinear", 19, 20, &QuantizeLinearOp::create);
SOFIE_REGISTER_OP("", "QuantizeLinear", 21, kMaxOpset, &QuantizeLinearOp::create);
SOFIE_REGISTER_OP("", "DequantizeLinear", 10, 12, &DequantizeLinearOp::create);
SOFIE_REGISTER_OP("", "DequantizeLinear", 13, 18, &DequantizeLinearOp::create);
SOFIE_REGISTER_OP("", "DequantizeLinear", 19, 20, &DequantizeLinearOp::create);
SOFIE_REGISTER_OP("", "DequantizeLinear", 21, kMaxOpset, &DequantizeLinearOp::create);
SOFIE_REGISTER_OP("", "DynamicQuantizeLinear", 11, kMaxOpset, &DynamicQuantizeLinearOp::create);

}  // namespace
}  // namespace sofie::ops
