// Numpy (multidirectional) broadcasting shared by the elementwise families: output shapes of any number of
// inputs (symbolic at load, concrete per plan), a loop plan over N operands, and vectorisable inner loops
// for operands of different element types (comparisons: float in, bool out; Pow: float base, int exponent;
// Where: bool, T, T).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ops/movement_util.h"
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

// Calls block(out_offset, offsets) for each block of the kLevels innermost loop levels (1 or 2; a plan of
// rank 1 has a single block); offsets[k] is operand k's element offset at the block's start. Blocks are
// visited in output order, so out_offset = blocks done * block size.
template <int kLevels, int N, typename F>
void for_each_block(const BroadcastLoop<N>& p, F&& block) {
  const int rank = static_cast<int>(p.dims.size());
  const int outer = std::max(rank - kLevels, 0);
  int64_t size = 1;
  for (int d = outer; d < rank; ++d) size *= p.dims[d];
  int64_t index[kMaxBroadcastRank] = {};
  int64_t offsets[N] = {};
  for (int64_t done = 0; done < p.total; done += size) {
    block(done, static_cast<const int64_t*>(offsets));
    for (int d = outer - 1; d >= 0; --d) {
      for (int k = 0; k < N; ++k) offsets[k] += p.strides[k][d];
      if (++index[d] < p.dims[d]) break;
      for (int k = 0; k < N; ++k) offsets[k] -= p.strides[k][d] * p.dims[d];
      index[d] = 0;
    }
  }
}

// Calls row(out_offset, offsets, n) for each innermost row of n output elements (see for_each_block).
template <int N, typename F>
void for_each_row(const BroadcastLoop<N>& p, F&& row) {
  const int64_t inner = p.dims.back();
  for_each_block<1>(p, [&](int64_t out, const int64_t* off) { row(out, off, inner); });
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

// Rows [0, rows) of an operand in a block of the two innermost loop levels (rows at stride s1 of n0
// elements at stride s0 in {0, 1}) as one run of rows * n0 elements with stride 0 or 1: the operand itself
// when it is one value or contiguous over the rows, else its values copied into buf.
template <typename T>
inline std::pair<const T*, int64_t> rows_as_run(const T* x, int64_t s1, int64_t s0, int64_t n0, int64_t rows,
                                                T* buf) {
  if (s0 == 0 && (s1 == 0 || rows == 1)) return {x, 0};
  if (s0 == 1 && (s1 == n0 || rows == 1)) return {x, 1};
  copy_block(rows, s1, n0, s0, sizeof(T), x, buf);
  return {buf, 1};
}

// y = f(a, b) over a planned two-operand loop. Innermost rows shorter than a vector block are taken many
// at a time as one run (an operand broadcast along them or repeating them copied out first), so that the
// arithmetic runs on whole vectors, not one short scalar loop per row.
template <typename A, typename B, typename Y, typename F>
void run_broadcast(const BroadcastLoop<2>& p, const A* a, const B* b, Y* y, F f) {
  const int rank = static_cast<int>(p.dims.size());
  const int64_t n0 = p.dims.back();
  if (rank >= 2 && n0 < kMixedLanes<A, B, Y>) {
    constexpr int64_t kRun = 4096 / std::max(sizeof(A), sizeof(B));  // elements copied out at a time
    alignas(64) A ta[kRun];
    alignas(64) B tb[kRun];
    const int64_t n1 = p.dims[rank - 2], group = kRun / n0;
    const int64_t sa1 = p.strides[0][rank - 2], sa0 = p.strides[0].back();
    const int64_t sb1 = p.strides[1][rank - 2], sb0 = p.strides[1].back();
    for_each_block<2>(p, [&](int64_t out, const int64_t* off) {
      for (int64_t r = 0; r < n1; r += group) {
        const int64_t rows = std::min(group, n1 - r);
        const auto [pa, ua] = rows_as_run(a + off[0] + r * sa1, sa1, sa0, n0, rows, ta);
        const auto [pb, ub] = rows_as_run(b + off[1] + r * sb1, sb1, sb0, n0, rows, tb);
        map_binary(rows * n0, pa, ua, pb, ub, y + out + r * n0, f);
      }
    });
    return;
  }
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
