// Normalisation over groups of elements: LayerNormalization (opset 17), InstanceNormalization and
// GroupNormalization (opset 18: scale and bias per group; opset 21: per channel, and stash_type). Each row of
// normalised elements is contiguous; its mean and variance come from one pass (sums of x - x[0] and of its
// square, shifted by the row's first element against cancellation) in the stash type, then a second pass
// writes y = x * a + b.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// Mean and (biased) variance of n contiguous elements, accumulated in U.
template <typename U, typename T>
void row_moments(int64_t n, const T* x, U& mean, U& var) {
  if (n == 0) {
    mean = var = U(0);
    return;
  }
  constexpr int L = kBlockLanes<T>;
  const U shift = static_cast<U>(x[0]);
  U s1[L] = {}, s2[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int j = 0; j < L; ++j) {
      const U d = static_cast<U>(x[i + j]) - shift;
      s1[j] += d;
      s2[j] += d * d;
    }
  }
  U a = 0, b = 0;
  for (int j = 0; j < L; ++j) {
    a += s1[j];
    b += s2[j];
  }
  for (; i < n; ++i) {
    const U d = static_cast<U>(x[i]) - shift;
    a += d;
    b += d * d;
  }
  const U m = a / static_cast<U>(n);
  mean = shift + m;
  var = std::max(b / static_cast<U>(n) - m * m, U(0));
}

// y[i] = (x[i] - m) * s * scale[i] (+ bias[i]), over blocks GCC vectorises (SOFIE_IVDEP: y is x or
// overlaps no input; see vec_loop.h).
template <typename T>
void normalize_row(int64_t n, const T* x, T m, T s, const T* scale, const T* bias, T* y) {
  constexpr int L = kBlockLanes<T>;
  int64_t i = 0;
  if (bias != nullptr) {
    for (; i + L <= n; i += L) {
      SOFIE_IVDEP
      for (int j = 0; j < L; ++j) y[i + j] = (x[i + j] - m) * s * scale[i + j] + bias[i + j];
    }
    for (; i < n; ++i) y[i] = (x[i] - m) * s * scale[i] + bias[i];
  } else {
    for (; i + L <= n; i += L) {
      SOFIE_IVDEP
      for (int j = 0; j < L; ++j) y[i + j] = (x[i + j] - m) * s * scale[i + j];
    }
    for (; i < n; ++i) y[i] = (x[i] - m) * s * scale[i];
  }
}

constexpr int kMaxRowRank = 16;

// dst[i] = src at i's position in `dims` (row-major), src read through `strides` (0 on broadcast dims).
template <typename T>
void expand(const T* src, const Dims& dims, const Dims& strides, T* dst) {
  const int64_t total = num_elements(dims);
  const int rank = static_cast<int>(dims.size());
  int64_t index[kMaxRowRank] = {};
  int64_t off = 0;
  for (int64_t i = 0; i < total; ++i) {
    dst[i] = src[off];
    for (int d = rank - 1; d >= 0; --d) {
      off += strides[d];
      if (++index[d] < dims[d]) break;
      off -= strides[d] * dims[d];
      index[d] = 0;
    }
  }
}

// The stash type: 1 (float32) or 11 (float64).
absl::StatusOr<bool> stash_is_double(const Node& node, int64_t stash_type) {
  if (stash_type == 1) return false;
  if (stash_type == 11) return true;
  return unsupported(node, absl::StrCat("stash_type ", stash_type, " is not supported; supported: 1 (float32), "
                                        "11 (float64)"));
}

// Calls f(T{}, U{}) for X's dtype T and the accumulation type U.
template <typename F>
void visit_float_stash(DType x, bool stash_double, F&& f) {
  if (x == DType::kFloat32) {
    if (stash_double) {
      f(float{}, double{});
    } else {
      f(float{}, float{});
    }
  } else {
    if (stash_double) {
      f(double{}, double{});
    } else {
      f(double{}, float{});
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// LayerNormalization: rows are dims [axis, rank); Scale and B broadcast to the row's shape (usually they
// have it, and are used in place; otherwise they are expanded into the workspace on each run).
struct LayerNormParams : OpParams {
  int64_t rows = 0, n = 0;
  Dims row_dims;
  Dims scale_strides, bias_strides;  // empty when the tensor is used as is (n elements)
};

class LayerNormOp : public Op {
 public:
  LayerNormOp(int64_t axis, float epsilon, bool stash_double)
      : axis_(axis), epsilon_(epsilon), stash_double_(stash_double) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", -1);
    const float epsilon = a.get_float("epsilon", 1e-5f);
    const int64_t stash_type = a.get_int("stash_type", 1);
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_ASSIGN_OR_RETURN(bool stash_double, stash_is_double(node, stash_type));
    return std::unique_ptr<Op>(std::make_unique<LayerNormOp>(axis, epsilon, stash_double));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    const SymShape& x = ctx.input_shape(0);
    ctx.set_output(0, ctx.input_dtype(0), x);
    const DType stash = stash_double_ ? DType::kFloat64 : DType::kFloat32;
    SymShape stats = SymShape::unknown_rank();
    if (x.rank_known()) {
      auto axis = normalize_axis(axis_, x.rank());
      if (!axis.ok()) return ctx.error(axis.status().message());
      std::vector<Dim> dims(x.dims().begin(), x.dims().begin() + *axis);
      dims.resize(x.rank(), Dim::known(1));
      stats = SymShape(std::move(dims));
    }
    for (int i = 1; i < 3; ++i) {
      if (ctx.has_output(i)) ctx.set_output(i, stash, stats);
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    auto resolved = normalize_axis(axis_, static_cast<int64_t>(x.size()));
    if (!resolved.ok()) return ctx.error(resolved.status().message());
    const int64_t axis = *resolved;
    auto& p = ctx.make_params<LayerNormParams>();
    const absl::Span<const int64_t> dims(x);
    p.rows = num_elements(dims.subspan(0, axis));
    p.n = num_elements(dims.subspan(axis));
    p.row_dims.assign(x.begin() + axis, x.end());
    size_t workspace = 0;
    for (int i = 1; i < 3; ++i) {
      if (!ctx.has_input(i)) continue;
      Dims& strides = i == 1 ? p.scale_strides : p.bias_strides;
      SOFIE_RETURN_IF_ERROR(broadcast_to_row(ctx, i, p.row_dims, strides));
      if (strides.empty()) continue;
      if (p.row_dims.size() > kMaxRowRank) {
        return ctx.error(absl::StrCat("broadcasting ", i == 1 ? "Scale " : "B ", dims_string(ctx.input_shape(i)),
                                      " over more than ", kMaxRowRank, " normalised dims is not supported"));
      }
      workspace += static_cast<size_t>(p.n);
    }
    ctx.set_workspace(workspace * dtype_size(ctx.input_dtype(0)));
    ctx.set_output_shape(0, x);
    Dims stats(x.begin(), x.begin() + axis);
    stats.resize(x.size(), 1);
    for (int i = 1; i < 3; ++i) {
      if (ctx.has_output(i)) ctx.set_output_shape(i, stats);
    }
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<LayerNormParams>();
    visit_float_stash(ctx.input(0).dtype, stash_double_, [&](auto t, auto u) {
      apply<decltype(t), decltype(u)>(ctx, p);
    });
    return absl::OkStatus();
  }

 private:
  // Input i's shape, right-aligned against the row's dims (leading 1s beyond the row allowed): strides
  // to expand it, or none when it already has exactly the row's n elements in order.
  static absl::Status broadcast_to_row(const ReshapeContext& ctx, int i, const Dims& row, Dims& strides) {
    Dims s = ctx.input_shape(i);
    while (s.size() > row.size() && s.front() == 1) s.erase(s.begin());
    bool ok = s.size() <= row.size();
    Dims padded(row.size(), 1);
    if (ok) std::copy(s.begin(), s.end(), padded.end() - s.size());
    for (size_t d = 0; ok && d < row.size(); ++d) ok = padded[d] == 1 || padded[d] == row[d];
    if (!ok) {
      return ctx.error(absl::StrCat(i == 1 ? "Scale " : "B ", dims_string(ctx.input_shape(i)),
                                    " does not broadcast to the normalised shape ", dims_string(row)));
    }
    strides.clear();
    if (padded == row) return absl::OkStatus();
    strides = row_major_strides(padded);
    for (size_t d = 0; d < row.size(); ++d) {
      if (padded[d] == 1) strides[d] = 0;
    }
    return absl::OkStatus();
  }

  template <typename T, typename U>
  void apply(const RunContext& ctx, const LayerNormParams& p) const {
    const T* x = ctx.input(0).data_as<T>();
    T* y = ctx.output(0).data_as<T>();
    T* ws = static_cast<T*>(ctx.workspace);
    const T* scale = ctx.input(1).data_as<T>();
    if (!p.scale_strides.empty()) {
      expand(scale, p.row_dims, p.scale_strides, ws);
      scale = ws;
      ws += p.n;
    }
    const T* bias = nullptr;
    if (ctx.has_input(2)) {
      bias = ctx.input(2).data_as<T>();
      if (!p.bias_strides.empty()) {
        expand(bias, p.row_dims, p.bias_strides, ws);
        bias = ws;
      }
    }
    U* mean_out = ctx.has_output(1) ? ctx.output(1).data_as<U>() : nullptr;
    U* inv_out = ctx.has_output(2) ? ctx.output(2).data_as<U>() : nullptr;
    const int64_t n = p.n;
    for (int64_t r = 0; r < p.rows; ++r) {
      const T* xr = x + r * n;
      T* yr = y + r * n;
      U mean, var;
      row_moments(n, xr, mean, var);
      const U inv = U(1) / std::sqrt(var + static_cast<U>(epsilon_));
      if (mean_out != nullptr) mean_out[r] = mean;
      if (inv_out != nullptr) inv_out[r] = inv;
      const T m = static_cast<T>(mean), s = static_cast<T>(inv);
      normalize_row(n, xr, m, s, scale, bias, yr);
    }
  }

  int64_t axis_;
  float epsilon_;
  bool stash_double_;
};

SOFIE_REGISTER_OP("", "LayerNormalization", 17, kMaxOpset, &LayerNormOp::create);

// ---------------------------------------------------------------------------------------------------
// InstanceNormalization and GroupNormalization: X is [N, C, spatial...]; a row is one group of C / G
// channels (InstanceNormalization: G = C) of one batch entry. Scale and bias are per channel, except in
// GroupNormalization-18 where they are per group.
struct GroupNormParams : OpParams {
  int64_t batch = 0, channels = 0, groups = 0, spatial = 0;
};

class GroupNormOp : public Op {
 public:
  // groups == 0: instance normalisation (one group per channel).
  GroupNormOp(int64_t groups, float epsilon, bool per_group_affine, bool stash_double)
      : groups_(groups), epsilon_(epsilon), per_group_affine_(per_group_affine), stash_double_(stash_double) {}

  static absl::StatusOr<std::unique_ptr<Op>> create_instance(const Node& node) {
    Attrs a(node);
    const float epsilon = a.get_float("epsilon", 1e-5f);
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<GroupNormOp>(0, epsilon, false, false));
  }

  static absl::StatusOr<std::unique_ptr<Op>> create_group(const Node& node) {
    Attrs a(node);
    const float epsilon = a.get_float("epsilon", 1e-5f);
    const int64_t groups = a.require_int("num_groups");
    const int64_t stash_type = node.opset >= 21 ? a.get_int("stash_type", 1) : 1;
    SOFIE_RETURN_IF_ERROR(a.status());
    if (groups < 1) return node_error(node, absl::StrCat("num_groups ", groups, " must be at least 1"));
    SOFIE_ASSIGN_OR_RETURN(bool stash_double, stash_is_double(node, stash_type));
    return std::unique_ptr<Op>(std::make_unique<GroupNormOp>(groups, epsilon, node.opset < 21, stash_double));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    const SymShape& x = ctx.input_shape(0);
    if (x.rank_known() && x.rank() < 2) {
      return ctx.error(absl::StrCat("X must have rank >= 2 ([N, C, ...]), got ", x.to_string()));
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    if (x.size() < 2) return ctx.error(absl::StrCat("X must have rank >= 2 ([N, C, ...]), got ", dims_string(x)));
    auto& p = ctx.make_params<GroupNormParams>();
    p.batch = x[0];
    p.channels = x[1];
    p.groups = groups_ == 0 ? x[1] : groups_;
    p.spatial = num_elements(absl::Span<const int64_t>(x).subspan(2));
    if (p.channels % p.groups != 0) {
      return ctx.error(absl::StrCat("X ", dims_string(x), " has ", p.channels,
                                    " channels, not a multiple of num_groups ", p.groups));
    }
    const int64_t affine = per_group_affine_ ? p.groups : p.channels;
    for (int i = 1; i < 3; ++i) {
      if (num_elements(ctx.input_shape(i)) != affine) {
        return ctx.error(absl::StrCat(i == 1 ? "scale " : "B ", dims_string(ctx.input_shape(i)), " should have ",
                                      affine, per_group_affine_ ? " elements (one per group)" : " elements (one per channel)",
                                      " for X ", dims_string(x)));
      }
    }
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<GroupNormParams>();
    visit_float_stash(ctx.input(0).dtype, stash_double_, [&](auto t, auto u) {
      apply<decltype(t), decltype(u)>(ctx, p);
    });
    return absl::OkStatus();
  }

 private:
  template <typename T, typename U>
  void apply(const RunContext& ctx, const GroupNormParams& p) const {
    const T* x = ctx.input(0).data_as<T>();
    const T* scale = ctx.input(1).data_as<T>();
    const T* bias = ctx.input(2).data_as<T>();
    T* y = ctx.output(0).data_as<T>();
    const int64_t per_group = p.channels / p.groups;
    const int64_t row = per_group * p.spatial;
    for (int64_t b = 0; b < p.batch; ++b) {
      for (int64_t g = 0; g < p.groups; ++g) {
        const int64_t offset = (b * p.groups + g) * row;
        U mean, var;
        row_moments(row, x + offset, mean, var);
        const U inv = U(1) / std::sqrt(var + static_cast<U>(epsilon_));
        for (int64_t c = 0; c < per_group; ++c) {
          const int64_t k = per_group_affine_ ? g : g * per_group + c;
          const T a = static_cast<T>(inv * static_cast<U>(scale[k]));
          const T shift = static_cast<T>(static_cast<U>(bias[k]) - mean * inv * static_cast<U>(scale[k]));
          const int64_t at = offset + c * p.spatial;
          map_unary(p.spatial, x + at, y + at, [a, shift](T v) { return v * a + shift; });
        }
      }
    }
  }

  int64_t groups_;
  float epsilon_;
  bool per_group_affine_;
  bool stash_double_;
};

SOFIE_REGISTER_OP("", "InstanceNormalization", 6, kMaxOpset, &GroupNormOp::create_instance);
SOFIE_REGISTER_OP("", "GroupNormalization", 18, 20, &GroupNormOp::create_group);
SOFIE_REGISTER_OP("", "GroupNormalization", 21, kMaxOpset, &GroupNormOp::create_group);

}  // namespace
}  // namespace sofie::ops
