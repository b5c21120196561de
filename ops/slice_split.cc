// Slice (numpy-style strided slicing, steps of any sign) and Split (one input into pieces along an axis).
// Both are pure data movement for any dtype: Slice is a strided copy (movement_util.h), Split copies rows.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/movement_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// ---------------------------------------------------------------------------------------------------
// Slice. Opsets 1-9: starts/ends/axes attributes, step 1. Opset 10+: inputs starts, ends, axes?, steps?.
// Out-of-range starts and ends are clamped as the ONNX spec says: to [0, dim] for positive steps, starts
// to [0, dim-1] and ends to [-1, dim-1] for negative steps (so INT64_MAX / INT64_MIN mean "to the end").

struct SliceSpec {
  std::vector<int64_t> starts, ends, axes, steps;
};

// One sliced axis: the first input index read and how many elements are taken.
struct AxisSlice {
  int64_t first = 0;
  int64_t count = 0;
};

AxisSlice slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step) {
  AxisSlice s;
  if (dim == 0) return s;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    if (end > start) s.count = (end - start - 1) / step + 1;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    // -step without overflow for INT64_MIN.
    const uint64_t magnitude = static_cast<uint64_t>(-(step + 1)) + 1;
    if (start > end) s.count = static_cast<int64_t>(static_cast<uint64_t>(start - end - 1) / magnitude + 1);
  }
  s.first = start;
  return s;
}

class SliceOp : public Op {
 public:
  SliceOp(bool from_inputs, SliceSpec attrs) : from_inputs_(from_inputs), attrs_(std::move(attrs)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    SliceSpec spec;
    const bool from_inputs = node.opset >= 10;
    if (!from_inputs) {
      if (!a.has("starts") || !a.has("ends")) {
        return node_error(node, "the 'starts' and 'ends' attributes are required before opset 10");
      }
      spec.starts = a.get_ints("starts");
      spec.ends = a.get_ints("ends");
      if (a.has("axes")) {
        spec.axes = a.get_ints("axes");
      } else {
        for (size_t i = 0; i < spec.starts.size(); ++i) spec.axes.push_back(static_cast<int64_t>(i));
      }
      spec.steps.assign(spec.starts.size(), 1);
      SOFIE_RETURN_IF_ERROR(a.status());
      if (spec.ends.size() != spec.starts.size() || spec.axes.size() != spec.starts.size()) {
        return node_error(node, absl::StrCat("starts, ends and axes must have the same length, got ",
                                             spec.starts.size(), ", ", spec.ends.size(), " and ", spec.axes.size()));
      }
    }
    return std::unique_ptr<Op>(std::make_unique<SliceOp>(from_inputs, std::move(spec)));
  }

  absl::Status infer(InferContext& ctx) override {
    if (from_inputs_) {
      SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 5));
      for (int i = 1; i < ctx.num_inputs(); ++i) {
        if (ctx.has_input(i)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kInt64, DType::kInt32}));
      }
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    }
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    const SymShape& in = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(0);
    if (!in.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    std::vector<Dim> out(in.dims());
    std::vector<const TensorView*> values(5, nullptr);
    bool known = true;
    for (int i = 1; i < 5 && from_inputs_; ++i) {
      if (!ctx.has_input(i)) continue;
      const Tensor* c = ctx.input_constant(i);
      if (c == nullptr) known = false;
      else values[i] = &c->view();
    }
    if (!known) {  // only the rank is known
      ctx.set_output(0, dtype, SymShape(std::vector<Dim>(in.rank(), Dim::unknown())));
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(SliceSpec spec, resolve(ctx, values, in.rank()));
    for (size_t i = 0; i < spec.axes.size(); ++i) {
      Dim& d = out[spec.axes[i]];
      if (d.is_known()) {
        d = Dim::known(slice_axis(d.value, spec.starts[i], spec.ends[i], spec.steps[i]).count);
      } else if (!(spec.starts[i] == 0 && spec.steps[i] == 1 && spec.ends[i] == std::numeric_limits<int64_t>::max())) {
        d = Dim::unknown();
      }
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(in.size());
    std::vector<const TensorView*> values(5, nullptr);
    for (int i = 1; i < 5 && from_inputs_; ++i) {
      if (!ctx.has_input(i)) continue;
      values[i] = ctx.input_value(i);
      if (values[i] == nullptr) {
        static constexpr const char* kNames[] = {"", "starts", "ends", "axes", "steps"};
        return unsupported(ctx.node(), absl::StrCat("the '", kNames[i], "' input must be known when planning ",
                                                    "(a constant, or computed from shapes)"));
      }
    }
    SOFIE_ASSIGN_OR_RETURN(SliceSpec spec, resolve(ctx, values, rank));
    Dims out(in);
    const Dims strides = row_major_strides(in);
    Dims in_strides(strides);
    int64_t offset = 0;
    for (size_t i = 0; i < spec.axes.size(); ++i) {
      const int64_t axis = spec.axes[i];
      const AxisSlice s = slice_axis(in[axis], spec.starts[i], spec.ends[i], spec.steps[i]);
      out[axis] = s.count;
      offset += s.first * strides[axis];
      in_strides[axis] = spec.steps[i] * strides[axis];
    }
    auto& p = ctx.make_params<StridedCopy>();
    if (!plan_strided_copy(out, in_strides, offset, dtype_size(ctx.input_dtype(0)), p)) {
      return ctx.error(absl::StrCat("slicing ", dims_string(in), " needs more than ", kMaxStridedLoops, " loops"));
    }
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    run_strided_copy(ctx.params_as<StridedCopy>(), ctx.input(0).data, ctx.output(0).data);
    return absl::OkStatus();
  }

 private:
  // The slice parameters with axes normalised and checked, from attributes or input values.
  template <typename Ctx>
  absl::StatusOr<SliceSpec> resolve(const Ctx& ctx, const std::vector<const TensorView*>& values,
                                    int64_t rank) const {
    SliceSpec spec = attrs_;
    if (from_inputs_) {
      static constexpr const char* kNames[] = {"", "starts", "ends", "axes", "steps"};
      std::vector<int64_t>* fields[] = {nullptr, &spec.starts, &spec.ends, &spec.axes, &spec.steps};
      for (int i = 1; i < 5; ++i) {
        if (values[i] == nullptr) continue;
        auto v = read_int_values(*values[i], kNames[i]);
        if (!v.ok()) return ctx.error(v.status().message());
        *fields[i] = *std::move(v);
      }
      const size_t n = spec.starts.size();
      if (values[3] == nullptr) {
        for (size_t i = 0; i < n; ++i) spec.axes.push_back(static_cast<int64_t>(i));
      }
      if (values[4] == nullptr) spec.steps.assign(n, 1);
      if (spec.ends.size() != n || spec.axes.size() != n || spec.steps.size() != n) {
        return ctx.error(absl::StrCat("starts, ends, axes and steps must have the same length, got ", n, ", ",
                                      spec.ends.size(), ", ", spec.axes.size(), " and ", spec.steps.size()));
      }
    }
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; i < spec.axes.size(); ++i) {
      const int64_t axis = spec.axes[i];
      if (axis < -rank || axis >= rank) {
        return ctx.error(absl::StrCat("axis ", axis, " is out of range for an input of rank ", rank,
                                      " (expected [", -rank, ", ", rank - 1, "])"));
      }
      spec.axes[i] = axis < 0 ? axis + rank : axis;
      if (seen[spec.axes[i]]) return ctx.error(absl::StrCat("axes [", absl::StrJoin(spec.axes, ","), "] repeat an axis"));
      seen[spec.axes[i]] = true;
      if (spec.steps[i] == 0) return ctx.error(absl::StrCat("step for axis ", axis, " is 0; steps must be non-zero"));
    }
    return spec;
  }

  bool from_inputs_;
  SliceSpec attrs_;
};

SOFIE_REGISTER_OP("", "Slice", 1, 9, &SliceOp::create);
SOFIE_REGISTER_OP("", "Slice", 10, kMaxOpset, &SliceOp::create);

// ---------------------------------------------------------------------------------------------------
// Split along `axis`. Sizes come from the 'split' attribute (before 13) or input (13+); without them the
// axis is split evenly among the outputs (it must divide), or, from opset 18 with num_outputs, into
// chunks of ceil(dim / num_outputs) with a smaller last chunk.

struct SplitParams : OpParams {
  int64_t outer = 0;
  size_t row_bytes = 0;                // axis size * inner * element size
  std::vector<size_t> offsets, sizes;  // per output, bytes within one row
};

class SplitOp : public Op {
 public:
  SplitOp(int64_t axis, bool split_from_input, std::vector<int64_t> split, int64_t num_outputs)
      : axis_(axis), split_from_input_(split_from_input), split_(std::move(split)), num_outputs_(num_outputs) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", 0);
    const bool from_input = node.opset >= 13;
    std::vector<int64_t> split;
    if (!from_input) split = a.get_ints("split");
    int64_t num_outputs = 0;
    if (node.opset >= 18 && a.has("num_outputs")) {
      num_outputs = a.get_int("num_outputs", 0);
      if (num_outputs < 1 || num_outputs != static_cast<int64_t>(node.outputs.size())) {
        return node_error(node, absl::StrCat("num_outputs is ", num_outputs, " but the node has ",
                                             node.outputs.size(), " outputs"));
      }
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    if (!split.empty() && split.size() != node.outputs.size()) {
      return node_error(node, absl::StrCat("split has ", split.size(), " entries but the node has ",
                                           node.outputs.size(), " outputs"));
    }
    for (int64_t s : split) {
      if (s < 0) return node_error(node, absl::StrCat("split [", absl::StrJoin(split, ","), "] has a negative size"));
    }
    return std::unique_ptr<Op>(std::make_unique<SplitOp>(axis, from_input, std::move(split), num_outputs));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, split_from_input_ ? 2 : 1));
    if (ctx.has_input(1)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    const SymShape& in = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(0);
    const int n = ctx.num_outputs();
    if (!in.rank_known()) {
      for (int k = 0; k < n; ++k) ctx.set_output(k, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    auto axis = normalize_axis(axis_, in.rank());
    if (!axis.ok()) return ctx.error(axis.status().message());
    std::vector<int64_t> sizes = split_;
    bool sizes_known = true;
    if (ctx.has_input(1)) {
      const Tensor* c = ctx.input_constant(1);
      if (c == nullptr) {
        sizes_known = false;
      } else {
        auto v = read_int_values(c->view(), "split");
        if (!v.ok()) return ctx.error(v.status().message());
        sizes = *std::move(v);
      }
    }
    const Dim& dim = in[*axis];
    if (sizes_known && sizes.empty()) {
      if (dim.is_known()) {
        SOFIE_ASSIGN_OR_RETURN(sizes, even_sizes(ctx, dim.value, n));
      } else {
        sizes_known = false;
      }
    } else if (sizes_known) {
      SOFIE_RETURN_IF_ERROR(check_sizes(ctx, sizes, dim.is_known() ? dim.value : -1, n));
    }
    for (int k = 0; k < n; ++k) {
      std::vector<Dim> out(in.dims());
      out[*axis] = sizes_known ? Dim::known(sizes[k]) : Dim::unknown();
      ctx.set_output(k, dtype, SymShape(std::move(out)));
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    const int n = ctx.num_outputs();
    auto axis = normalize_axis(axis_, static_cast<int64_t>(in.size()));
    if (!axis.ok()) return ctx.error(axis.status().message());
    std::vector<int64_t> sizes = split_;
    if (ctx.has_input(1)) {
      const TensorView* v = ctx.input_value(1);
      if (v == nullptr) {
        return unsupported(ctx.node(), "the 'split' input must be known when planning (a constant, or computed "
                                       "from shapes)");
      }
      auto values = read_int_values(*v, "split");
      if (!values.ok()) return ctx.error(values.status().message());
      sizes = *std::move(values);
    }
    if (sizes.empty()) {
      SOFIE_ASSIGN_OR_RETURN(sizes, even_sizes(ctx, in[*axis], n));
    } else {
      SOFIE_RETURN_IF_ERROR(check_sizes(ctx, sizes, in[*axis], n));
    }
    const absl::Span<const int64_t> dims(in);
    const size_t inner_bytes = static_cast<size_t>(num_elements(dims.subspan(*axis + 1))) * dtype_size(ctx.input_dtype(0));
    auto& p = ctx.make_params<SplitParams>();
    p.outer = num_elements(dims.subspan(0, *axis));
    p.row_bytes = static_cast<size_t>(in[*axis]) * inner_bytes;
    size_t offset = 0;
    for (int k = 0; k < n; ++k) {
      Dims out(in);
      out[*axis] = sizes[k];
      p.offsets.push_back(offset);
      p.sizes.push_back(static_cast<size_t>(sizes[k]) * inner_bytes);
      offset += p.sizes.back();
      if (ctx.has_output(k)) ctx.set_output_shape(k, std::move(out));
    }
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<SplitParams>();
    const char* in = static_cast<const char*>(ctx.input(0).data);
    for (int k = 0; k < ctx.num_outputs; ++k) {
      if (!ctx.has_output(k) || p.sizes[k] == 0) continue;
      char* out = static_cast<char*>(ctx.output(k).data);
      const size_t size = p.sizes[k];
      for (int64_t o = 0; o < p.outer; ++o) {
        std::memcpy(out + static_cast<size_t>(o) * size, in + static_cast<size_t>(o) * p.row_bytes + p.offsets[k], size);
      }
    }
    return absl::OkStatus();
  }

 private:
  template <typename Ctx>
  absl::StatusOr<std::vector<int64_t>> even_sizes(const Ctx& ctx, int64_t dim, int n) const {
    if (num_outputs_ > 0) {  // opset 18: ceil-sized chunks, the last one smaller
      const int64_t chunk = (dim + n - 1) / n;
      if (chunk * (n - 1) > dim) {
        return ctx.error(absl::StrCat("an axis of size ", dim, " cannot be split into ", n,
                                      " chunks of size ", chunk, " (the last one smaller)"));
      }
      std::vector<int64_t> sizes(n, chunk);
      sizes.back() = dim - chunk * (n - 1);
      return sizes;
    }
    if (n == 0 || dim % n != 0) {
      return ctx.error(absl::StrCat("an axis of size ", dim, " cannot be split evenly into ", n, " outputs"));
    }
    return std::vector<int64_t>(n, dim / n);
  }

  // dim < 0: not known yet.
  template <typename Ctx>
  static absl::Status check_sizes(const Ctx& ctx, const std::vector<int64_t>& sizes, int64_t dim, int n) {
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) return ctx.error(absl::StrCat("split [", absl::StrJoin(sizes, ","), "] has a negative size"));
      sum += s;
    }
    if (static_cast<int>(sizes.size()) != n) {
      return ctx.error(absl::StrCat("split has ", sizes.size(), " entries but the node has ", n, " outputs"));
    }
    if (dim >= 0 && sum != dim) {
      return ctx.error(absl::StrCat("split [", absl::StrJoin(sizes, ","), "] sums to ", sum,
                                    " but the axis has size ", dim));
    }
    return absl::OkStatus();
  }

  int64_t axis_;
  bool split_from_input_;
  std::vector<int64_t> split_;
  int64_t num_outputs_;
};

SOFIE_REGISTER_OP("", "Split", 2, 12, &SplitOp::create);
SOFIE_REGISTER_OP("", "Split", 13, 17, &SplitOp::create);
SOFIE_REGISTER_OP("", "Split", 18, kMaxOpset, &SplitOp::create);

}  // namespace
}  // namespace sofie::ops
