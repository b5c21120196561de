// Operators whose output shape depends on the input data: NonMaxSuppression, Unique and Compress. Their
// outputs are dynamic (ReshapeContext::set_output_dynamic; plans containing them run eagerly), except
// Compress when its condition is known while planning. Scratch memory comes from the workspace, whose
// size follows from the input shapes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

void mark_dynamic(ReshapeContext& ctx) {
  for (int k = 0; k < ctx.num_outputs(); ++k) {
    if (ctx.has_output(k)) ctx.set_output_dynamic(k);
  }
}

size_t align64(size_t bytes) { return (bytes + 63) & ~size_t{63}; }

// ---------------------------------------------------------------------------------------------------
// NonMaxSuppression (10+): per batch and class, the boxes with score > score_threshold in descending
// score order (ties: lower index first), each kept unless its IoU with an already kept box of that class
// exceeds iou_threshold, up to max_output_boxes_per_class (default 0: nothing). Output [selected, 3]
// rows (batch, class, box), per batch, per class, in selection order, as ONNX Runtime and ONNX's
// reference. Boxes are [y1, x1, y2, x2] (any diagonal corners) or, with center_point_box = 1,
// [x_center, y_center, width, height]; a box of zero area never suppresses nor is suppressed.
struct Candidate {
  float score;
  int32_t index;
};

struct Corners {
  float y1, x1, y2, x2;
};

class NonMaxSuppressionOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<NonMaxSuppressionOp>();
    op->center_point_box_ = a.get_int("center_point_box", 0);
    SOFIE_RETURN_IF_ERROR(a.status());
    if (op->center_point_box_ != 0 && op->center_point_box_ != 1) {
      return node_error(node, absl::StrCat("center_point_box is ", op->center_point_box_, "; expected 0 or 1"));
    }
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 5));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kFloat32}));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 2, {DType::kInt64}));
    if (ctx.has_input(3)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 3, {DType::kFloat32}));
    if (ctx.has_input(4)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 4, {DType::kFloat32}));
    const SymShape& boxes = ctx.input_shape(0);
    if (boxes.rank_known() && (boxes.rank() != 3 || (boxes[2].is_known() && boxes[2].value != 4))) {
      return ctx.error(absl::StrCat("boxes is ", boxes.to_string(), "; expected [batch, boxes, 4]"));
    }
    const SymShape& scores = ctx.input_shape(1);
    if (scores.rank_known() && scores.rank() != 3) {
      return ctx.error(absl::StrCat("scores is ", scores.to_string(), "; expected [batch, classes, boxes]"));
    }
    ctx.set_output(0, DType::kInt64, SymShape({Dim::unknown(), Dim::known(3)}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& b = ctx.input_shape(0);
    const Dims& s = ctx.input_shape(1);
    if (b.size() != 3 || b[2] != 4 || s.size() != 3 || s[0] != b[0] || s[2] != b[1]) {
      return ctx.error(absl::StrCat("boxes ", dims_string(b), " and scores ", dims_string(s),
                                    " do not match; expected [batch, boxes, 4] and [batch, classes, boxes]"));
    }
    if (b[1] > INT32_MAX) return ctx.error(absl::StrCat("too many boxes: ", b[1]));
    for (int i = 2; i < 5; ++i) {
      if (ctx.has_input(i) && num_elements(ctx.input_shape(i)) != 1) {
        return ctx.error(absl::StrCat("input ", i, " is ", dims_string(ctx.input_shape(i)), "; expected one value"));
      }
    }
    const size_t n = static_cast<size_t>(b[1]), bc = static_cast<size_t>(b[0] * s[1]);
    ctx.set_workspace(align64(n * sizeof(Candidate)) + align64(n * sizeof(Corners)) +
                      align64(bc * n * sizeof(int32_t)) + bc * sizeof(int64_t));
    mark_dynamic(ctx);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& boxes = ctx.input(0);
    const TensorView& scores = ctx.input(1);
    const int64_t B = boxes.shape[0], N = boxes.shape[1], C = scores.shape[1];
    const int64_t max_out = ctx.has_input(2) ? ctx.input(2).data_as<int64_t>()[0] : 0;
    const float iou_threshold = ctx.has_input(3) ? ctx.input(3).data_as<float>()[0] : 0.0f;
    const bool has_score_threshold = ctx.has_input(4);
    const float score_threshold = has_score_threshold ? ctx.input(4).data_as<float>()[0] : 0.0f;
    if (!(iou_threshold >= 0.0f && iou_threshold <= 1.0f)) {
      return ctx.error(absl::StrCat("iou_threshold is ", iou_threshold, "; expected [0, 1]"));
    }
    char* ws = static_cast<char*>(ctx.workspace);
    Candidate* cand = reinterpret_cast<Candidate*>(ws);
    ws += align64(N * sizeof(Candidate));
    Corners* corners = reinterpret_cast<Corners*>(ws);
    ws += align64(N * sizeof(Corners));
    int32_t* selected = reinterpret_cast<int32_t*>(ws);  // [B * C, N]
    ws += align64(B * C * N * sizeof(int32_t));
    int64_t* counts = reinterpret_cast<int64_t*>(ws);  // [B * C]
    const int64_t limit = std::min<int64_t>(std::max<int64_t>(max_out, 0), N);
    int64_t total = 0;
    for (int64_t bi = 0; bi < B; ++bi) {
      const float* bx = boxes.data_as<float>() + bi * N * 4;
      for (int64_t i = 0; i < N; ++i) corners[i] = corners_of(bx + i * 4);
      for (int64_t c = 0; c < C; ++c) {
        const float* sc = scores.data_as<float>() + (bi * C + c) * N;
        int64_t count = 0;
        for (int64_t i = 0; i < N; ++i) {
          if (!has_score_threshold || sc[i] > score_threshold) cand[count++] = {sc[i], static_cast<int32_t>(i)};
        }
        std::sort(cand, cand + count, [](const Candidate& l, const Candidate& r) {
          return l.score > r.score || (l.score == r.score && l.index < r.index);
        });
        int32_t* sel = selected + (bi * C + c) * N;
        int64_t kept = 0;
        for (int64_t k = 0; k < count && kept < limit; ++k) {
          const Corners& box = corners[cand[k].index];
          bool keep = true;
          for (int64_t j = 0; j < kept && keep; ++j) keep = !suppresses(box, corners[sel[j]], iou_threshold);
          if (keep) sel[kept++] = cand[k].index;
        }
        counts[bi * C + c] = kept;
        total += kept;
      }
    }
    SOFIE_ASSIGN_OR_RETURN(TensorView * out, ctx.allocate_output(0, Dims{total, 3}));
    int64_t* o = out->data_as<int64_t>();
    for (int64_t bi = 0; bi < B; ++bi) {
      for (int64_t c = 0; c < C; ++c) {
        const int32_t* sel = selected + (bi * C + c) * N;
        for (int64_t j = 0; j < counts[bi * C + c]; ++j) {
          *o++ = bi;
          *o++ = c;
          *o++ = sel[j];
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  Corners corners_of(const float* b) const {
    if (center_point_box_ == 1) {
      const float hw = b[2] / 2, hh = b[3] / 2;
      return {b[1] - hh, b[0] - hw, b[1] + hh, b[0] + hw};
    }
    return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
  }

  static bool suppresses(const Corners& a, const Corners& b, float iou_threshold) {
    const float ix1 = std::max(a.x1, b.x1), ix2 = std::min(a.x2, b.x2);
    if (ix2 <= ix1) return false;
    const float iy1 = std::max(a.y1, b.y1), iy2 = std::min(a.y2, b.y2);
    if (iy2 <= iy1) return false;
    const float inter = (ix2 - ix1) * (iy2 - iy1);
    const float area_a = (a.x2 - a.x1) * (a.y2 - a.y1), area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
    const float uni = area_a + area_b - inter;
    if (area_a <= 0 || area_b <= 0 || uni <= 0) return false;
    return inter / uni > iou_threshold;
  }

  int64_t center_point_box_ = 0;
};

SOFIE_REGISTER_OP("", "NonMaxSuppression", 10, kMaxOpset, &NonMaxSuppressionOp::create);

// ---------------------------------------------------------------------------------------------------
// Unique (11): the distinct elements (no axis: of the flattened input) or distinct slices along `axis`,
// sorted ascending (slices lexicographically, as numpy.unique) or, with sorted = 0, in order of first
// occurrence. indices: first occurrence of each; inverse_indices: for each input element or slice, its
// output position; counts. NaNs compare equal to each other and above every number (numpy >= 1.21).
// One sort of the slice indices by (slice, index) groups equal slices with their first occurrence first.
template <typename T>
bool less_value(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

template <typename T>
bool equal_value(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) && std::isnan(b)) return true;
  }
  return a == b;
}

// Slices of x viewed as [outer, n, inner]: slice s holds x[o, s, i] in (o, i) order.
template <typename T>
struct Slices {
  const T* x;
  int64_t outer, n, inner;
  // -1, 0, 1 as slice a is below, equal to or above slice b.
  int compare(int64_t a, int64_t b) const {
    if (a == b) return 0;
    for (int64_t o = 0; o < outer; ++o) {
      const T* pa = x + (o * n + a) * inner;
      const T* pb = x + (o * n + b) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        if (equal_value(pa[i], pb[i])) continue;
        return less_value(pa[i], pb[i]) ? -1 : 1;
      }
    }
    return 0;
  }
};

class UniqueOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<UniqueOp>();
    op->has_axis_ = a.has("axis");
    op->axis_ = a.get_int("axis", 0);
    op->sorted_ = a.get_int("sorted", 1) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    const SymShape& x = ctx.input_shape(0);
    SymShape y({Dim::unknown()});
    Dim n = Dim::unknown();
    if (has_axis_ && x.rank_known()) {
      auto axis = normalize_axis(axis_, x.rank());
      if (!axis.ok()) return ctx.error(absl::StrCat("axis ", axis_, " is out of range for input ", x.to_string()));
      std::vector<Dim> dims = x.dims();
      n = dims[*axis];
      dims[*axis] = Dim::unknown();
      y = SymShape(std::move(dims));
    } else if (has_axis_) {
      y = SymShape();
    } else if (x.rank_known()) {
      n = product_of(x.dims(), 0, x.dims().size());
    }
    ctx.set_output(0, ctx.input_dtype(0), y);
    for (int k = 1; k < 4; ++k) {
      if (ctx.has_output(k)) ctx.set_output(k, DType::kInt64, SymShape({k == 2 ? n : Dim::unknown()}));
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    int64_t n = num_elements(x);
    if (has_axis_) {
      auto axis = normalize_axis(axis_, static_cast<int64_t>(x.size()));
      if (!axis.ok()) return ctx.error(absl::StrCat("axis ", axis_, " is out of range for input ", dims_string(x)));
      n = x[*axis];
    }
    ctx.set_workspace(4 * static_cast<size_t>(n) * sizeof(int64_t));
    mark_dynamic(ctx);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    absl::Status status;
    visit_any(ctx.input(0).dtype, [&](auto tag) { status = run_typed<decltype(tag)>(ctx); });
    return status;
  }

 private:
  template <typename T>
  absl::Status run_typed(const RunContext& ctx) const {
    const TensorView& xv = ctx.input(0);
    Slices<T> s{xv.data_as<T>(), 1, xv.numel(), 1};
    int64_t axis = 0;
    if (has_axis_) {
      axis = axis_ < 0 ? axis_ + xv.rank() : axis_;
      const absl::Span<const int64_t> dims(xv.shape);
      s.outer = num_elements(dims.subspan(0, axis));
      s.n = xv.shape[axis];
      s.inner = num_elements(dims.subspan(axis + 1));
    }
    const int64_t n = s.n;
    int64_t* perm = static_cast<int64_t*>(ctx.workspace);  // sorted order, later: group of each rank
    int64_t* group = perm + n;                               // group of each slice
    int64_t* first = group + n;                              // per group: first slice; later count
    int64_t* rank = first + n;                               // per group: output position
    for (int64_t i = 0; i < n; ++i) perm[i] = i;
    if (s.inner == 1 && s.outer == 1) {
      const T* x = s.x;
      std::sort(perm, perm + n, [x](int64_t a, int64_t b) {
        if (equal_value(x[a], x[b])) return a < b;
        return less_value(x[a], x[b]);
      });
    } else {
      std::sort(perm, perm + n, [&s](int64_t a, int64_t b) {
        const int c = s.compare(a, b);
        return c != 0 ? c < 0 : a < b;
      });
    }
    int64_t groups = 0;
    for (int64_t k = 0; k < n; ++k) {
      if (k == 0 || s.compare(perm[k - 1], perm[k]) != 0) first[groups++] = perm[k];
      group[perm[k]] = groups - 1;
    }
    if (sorted_) {
      for (int64_t g = 0; g < groups; ++g) rank[g] = g;
    } else {
      int64_t next = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (first[group[i]] == i) rank[group[i]] = next++;
      }
    }
    for (int64_t g = 0; g < groups; ++g) perm[rank[g]] = g;  // group at each output position
    // Outputs.
    Dims y_shape = has_axis_ ? Dims(xv.shape) : Dims{groups};
    if (has_axis_) y_shape[axis] = groups;
    SOFIE_ASSIGN_OR_RETURN(TensorView * y, ctx.allocate_output(0, y_shape));
    T* yd = y->data_as<T>();
    for (int64_t o = 0; o < s.outer; ++o) {
      for (int64_t r = 0; r < groups; ++r) {
        const T* src = s.x + (o * n + first[perm[r]]) * s.inner;
        std::copy(src, src + s.inner, yd + (o * groups + r) * s.inner);
      }
    }
    if (ctx.has_output(1)) {
      SOFIE_ASSIGN_OR_RETURN(TensorView * v, ctx.allocate_output(1, Dims{groups}));
      for (int64_t r = 0; r < groups; ++r) v->data_as<int64_t>()[r] = first[perm[r]];
    }
    if (ctx.has_output(2)) {
      SOFIE_ASSIGN_OR_RETURN(TensorView * v, ctx.allocate_output(2, Dims{n}));
      for (int64_t i = 0; i < n; ++i) v->data_as<int64_t>()[i] = rank[group[i]];
    }
    if (ctx.has_output(3)) {
      SOFIE_ASSIGN_OR_RETURN(TensorView * v, ctx.allocate_output(3, Dims{groups}));
      int64_t* counts = v->data_as<int64_t>();
      std::fill(counts, counts + groups, 0);
      for (int64_t i = 0; i < n; ++i) ++counts[rank[group[i]]];
    }
    return absl::OkStatus();
  }

  bool has_axis_ = false;
  int64_t axis_ = 0;
  bool sorted_ = true;
};

SOFIE_REGISTER_OP("", "Unique", 11, kMaxOpset, &UniqueOp::create);

// ---------------------------------------------------------------------------------------------------
// Compress (9; 11 allows negative axes): the slices along `axis` (no axis: the elements of the flattened
// input) whose condition entry is true. A condition shorter than the axis drops the rest; a true entry
// past its end is an error, as in numpy.
struct CompressParams : OpParams {
  int64_t outer = 1, n = 0, inner = 1, kept = 0;
  bool dynamic = true;
};

class CompressOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<CompressOp>();
    op->has_axis_ = a.has("axis");
    op->axis_ = a.get_int("axis", 0);
    SOFIE_RETURN_IF_ERROR(a.status());
    if (op->has_axis_ && node.opset < 11 && op->axis_ < 0) {
      return node_error(node, absl::StrCat("axis is ", op->axis_, "; negative axes need opset 11"));
    }
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kBool}));
    const SymShape& x = ctx.input_shape(0);
    const SymShape& c = ctx.input_shape(1);
    if (c.rank_known() && c.rank() != 1) {
      return ctx.error(absl::StrCat("condition is ", c.to_string(), "; expected a 1-D tensor"));
    }
    SymShape y({Dim::unknown()});
    if (has_axis_) {
      y = SymShape();
      if (x.rank_known()) {
        auto axis = normalize_axis(axis_, x.rank());
        if (!axis.ok()) return ctx.error(absl::StrCat("axis ", axis_, " is out of range for input ", x.to_string()));
        std::vector<Dim> dims = x.dims();
        dims[*axis] = Dim::unknown();
        y = SymShape(std::move(dims));
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), y);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    if (ctx.input_shape(1).size() != 1) {
      return ctx.error(absl::StrCat("condition is ", dims_string(ctx.input_shape(1)), "; expected a 1-D tensor"));
    }
    auto& p = ctx.make_params<CompressParams>();
    int64_t axis = 0;
    if (has_axis_) {
      auto a = normalize_axis(axis_, static_cast<int64_t>(x.size()));
      if (!a.ok()) return ctx.error(absl::StrCat("axis ", axis_, " is out of range for input ", dims_string(x)));
      axis = *a;
      const absl::Span<const int64_t> dims(x);
      p.outer = num_elements(dims.subspan(0, axis));
      p.n = x[axis];
      p.inner = num_elements(dims.subspan(axis + 1));
    } else {
      p.n = num_elements(x);
    }
    const TensorView* cond = ctx.known_value(1);
    if (cond == nullptr) {
      ctx.set_output_dynamic(0);
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(p.kept, count_kept(ctx.node(), *cond, p.n));
    p.dynamic = false;
    Dims out = has_axis_ ? Dims(x) : Dims{p.kept};
    if (has_axis_) out[axis] = p.kept;
    ctx.set_output_shape(0, out);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<CompressParams>();
    const TensorView& x = ctx.input(0);
    const TensorView& cond = ctx.input(1);
    TensorView* y = &ctx.output(0);
    if (p.dynamic) {
      SOFIE_ASSIGN_OR_RETURN(int64_t kept, count_kept(*ctx.node, cond, p.n));
      Dims out = x.shape;
      if (has_axis_) {
        out[axis_ < 0 ? axis_ + x.rank() : axis_] = kept;
      } else {
        out = Dims{kept};
      }
      SOFIE_ASSIGN_OR_RETURN(y, ctx.allocate_output(0, out));
    }
    const uint8_t* c = cond.data_as<uint8_t>();
    const int64_t len = std::min(p.n, cond.numel());
    const size_t es = dtype_size(x.dtype);
    const size_t row = static_cast<size_t>(p.inner) * es;
    const char* src = static_cast<const char*>(x.data);
    char* dst = static_cast<char*>(y->data);
    for (int64_t o = 0; o < p.outer; ++o) {
      const char* so = src + o * p.n * row;
      for (int64_t a = 0; a < len; ++a) {
        if (!c[a]) continue;
        std::memcpy(dst, so + a * row, row);
        dst += row;
      }
    }
    return absl::OkStatus();
  }

 private:
  // Entries of `cond` that are true, all within the first n.
  static absl::StatusOr<int64_t> count_kept(const Node& node, const TensorView& cond, int64_t n) {
    const uint8_t* c = cond.data_as<uint8_t>();
    int64_t kept = 0;
    for (int64_t i = 0; i < cond.numel(); ++i) {
      if (!c[i]) continue;
      if (i >= n) {
        return node_error(node, absl::StrCat("condition entry ", i, " is true but the input has only ", n,
                                             " elements along the axis"));
      }
      ++kept;
    }
    return kept;
  }

  bool has_axis_ = false;
  int64_t axis_ = 0;
};

SOFIE_REGISTER_OP("", "Compress", 9, 10, &CompressOp::create);
SOFIE_REGISTER_OP("", "Compress", 11, kMaxOpset, &CompressOp::create);

}  // namespace
}  // namespace sofie::ops
