// Ops whose output is their input with a new shape: Reshape, Flatten, Squeeze, Unsqueeze, Identity.
// reshape() declares the output an alias of input 0 (same bytes), so run() has nothing to do.
#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

class ViewOp : public Op {
 public:
  absl::Status run(const RunContext&) const final { return absl::OkStatus(); }

 protected:
  static absl::Status finish(ReshapeContext& ctx, Dims out) {
    const int64_t in_count = num_elements(ctx.input_shape(0));
    auto out_count = checked_num_elements(out);
    if (!out_count.ok()) return ctx.error(out_count.status().message());
    if (*out_count != in_count) {
      return ctx.error(absl::StrCat("cannot view input ", dims_string(ctx.input_shape(0)), " (", in_count,
                                    " elements) as ", dims_string(out)));
    }
    ctx.set_output_shape(0, std::move(out));
    ctx.set_alias(0, 0);
    return absl::OkStatus();
  }
};

// "axes" from an attribute (older opsets) or from input 1, the latter known at load or plan time.
absl::StatusOr<std::vector<int64_t>> axes_from_input(const ReshapeContext& ctx, const char* op_input_name) {
  const TensorView* v = ctx.input_value(1);
  if (v == nullptr) {
    return unsupported(ctx.node(), absl::StrCat("the '", op_input_name, "' input must be known when planning ",
                                                "(a constant, or computed from shapes)"));
  }
  auto values = read_int_values(*v, op_input_name);
  if (!values.ok()) return ctx.error(values.status().message());
  return *std::move(values);
}

// Normalises axes against `rank`, rejecting out-of-range and repeated axes; sorted ascending.
absl::StatusOr<std::vector<int64_t>> normalize_axes(std::vector<int64_t> axes, int64_t rank) {
  for (int64_t& a : axes) {
    SOFIE_ASSIGN_OR_RETURN(a, normalize_axis(a, rank));
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    return absl::InvalidArgumentError(absl::StrCat("axes [", absl::StrJoin(axes, ","), "] repeat an axis"));
  }
  return axes;
}

// ---------------------------------------------------------------------------------------------------
class IdentityOp : public ViewOp {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<IdentityOp>());
  }
  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return absl::OkStatus();
  }
  absl::Status reshape(ReshapeContext& ctx) const override { return finish(ctx, ctx.input_shape(0)); }
};

SOFIE_REGISTER_OP("", "Identity", 1, kMaxOpset, &IdentityOp::create);

// ---------------------------------------------------------------------------------------------------
// Reshape: 0 copies the input dim at that position (unless allowzero, opset 14+), -1 is inferred.
class ReshapeOp : public ViewOp {
 public:
  explicit ReshapeOp(bool allow_zero) : allow_zero_(allow_zero) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool allow_zero = node.opset >= 14 && a.get_int("allowzero", 0) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<ReshapeOp>(allow_zero));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    const DType dtype = ctx.input_dtype(0);
    const Tensor* shape = ctx.input_constant(1);
    if (shape == nullptr) {
      const SymShape& s = ctx.input_shape(1);
      if (s.rank_known() && s.rank() == 1 && s[0].is_known()) {
        ctx.set_output(0, dtype, SymShape(std::vector<Dim>(s[0].value, Dim::unknown())));
      } else {
        ctx.set_output(0, dtype, SymShape::unknown_rank());
      }
      return absl::OkStatus();
    }
    auto values = read_int_values(shape->view(), "shape");
    if (!values.ok()) return ctx.error(values.status().message());
    SOFIE_ASSIGN_OR_RETURN(SymShape out, infer_symbolic(ctx, *values));
    ctx.set_output(0, dtype, std::move(out));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const TensorView* shape = ctx.input_value(1);
    if (shape == nullptr) {
      return unsupported(ctx.node(),
                         "the 'shape' input must be known when planning (a constant, or computed from shapes)");
    }
    auto values = read_int_values(*shape, "shape");
    if (!values.ok()) return ctx.error(values.status().message());
    const Dims& in = ctx.input_shape(0);
    Dims out;
    int infer_at = -1;
    int64_t known = 1;
    for (size_t i = 0; i < values->size(); ++i) {
      int64_t v = (*values)[i];
      if (v == 0 && !allow_zero_) {
        if (i >= in.size()) {
          return ctx.error(absl::StrCat("shape ", dims_string(*values), " copies dimension ", i, " (0) but input ",
                                        dims_string(in), " has rank ", in.size()));
        }
        v = in[i];
      } else if (v == -1) {
        if (infer_at >= 0) {
          return ctx.error(absl::StrCat("shape ", dims_string(*values), " has more than one -1"));
        }
        infer_at = static_cast<int>(i);
        out.push_back(1);
        continue;
      } else if (v < 0) {
        return ctx.error(absl::StrCat("shape ", dims_string(*values), " has an invalid dimension ", v));
      }
      if (v != 0 && known > kMaxElements / v) {
        return ctx.error(absl::StrCat("shape ", dims_string(*values), " has more than 2^36 elements"));
      }
      known *= v;
      out.push_back(v);
    }
    const int64_t total = num_elements(in);
    if (infer_at >= 0) {
      if (known == 0 || total % known != 0) {
        return ctx.error(absl::StrCat("cannot reshape ", dims_string(in), " to ", dims_string(*values),
                                      ": the -1 dimension cannot be inferred"));
      }
      out[infer_at] = total / known;
    }
    return finish(ctx, std::move(out));
  }

 private:
  // Load-time output shape. Symbols cancel: [batch,3,4] with shape [0,-1] gives [batch,12].
  absl::StatusOr<SymShape> infer_symbolic(const InferContext& ctx, const std::vector<int64_t>& values) const {
    const SymShape& in = ctx.input_shape(0);
    std::vector<Dim> out;
    int infer_at = -1;
    for (size_t i = 0; i < values.size(); ++i) {
      const int64_t v = values[i];
      if (v == 0 && !allow_zero_) {
        if (!in.rank_known()) {
          out.push_back(Dim::unknown());
        } else if (i >= static_cast<size_t>(in.rank())) {
          return ctx.error(absl::StrCat("shape ", dims_string(values), " copies dimension ", i,
                                        " (0) but input ", in.to_string(), " has rank ", in.rank()));
        } else {
          out.push_back(in[i]);
        }
      } else if (v == -1) {
        if (infer_at >= 0) return ctx.error(absl::StrCat("shape ", dims_string(values), " has more than one -1"));
        infer_at = static_cast<int>(i);
        out.push_back(Dim::unknown());
      } else if (v < 0) {
        return ctx.error(absl::StrCat("shape ", dims_string(values), " has an invalid dimension ", v));
      } else {
        out.push_back(Dim::known(v));
      }
    }
    if (infer_at >= 0 && in.rank_known()) out[infer_at] = infer_minus_one(in.dims(), out, infer_at);
    SymShape result(std::move(out));
    if (result.is_static() && !checked_num_elements(result.to_dims()).ok()) {
      return ctx.error(absl::StrCat("shape ", result.to_string(), " has more than 2^36 elements"));
    }
    if (in.is_static() && result.is_static() && num_elements(in.to_dims()) != num_elements(result.to_dims())) {
      return ctx.error(absl::StrCat("cannot reshape ", in.to_string(), " (", num_elements(in.to_dims()),
                                    " elements) to ", result.to_string()));
    }
    return result;
  }

  // The -1 dim: cancel output symbols against equal input symbols; if only known dims remain on both
  // sides, it is their quotient.
  static Dim infer_minus_one(const std::vector<Dim>& in, const std::vector<Dim>& out, int infer_at) {
    std::vector<Dim> rest(in);
    int64_t out_known = 1;
    for (size_t i = 0; i < out.size(); ++i) {
      if (static_cast<int>(i) == infer_at) continue;
      if (out[i].is_known()) {
        out_known *= out[i].value;
        continue;
      }
      auto it = std::find(rest.begin(), rest.end(), out[i]);
      if (!out[i].is_symbol() || it == rest.end()) return Dim::unknown();
      rest.erase(it);
    }
    int64_t in_known = 1;
    for (const Dim& d : rest) {
      if (!d.is_known()) return Dim::unknown();
      in_known *= d.value;
    }
    if (out_known == 0 || in_known % out_known != 0) return Dim::unknown();
    return Dim::known(in_known / out_known);
  }

  bool allow_zero_;
};

SOFIE_REGISTER_OP("", "Reshape", 5, kMaxOpset, &ReshapeOp::create);

// ---------------------------------------------------------------------------------------------------
// Flatten: [prod(dims[:axis]), prod(dims[axis:])], axis in [-rank, rank].
class FlattenOp : public ViewOp {
 public:
  explicit FlattenOp(int64_t axis) : axis_(axis) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", 1);
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<FlattenOp>(axis));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    const SymShape& in = ctx.input_shape(0);
    if (!in.rank_known()) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape({Dim::unknown(), Dim::unknown()}));
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(const int64_t axis, resolve_axis(ctx, in.rank()));
    ctx.set_output(0, ctx.input_dtype(0),
                   SymShape({product_of(in.dims(), 0, axis), product_of(in.dims(), axis, in.rank())}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    SOFIE_ASSIGN_OR_RETURN(const int64_t axis, resolve_axis(ctx, static_cast<int64_t>(in.size())));
    const absl::Span<const int64_t> dims(in);
    return finish(ctx, Dims{num_elements(dims.subspan(0, axis)), num_elements(dims.subspan(axis))});
  }

 private:
  template <typename Ctx>
  absl::StatusOr<int64_t> resolve_axis(const Ctx& ctx, int64_t rank) const {
    if (axis_ < -rank || axis_ > rank) {
      return ctx.error(absl::StrCat("axis ", axis_, " is out of range for rank ", rank, " (expected [", -rank,
                                    ",", rank, "])"));
    }
    return axis_ < 0 ? axis_ + rank : axis_;
  }

  int64_t axis_;
};

SOFIE_REGISTER_OP("", "Flatten", 1, kMaxOpset, &FlattenOp::create);

// ---------------------------------------------------------------------------------------------------
// Squeeze: removes the given size-1 axes, or all size-1 dims without axes. Axes are an attribute before
// opset 13 and an optional input from 13.
class SqueezeOp : public ViewOp {
 public:
  SqueezeOp(bool axes_from_input, bool has_axes_attr, std::vector<int64_t> axes)
      : axes_from_input_(axes_from_input), has_axes_attr_(has_axes_attr), axes_(std::move(axes)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool from_input = node.opset >= 13;
    const bool has_attr = !from_input && a.has("axes");
    std::vector<int64_t> axes = has_attr ? a.get_ints("axes") : std::vector<int64_t>{};
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<SqueezeOp>(from_input, has_attr, std::move(axes)));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, axes_from_input_ ? 2 : 1));
    if (ctx.has_input(1)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    const SymShape& in = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(0);
    bool have_axes = has_axes_attr_;
    std::vector<int64_t> axes = axes_;
    if (ctx.has_input(1)) {
      const Tensor* c = ctx.input_constant(1);
      if (c == nullptr || !in.rank_known()) {
        ctx.set_output(0, dtype, SymShape::unknown_rank());
        return absl::OkStatus();
      }
      auto values = read_int_values(c->view(), "axes");
      if (!values.ok()) return ctx.error(values.status().message());
      axes = *std::move(values);
      have_axes = true;
    }
    if (!in.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    std::vector<Dim> out;
    if (!have_axes) {
      for (const Dim& d : in.dims()) {
        if (!d.is_known()) {  // might be 1
          ctx.set_output(0, dtype, SymShape::unknown_rank());
          return absl::OkStatus();
        }
        if (d.value != 1) out.push_back(d);
      }
    } else {
      auto normalized = normalize_axes(axes, in.rank());
      if (!normalized.ok()) return ctx.error(normalized.status().message());
      for (int64_t i = 0; i < in.rank(); ++i) {
        if (std::binary_search(normalized->begin(), normalized->end(), i)) {
          if (in[i].is_known() && in[i].value != 1) {
            return ctx.error(absl::StrCat("cannot squeeze axis ", i, " of ", in.to_string(), ": its size is not 1"));
          }
        } else {
          out.push_back(in[i]);
        }
      }
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    bool have_axes = has_axes_attr_;
    std::vector<int64_t> axes = axes_;
    if (ctx.has_input(1)) {
      SOFIE_ASSIGN_OR_RETURN(axes, axes_from_input(ctx, "axes"));
      have_axes = true;
    }
    Dims out;
    if (!have_axes) {
      for (int64_t d : in) {
        if (d != 1) out.push_back(d);
      }
    } else {
      auto normalized = normalize_axes(axes, static_cast<int64_t>(in.size()));
      if (!normalized.ok()) return ctx.error(normalized.status().message());
      for (size_t i = 0; i < in.size(); ++i) {
        if (std::binary_search(normalized->begin(), normalized->end(), static_cast<int64_t>(i))) {
          if (in[i] != 1) {
            return ctx.error(
                absl::StrCat("cannot squeeze axis ", i, " of ", dims_string(in), ": its size is not 1"));
          }
        } else {
          out.push_back(in[i]);
        }
      }
    }
    return finish(ctx, std::move(out));
  }

 private:
  bool axes_from_input_;
  bool has_axes_attr_;
  std::vector<int64_t> axes_;
};

SOFIE_REGISTER_OP("", "Squeeze", 1, 12, &SqueezeOp::create);
SOFIE_REGISTER_OP("", "Squeeze", 13, kMaxOpset, &SqueezeOp::create);

// ---------------------------------------------------------------------------------------------------
// Unsqueeze: inserts size-1 dims at `axes` (positions in the output). Attribute before 13, input from 13.
class UnsqueezeOp : public ViewOp {
 public:
  UnsqueezeOp(bool axes_from_input, std::vector<int64_t> axes)
      : axes_from_input_(axes_from_input), axes_(std::move(axes)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool from_input = node.opset >= 13;
    std::vector<int64_t> axes;
    if (!from_input) {
      if (!a.has("axes")) return node_error(node, "required attribute 'axes' is missing");
      axes = a.get_ints("axes");
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<UnsqueezeOp>(from_input, std::move(axes)));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, axes_from_input_ ? 2 : 1, axes_from_input_ ? 2 : 1));
    if (axes_from_input_) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    const SymShape& in = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(0);
    std::vector<int64_t> axes = axes_;
    if (axes_from_input_) {
      const Tensor* c = ctx.input_constant(1);
      if (c == nullptr) {
        ctx.set_output(0, dtype, SymShape::unknown_rank());
        return absl::OkStatus();
      }
      auto values = read_int_values(c->view(), "axes");
      if (!values.ok()) return ctx.error(values.status().message());
      axes = *std::move(values);
    }
    if (!in.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    const int64_t out_rank = in.rank() + static_cast<int64_t>(axes.size());
    auto normalized = normalize_axes(axes, out_rank);
    if (!normalized.ok()) return ctx.error(normalized.status().message());
    std::vector<Dim> out;
    size_t next = 0;
    for (int64_t i = 0; i < out_rank; ++i) {
      if (std::binary_search(normalized->begin(), normalized->end(), i)) {
        out.push_back(Dim::known(1));
      } else {
        out.push_back(in[next++]);
      }
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    std::vector<int64_t> axes = axes_;
    if (axes_from_input_) {
      SOFIE_ASSIGN_OR_RETURN(axes, axes_from_input(ctx, "axes"));
    }
    const int64_t out_rank = static_cast<int64_t>(in.size() + axes.size());
    auto normalized = normalize_axes(axes, out_rank);
    if (!normalized.ok()) return ctx.error(normalized.status().message());
    Dims out;
    size_t next = 0;
    for (int64_t i = 0; i < out_rank; ++i) {
      out.push_back(std::binary_search(normalized->begin(), normalized->end(), i) ? 1 : in[next++]);
    }
    return finish(ctx, std::move(out));
  }

 private:
  bool axes_from_input_;
  std::vector<int64_t> axes_;
};

SOFIE_REGISTER_OP("", "Unsqueeze", 1, 12, &UnsqueezeOp::create);
SOFIE_REGISTER_OP("", "Unsqueeze", 13, kMaxOpset, &UnsqueezeOp::create);

}  // namespace
}  // namespace sofie::ops
