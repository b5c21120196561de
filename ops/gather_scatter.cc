// GatherElements, GatherND, ScatterElements (and its deprecated name Scatter) and ScatterND, for every data
// dtype with int32 or int64 indices. Indices are data: each one is checked against its axis before it is
// used (negative ones count from the end), and one out of range is a run-time error naming it, never an
// out-of-bounds access. Scatters copy `data` into the output first (the output never aliases an input),
// then write or reduce (add, mul from opset 16; max, min from 18) the updates in index order.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

constexpr int kMaxRank = 32;

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

absl::StatusOr<Reduction> parse_reduction(const Node& node, const std::string& name) {
  if (name == "none") return Reduction::kNone;
  if (node.opset >= 16 && name == "add") return Reduction::kAdd;
  if (node.opset >= 16 && name == "mul") return Reduction::kMul;
  if (node.opset >= 18 && name == "max") return Reduction::kMax;
  if (node.opset >= 18 && name == "min") return Reduction::kMin;
  return node_error(node, absl::StrCat("reduction '", name, "' is not supported at opset ", node.opset,
                                       " (none; add, mul from opset 16; max, min from opset 18)"));
}

// Integers compute in their unsigned type, so overflow wraps instead of being undefined.
template <typename T, bool = std::is_integral_v<T>>
struct Arith { using type = T; };
template <typename T>
struct Arith<T, true> { using type = std::make_unsigned_t<T>; };

// dst = reduce(dst, v). Integers wrap; bool add/max are 'or', mul/min are 'and'.
template <typename T>
inline T reduce(Reduction r, T dst, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    switch (r) {
      case Reduction::kAdd: case Reduction::kMax: return dst || v;
      case Reduction::kMul: case Reduction::kMin: return dst && v;
      case Reduction::kNone: break;
    }
    return v;
  } else {
    using Wide = typename Arith<T>::type;
    switch (r) {
      case Reduction::kAdd: return static_cast<T>(static_cast<Wide>(dst) + static_cast<Wide>(v));
      case Reduction::kMul: return static_cast<T>(static_cast<Wide>(dst) * static_cast<Wide>(v));
      case Reduction::kMax: return std::max(dst, v);
      case Reduction::kMin: return std::min(dst, v);
      case Reduction::kNone: break;
    }
    return v;
  }
}

template <typename I>
inline int64_t index_at(const void* indices, int64_t i) {
  return static_cast<int64_t>(static_cast<const I*>(indices)[i]);
}

absl::Status index_error(const RunContext& ctx, int64_t k, int64_t position, int64_t n, int64_t axis) {
  return ctx.error(absl::StrCat("index ", k, " (indices element ", position, ") is out of range [", -n, ", ", n - 1,
                                "] for axis ", axis, " of data ", dims_string(ctx.input(0).shape)));
}

absl::Status check_indices_dtype(const InferContext& ctx, int i) {
  return check_input_dtype(ctx, i, {DType::kInt64, DType::kInt32});
}

// ---------------------------------------------------------------------------------------------------
// GatherElements / ScatterElements share the walk over the indices tensor: the element at index position
// (i_0, ..., i_{r-1}) addresses data[i_0, ..., indices[...], ..., i_{r-1}] (the index replaces i_axis).

struct ElementsParams : OpParams {
  int64_t axis = 0;
  int64_t axis_size = 0;
  Dims index_dims;    // indices (and updates) shape
  Dims data_strides;  // of data; data_strides[axis] is used for the index itself
  int64_t count = 0;  // indices elements
};

absl::Status plan_elements(ReshapeContext& ctx, int64_t axis_attr, const Dims& data, const Dims& indices,
                           ElementsParams& p) {
  const int64_t rank = static_cast<int64_t>(data.size());
  if (rank == 0) return ctx.error("data must have rank >= 1");
  if (static_cast<int64_t>(indices.size()) != rank) {
    return ctx.error(absl::StrCat("indices ", dims_string(indices), " must have the rank of data ", dims_string(data)));
  }
  if (rank > kMaxRank) return ctx.error(absl::StrCat("rank ", rank, " is more than ", kMaxRank));
  auto axis = normalize_axis(axis_attr, rank);
  if (!axis.ok()) return ctx.error(axis.status().message());
  for (int64_t d = 0; d < rank; ++d) {
    if (d != *axis && indices[d] > data[d]) {
      return ctx.error(absl::StrCat("indices ", dims_string(indices), " is larger than data ", dims_string(data),
                                    " in dimension ", d));
    }
  }
  p.axis = *axis;
  p.axis_size = data[*axis];
  p.index_dims = indices;
  p.data_strides = row_major_strides(data);
  p.count = num_elements(indices);
  return absl::OkStatus();
}

// Calls f(position, data_offset) for every indices element in order, after checking its index; stops at
// the first bad index.
template <typename I, typename F>
absl::Status walk_elements(const RunContext& ctx, const ElementsParams& p, const void* indices, F f) {
  const int rank = static_cast<int>(p.index_dims.size());
  const int last = rank - 1;
  const int64_t inner = p.index_dims[last];
  const int64_t n = p.axis_size;
  const int64_t axis_stride = p.data_strides[p.axis];
  const int64_t inner_stride = last == p.axis ? 0 : 1;  // data stride of the last dim, unless it is the axis
  int64_t index[kMaxRank] = {};
  for (int64_t row = 0; row < p.count; row += inner) {
    int64_t base = 0;
    for (int d = 0; d < last; ++d) {
      if (d != p.axis) base += index[d] * p.data_strides[d];
    }
    for (int64_t j = 0; j < inner; ++j) {
      int64_t k = index_at<I>(indices, row + j);
      if (k < -n || k >= n) return index_error(ctx, k, row + j, n, p.axis);
      if (k < 0) k += n;
      f(row + j, base + j * inner_stride + k * axis_stride);
    }
    for (int d = last - 1; d >= 0; --d) {
      if (++index[d] < p.index_dims[d]) break;
      index[d] = 0;
    }
  }
  return absl::OkStatus();
}

class GatherElementsOp : public Op {
 public:
  explicit GatherElementsOp(int64_t axis) : axis_(axis) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", 0);
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<GatherElementsOp>(axis));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_indices_dtype(ctx, 1));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    const SymShape& data = ctx.input_shape(0);
    const SymShape& indices = ctx.input_shape(1);
    if (data.rank_known() && indices.rank_known() && data.rank() != indices.rank()) {
      return ctx.error(absl::StrCat("indices ", indices.to_string(), " must have the rank of data ", data.to_string()));
    }
    ctx.set_output(0, ctx.input_dtype(0), indices);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    auto& p = ctx.make_params<ElementsParams>();
    SOFIE_RETURN_IF_ERROR(plan_elements(ctx, axis_, ctx.input_shape(0), ctx.input_shape(1), p));
    ctx.set_output_shape(0, ctx.input_shape(1));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<ElementsParams>();
    if (p.count == 0) return absl::OkStatus();
    const TensorView& indices = ctx.input(1);
    absl::Status status;
    visit_any(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* data = ctx.input(0).data_as<T>();
      T* out = ctx.output(0).data_as<T>();
      auto gather = [&](int64_t position, int64_t offset) { out[position] = data[offset]; };
      status = indices.dtype == DType::kInt64 ? walk_elements<int64_t>(ctx, p, indices.data, gather)
                                              : walk_elements<int32_t>(ctx, p, indices.data, gather);
    });
    return status;
  }

 private:
  int64_t axis_;
};

SOFIE_REGISTER_OP("", "GatherElements", 11, kMaxOpset, &GatherElementsOp::create);

class ScatterElementsOp : public Op {
 public:
  ScatterElementsOp(int64_t axis, Reduction reduction) : axis_(axis), reduction_(reduction) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", 0);
    const std::string reduction = node.op_type == "Scatter" ? "none" : a.get_string("reduction", "none");
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_ASSIGN_OR_RETURN(Reduction r, parse_reduction(node, reduction));
    return std::unique_ptr<Op>(std::make_unique<ScatterElementsOp>(axis, r));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 3));
    SOFIE_RETURN_IF_ERROR(check_indices_dtype(ctx, 1));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    const SymShape& indices = ctx.input_shape(1);
    const SymShape& updates = ctx.input_shape(2);
    if (indices.rank_known() && updates.rank_known() && indices.is_static() && updates.is_static() &&
        indices.to_dims() != updates.to_dims()) {
      return ctx.error(absl::StrCat("updates ", updates.to_string(), " must have the shape of indices ",
                                    indices.to_string()));
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    if (ctx.input_shape(1) != ctx.input_shape(2)) {
      return ctx.error(absl::StrCat("updates ", dims_string(ctx.input_shape(2)), " must have the shape of indices ",
                                    dims_string(ctx.input_shape(1))));
    }
    auto& p = ctx.make_params<ElementsParams>();
    SOFIE_RETURN_IF_ERROR(plan_elements(ctx, axis_, ctx.input_shape(0), ctx.input_shape(1), p));
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<ElementsParams>();
    const TensorView& data = ctx.input(0);
    if (data.nbytes() > 0) std::memcpy(ctx.output(0).data, data.data, data.nbytes());
    if (p.count == 0) return absl::OkStatus();
    const TensorView& indices = ctx.input(1);
    absl::Status status;
    visit_any(data.dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* updates = ctx.input(2).data_as<T>();
      T* out = ctx.output(0).data_as<T>();
      const Reduction r = reduction_;
      auto scatter = [&](int64_t position, int64_t offset) {
        out[offset] = r == Reduction::kNone ? updates[position] : reduce(r, out[offset], updates[position]);
      };
      status = indices.dtype == DType::kInt64 ? walk_elements<int64_t>(ctx, p, indices.data, scatter)
                                              : walk_elements<int32_t>(ctx, p, indices.data, scatter);
    });
    return status;
  }

 private:
  int64_t axis_;
  Reduction reduction_;
};

SOFIE_REGISTER_OP("", "Scatter", 9, 12, &ScatterElementsOp::create);
SOFIE_REGISTER_OP("", "ScatterElements", 11, 15, &ScatterElementsOp::create);
SOFIE_REGISTER_OP("", "ScatterElements", 16, 17, &ScatterElementsOp::create);
SOFIE_REGISTER_OP("", "ScatterElements", 18, kMaxOpset, &ScatterElementsOp::create);

// ---------------------------------------------------------------------------------------------------
// GatherND / ScatterND: the last dim of indices (length `depth`) addresses a slice of data (after
// `batch_dims` leading dims shared by data and indices).

struct NdParams : OpParams {
  int64_t batches = 0;       // prod(data[:batch_dims])
  int64_t tuples = 0;        // index tuples per batch
  int64_t depth = 0;         // indices.shape[-1]
  int64_t batch_stride = 0;  // data elements per batch
  int64_t slice = 0;         // elements per addressed slice
  Dims dims;                 // data dims addressed by a tuple
  Dims strides;              // and their strides in data
  int64_t first_axis = 0;    // data axis of the tuple's first entry (for messages)
};

absl::Status plan_nd(ReshapeContext& ctx, int64_t batch_dims, const Dims& data, const Dims& indices, NdParams& p) {
  const int64_t r = static_cast<int64_t>(data.size()), q = static_cast<int64_t>(indices.size());
  if (q < 1) return ctx.error("indices must have rank >= 1");
  if (batch_dims < 0 || batch_dims >= std::min(r, q)) {
    return ctx.error(absl::StrCat("batch_dims ", batch_dims, " must be in [0, ", std::min(r, q) - 1,
                                  "] for data ", dims_string(data), " and indices ", dims_string(indices)));
  }
  for (int64_t d = 0; d < batch_dims; ++d) {
    if (data[d] != indices[d]) {
      return ctx.error(absl::StrCat("the first ", batch_dims, " dims of data ", dims_string(data),
                                    " and indices ", dims_string(indices), " must be equal"));
    }
  }
  const int64_t depth = indices[q - 1];
  if (depth < 1 || depth > r - batch_dims) {
    return ctx.error(absl::StrCat("indices ", dims_string(indices), ": the last dim must be in [1, ",
                                  r - batch_dims, "] for data ", dims_string(data)));
  }
  const absl::Span<const int64_t> dd(data), id(indices);
  const Dims strides = row_major_strides(data);
  p.batches = num_elements(dd.subspan(0, batch_dims));
  p.tuples = num_elements(id.subspan(batch_dims, q - 1 - batch_dims));
  p.depth = depth;
  p.batch_stride = num_elements(dd.subspan(batch_dims));
  p.slice = num_elements(dd.subspan(batch_dims + depth));
  p.dims.assign(data.begin() + batch_dims, data.begin() + batch_dims + depth);
  p.strides.assign(strides.begin() + batch_dims, strides.begin() + batch_dims + depth);
  p.first_axis = batch_dims;
  return absl::OkStatus();
}

// Calls f(tuple_number, data_offset) for every index tuple in order; stops at the first bad index.
template <typename I, typename F>
absl::Status walk_tuples(const RunContext& ctx, const NdParams& p, const void* indices, F f) {
  int64_t t = 0;
  for (int64_t b = 0; b < p.batches; ++b) {
    for (int64_t i = 0; i < p.tuples; ++i, ++t) {
      int64_t offset = b * p.batch_stride;
      for (int64_t j = 0; j < p.depth; ++j) {
        const int64_t position = t * p.depth + j;
        int64_t k = index_at<I>(indices, position);
        const int64_t n = p.dims[j];
        if (k < -n || k >= n) return index_error(ctx, k, position, n, p.first_axis + j);
        if (k < 0) k += n;
        offset += k * p.strides[j];
      }
      f(t, offset);
    }
  }
  return absl::OkStatus();
}

class GatherNDOp : public Op {
 public:
  explicit GatherNDOp(int64_t batch_dims) : batch_dims_(batch_dims) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t batch_dims = node.opset >= 12 ? a.get_int("batch_dims", 0) : 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<GatherNDOp>(batch_dims));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_indices_dtype(ctx, 1));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    const SymShape& data = ctx.input_shape(0);
    const SymShape& indices = ctx.input_shape(1);
    if (!data.rank_known() || !indices.rank_known() || indices.rank() < 1 || !indices[indices.rank() - 1].is_known()) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape::unknown_rank());
      return absl::OkStatus();
    }
    const int64_t depth = indices[indices.rank() - 1].value;
    if (batch_dims_ < 0 || batch_dims_ + depth > data.rank() || batch_dims_ >= indices.rank()) {
      return ctx.error(absl::StrCat("indices ", indices.to_string(), " with batch_dims ", batch_dims_,
                                    " do not fit data ", data.to_string()));
    }
    std::vector<Dim> out(indices.dims().begin(), indices.dims().end() - 1);
    out.insert(out.end(), data.dims().begin() + batch_dims_ + depth, data.dims().end());
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& data = ctx.input_shape(0);
    const Dims& indices = ctx.input_shape(1);
    auto& p = ctx.make_params<NdParams>();
    SOFIE_RETURN_IF_ERROR(plan_nd(ctx, batch_dims_, data, indices, p));
    Dims out(indices.begin(), indices.end() - 1);
    out.insert(out.end(), data.begin() + batch_dims_ + p.depth, data.end());
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<NdParams>();
    if (p.slice == 0) return absl::OkStatus();
    const size_t element = dtype_size(ctx.input(0).dtype);
    const size_t slice_bytes = static_cast<size_t>(p.slice) * element;
    const char* data = static_cast<const char*>(ctx.input(0).data);
    char* out = static_cast<char*>(ctx.output(0).data);
    auto copy = [&](int64_t t, int64_t offset) {
      std::memcpy(out + static_cast<size_t>(t) * slice_bytes, data + static_cast<size_t>(offset) * element,
                  slice_bytes);
    };
    const TensorView& indices = ctx.input(1);
    return indices.dtype == DType::kInt64 ? walk_tuples<int64_t>(ctx, p, indices.data, copy)
                                          : walk_tuples<int32_t>(ctx, p, indices.data, copy);
  }

 private:
  int64_t batch_dims_;
};

SOFIE_REGISTER_OP("", "GatherND", 11, 11, &GatherNDOp::create);
SOFIE_REGISTER_OP("", "GatherND", 12, kMaxOpset, &GatherNDOp::create);

class ScatterNDOp : public Op {
 public:
  explicit ScatterNDOp(Reduction reduction) : reduction_(reduction) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const std::string reduction = a.get_string("reduction", "none");
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_ASSIGN_OR_RETURN(Reduction r, parse_reduction(node, reduction));
    return std::unique_ptr<Op>(std::make_unique<ScatterNDOp>(r));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 3));
    SOFIE_RETURN_IF_ERROR(check_indices_dtype(ctx, 1));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& data = ctx.input_shape(0);
    const Dims& indices = ctx.input_shape(1);
    const Dims& updates = ctx.input_shape(2);
    auto& p = ctx.make_params<NdParams>();
    SOFIE_RETURN_IF_ERROR(plan_nd(ctx, 0, data, indices, p));
    Dims expected(indices.begin(), indices.end() - 1);
    expected.insert(expected.end(), data.begin() + p.depth, data.end());
    if (updates != expected) {
      return ctx.error(absl::StrCat("updates ", dims_string(updates), " must have shape ", dims_string(expected),
                                    " (indices ", dims_string(indices), ", data ", dims_string(data), ")"));
    }
    ctx.set_output_shape(0, data);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<NdParams>();
    const TensorView& data = ctx.input(0);
    if (data.nbytes() > 0) std::memcpy(ctx.output(0).data, data.data, data.nbytes());
    if (p.slice == 0 || p.tuples == 0) return absl::OkStatus();
    const TensorView& indices = ctx.input(1);
    absl::Status status;
    visit_any(data.dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* updates = ctx.input(2).data_as<T>();
      T* out = ctx.output(0).data_as<T>();
      const int64_t slice = p.slice;
      const Reduction r = reduction_;
      auto scatter = [&](int64_t t, int64_t offset) {
        const T* src = updates + t * slice;
        T* dst = out + offset;
        if (r == Reduction::kNone) {
          std::memcpy(dst, src, static_cast<size_t>(slice) * sizeof(T));
        } else {
          for (int64_t e = 0; e < slice; ++e) dst[e] = reduce(r, dst[e], src[e]);
        }
      };
      status = indices.dtype == DType::kInt64 ? walk_tuples<int64_t>(ctx, p, indices.data, scatter)
                                              : walk_tuples<int32_t>(ctx, p, indices.data, scatter);
    });
    return status;
  }

 private:
  Reduction reduction_;
};

SOFIE_REGISTER_OP("", "ScatterND", 11, 15, &ScatterNDOp::create);
SOFIE_REGISTER_OP("", "ScatterND", 16, 17, &ScatterNDOp::create);
SOFIE_REGISTER_OP("", "ScatterND", 18, kMaxOpset, &ScatterNDOp::create);

}  // namespace
}  // namespace sofie::ops
