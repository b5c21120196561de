// Index-selecting reductions: ArgMax, ArgMin (int64 indices; keepdims; select_last_index from opset 12)
// and TopK (k from an attribute before opset 10, from input 1 afterwards; largest and sorted from opset 11).
//
// ArgMax/ArgMin walk [outer, n, inner]: a row scan when the axis is innermost, otherwise blocks of running
// (best value, index) pairs updated with branch-free selects. An empty axis has no arg: an error unless the
// output is empty too.
// TopK selects over an index workspace per slice: a small k (<= 16) by insertion into the sorted list of
// the best so far (most elements cost one comparison with the k-th best), a larger one by std::nth_element
// (the k best first, O(n)) and a sort; sorted=1 orders them best-first, sorted=0 by position. Ties go to the lower index, as ONNX Runtime; NaN
// counts as larger than any number (as numpy's sort), so it comes first for largest=1 and last for
// largest=0. A strided axis is first copied into a contiguous workspace row.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// [outer, n, inner] around `axis` of `dims`.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisSplit split_at(const Dims& dims, int64_t axis) {
  AxisSplit s;
  for (int64_t d = 0; d < static_cast<int64_t>(dims.size()); ++d) {
    if (d < axis) s.outer *= dims[d];
    if (d == axis) s.n = dims[d];
    if (d > axis) s.inner *= dims[d];
  }
  return s;
}

absl::StatusOr<int64_t> checked_axis(const Node& node, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return node_error(node, absl::StrCat("axis ", axis, " is out of range [", -rank, ", ", rank - 1,
                                         "] for an input of rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

// ---------------------------------------------------------------------------------------------------
// ArgMax / ArgMin

template <bool kMax, bool kLast, typename T>
bool better(T v, T best) {
  if constexpr (kMax) {
    return kLast ? v >= best : v > best;
  } else {
    return kLast ? v <= best : v < best;
  }
}

template <bool kMax, bool kLast, typename T>
void arg_rows(const AxisSplit& s, const T* x, int64_t* y) {
  for (int64_t o = 0; o < s.outer; ++o) {
    const T* row = x + o * s.n;
    T best = row[0];
    int64_t at = 0;
    for (int64_t k = 1; k < s.n; ++k) {
      if (better<kMax, kLast>(row[k], best)) {
        best = row[k];
        at = k;
      }
    }
    y[o] = at;
  }
}

// One cache line of (best value, index) pairs stays in registers while the n rows stream past.
template <bool kMax, bool kLast, typename T>
void arg_columns(const AxisSplit& s, const T* x, int64_t* y) {
  constexpr int L = kBlockLanes<T>;
  const int64_t inner = s.inner;
  for (int64_t o = 0; o < s.outer; ++o) {
    const T* xo = x + o * s.n * inner;
    int64_t* yo = y + o * inner;
    int64_t i = 0;
    for (; i + L <= inner; i += L) {
      T best[L];
      int64_t at[L] = {};
      for (int j = 0; j < L; ++j) best[j] = xo[i + j];
      for (int64_t k = 1; k < s.n; ++k) {
        const T* xk = xo + k * inner + i;
        for (int j = 0; j < L; ++j) {
          const bool take = better<kMax, kLast>(xk[j], best[j]);
          best[j] = select(take, xk[j], best[j]);
          at[j] = take ? k : at[j];
        }
      }
      for (int j = 0; j < L; ++j) yo[i + j] = at[j];
    }
    for (; i < inner; ++i) {
      T best = xo[i];
      int64_t at = 0;
      for (int64_t k = 1; k < s.n; ++k) {
        if (better<kMax, kLast>(xo[k * inner + i], best)) {
          best = xo[k * inner + i];
          at = k;
        }
      }
      yo[i] = at;
    }
  }
}

struct ArgParams : OpParams {
  AxisSplit split;
};

class ArgOp : public Op {
 public:
  ArgOp(bool is_max, int64_t axis, bool keepdims, bool last)
      : is_max_(is_max), axis_(axis), keepdims_(keepdims), last_(last) {}

  template <bool kIsMax>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", 0);
    const bool keepdims = a.get_int("keepdims", 1) != 0;
    const bool last = a.get_int("select_last_index", 0) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<ArgOp>(kIsMax, axis, keepdims, last));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(
        ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8, DType::kUInt8}));
    const SymShape& in = ctx.input_shape(0);
    if (!in.rank_known()) {
      ctx.set_output(0, DType::kInt64, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(const int64_t axis, checked_axis(ctx.node(), axis_, in.rank()));
    std::vector<Dim> out = in.dims();
    if (keepdims_) {
      out[axis] = Dim::known(1);
    } else {
      out.erase(out.begin() + axis);
    }
    ctx.set_output(0, DType::kInt64, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    SOFIE_ASSIGN_OR_RETURN(const int64_t axis, checked_axis(ctx.node(), axis_, static_cast<int64_t>(in.size())));
    auto& p = ctx.make_params<ArgParams>();
    p.split = split_at(in, axis);
    if (p.split.n == 0 && p.split.outer * p.split.inner > 0) {
      return ctx.error(absl::StrCat("axis ", axis_, " of input ", dims_string(in),
                                    " is empty: there is no index to select"));
    }
    Dims out = in;
    if (keepdims_) {
      out[axis] = 1;
    } else {
      out.erase(out.begin() + axis);
    }
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const AxisSplit& s = ctx.params_as<ArgParams>().split;
    if (s.outer * s.n * s.inner == 0) return absl::OkStatus();
    const TensorView& x = ctx.input(0);
    int64_t* y = ctx.output(0).data_as<int64_t>();
    visit_numeric(x.dtype, [&](auto zero) {
      using T = decltype(zero);
      auto go = [&](auto max_tag, auto last_tag) {
        constexpr bool kMax = decltype(max_tag)::value, kLast = decltype(last_tag)::value;
        if (s.inner == 1) {
          arg_rows<kMax, kLast>(s, x.data_as<T>(), y);
        } else {
          arg_columns<kMax, kLast>(s, x.data_as<T>(), y);
        }
      };
      if (is_max_) {
        last_ ? go(std::true_type{}, std::true_type{}) : go(std::true_type{}, std::false_type{});
      } else {
        last_ ? go(std::false_type{}, std::true_type{}) : go(std::false_type{}, std::false_type{});
      }
    });
    return absl::OkStatus();
  }

 private:
  bool is_max_;
  int64_t axis_;
  bool keepdims_;
  bool last_;
};

// select_last_index (opset 12) defaults to the earlier behaviour, so one range covers all versions.
SOFIE_REGISTER_OP("", "ArgMax", 1, kMaxOpset, &ArgOp::create<true>);
SOFIE_REGISTER_OP("", "ArgMin", 1, kMaxOpset, &ArgOp::create<false>);

// ---------------------------------------------------------------------------------------------------
// TopK

struct TopKParams : OpParams {
  AxisSplit split;
  int64_t k = 0;
  size_t values_offset = 0;  // bytes into the workspace: the contiguous copy of a strided slice
};

// a before b in the output order: larger (or smaller) first, NaN the largest, ties by lower index.
template <bool kLargest, typename T>
struct Before {
  const T* v;
  bool operator()(int64_t a, int64_t b) const {
    const T va = v[a], vb = v[b];
    if constexpr (std::is_floating_point_v<T>) {
      const bool na = std::isnan(va), nb = std::isnan(vb);
      if (na || nb) {
        if (na && nb) return a < b;
        return kLargest ? na : nb;
      }
    }
    if (va != vb) return kLargest ? va > vb : va < vb;
    return a < b;
  }
};

// x, at a later index than y, goes before y in the output order (ties stay by index: never).
template <bool kLargest, typename T>
inline bool later_before(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    // The NaN tests only run when the plain comparison fails (a quick reject for most elements).
    if constexpr (kLargest) {
      return x > y || (x != x && y == y);
    } else {
      return x < y || (y != y && x == x);
    }
  } else {
    return kLargest ? x > y : x < y;
  }
}

// Up to this k, TopK selects by insertion into the sorted list of the best k so far.
constexpr int64_t kInsertionMaxK = 16;

// Rows at least this long first bound the k-th best from below (see lane_bound).
constexpr int64_t kBoundMinN = 64;

// A value that at least k elements of v[0, n) reach (>= it; <= it for the smallest), for 16 <= n and
// k <= 16: the best of the 16 lane extremes (lane i holds the elements i, i + 16, ...) that k lanes reach.
// Every element of the k best reaches it, so the rest can be skipped by one comparison each. False when v
// holds a NaN (NaN orders as the largest value, which a comparison against the bound would lose) or an
// infinity.
template <bool kLargest, typename T>
bool lane_bound(const T* v, int64_t n, int64_t k, T* bound) {
  constexpr int kLanes = 16;
  // probe[i] sums x - x over lane i: 0 unless the lane holds a NaN (or an infinity, which then only costs
  // the bound). Lane-wise, so the loop vectorises without reassociating anything.
  T ext[kLanes], probe[kLanes];
  auto take = [&](int i, T x) {
    ext[i] = (kLargest ? x > ext[i] : x < ext[i]) ? x : ext[i];
    probe[i] += x - x;
  };
  for (int i = 0; i < kLanes; ++i) {
    ext[i] = v[i];
    probe[i] = v[i] - v[i];
  }
  int64_t r = kLanes;
  for (; r + kLanes <= n; r += kLanes) {
    for (int i = 0; i < kLanes; ++i) take(i, v[r + i]);
  }
  for (int64_t t = r; t < n; ++t) take(static_cast<int>(t - r), v[t]);
  if constexpr (std::is_floating_point_v<T>) {
    for (int i = 0; i < kLanes; ++i) {
      if (probe[i] != T(0)) return false;
    }
  }
  bool found = false;
  for (int i = 0; i < kLanes; ++i) {
    int reach = 0;
    for (int j = 0; j < kLanes; ++j) reach += kLargest ? ext[j] >= ext[i] : ext[j] <= ext[i];
    if (reach >= k && (!found || (kLargest ? ext[i] > *bound : ext[i] < *bound))) {
      *bound = ext[i];
      found = true;
    }
  }
  return found;
}

// idx[0, k) = the k best of v[0, n) in output order, for 0 < k <= n, k <= kInsertionMaxK. One comparison
// against the current k-th best, held in a register, rejects most elements; scanning in index order keeps
// ties by lower index. The best values and their indices live in local arrays: insertions compare values,
// not through v[idx[...]]. Long rows skip the elements below a lane bound first: of the ~k ln(n/k)
// insertions a random row takes, each with a branch miss or two, about k + 2 remain (TopK 8 of 256: 2x).
template <bool kLargest, typename T>
void select_by_insertion(const T* v, int64_t n, int64_t k, int64_t* idx) {
  T bound{};
  const bool bounded = n >= kBoundMinN && lane_bound<kLargest>(v, n, k, &bound);
  T best[kInsertionMaxK];
  int64_t at[kInsertionMaxK];
  int64_t count = 0;
  for (int64_t r = 0; r < n; ++r) {
    const T x = v[r];
    if (bounded && (kLargest ? x < bound : x > bound)) continue;
    int64_t pos;
    if (count < k) {
      pos = count++;
    } else {
      if (!later_before<kLargest>(x, best[k - 1])) continue;
      pos = k - 1;  // the k-th best drops out
    }
    for (; pos > 0 && later_before<kLargest>(x, best[pos - 1]); --pos) {
      best[pos] = best[pos - 1];
      at[pos] = at[pos - 1];
    }
    best[pos] = x;
    at[pos] = r;
  }
  for (int64_t j = 0; j < k; ++j) idx[j] = at[j];
}

template <bool kLargest, typename T>
void topk(const TopKParams& p, bool sorted, const T* x, T* values, int64_t* indices, void* workspace) {
  const AxisSplit& s = p.split;
  const int64_t n = s.n, k = p.k, inner = s.inner;
  int64_t* idx = static_cast<int64_t*>(workspace);
  T* row = reinterpret_cast<T*>(static_cast<char*>(workspace) + p.values_offset);
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* v = x + o * n * inner + i;
      if (inner > 1) {
        for (int64_t r = 0; r < n; ++r) row[r] = v[r * inner];
        v = row;
      }
      if (k <= kInsertionMaxK) {
        select_by_insertion<kLargest>(v, n, k, idx);
        if (!sorted) std::sort(idx, idx + k);
      } else {
        for (int64_t r = 0; r < n; ++r) idx[r] = r;
        const Before<kLargest, T> before{v};
        if (k < n) std::nth_element(idx, idx + k, idx + n, before);
        if (sorted) {
          std::sort(idx, idx + k, before);
        } else {
          std::sort(idx, idx + k);
        }
      }
      if (values != nullptr) {
        T* vo = values + o * k * inner + i;
        for (int64_t j = 0; j < k; ++j) vo[j * inner] = v[idx[j]];
      }
      if (indices != nullptr) {
        int64_t* io = indices + o * k * inner + i;
        for (int64_t j = 0; j < k; ++j) io[j * inner] = idx[j];
      }
    }
  }
}

class TopKOp : public Op {
 public:
  TopKOp(int64_t axis, int64_t k_attr, bool largest, bool sorted)
      : axis_(axis), k_attr_(k_attr), largest_(largest), sorted_(sorted) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", -1);
    const int64_t k = node.opset < 10 ? a.require_int("k") : -1;
    const bool largest = node.opset < 11 || a.get_int("largest", 1) != 0;
    const bool sorted = node.opset < 11 || a.get_int("sorted", 1) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    if (node.opset < 10 && k < 0) return node_error(node, absl::StrCat("k ", k, " is negative"));
    return std::unique_ptr<Op>(std::make_unique<TopKOp>(axis, k, largest, sorted));
  }

  absl::Status infer(InferContext& ctx) override {
    const bool k_input = k_attr_ < 0;
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, k_input ? 2 : 1, k_input ? 2 : 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(
        ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8, DType::kUInt8}));
    if (k_input) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64}));
    const SymShape& in = ctx.input_shape(0);
    SymShape out = SymShape::unknown_rank();
    if (in.rank_known()) {
      SOFIE_ASSIGN_OR_RETURN(const int64_t axis, checked_axis(ctx.node(), axis_, in.rank()));
      Dim k_dim = Dim::unknown();
      if (!k_input) {
        k_dim = Dim::known(k_attr_);
      } else if (const Tensor* t = ctx.input_constant(1); t != nullptr && t->numel() == 1) {
        k_dim = Dim::known(t->data_as<int64_t>()[0]);
      }
      std::vector<Dim> dims = in.dims();
      dims[axis] = k_dim;
      out = SymShape(std::move(dims));
    }
    if (ctx.has_output(0)) ctx.set_output(0, ctx.input_dtype(0), out);
    if (ctx.has_output(1)) ctx.set_output(1, DType::kInt64, out);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    SOFIE_ASSIGN_OR_RETURN(const int64_t axis, checked_axis(ctx.node(), axis_, static_cast<int64_t>(in.size())));
    int64_t k = k_attr_;
    if (k < 0) {
      const TensorView* v = ctx.input_value(1);
      if (v == nullptr) {
        return unsupported(ctx.node(), "the 'K' input must be known when planning (a constant, or computed from "
                                       "shapes)");
      }
      if (v->numel() != 1) {
        return ctx.error(absl::StrCat("K must hold one value, got shape ", dims_string(v->shape)));
      }
      k = v->data_as<int64_t>()[0];
    }
    if (k < 0 || k > in[axis]) {
      return ctx.error(absl::StrCat("k ", k, " is out of range [0, ", in[axis], "] for axis ", axis,
                                    " of input ", dims_string(in)));
    }
    auto& p = ctx.make_params<TopKParams>();
    p.split = split_at(in, axis);
    p.k = k;
    const size_t index_bytes = (static_cast<size_t>(p.split.n) * sizeof(int64_t) + 63) / 64 * 64;
    p.values_offset = index_bytes;
    const size_t row_bytes = p.split.inner > 1 ? static_cast<size_t>(p.split.n) * dtype_size(ctx.input_dtype(0)) : 0;
    if (k > 0) ctx.set_workspace(index_bytes + row_bytes);
    Dims out = in;
    out[axis] = k;
    if (ctx.has_output(0)) ctx.set_output_shape(0, out);
    if (ctx.has_output(1)) ctx.set_output_shape(1, out);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<TopKParams>();
    if (p.k == 0 || p.split.outer * p.split.inner == 0) return absl::OkStatus();
    const TensorView& x = ctx.input(0);
    int64_t* indices = ctx.has_output(1) ? ctx.output(1).data_as<int64_t>() : nullptr;
    visit_numeric(x.dtype, [&](auto zero) {
      using T = decltype(zero);
      T* values = ctx.has_output(0) ? ctx.output(0).data_as<T>() : nullptr;
      run_typed(p, x.data_as<T>(), values, indices, ctx.workspace);
    });
    return absl::OkStatus();
  }

 private:
  // An absent output (empty name) is simply not written.
  template <typename T>
  void run_typed(const TopKParams& p, const T* x, T* values, int64_t* indices, void* workspace) const {
    if (largest_) {
      topk<true>(p, sorted_, x, values, indices, workspace);
    } else {
      topk<false>(p, sorted_, x, values, indices, workspace);
    }
  }

  int64_t axis_;
  int64_t k_attr_;  // -1: k is input 1 (opset 10+)
  bool largest_;
  bool sorted_;
};

SOFIE_REGISTER_OP("", "TopK", 1, 9, &TopKOp::create);
SOFIE_REGISTER_OP("", "TopK", 10, kMaxOpset, &TopKOp::create);

}  // namespace
}  // namespace sofie::ops
