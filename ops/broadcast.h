// Numpy (multidirectional) broadcasting shared by the elementwise families: output shapes of any number of
// inputs (symbolic at load, concrete per plan), a loop plan over N operands, and vectorisable inner loops
// for operands of different element types (comparisons: float in, bool out; Pow: float base, int exponent;
// Where: bool, T, T).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"
#include "runtime/shape.h"
#include "runtime/tensor.h"

namespace sofie::ops {

inline constexpr int kMaxBroadcastRank = 16;

// The output walked as nested loops after coalescing: adjacent dims that are contiguous in every operand
// are merged and size-1 dims dropped, so [N,C,H,W] + [C,1,1] becomes [N, C, H*W] with strides
// a = (C*H*W, H*W, 1), b = (0, 1, 0). The innermost level's strides are then 0 or 1.
template <int N>
struct BroadcastLoop {
  int64_t total = 0;
  Dims dims;
  std::array<Dims, N> strides;  // per operand, in elements; 0 where the operand is broadcast
};

// Plans the loop of operands `in` (each broadcastable to `out`, which the caller computed). False when
// more than kMaxBroadcastRank loop levels remain after coalescing.
template <int N>
bool plan_broadcast(const std::array<const Dims*, N>& in, const Dims& out, BroadcastLoop<N>& p) {
  const size_t rank = out.size();
  std::array<Dims, N> full;
  std::array<Dims, N> padded;
  for (int k = 0; k < N; ++k) {
    const Dims& d = *in[k];
    padded[k].assign(rank, 1);
    std::copy(d.begin(), d.end(), padded[k].end() - d.size());
    full[k] = row_major_strides(padded[k]);
    p.strides[k].clear();
  }
  p.total = num_elements(out);
  p.dims.clear();
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    int64_t s[N];
    for (int k = 0; k < N; ++k) s[k] = padded[k][d] == 1 ? 0 : full[k][d];
    if (!p.dims.empty()) {
      // Merge into the previous (outer) dim when stepping it equals stepping through this one fully.
      const int64_t inner = out[d];
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable = mergeable && p.strides[k].back() == s[k] * inner;
      if (mergeable) {
        p.dims.back() *= inner;
        for (int k = 0; k < N; ++k) p.strides[k].back() = s[k];
        continue;
      }
    }
    p.dims.push_back(out[d]);
    for (int k = 0; k < N; ++k) p.strides[k].push_back(s[k]);
  }
  if (p.dims.empty()) {  // all ones: a single element
    p.dims.push_back(1);
    for (int k = 0; k < N; ++k) p.strides[k].push_back(0);
  }
  return p.dims.size() <= static_cast<size_t>(kMaxBroadcastRank);
}

// Calls row(out_offset, offsets, n) for each innermost row of n output elements; offsets[k] is operand k's
// element offset at the row's start. Rows are visited in output order, so out_offset = rows done * n.
template <int N, typename F>
void for_each_row(const BroadcastLoop<N>& p, F&& row) {
  const int rank = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims[rank - 1];
  int64_t index[kMaxBroadcastRank] = {};
  int64_t offsets[N] = {};
  for (int64_t done = 0; done < p.total; done += inner) {
    row(done, static_cast<const int64_t*>(offsets), inner);
    for (int d = rank - 2; d >= 0; --d) {
      for (int k = 0; k < N; ++k) offsets[k] += p.strides[k][d];
      if (++index[d] < p.dims[d]) break;
      for (int k = 0; k < N; ++k) offsets[k] -= p.strides[k][d] * p.dims[d];
      index[d] = 0;
    }
  }
}

// y[i] = f(a[i * sa], b[i * sb], c[i * sc]) for strides in {0, 1}.
template <typename A, typename B, typename C, typename Y, typename F>
void map_ternary(int64_t n, const A* a, int64_t sa, const B* b, int64_t sb, const C* c, int64_t sc, Y* y,
                       F f) {
  if (n <= 0) return;
  with_unit_stride(sa, [&](auto ua) {
    with_unit_stride(sb, [&](auto ub) {
      with_unit_stride(sc, [&](auto uc) {
        const Lane<A, decltype(ua)::value> la(a);
        const Lane<B, decltype(ub)::value> lb(b);
        const Lane<C, decltype(uc)::value> lc(c);
        for_lanes<kMixedLanes<A, B, C, Y>>(n, [&](int64_t i) { y[i] = f(la[i], lb[i], lc[i]); });
      });
    });
  });
}

// y = f(a, b) over a planned two-operand loop.
template <typename A, typename B, typename Y, typename F>
void run_broadcast(const BroadcastLoop<2>& p, const A* a, const B* b, Y* y, F f) {
  const int64_t sa = p.strides[0].back(), sb = p.strides[1].back();
  for_each_row(p, [&](int64_t out, const int64_t* off, int64_t n) {
    map_binary(n, a + off[0], sa, b + off[1], sb, y + out, f);
  });
}

// y = f(a, b, c) over a planned three-operand loop.
template <typename A, typename B, typename C, typename Y, typename F>
void run_broadcast(const BroadcastLoop<3>& p, const A* a, const B* b, const C* c, Y* y, F f) {
  const int64_t sa = p.strides[0].back(), sb = p.strides[1].back(), sc = p.strides[2].back();
  for_each_row(p, [&](int64_t out, const int64_t* off, int64_t n) {
    map_ternary(n, a + off[0], sa, b + off[1], sb, c + off[2], sc, y + out, f);
  });
}

// Opset < 7 binary ops broadcast by 'broadcast'/'axis' attributes instead; sofie registers them from 7.
inline absl::Status reject_legacy_broadcast_attrs(const Node& node) {
  Attrs a(node);
  if (a.has("broadcast") || a.has("axis")) {
    return unsupported(node, "the legacy 'broadcast'/'axis' attributes (opset < 7) are not supported");
  }
  return absl::OkStatus();
}

// The symbolic shape of broadcasting inputs [first, first + count) of a node.
inline absl::StatusOr<SymShape> broadcast_inputs_symbolic(const InferContext& ctx, int first, int count) {
  SymShape out = ctx.input_shape(first);
  for (int i = first + 1; i < first + count; ++i) {
    auto next = broadcast_symbolic(out, ctx.input_shape(i));
    if (!next.ok()) return ctx.error(next.status().message());
    out = *std::move(next);
  }
  return out;
}

// The concrete shape of broadcasting inputs [first, first + count) of a node.
inline absl::StatusOr<Dims> broadcast_inputs(const ReshapeContext& ctx, int first, int count) {
  Dims out = ctx.input_shape(first);
  for (int i = first + 1; i < first + count; ++i) {
    auto next = broadcast_dims(out, ctx.input_shape(i));
    if (!next.ok()) return ctx.error(next.status().message());
    out = *std::move(next);
  }
  return out;
}

// Plans the loop of inputs `inputs` of a node broadcast to `out`; an error when it is too deep.
template <int N>
absl::Status plan_broadcast_inputs(const ReshapeContext& ctx, const std::array<int, N>& inputs, const Dims& out,
                                   BroadcastLoop<N>& p) {
  std::array<const Dims*, N> in;
  for (int k = 0; k < N; ++k) in[k] = &ctx.input_shape(inputs[k]);
  if (plan_broadcast<N>(in, out, p)) return absl::OkStatus();
  return ctx.error(absl::StrCat("broadcasting to ", dims_string(out), " needs more than ", kMaxBroadcastRank,
                                " loop levels"));
}

}  // namespace sofie::ops
