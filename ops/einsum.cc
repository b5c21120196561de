// Einsum (opset 12+): any number of operands, explicit or implicit output, ellipsis broadcasting, repeated
// letters (diagonals, traces) and summation, for the numeric dtypes.
//
// Two execution strategies, chosen per plan:
//   - Contractions of two float32 operands (every index in both operands and the output is a batch index,
//     in one operand and the output an M or N index, in both operands only a K index) run as one
//     sofie_gemm_f32 per batch element. Operands whose layout is already a (possibly transposed) matrix
//     per batch are passed with their strides; others are first copied into a [batch, rows, K] /
//     [batch, K, cols] workspace layout, and an output that is not a row-major matrix is computed into the
//     workspace and copied out. "ij,jk->ik", "bij,bjk->bik", "bhqd,bhkd->bhqk" need no copy at all.
//   - Everything else walks a precomputed loop nest: the output indices outside, the summed indices inside,
//     each operand addressed through per-index strides (a repeated letter adds its axes' strides, which is
//     how diagonals and traces fall out).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/kernels/sofie_kernels.h"
#include "ops/movement_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

constexpr int kMaxIndices = 64;   // distinct letters plus ellipsis dims
constexpr int kMaxOperands = 16;
constexpr int kEllipsis = -1;     // marks the ellipsis' position within a term
constexpr int kNumLetters = 52;   // 'A'..'Z' then 'a'..'z' (so ids sort as ASCII does)

int letter_id(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

struct Term {
  std::vector<int> labels;  // letter ids, kEllipsis once at most
  bool has_ellipsis() const { return std::count(labels.begin(), labels.end(), kEllipsis) > 0; }
  int num_letters() const { return static_cast<int>(labels.size()) - (has_ellipsis() ? 1 : 0); }
};

struct Equation {
  std::vector<Term> inputs;
  Term output;
};

absl::StatusOr<Term> parse_term(const Node& node, const std::string& text, const std::string& equation) {
  Term t;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "...") == 0) {
      if (t.has_ellipsis()) {
        return node_error(node, absl::StrCat("equation '", equation, "': term '", text, "' has two ellipses"));
      }
      t.labels.push_back(kEllipsis);
      i += 2;
      continue;
    }
    const int id = letter_id(text[i]);
    if (id < 0) {
      return node_error(node, absl::StrCat("equation '", equation, "': unexpected character '", text.substr(i, 1),
                                           "' (expected letters, '...', ',' and '->')"));
    }
    t.labels.push_back(id);
  }
  return t;
}

absl::StatusOr<Equation> parse_equation(const Node& node, const std::string& raw) {
  std::string eq;
  for (char c : raw) {
    if (c != ' ') eq.push_back(c);
  }
  Equation e;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    SOFIE_ASSIGN_OR_RETURN(Term t, parse_term(node, lhs.substr(start, comma - start), raw));
    e.inputs.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  int count[kNumLetters] = {};
  bool any_ellipsis = false;
  for (const Term& t : e.inputs) {
    for (int l : t.labels) {
      if (l == kEllipsis) any_ellipsis = true;
      else ++count[l];
    }
  }
  if (arrow != std::string::npos) {
    SOFIE_ASSIGN_OR_RETURN(e.output, parse_term(node, eq.substr(arrow + 2), raw));
    bool seen[kNumLetters] = {};
    for (int l : e.output.labels) {
      if (l == kEllipsis) continue;
      if (count[l] == 0) {
        return node_error(node, absl::StrCat("equation '", raw, "': output letter '",
                                             std::string(1, l < 26 ? 'A' + l : 'a' + (l - 26)),
                                             "' does not appear in any input"));
      }
      if (seen[l]) {
        return node_error(node, absl::StrCat("equation '", raw, "': the output repeats a letter"));
      }
      seen[l] = true;
    }
    if (e.output.has_ellipsis() && !any_ellipsis) {
      return node_error(node, absl::StrCat("equation '", raw, "': the output has '...' but no input has"));
    }
  } else {
    // Implicit output: the ellipsis dims, then the letters used exactly once, in alphabetical order.
    if (any_ellipsis) e.output.labels.push_back(kEllipsis);
    for (int l = 0; l < kNumLetters; ++l) {
      if (count[l] == 1) e.output.labels.push_back(l);
    }
  }
  return e;
}

// ---------------------------------------------------------------------------------------------------
// Plan-time resolution of the index space: every letter and every (right-aligned) ellipsis dim gets an
// index with a size; each operand axis and output axis names one index.

struct IndexSpace {
  std::vector<int64_t> sizes;             // per index
  std::vector<std::vector<int>> operand;  // per operand, per axis: index
  std::vector<int> output;                // per output axis: index
};

absl::StatusOr<IndexSpace> resolve_indices(const ReshapeContext& ctx, const Equation& eq) {
  IndexSpace s;
  int letter_index[kNumLetters];
  std::fill(letter_index, letter_index + kNumLetters, -1);
  // Ellipsis rank: the largest over the operands.
  int64_t ellipsis_rank = 0;
  for (size_t k = 0; k < eq.inputs.size(); ++k) {
    const Term& t = eq.inputs[k];
    const int64_t rank = static_cast<int64_t>(ctx.input_shape(static_cast<int>(k)).size());
    const int64_t e = rank - t.num_letters();
    if (e < 0 || (!t.has_ellipsis() && e != 0)) {
      return ctx.error(absl::StrCat("input ", k, " ", dims_string(ctx.input_shape(static_cast<int>(k))), " has rank ",
                                    rank, " but its term has ", t.num_letters(), " letters",
                                    t.has_ellipsis() ? " and '...'" : ""));
    }
    ellipsis_rank = std::max(ellipsis_rank, e);
  }
  for (int64_t d = 0; d < ellipsis_rank; ++d) s.sizes.push_back(1);  // indices 0..E-1: ellipsis dims
  s.operand.resize(eq.inputs.size());
  for (size_t k = 0; k < eq.inputs.size(); ++k) {
    const Dims& dims = ctx.input_shape(static_cast<int>(k));
    const Term& t = eq.inputs[k];
    const int64_t e = static_cast<int64_t>(dims.size()) - t.num_letters();
    size_t axis = 0;
    for (int l : t.labels) {
      if (l == kEllipsis) {
        for (int64_t d = 0; d < e; ++d, ++axis) {
          const int index = static_cast<int>(ellipsis_rank - e + d);
          int64_t& size = s.sizes[index];
          if (size != dims[axis] && size != 1 && dims[axis] != 1) {
            return ctx.error(absl::StrCat("the '...' dims of input ", k, " ", dims_string(dims),
                                          " do not broadcast with the other inputs'"));
          }
          if (dims[axis] != 1) size = dims[axis];
          s.operand[k].push_back(index);
        }
        continue;
      }
      if (letter_index[l] < 0) {
        letter_index[l] = static_cast<int>(s.sizes.size());
        s.sizes.push_back(dims[axis]);
      } else if (s.sizes[letter_index[l]] != dims[axis]) {
        return ctx.error(absl::StrCat("letter '", std::string(1, l < 26 ? 'A' + l : 'a' + (l - 26)), "' has size ",
                                      s.sizes[letter_index[l]], " elsewhere but ", dims[axis], " in axis ", axis,
                                      " of input ", k, " ", dims_string(dims)));
      }
      s.operand[k].push_back(letter_index[l]);
      ++axis;
    }
  }
  for (int l : eq.output.labels) {
    if (l == kEllipsis) {
      for (int64_t d = 0; d < ellipsis_rank; ++d) s.output.push_back(static_cast<int>(d));
    } else {
      s.output.push_back(letter_index[l]);
    }
  }
  if (s.sizes.size() > static_cast<size_t>(kMaxIndices)) {
    return unsupported(ctx.node(), absl::StrCat("more than ", kMaxIndices, " distinct indices"));
  }
  return s;
}

// Strides of operand `k` per index (repeated letters add up; broadcast dims of size 1 stay 0).
std::vector<int64_t> index_strides(const IndexSpace& s, const Dims& dims, int k) {
  std::vector<int64_t> out(s.sizes.size(), 0);
  const Dims strides = row_major_strides(dims);
  for (size_t axis = 0; axis < dims.size(); ++axis) {
    if (dims[axis] != 1) out[s.operand[k][axis]] += strides[axis];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Plans.

struct LoopNest {
  int operands = 0;
  int64_t out_total = 0;
  int64_t sum_total = 0;
  Dims out_sizes, sum_sizes;                     // loops, outermost first; sum_sizes never empty
  std::vector<int64_t> out_strides, sum_strides;  // [operand * loops + loop]
};

// One side of a GEMM: an operand viewed as a (possibly transposed) row-major matrix per batch element.
struct MatrixView {
  int operand = 0;
  int trans = 0;
  int64_t ld = 0;
  Dims batch_strides;         // per batch loop
  bool copied = false;        // read from the workspace copy at `ws_offset` instead of the input
  StridedCopy copy;
  size_t ws_offset = 0;
};

struct GemmPlan {
  int64_t rows = 0, cols = 0, depth = 0;
  MatrixView left, right;
  Dims batch_sizes;
  Dims out_batch_strides;
  int64_t ldc = 0;
  bool out_copied = false;  // computed into the workspace at out_ws_offset, then copied out
  size_t out_ws_offset = 0;
  StridedCopy out_copy;
};

struct EinsumParams : OpParams {
  bool gemm = false;
  int64_t out_total = 0;
  LoopNest loops;
  GemmPlan g;
};

// Size, coalescability and innermost stride of a group of indices in one layout.
struct Group {
  int64_t total = 1;
  int64_t stride = 1;  // of the innermost index; 1 for an empty group
  bool dense = true;   // the group walks like one dim of `total` elements with `stride`
};

Group group_of(const std::vector<int>& indices, const std::vector<int64_t>& sizes,
               const std::vector<int64_t>& strides) {
  Group g;
  for (size_t i = 0; i < indices.size(); ++i) {
    const int x = indices[i];
    g.total *= sizes[x];
    if (i + 1 < indices.size()) {
      const int next = indices[i + 1];
      if (strides[x] != strides[next] * sizes[next]) g.dense = false;
    }
  }
  if (!indices.empty()) g.stride = strides[indices.back()];
  return g;
}

// Row-major strides of a dense layout holding `order`'s indices (other indices: 0).
std::vector<int64_t> dense_strides(const std::vector<int>& order, const std::vector<int64_t>& sizes) {
  std::vector<int64_t> out(sizes.size(), 0);
  int64_t s = 1;
  for (size_t i = order.size(); i-- > 0;) {
    out[order[i]] = s;
    s *= sizes[order[i]];
  }
  return out;
}

// Plans operand `k` as the left ([rows, depth]) or right ([depth, cols]) GEMM matrix.
void plan_matrix(int k, bool left, const std::vector<int>& batch, const std::vector<int>& outer,
                 const std::vector<int>& depth, const std::vector<int64_t>& sizes,
                 const std::vector<int64_t>& strides, size_t* ws_bytes, MatrixView& m) {
  m.operand = k;
  const Group o = group_of(outer, sizes, strides), d = group_of(depth, sizes, strides);
  // Left: rows are `outer`, columns `depth`. Right: rows are `depth`, columns `outer`.
  const Group& row = left ? o : d;
  const Group& col = left ? d : o;
  std::vector<int64_t> used = strides;
  if (row.dense && col.dense) {
    if (col.total == 1 || col.stride == 1) {
      m.trans = 0;
      m.ld = row.total == 1 ? std::max<int64_t>(col.total, 1) : row.stride;
      if (m.ld >= col.total) {
        for (int b : batch) m.batch_strides.push_back(strides[b]);
        return;
      }
    }
    if (row.total == 1 || row.stride == 1) {
      m.trans = 1;
      m.ld = col.total == 1 ? std::max<int64_t>(row.total, 1) : col.stride;
      if (m.ld >= row.total) {
        for (int b : batch) m.batch_strides.push_back(strides[b]);
        return;
      }
    }
  }
  // Copy into [batch, rows, cols] order.
  std::vector<int> order(batch);
  const std::vector<int>& rows = left ? outer : depth;
  const std::vector<int>& cols = left ? depth : outer;
  order.insert(order.end(), rows.begin(), rows.end());
  order.insert(order.end(), cols.begin(), cols.end());
  Dims loop_sizes, loop_strides;
  for (int x : order) {
    loop_sizes.push_back(sizes[x]);
    loop_strides.push_back(strides[x]);
  }
  plan_strided_copy(loop_sizes, loop_strides, 0, sizeof(float), m.copy);
  m.copied = true;
  m.ws_offset = *ws_bytes;
  *ws_bytes += (static_cast<size_t>(num_elements(loop_sizes)) * sizeof(float) + 63) / 64 * 64;
  const std::vector<int64_t> dense = dense_strides(order, sizes);
  m.trans = 0;
  m.ld = std::max<int64_t>(group_of(cols, sizes, dense).total, 1);
  m.batch_strides.clear();
  for (int b : batch) m.batch_strides.push_back(dense[b]);
}

// The GEMM plan for two float32 operands, or false when the equation is not a plain contraction.
bool plan_gemm(const ReshapeContext& ctx, const IndexSpace& s, const Dims& out_dims, size_t* ws_bytes, GemmPlan& g) {
  if (s.operand.size() != 2) return false;
  const size_t n = s.sizes.size();
  std::vector<int64_t> strides[2];
  for (int k = 0; k < 2; ++k) {
    const Dims& dims = ctx.input_shape(k);
    // Repeated letters (diagonals) are not matrices.
    std::vector<int> seen(n, 0);
    for (size_t axis = 0; axis < dims.size(); ++axis) {
      if (dims[axis] != 1 && ++seen[s.operand[k][axis]] > 1) return false;
    }
    strides[k] = index_strides(s, dims, k);
  }
  std::vector<int64_t> out_strides(n, 0);
  {
    const Dims os = row_major_strides(out_dims);
    for (size_t axis = 0; axis < out_dims.size(); ++axis) {
      if (out_dims[axis] != 1) out_strides[s.output[axis]] = os[axis];
    }
  }
  std::vector<int> batch, m_idx, n_idx, k_idx;
  for (int axis_index : s.output) {  // batch, M and N in output order
    if (s.sizes[axis_index] == 1) continue;
    const bool a = strides[0][axis_index] != 0, b = strides[1][axis_index] != 0;
    if (a && b) batch.push_back(axis_index);
    else if (a) m_idx.push_back(axis_index);
    else n_idx.push_back(axis_index);
  }
  std::vector<bool> in_out(n, false);
  for (int x : s.output) in_out[x] = true;
  for (size_t axis = 0; axis < s.operand[0].size(); ++axis) {  // K in the left operand's order
    const int x = s.operand[0][axis];
    if (in_out[x] || s.sizes[x] == 1) continue;
    if (strides[1][x] == 0) return false;  // summed within one operand only
    if (std::find(k_idx.begin(), k_idx.end(), x) == k_idx.end()) k_idx.push_back(x);
  }
  for (size_t axis = 0; axis < s.operand[1].size(); ++axis) {
    const int x = s.operand[1][axis];
    if (!in_out[x] && s.sizes[x] != 1 && strides[0][x] == 0) return false;
  }
  Group gm = group_of(m_idx, s.sizes, out_strides), gn = group_of(n_idx, s.sizes, out_strides);
  const Group gk = group_of(k_idx, s.sizes, strides[0]);
  // Tiny products are faster in the loop nest than through a GEMM call per batch element.
  if (gm.total * gn.total * gk.total < 64) return false;
  // C = A B when the output is row-major [M, N] per batch; C^T = B^T A^T when it is [N, M].
  bool swap = false;
  bool direct = gm.dense && gn.dense && (gn.total == 1 || gn.stride == 1) &&
                (gm.total == 1 || gm.stride >= gn.total);
  if (!direct && gm.dense && gn.dense && (gm.total == 1 || gm.stride == 1) && (gn.total == 1 || gn.stride >= gm.total)) {
    swap = true;
    direct = true;
  }
  const std::vector<int>& rows = swap ? n_idx : m_idx;
  const std::vector<int>& cols = swap ? m_idx : n_idx;
  const int left = swap ? 1 : 0, right = swap ? 0 : 1;
  g.rows = (swap ? gn : gm).total;
  g.cols = (swap ? gm : gn).total;
  g.depth = gk.total;
  for (int b : batch) g.batch_sizes.push_back(s.sizes[b]);
  plan_matrix(left, true, batch, rows, k_idx, s.sizes, strides[left], ws_bytes, g.left);
  plan_matrix(right, false, batch, cols, k_idx, s.sizes, strides[right], ws_bytes, g.right);
  if (direct) {
    g.ldc = g.rows == 1 ? std::max<int64_t>(g.cols, 1) : (swap ? gn : gm).stride;
    for (int b : batch) g.out_batch_strides.push_back(out_strides[b]);
    return true;
  }
  // Computed as [batch, rows, cols] in the workspace, then copied to the output's order.
  std::vector<int> order(batch);
  order.insert(order.end(), rows.begin(), rows.end());
  order.insert(order.end(), cols.begin(), cols.end());
  const std::vector<int64_t> dense = dense_strides(order, s.sizes);
  g.out_copied = true;
  g.out_ws_offset = *ws_bytes;
  *ws_bytes += (static_cast<size_t>(g.rows * g.cols * num_elements(g.batch_sizes)) * sizeof(float) + 63) / 64 * 64;
  g.ldc = std::max<int64_t>(g.cols, 1);
  for (int b : batch) g.out_batch_strides.push_back(dense[b]);
  Dims copy_strides;
  for (size_t axis = 0; axis < out_dims.size(); ++axis) copy_strides.push_back(dense[s.output[axis]]);
  plan_strided_copy(out_dims, copy_strides, 0, sizeof(float), g.out_copy);
  return true;
}

void plan_loops(const ReshapeContext& ctx, const IndexSpace& s, LoopNest& p) {
  const size_t n = s.sizes.size();
  const int ops = static_cast<int>(s.operand.size());
  std::vector<std::vector<int64_t>> strides;
  for (int k = 0; k < ops; ++k) strides.push_back(index_strides(s, ctx.input_shape(k), k));
  std::vector<bool> in_out(n, false);
  for (int x : s.output) in_out[x] = true;
  std::vector<int> sum;
  for (size_t x = 0; x < n; ++x) {
    if (!in_out[x] && s.sizes[x] != 1) sum.push_back(static_cast<int>(x));
  }
  p.operands = ops;
  for (int x : s.output) p.out_sizes.push_back(s.sizes[x]);
  for (int x : sum) p.sum_sizes.push_back(s.sizes[x]);
  p.out_total = num_elements(p.out_sizes);
  const size_t no = p.out_sizes.size();
  // A dummy summed loop of one step keeps run() simple.
  if (sum.empty()) p.sum_sizes.push_back(1);
  p.sum_total = num_elements(p.sum_sizes);
  const size_t ns = p.sum_sizes.size();
  p.out_strides.assign(ops * no, 0);
  p.sum_strides.assign(ops * ns, 0);
  for (int k = 0; k < ops; ++k) {
    for (size_t i = 0; i < no; ++i) p.out_strides[k * no + i] = strides[k][s.output[i]];
    for (size_t i = 0; i < sum.size(); ++i) p.sum_strides[k * ns + i] = strides[k][sum[i]];
  }
}

// ---------------------------------------------------------------------------------------------------
// Run.

template <typename T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

template <typename T>
void run_loops(const LoopNest& p, const T* const* in, T* out) {
  using A = Acc<T>;
  if (p.sum_total == 0) {  // an empty sum: zeros, and no operand element may be read
    std::fill(out, out + p.out_total, T(0));
    return;
  }
  const int ops = p.operands;
  const int no = static_cast<int>(p.out_sizes.size());
  const int ns = static_cast<int>(p.sum_sizes.size());
  const int64_t inner = p.sum_sizes[ns - 1];
  int64_t inner_stride[kMaxOperands];
  for (int k = 0; k < ops; ++k) inner_stride[k] = p.sum_strides[k * ns + ns - 1];
  int64_t out_index[kMaxIndices] = {};
  // Every full pass of the summed loops leaves sum_index at zeros again.
  int64_t sum_index[kMaxIndices] = {};
  int64_t base[kMaxOperands] = {};
  for (int64_t o = 0; o < p.out_total; ++o) {
    A acc = 0;
    int64_t off[kMaxOperands];
    for (int k = 0; k < ops; ++k) off[k] = base[k];
    for (bool more = true; more;) {
      if (ops == 1) {
        const T* a = in[0] + off[0];
        for (int64_t j = 0; j < inner; ++j) acc += static_cast<A>(a[j * inner_stride[0]]);
      } else if (ops == 2) {
        const T* a = in[0] + off[0];
        const T* b = in[1] + off[1];
        for (int64_t j = 0; j < inner; ++j) {
          acc += static_cast<A>(a[j * inner_stride[0]]) * static_cast<A>(b[j * inner_stride[1]]);
        }
      } else {
        for (int64_t j = 0; j < inner; ++j) {
          A prod = 1;
          for (int k = 0; k < ops; ++k) prod *= static_cast<A>(in[k][off[k] + j * inner_stride[k]]);
          acc += prod;
        }
      }
      more = false;
      for (int d = ns - 2; d >= 0; --d) {
        for (int k = 0; k < ops; ++k) off[k] += p.sum_strides[k * ns + d];
        if (++sum_index[d] < p.sum_sizes[d]) {
          more = true;
          break;
        }
        for (int k = 0; k < ops; ++k) off[k] -= p.sum_strides[k * ns + d] * p.sum_sizes[d];
        sum_index[d] = 0;
      }
    }
    out[o] = static_cast<T>(acc);
    for (int d = no - 1; d >= 0; --d) {
      for (int k = 0; k < ops; ++k) base[k] += p.out_strides[k * no + d];
      if (++out_index[d] < p.out_sizes[d]) break;
      for (int k = 0; k < ops; ++k) base[k] -= p.out_strides[k * no + d] * p.out_sizes[d];
      out_index[d] = 0;
    }
  }
}

void run_gemm(const GemmPlan& g, const RunContext& ctx) {
  char* ws = static_cast<char*>(ctx.workspace);
  const float* src[2];
  for (int k = 0; k < 2; ++k) src[k] = ctx.input(k).data_as<float>();
  auto matrix = [&](const MatrixView& m) {
    if (!m.copied) return src[m.operand];
    float* dst = reinterpret_cast<float*>(ws + m.ws_offset);
    run_strided_copy(m.copy, src[m.operand], dst);
    return static_cast<const float*>(dst);
  };
  const float* a = matrix(g.left);
  const float* b = matrix(g.right);
  float* out = ctx.output(0).data_as<float>();
  float* c = g.out_copied ? reinterpret_cast<float*>(ws + g.out_ws_offset) : out;
  const int nb = static_cast<int>(g.batch_sizes.size());
  const int64_t batches = num_elements(g.batch_sizes);
  int64_t index[kMaxIndices] = {};
  int64_t oa = 0, ob = 0, oc = 0;
  for (int64_t t = 0; t < batches; ++t) {
    sofie_gemm_f32(g.left.trans, g.right.trans, g.rows, g.cols, g.depth, 1.0f, a + oa, g.left.ld, b + ob,
                   g.right.ld, 0.0f, c + oc, g.ldc);
    for (int d = nb - 1; d >= 0; --d) {
      oa += g.left.batch_strides[d];
      ob += g.right.batch_strides[d];
      oc += g.out_batch_strides[d];
      if (++index[d] < g.batch_sizes[d]) break;
      oa -= g.left.batch_strides[d] * g.batch_sizes[d];
      ob -= g.right.batch_strides[d] * g.batch_sizes[d];
      oc -= g.out_batch_strides[d] * g.batch_sizes[d];
      index[d] = 0;
    }
  }
  if (g.out_copied) run_strided_copy(g.out_copy, c, out);
}

// ---------------------------------------------------------------------------------------------------

class EinsumOp : public Op {
 public:
  explicit EinsumOp(Equation eq) : eq_(std::move(eq)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    if (!a.has("equation")) return node_error(node, "the 'equation' attribute is required");
    const std::string text = a.get_string("equation", "");
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_ASSIGN_OR_RETURN(Equation eq, parse_equation(node, text));
    if (eq.inputs.size() > static_cast<size_t>(kMaxOperands)) {
      return unsupported(node, absl::StrCat("equation '", text, "' has more than ", kMaxOperands, " operands"));
    }
    return std::unique_ptr<Op>(std::make_unique<EinsumOp>(std::move(eq)));
  }

  absl::Status infer(InferContext& ctx) override {
    const int n = static_cast<int>(eq_.inputs.size());
    if (ctx.num_inputs() != n) {
      return ctx.error(absl::StrCat("the equation has ", n, " input terms but the node has ", ctx.num_inputs(),
                                    " inputs"));
    }
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, n, n));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(
        ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kInt8, DType::kUInt8}));
    for (int k = 1; k < n; ++k) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, k));
    ctx.set_output(0, ctx.input_dtype(0), infer_shape(ctx));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    SOFIE_ASSIGN_OR_RETURN(IndexSpace s, resolve_indices(ctx, eq_));
    Dims out;
    for (int x : s.output) out.push_back(s.sizes[x]);
    auto& p = ctx.make_params<EinsumParams>();
    p.out_total = num_elements(out);
    size_t ws = 0;
    if (ctx.input_dtype(0) == DType::kFloat32 && p.out_total > 0) p.gemm = plan_gemm(ctx, s, out, &ws, p.g);
    if (p.gemm) {
      ctx.set_workspace(ws);
    } else {
      plan_loops(ctx, s, p.loops);
    }
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<EinsumParams>();
    if (p.out_total == 0) return absl::OkStatus();
    if (p.gemm) {
      run_gemm(p.g, ctx);
      return absl::OkStatus();
    }
    visit_numeric(ctx.output(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* in[kMaxOperands];
      for (int k = 0; k < p.loops.operands; ++k) in[k] = ctx.input(k).data_as<T>();
      run_loops(p.loops, in, ctx.output(0).data_as<T>());
    });
    return absl::OkStatus();
  }

 private:
  // Load-time output shape: each letter's dim from any input that has it known (else a symbol); the
  // ellipsis dims broadcast across inputs.
  SymShape infer_shape(const InferContext& ctx) const {
    std::vector<Dim> letter(kNumLetters, Dim::unknown());
    std::vector<bool> known_rank(eq_.inputs.size());
    bool all_ranks = true;
    SymShape ellipsis(std::vector<Dim>{});
    for (size_t k = 0; k < eq_.inputs.size(); ++k) {
      const SymShape& shape = ctx.input_shape(static_cast<int>(k));
      const Term& t = eq_.inputs[k];
      if (!shape.rank_known() || shape.rank() < t.num_letters()) {
        all_ranks = false;
        continue;
      }
      const int64_t e = shape.rank() - t.num_letters();
      int64_t axis = 0;
      for (int l : t.labels) {
        if (l == kEllipsis) {
          std::vector<Dim> part(shape.dims().begin() + axis, shape.dims().begin() + axis + e);
          auto b = broadcast_symbolic(ellipsis, SymShape(std::move(part)));
          ellipsis = b.ok() ? *std::move(b) : SymShape::unknown_rank();
          axis += e;
          continue;
        }
        const Dim& d = shape[axis++];
        if (d.is_known() || (d.is_symbol() && !letter[l].is_known())) letter[l] = d;
      }
    }
    std::vector<Dim> out;
    for (int l : eq_.output.labels) {
      if (l == kEllipsis) {
        if (!all_ranks || !ellipsis.rank_known()) return SymShape::unknown_rank();
        out.insert(out.end(), ellipsis.dims().begin(), ellipsis.dims().end());
      } else {
        out.push_back(letter[l]);
      }
    }
    return SymShape(std::move(out));
  }

  Equation eq_;
};

SOFIE_REGISTER_OP("", "Einsum", 12, kMaxOpset, &EinsumOp::create);

}  // namespace
}  // namespace sofie::ops
