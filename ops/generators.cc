// Ops that make tensors from shapes and small parameters: Size, ConstantOfShape, EyeLike, Range, OneHot,
// Trilu. Values that decide an output shape (ConstantOfShape's shape, Range's bounds, OneHot's depth) are
// read while planning; Size's result is known from the shape alone and becomes a constant.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// Fills n elements of `element_size` bytes with the pattern at `value`.
void fill_elements(void* out, int64_t n, const void* value, size_t element_size) {
  auto fill = [&](auto zero) {
    using T = decltype(zero);
    T v;
    std::memcpy(&v, value, sizeof(T));
    std::fill(static_cast<T*>(out), static_cast<T*>(out) + n, v);
  };
  switch (element_size) {
    case 1: fill(uint8_t{}); break;
    case 2: fill(uint16_t{}); break;
    case 4: fill(uint32_t{}); break;
    default: fill(uint64_t{}); break;
  }
}

// One numeric element as double (for depth and other scalars of any numeric dtype).
double element_as_double(const TensorView& v, int64_t i) {
  double out = 0;
  visit_any(v.dtype, [&](auto zero) { out = static_cast<double>(v.data_as<decltype(zero)>()[i]); });
  return out;
}

constexpr std::initializer_list<DType> kNumeric = {DType::kFloat32, DType::kFloat64, DType::kInt64,
                                                   DType::kInt32,   DType::kInt8,    DType::kUInt8};
constexpr std::initializer_list<DType> kAll = {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32,
                                               DType::kInt8,    DType::kUInt8,   DType::kBool};

// ---------------------------------------------------------------------------------------------------
// Size: the element count as an int64 scalar.
class SizeOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<SizeOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    ctx.set_output(0, DType::kInt64, SymShape::of({}));
    const SymShape& in = ctx.input_shape(0);
    if (in.rank_known() && in.is_static()) ctx.set_output_constant(0, value(in.to_dims()));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_value(0, value(ctx.input_shape(0)));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    *ctx.output(0).data_as<int64_t>() = ctx.input(0).numel();
    return absl::OkStatus();
  }

 private:
  static Tensor value(const Dims& dims) {
    Tensor t = Tensor::zeros(DType::kInt64, {});
    t.mutable_data_as<int64_t>()[0] = num_elements(dims);
    return t;
  }
};

SOFIE_REGISTER_OP("", "Size", 1, kMaxOpset, &SizeOp::create);

// ---------------------------------------------------------------------------------------------------
// ConstantOfShape: a tensor of the given shape filled with the one-element 'value' (default float 0).
class ConstantOfShapeOp : public Op {
 public:
  explicit ConstantOfShapeOp(Tensor value) : value_(std::move(value)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const Tensor* v = a.get_tensor("value");
    SOFIE_RETURN_IF_ERROR(a.status());
    Tensor value;
    if (v == nullptr) {
      value = Tensor::zeros(DType::kFloat32, {1});
    } else {
      if (v->dtype() == DType::kUndefined) return unsupported(node, "the 'value' tensor has an unsupported dtype");
      if (v->numel() != 1) {
        return node_error(node, absl::StrCat("the 'value' tensor must have one element, got shape ",
                                             dims_string(v->shape())));
      }
      value = *v;
    }
    return std::unique_ptr<Op>(std::make_unique<ConstantOfShapeOp>(std::move(value)));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kInt64, DType::kInt32}));
    const DType dtype = value_.dtype();
    if (const Tensor* c = ctx.input_constant(0)) {
      auto dims = read_int_values(c->view(), "shape");
      if (!dims.ok()) return ctx.error(dims.status().message());
      SOFIE_RETURN_IF_ERROR(check_dims(ctx, *dims));
      ctx.set_output(0, dtype, SymShape::of(*dims));
      return absl::OkStatus();
    }
    const SymShape& s = ctx.input_shape(0);
    if (s.rank_known() && s.rank() == 1 && s[0].is_known()) {
      ctx.set_output(0, dtype, SymShape(std::vector<Dim>(s[0].value, Dim::unknown())));
    } else {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const TensorView* v = ctx.input_value(0);
    if (v == nullptr) {
      return unsupported(ctx.node(), "the 'input' shape must be known when planning (a constant, or computed "
                                     "from shapes)");
    }
    auto dims = read_int_values(*v, "shape");
    if (!dims.ok()) return ctx.error(dims.status().message());
    SOFIE_RETURN_IF_ERROR(check_dims(ctx, *dims));
    ctx.set_output_shape(0, Dims(dims->begin(), dims->end()));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    TensorView& out = ctx.output(0);
    fill_elements(out.data, out.numel(), value_.data(), dtype_size(value_.dtype()));
    return absl::OkStatus();
  }

 private:
  template <typename Ctx>
  static absl::Status check_dims(const Ctx& ctx, const std::vector<int64_t>& dims) {
    for (int64_t d : dims) {
      if (d < 0) return ctx.error(absl::StrCat("shape [", absl::StrJoin(dims, ","), "] has a negative dimension"));
    }
    return absl::OkStatus();
  }

  Tensor value_;
};

SOFIE_REGISTER_OP("", "ConstantOfShape", 9, kMaxOpset, &ConstantOfShapeOp::create);

// ---------------------------------------------------------------------------------------------------
// EyeLike: ones on the k-th diagonal of a 2-D tensor shaped like the input, dtype from 'dtype' or the input.
class EyeLikeOp : public Op {
 public:
  EyeLikeOp(DType dtype, int64_t k) : dtype_(dtype), k_(k) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t k = a.get_int("k", 0);
    const bool has_dtype = a.has("dtype");
    const int64_t onnx_type = a.get_int("dtype", 0);
    SOFIE_RETURN_IF_ERROR(a.status());
    DType dtype = DType::kUndefined;
    if (has_dtype) {
      dtype = dtype_from_onnx(static_cast<int>(onnx_type));
      if (dtype == DType::kUndefined) {
        return unsupported(node, absl::StrCat("dtype ", onnx_type_name(static_cast<int>(onnx_type)),
                                              " is not supported"));
      }
    }
    return std::unique_ptr<Op>(std::make_unique<EyeLikeOp>(dtype, k));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    if (dtype_ == DType::kUndefined) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, kAll));
    const SymShape& in = ctx.input_shape(0);
    if (in.rank_known() && in.rank() != 2) {
      return ctx.error(absl::StrCat("input ", in.to_string(), " must have rank 2"));
    }
    ctx.set_output(0, dtype_ == DType::kUndefined ? ctx.input_dtype(0) : dtype_, in.rank_known() ? in : SymShape({Dim::unknown(), Dim::unknown()}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    if (in.size() != 2) return ctx.error(absl::StrCat("input ", dims_string(in), " must have rank 2"));
    ctx.set_output_shape(0, in);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    TensorView& out = ctx.output(0);
    if (out.numel() == 0) return absl::OkStatus();
    std::memset(out.data, 0, out.nbytes());
    const int64_t rows = out.shape[0], cols = out.shape[1];
    // Rows i with 0 <= i + k < cols.
    const int64_t first = std::clamp<int64_t>(-k_, 0, rows), last = std::clamp<int64_t>(cols - k_, 0, rows);
    visit_any(out.dtype, [&](auto zero) {
      using T = decltype(zero);
      T* y = out.data_as<T>();
      for (int64_t i = first; i < last; ++i) y[i * cols + i + k_] = T(1);
    });
    return absl::OkStatus();
  }

 private:
  DType dtype_;
  int64_t k_;
};

SOFIE_REGISTER_OP("", "EyeLike", 9, kMaxOpset, &EyeLikeOp::create);

// ---------------------------------------------------------------------------------------------------
// Range: [start, start + delta, ...) up to limit; max(ceil((limit - start) / delta), 0) elements.
template <typename T>
absl::StatusOr<int64_t> range_count(T start, T limit, T delta) {
  if (delta == T(0)) return absl::InvalidArgumentError("delta is 0");
  if constexpr (std::is_floating_point_v<T>) {
    const double n = std::ceil(static_cast<double>(static_cast<T>((limit - start) / delta)));
    if (!(n <= static_cast<double>(kMaxElements))) {
      return absl::InvalidArgumentError(absl::StrCat("the range has too many elements (", n, ")"));
    }
    return n > 0 ? static_cast<int64_t>(n) : 0;
  } else {
    const __int128 diff = static_cast<__int128>(limit) - static_cast<__int128>(start);
    __int128 q = diff / delta;
    if (diff % delta != 0 && ((diff > 0) == (delta > 0))) ++q;
    if (q > kMaxElements) return absl::InvalidArgumentError("the range has too many elements");
    return q > 0 ? static_cast<int64_t>(q) : 0;
  }
}

class RangeOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<RangeOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    ctx.set_output(0, ctx.input_dtype(0), SymShape({Dim::unknown()}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const TensorView* v[3];
    for (int i = 0; i < 3; ++i) {
      static constexpr const char* kNames[] = {"start", "limit", "delta"};
      v[i] = ctx.input_value(i);
      if (v[i] == nullptr) {
        return unsupported(ctx.node(), absl::StrCat("the '", kNames[i], "' input must be known when planning ",
                                                    "(a constant, or computed from shapes)"));
      }
      if (v[i]->numel() != 1) {
        return ctx.error(absl::StrCat(kNames[i], " must be a scalar, got shape ", dims_string(v[i]->shape)));
      }
    }
    absl::StatusOr<int64_t> n = 0;
    visit_numeric(v[0]->dtype, [&](auto zero) {
      using T = decltype(zero);
      n = range_count<T>(v[0]->data_as<T>()[0], v[1]->data_as<T>()[0], v[2]->data_as<T>()[0]);
    });
    if (!n.ok()) return ctx.error(n.status().message());
    ctx.set_output_shape(0, Dims{*n});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    TensorView& out = ctx.output(0);
    const int64_t n = out.numel();
    visit_numeric(out.dtype, [&](auto zero) {
      using T = decltype(zero);
      const T start = ctx.input(0).data_as<T>()[0], delta = ctx.input(2).data_as<T>()[0];
      T* y = out.data_as<T>();
      for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    });
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "Range", 11, kMaxOpset, &RangeOp::create);

// ---------------------------------------------------------------------------------------------------
// OneHot: output = indices' shape with a `depth` axis inserted at `axis`; values = [off, on]. Indices out
// of [-depth, depth) (of [0, depth) before opset 11) give all-off rows; float indices are truncated.
struct OneHotParams : OpParams {
  int64_t outer = 0, depth = 0, inner = 0;
};

class OneHotOp : public Op {
 public:
  OneHotOp(int64_t axis, bool negative) : axis_(axis), negative_(negative) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", -1);
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<OneHotOp>(axis, node.opset >= 11));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, kNumeric));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, kNumeric));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 2, kAll));
    const SymShape& in = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(2);
    if (!in.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(int64_t axis, resolve_axis(ctx, in.rank()));
    Dim depth = Dim::unknown();
    if (const Tensor* c = ctx.input_constant(1)) {
      if (c->numel() != 1) return ctx.error(absl::StrCat("depth must be a scalar, got shape ", dims_string(c->shape())));
      depth = Dim::known(static_cast<int64_t>(element_as_double(c->view(), 0)));
    }
    std::vector<Dim> out(in.dims());
    out.insert(out.begin() + axis, depth);
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    const TensorView* d = ctx.input_value(1);
    if (d == nullptr) {
      return unsupported(ctx.node(), "the 'depth' input must be known when planning (a constant, or computed "
                                     "from shapes)");
    }
    if (d->numel() != 1) return ctx.error(absl::StrCat("depth must be a scalar, got shape ", dims_string(d->shape)));
    const double depth_value = element_as_double(*d, 0);
    if (!(depth_value >= 1) || depth_value > static_cast<double>(kMaxElements)) {
      return ctx.error(absl::StrCat("depth is ", depth_value, "; expected a positive value"));
    }
    if (ctx.input_shape(2).size() != 1 || ctx.input_shape(2)[0] != 2) {
      return ctx.error(absl::StrCat("values must have shape [2] ([off, on]), got ", dims_string(ctx.input_shape(2))));
    }
    SOFIE_ASSIGN_OR_RETURN(int64_t axis, resolve_axis(ctx, static_cast<int64_t>(in.size())));
    const absl::Span<const int64_t> dims(in);
    auto& p = ctx.make_params<OneHotParams>();
    p.outer = num_elements(dims.subspan(0, axis));
    p.inner = num_elements(dims.subspan(axis));
    p.depth = static_cast<int64_t>(depth_value);
    Dims out(in);
    out.insert(out.begin() + axis, p.depth);
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<OneHotParams>();
    TensorView& out = ctx.output(0);
    const int64_t total = out.numel();
    if (total == 0) return absl::OkStatus();
    const size_t element = dtype_size(out.dtype);
    const char* values = static_cast<const char*>(ctx.input(2).data);
    fill_elements(out.data, total, values, element);
    const TensorView& indices = ctx.input(0);
    const bool negative = negative_;
    visit_numeric(indices.dtype, [&](auto zero) {
      using I = decltype(zero);
      const I* idx = indices.data_as<I>();
      char* y = static_cast<char*>(out.data);
      for (int64_t o = 0; o < p.outer; ++o) {
        for (int64_t i = 0; i < p.inner; ++i) {
          const double raw = static_cast<double>(idx[o * p.inner + i]);
          if (!(raw > -static_cast<double>(p.depth) - 1 && raw < static_cast<double>(p.depth))) continue;
          int64_t k = static_cast<int64_t>(raw);
          if (k < 0) {
            if (!negative) continue;
            k += p.depth;
          }
          if (k < 0 || k >= p.depth) continue;
          std::memcpy(y + static_cast<size_t>((o * p.depth + k) * p.inner + i) * element, values + element, element);
        }
      }
    });
    return absl::OkStatus();
  }

 private:
  template <typename Ctx>
  absl::StatusOr<int64_t> resolve_axis(const Ctx& ctx, int64_t rank) const {
    // The axis counts in the output, of rank + 1.
    if (axis_ < -rank - 1 || axis_ > rank) {
      return ctx.error(absl::StrCat("axis ", axis_, " is out of range for indices of rank ", rank, " (expected [",
                                    -rank - 1, ", ", rank, "])"));
    }
    return axis_ < 0 ? axis_ + rank + 1 : axis_;
  }

  int64_t axis_;
  bool negative_;
};

SOFIE_REGISTER_OP("", "OneHot", 9, 10, &OneHotOp::create);
SOFIE_REGISTER_OP("", "OneHot", 11, kMaxOpset, &OneHotOp::create);

// ---------------------------------------------------------------------------------------------------
// Trilu: keeps the upper (j >= i + k) or lower (j <= i + k) triangle of each of the last two dims' matrices,
// zeroing the rest. k is an optional int64 scalar input, read when running (it does not change the shape).
class TriluOp : public Op {
 public:
  explicit TriluOp(bool upper) : upper_(upper) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool upper = a.get_int("upper", 1) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<TriluOp>(upper));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, kAll));
    if (ctx.has_input(1)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64}));
    const SymShape& in = ctx.input_shape(0);
    if (in.rank_known() && in.rank() < 2) return ctx.error(absl::StrCat("input ", in.to_string(), " must have rank >= 2"));
    ctx.set_output(0, ctx.input_dtype(0), in);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    if (in.size() < 2) return ctx.error(absl::StrCat("input ", dims_string(in), " must have rank >= 2"));
    if (ctx.has_input(1) && num_elements(ctx.input_shape(1)) != 1) {
      return ctx.error(absl::StrCat("k must be a scalar, got shape ", dims_string(ctx.input_shape(1))));
    }
    ctx.set_output_shape(0, in);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    const int64_t total = x.numel();
    if (total == 0) return absl::OkStatus();
    const int64_t rows = x.shape[x.rank() - 2], cols = x.shape[x.rank() - 1];
    int64_t k = ctx.has_input(1) ? ctx.input(1).data_as<int64_t>()[0] : 0;
    k = std::clamp<int64_t>(k, -rows - 1, cols + 1);  // beyond that the result no longer changes
    const size_t element = dtype_size(x.dtype);
    const size_t row_bytes = static_cast<size_t>(cols) * element;
    const char* in = static_cast<const char*>(x.data);
    char* out = static_cast<char*>(ctx.output(0).data);
    for (int64_t r = 0; r < total / cols; ++r) {
      const int64_t i = r % rows;
      // Upper: columns [split, cols) kept; lower: columns [0, split) kept.
      const int64_t split = std::clamp<int64_t>(upper_ ? i + k : i + k + 1, 0, cols);
      const size_t at = static_cast<size_t>(r) * row_bytes, split_bytes = static_cast<size_t>(split) * element;
      if (upper_) {
        std::memset(out + at, 0, split_bytes);
        std::memcpy(out + at + split_bytes, in + at + split_bytes, row_bytes - split_bytes);
      } else {
        std::memcpy(out + at, in + at, split_bytes);
        std::memset(out + at + split_bytes, 0, row_bytes - split_bytes);
      }
    }
    return absl::OkStatus();
  }

 private:
  bool upper_;
};

SOFIE_REGISTER_OP("", "Trilu", 14, kMaxOpset, &TriluOp::create);

}  // namespace
}  // namespace sofie::ops
