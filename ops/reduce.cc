// The Reduce* family: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceSumSquare, ReduceL1,
// ReduceL2, ReduceLogSum, ReduceLogSumExp.
//
// Axes come from the attribute before the opset where they became input 1 (ReduceSum: 13, the others: 18)
// and from that input afterwards, known when planning. Empty axes reduce everything, unless
// noop_with_empty_axes (input versions): then nothing is reduced and each output element is the reduction
// of the single matching input element, i.e. the per-element part still applies (SumSquare squares, L1
// takes |x|, LogSum takes log), as the ONNX spec now states and ONNX Runtime does.
// Reducing an empty set gives the reduction's identity: Sum/SumSquare/L1/L2 0, Prod 1, Max the lowest value
// (-inf for floats), Min the highest (+inf), LogSum and LogSumExp -inf (the lowest value for integers),
// Mean NaN (0 for integers).
//
// Plan: size-1 dims are dropped and adjacent dims that are both reduced or both kept are merged, leaving
// alternating kept/reduced groups. The innermost one or two groups become a contiguous kernel:
//   rows:    [..., R]    each output element reduces R contiguous inputs (lane accumulators; short rows
//                        B at a time, one row per lane);
//   columns: [..., R, I] I contiguous accumulators, each of the R input rows combined into them in blocks
//                        of a cache line (chunks of the accumulator row that stay in L1; narrow I first
//                        accumulated as wider rows, then folded);
// the remaining outer groups are walked with an odometer that only adds strides per block.
// Max/Min propagate NaN, as numpy. Integer Sum/Prod wrap; integer L2/LogSum/LogSumExp accumulate in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/kernels/math_f32.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Kind { kSum, kMean, kMax, kMin, kProd, kSumSquare, kL1, kL2, kLogSum, kLogSumExp };

constexpr int kMaxLevels = 16;

// Integer inputs of the reductions whose result is not an integer formula accumulate in double.
template <Kind K, typename T>
using AccOf = std::conditional_t<std::is_integral_v<T> && (K == Kind::kL2 || K == Kind::kLogSum ||
                                                            K == Kind::kLogSumExp),
                                 double, T>;

template <typename T>
T exp_of(T v) {
  if constexpr (std::is_same_v<T, float>) {
    // exp_f32 clamps its input (exp(-inf) would be ~1e-38): -inf must give exactly 0, so that a row of
    // -inf has LogSumExp -inf.
    return kernels::select_f32(v == -std::numeric_limits<float>::infinity(), 0.0f, kernels::exp_f32(v));
  } else {
    return std::exp(v);
  }
}

// A double result into T; integers saturate (log(0) = -inf becomes the lowest value) and NaN becomes 0.
template <typename T>
T from_double(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T(0);
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
}

// init (the identity), pre (applied to each input; `shift` is LogSumExp's per-output max), combine, and post
// (applied to each accumulated output; `n` is the number of reduced elements).
template <Kind K, typename T, typename Acc = AccOf<K, T>>
struct Reducer {
  static constexpr bool kNeedsPost =
      K == Kind::kMean || K == Kind::kL2 || K == Kind::kLogSum || K == Kind::kLogSumExp || !std::is_same_v<T, Acc>;

  static Acc init() {
    if constexpr (K == Kind::kMax) {
      if constexpr (std::is_floating_point_v<Acc>) return -std::numeric_limits<Acc>::infinity();
      return std::numeric_limits<Acc>::lowest();
    } else if constexpr (K == Kind::kMin) {
      if constexpr (std::is_floating_point_v<Acc>) return std::numeric_limits<Acc>::infinity();
      return std::numeric_limits<Acc>::max();
    } else if constexpr (K == Kind::kProd) {
      return Acc(1);
    } else {
      return Acc(0);
    }
  }

  static Acc pre(T x, Acc shift) {
    const Acc v = static_cast<Acc>(x);
    if constexpr (K == Kind::kSumSquare || K == Kind::kL2) {
      return mul(v, v);
    } else if constexpr (K == Kind::kL1) {
      if constexpr (std::is_unsigned_v<Acc>) {
        return v;
      } else if constexpr (std::is_floating_point_v<Acc>) {
        return std::fabs(v);
      } else {
        return select(v < 0, static_cast<Acc>(Acc(0) - v), v);
      }
    } else if constexpr (K == Kind::kLogSumExp) {
      return exp_of(v - shift);
    } else {
      (void)shift;
      return v;
    }
  }

  static Acc combine(Acc a, Acc b) {
    // NaN propagates: a NaN b wins, a NaN a loses every comparison and stays. Plain ternaries: GCC turns
    // these into vmaxps/vminps plus one blend (the integer-mask select() is several times slower here).
    if constexpr (K == Kind::kMax) {
      const Acc m = a < b ? b : a;
      if constexpr (std::is_floating_point_v<Acc>) return b != b ? b : m;
      return m;
    } else if constexpr (K == Kind::kMin) {
      const Acc m = b < a ? b : a;
      if constexpr (std::is_floating_point_v<Acc>) return b != b ? b : m;
      return m;
    } else if constexpr (K == Kind::kProd) {
      return mul(a, b);
    } else {
      return add(a, b);
    }
  }

  static T post(Acc a, int64_t n, Acc shift) {
    if constexpr (K == Kind::kMean) {
      if constexpr (std::is_floating_point_v<Acc>) return static_cast<T>(a / static_cast<Acc>(n));
      return n == 0 ? T(0) : static_cast<T>(a / static_cast<Acc>(n));
    } else if constexpr (K == Kind::kL2) {
      return from_double<T>(std::sqrt(a));
    } else if constexpr (K == Kind::kLogSum) {
      return from_double<T>(std::log(a));
    } else if constexpr (K == Kind::kLogSumExp) {
      return from_double<T>(std::log(a) + shift);
    } else {
      return static_cast<T>(a);
    }
  }

  // Integer arithmetic wraps (computed unsigned: signed overflow is undefined, int8 would promote).
  static Acc add(Acc a, Acc b) {
    if constexpr (std::is_integral_v<Acc>) {
      using U = std::make_unsigned_t<Acc>;
      return static_cast<Acc>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
    } else {
      return a + b;
    }
  }
  static Acc mul(Acc a, Acc b) {
    if constexpr (std::is_integral_v<Acc>) {
      using U = std::make_unsigned_t<Acc>;
      return static_cast<Acc>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
    } else {
      return a * b;
    }
  }
};

// One outer loop level: `size` steps of `in_stride` input and `out_stride` output elements.
struct Level {
  int64_t size = 0, in_stride = 0, out_stride = 0;
};

struct ReduceParams : OpParams {
  enum class Path { kElementwise, kRows, kColumns };
  Path path = Path::kElementwise;
  int64_t in_count = 0, out_count = 0;
  int64_t reduced = 1;  // input elements per output element
  int64_t row = 0;      // rows: contiguous elements reduced per output element
  int64_t k = 0, inner = 0;  // columns: k rows of `inner` contiguous elements
  absl::InlinedVector<Level, 4> outer;  // outermost first
  size_t shift_offset = 0;  // bytes into the workspace: LogSumExp's per-output shift
  bool separate_acc = false;  // the accumulators live at the start of the workspace (Acc != T)
};

// Calls f(in_offset, out_offset) for every position of the first `levels` outer levels.
template <typename F>
void for_each_outer(const ReduceParams& p, int levels, F f) {
  int64_t index[kMaxLevels] = {};
  int64_t in_off = 0, out_off = 0;
  for (;;) {
    f(in_off, out_off);
    int d = levels - 1;
    for (; d >= 0; --d) {
      const Level& l = p.outer[d];
      if (++index[d] < l.size) {
        in_off += l.in_stride;
        out_off += l.out_stride;
        break;
      }
      index[d] = 0;
      in_off -= (l.size - 1) * l.in_stride;
      out_off -= (l.size - 1) * l.out_stride;
    }
    if (d < 0) return;
  }
}

template <typename R, typename T, typename Acc>
Acc reduce_row(int64_t n, const T* x, Acc shift) {
  constexpr int L = kBlockLanes<T>;
  if (n < L) {  // short rows (many of them): skip the lane set-up
    Acc r = R::init();
    for (int64_t i = 0; i < n; ++i) r = R::combine(r, R::pre(x[i], shift));
    return r;
  }
  Acc lanes[L];
  for (int j = 0; j < L; ++j) lanes[j] = R::init();
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int j = 0; j < L; ++j) lanes[j] = R::combine(lanes[j], R::pre(x[i + j], shift));
  }
  Acc r = R::init();
  for (int j = 0; j < L; ++j) r = R::combine(r, lanes[j]);
  for (; i < n; ++i) r = R::combine(r, R::pre(x[i], shift));
  return r;
}

// acc[o] = combine(acc[o], reduce(x[o * n, (o + 1) * n))) for o < m: m contiguous rows of n. Short rows
// (n < one block: a reduction over a short innermost axis) go B at a time, one lane per row, so that the
// lanes of a block are independent rows instead of one serial chain of n combines per output.
template <typename R, bool kShifted, typename T, typename Acc>
void reduce_rows(int64_t m, int64_t n, const T* x, Acc* acc, const Acc* shift) {
  constexpr int L = kBlockLanes<T>;
  constexpr int B = 2 * L;
  int64_t o = 0;
  if (n < L) {
    for (; o + B <= m; o += B) {
      const T* xo = x + o * n;
      Acc lanes[B];
      for (int j = 0; j < B; ++j) lanes[j] = acc[o + j];
      for (int64_t i = 0; i < n; ++i) {
        for (int j = 0; j < B; ++j) {
          lanes[j] = R::combine(lanes[j], R::pre(xo[j * n + i], kShifted ? shift[o + j] : Acc(0)));
        }
      }
      for (int j = 0; j < B; ++j) acc[o + j] = lanes[j];
    }
  }
  for (; o < m; ++o) acc[o] = R::combine(acc[o], reduce_row<R>(n, x + o * n, kShifted ? shift[o] : Acc(0)));
}

// acc[i] = combine(acc[i], pre(x[i])) for i < n. The pointers never overlap (acc is the output or the
// workspace), so restrict lets GCC vectorise the fixed-size blocks without alias checks.
template <typename R, bool kShifted, typename T, typename Acc>
void accumulate_row(int64_t n, const T* __restrict x, Acc* __restrict acc, const Acc* __restrict shift) {
  constexpr int L = kBlockLanes<T>;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int j = 0; j < L; ++j) {
      acc[i + j] = R::combine(acc[i + j], R::pre(x[i + j], kShifted ? shift[i + j] : Acc(0)));
    }
  }
  for (; i < n; ++i) acc[i] = R::combine(acc[i], R::pre(x[i], kShifted ? shift[i] : Acc(0)));
}

// acc[i] = combine(acc[i], pre(x[r * inner + i])) for r < k, i < inner. The accumulator row is taken in
// chunks that stay in L1 while the k input rows stream past contiguously (walking one cache line down all
// k rows instead would touch a new page per row). Narrow rows (inner < 4 blocks) are first accumulated as
// rows of a wider multiple of inner, then folded.
template <typename R, bool kShifted, typename T, typename Acc>
void reduce_columns(int64_t k, int64_t inner, const T* x, Acc* acc, const Acc* shift) {
  constexpr int L = kBlockLanes<T>;
  if (inner < 4 * L) {
    constexpr int kWideMax = 8 * L;
    const int64_t width = inner * ((4 * L + inner - 1) / inner);  // a multiple of inner in [4L, 8L)
    Acc wide[kWideMax], wide_shift[kWideMax] = {};
    for (int64_t p = 0; p < width; ++p) {
      wide[p] = R::init();
      if constexpr (kShifted) wide_shift[p] = shift[p % inner];
    }
    const int64_t total = k * inner, rows = total / width;
    for (int64_t r = 0; r < rows; ++r) accumulate_row<R, kShifted>(width, x + r * width, wide, wide_shift);
    accumulate_row<R, kShifted>(total - rows * width, x + rows * width, wide, wide_shift);
    for (int64_t p = 0; p < width; ++p) acc[p % inner] = R::combine(acc[p % inner], wide[p]);
    return;
  }
  constexpr int64_t kChunk = 32768 / sizeof(Acc);
  for (int64_t c0 = 0; c0 < inner; c0 += kChunk) {
    const int64_t n = std::min(kChunk, inner - c0);
    for (int64_t r = 0; r < k; ++r) {
      accumulate_row<R, kShifted>(n, x + r * inner + c0, acc + c0, kShifted ? shift + c0 : nullptr);
    }
  }
}

// One pass of reducer R over the input into acc (already holding R's identity).
template <typename R, bool kShifted, typename T, typename Acc>
void reduce_pass(const ReduceParams& p, const T* x, Acc* acc, const Acc* shift) {
  const int levels = static_cast<int>(p.outer.size());
  if (p.path == ReduceParams::Path::kRows) {
    // The innermost outer level steps one row (in_stride = row, out_stride = 1): rows of it go together.
    const int64_t rows = levels > 0 ? p.outer.back().size : 1;
    for_each_outer(p, levels > 0 ? levels - 1 : 0, [&](int64_t in_off, int64_t out_off) {
      reduce_rows<R, kShifted>(rows, p.row, x + in_off, acc + out_off, kShifted ? shift + out_off : nullptr);
    });
  } else {
    for_each_outer(p, levels, [&](int64_t in_off, int64_t out_off) {
      reduce_columns<R, kShifted>(p.k, p.inner, x + in_off, acc + out_off, kShifted ? shift + out_off : nullptr);
    });
  }
}

template <Kind K, typename T>
void run_reduce(const ReduceParams& p, const T* x, T* y, void* workspace) {
  using R = Reducer<K, T>;
  using Acc = AccOf<K, T>;
  if (p.out_count == 0) return;
  if (p.path == ReduceParams::Path::kElementwise && p.in_count > 0) {
    // Nothing reduced: each output is its own input element, reduced alone.
    map_unary(p.out_count, x, y, [](T v) {
      Acc s = Acc(0);
      if constexpr (K == Kind::kLogSumExp) {
        const Acc a = static_cast<Acc>(v);
        s = select(std::isfinite(static_cast<double>(a)), a, Acc(0));
      }
      return R::post(R::combine(R::init(), R::pre(v, s)), 1, s);
    });
    return;
  }
  Acc* acc = p.separate_acc ? static_cast<Acc*>(workspace) : reinterpret_cast<Acc*>(y);
  std::fill(acc, acc + p.out_count, R::init());
  Acc* shift = nullptr;
  if constexpr (K == Kind::kLogSumExp) {
    // exp(x - max) cannot overflow; an infinite max (all -inf, or an empty set) shifts by 0 instead.
    using MaxR = Reducer<Kind::kMax, T, Acc>;
    shift = reinterpret_cast<Acc*>(static_cast<char*>(workspace) + p.shift_offset);
    std::fill(shift, shift + p.out_count, MaxR::init());
    if (p.in_count > 0) reduce_pass<MaxR, false>(p, x, shift, static_cast<const Acc*>(nullptr));
    for (int64_t i = 0; i < p.out_count; ++i) {
      shift[i] = std::isfinite(static_cast<double>(shift[i])) ? shift[i] : Acc(0);
    }
    if (p.in_count > 0) reduce_pass<R, true>(p, x, acc, shift);
  } else {
    if (p.in_count > 0) reduce_pass<R, false>(p, x, acc, static_cast<const Acc*>(nullptr));
  }
  if constexpr (R::kNeedsPost) {
    for (int64_t i = 0; i < p.out_count; ++i) y[i] = R::post(acc[i], p.reduced, shift ? shift[i] : Acc(0));
  }
}

template <Kind K>
void dispatch_dtype(const ReduceParams& p, const TensorView& x, TensorView& y, void* workspace) {
  visit_any(x.dtype, [&](auto zero) {
    using T = decltype(zero);
    constexpr bool kMinMax = K == Kind::kMax || K == Kind::kMin;
    constexpr bool kSmall = std::is_same_v<T, bool> || std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>;
    if constexpr (kMinMax || !kSmall) {
      run_reduce<K, T>(p, x.data_as<T>(), y.data_as<T>(), workspace);
    }
  });
}

void dispatch(Kind kind, const ReduceParams& p, const TensorView& x, TensorView& y, void* workspace) {
  switch (kind) {
    case Kind::kSum: return dispatch_dtype<Kind::kSum>(p, x, y, workspace);
    case Kind::kMean: return dispatch_dtype<Kind::kMean>(p, x, y, workspace);
    case Kind::kMax: return dispatch_dtype<Kind::kMax>(p, x, y, workspace);
    case Kind::kMin: return dispatch_dtype<Kind::kMin>(p, x, y, workspace);
    case Kind::kProd: return dispatch_dtype<Kind::kProd>(p, x, y, workspace);
    case Kind::kSumSquare: return dispatch_dtype<Kind::kSumSquare>(p, x, y, workspace);
    case Kind::kL1: return dispatch_dtype<Kind::kL1>(p, x, y, workspace);
    case Kind::kL2: return dispatch_dtype<Kind::kL2>(p, x, y, workspace);
    case Kind::kLogSum: return dispatch_dtype<Kind::kLogSum>(p, x, y, workspace);
    case Kind::kLogSumExp: return dispatch_dtype<Kind::kLogSumExp>(p, x, y, workspace);
  }
}

// Which dims are reduced, from the (unnormalised) axes; empty axes: all, or none with noop.
absl::StatusOr<std::vector<bool>> reduced_dims(const std::vector<int64_t>& axes, int64_t rank, bool noop) {
  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty() && !noop);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) {
      return absl::InvalidArgumentError(
          absl::StrCat("axes [", absl::StrJoin(axes, ","), "] has ", a, ", out of range [", -rank, ", ", rank - 1,
                       "] for an input of rank ", rank));
    }
    const size_t d = static_cast<size_t>(a < 0 ? a + rank : a);
    if (reduced[d]) {
      return absl::InvalidArgumentError(absl::StrCat("axes [", absl::StrJoin(axes, ","), "] repeat axis ", d));
    }
    reduced[d] = true;
  }
  return reduced;
}

class ReduceOp : public Op {
 public:
  ReduceOp(Kind kind, bool axes_input, std::vector<int64_t> axes, bool keepdims, bool noop, int opset)
      : kind_(kind), axes_input_(axes_input), axes_(std::move(axes)), keepdims_(keepdims), noop_(noop),
        opset_(opset) {}

  template <Kind K, int kAxesInputSince>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool axes_input = node.opset >= kAxesInputSince;
    std::vector<int64_t> axes;
    if (!axes_input) axes = a.get_ints("axes", {});
    const bool keepdims = a.get_int("keepdims", 1) != 0;
    const bool noop = axes_input && a.get_int("noop_with_empty_axes", 0) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<ReduceOp>(K, axes_input, std::move(axes), keepdims, noop, node.opset));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, axes_input_ ? 2 : 1));
    if (kind_ == Kind::kMax || kind_ == Kind::kMin) {
      if (opset_ >= 20) {
        SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32,
                                                         DType::kInt64, DType::kInt8, DType::kUInt8, DType::kBool}));
      } else {
        SOFIE_RETURN_IF_ERROR(check_input_dtype(
            ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8, DType::kUInt8}));
      }
    } else {
      SOFIE_RETURN_IF_ERROR(
          check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64}));
    }
    if (ctx.has_input(1)) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    }
    const DType dtype = ctx.input_dtype(0);
    const SymShape& in = ctx.input_shape(0);
    const std::vector<int64_t>* axes = &axes_;
    std::vector<int64_t> axes_value;
    if (ctx.has_input(1)) {
      const Tensor* t = ctx.input_constant(1);
      if (t == nullptr) {
        // Unknown axes: with keepdims the rank stays, without it even the rank is unknown.
        if (keepdims_ && in.rank_known()) {
          ctx.set_output(0, dtype, SymShape(std::vector<Dim>(in.rank(), Dim::unknown())));
        } else {
          ctx.set_output(0, dtype, SymShape::unknown_rank());
        }
        return absl::OkStatus();
      }
      auto values = read_int_values(t->view(), "axes");
      if (!values.ok()) return ctx.error(values.status().message());
      axes_value = *std::move(values);
      axes = &axes_value;
    }
    if (!in.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    auto reduced = reduced_dims(*axes, in.rank(), noop_);
    if (!reduced.ok()) return ctx.error(reduced.status().message());
    std::vector<Dim> out;
    for (int64_t d = 0; d < in.rank(); ++d) {
      if (!(*reduced)[d]) {
        out.push_back(in[d]);
      } else if (keepdims_) {
        out.push_back(Dim::known(1));
      }
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    std::vector<int64_t> axes = axes_;
    if (ctx.has_input(1)) {
      const TensorView* v = ctx.input_value(1);
      if (v == nullptr) {
        return unsupported(ctx.node(), "the 'axes' input must be known when planning (a constant, or computed "
                                       "from shapes)");
      }
      auto values = read_int_values(*v, "axes");
      if (!values.ok()) return ctx.error(values.status().message());
      axes = *std::move(values);
    }
    const Dims& in = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(in.size());
    auto reduced_or = reduced_dims(axes, rank, noop_);
    if (!reduced_or.ok()) return ctx.error(reduced_or.status().message());
    const std::vector<bool>& reduced = *reduced_or;
    if (rank > kMaxLevels) {
      return unsupported(ctx.node(), absl::StrCat("input rank ", rank, " exceeds the supported ", kMaxLevels));
    }

    auto& p = ctx.make_params<ReduceParams>();
    Dims out;
    p.in_count = num_elements(in);
    for (int64_t d = 0; d < rank; ++d) {
      if (!reduced[d]) {
        out.push_back(in[d]);
      } else {
        p.reduced *= in[d];
        if (keepdims_) out.push_back(1);
      }
    }
    p.out_count = num_elements(out);

    // Alternating kept/reduced groups (size-1 dims dropped), with input and output strides.
    struct Group {
      int64_t size;
      bool reduced;
      int64_t in_stride, out_stride;
    };
    absl::InlinedVector<Group, kMaxLevels> groups;
    int64_t in_stride = 1, out_stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      const int64_t size = in[d];
      if (size != 1) {
        if (!groups.empty() && groups.back().reduced == reduced[d]) {
          groups.back().size *= size;
        } else {
          groups.push_back(Group{size, reduced[d], in_stride, reduced[d] ? 0 : out_stride});
        }
      }
      in_stride *= size;
      if (!reduced[d]) out_stride *= size;
    }
    std::reverse(groups.begin(), groups.end());
    const bool any_reduced = std::any_of(groups.begin(), groups.end(), [](const Group& g) { return g.reduced; });
    size_t outer_levels = 0;
    if (!any_reduced) {
      p.path = ReduceParams::Path::kElementwise;
    } else if (groups.back().reduced) {
      p.path = ReduceParams::Path::kRows;
      p.row = groups.back().size;
      outer_levels = groups.size() - 1;
    } else {
      p.path = ReduceParams::Path::kColumns;
      p.k = groups[groups.size() - 2].size;
      p.inner = groups.back().size;
      outer_levels = groups.size() - 2;
    }
    for (size_t g = 0; g < outer_levels; ++g) {
      p.outer.push_back(Level{groups[g].size, groups[g].in_stride, groups[g].out_stride});
    }

    // Workspace: double accumulators for integer L2/LogSum/LogSumExp, then LogSumExp's shifts.
    const DType dtype = ctx.input_dtype(0);
    const bool double_acc =
        is_integer(dtype) && (kind_ == Kind::kL2 || kind_ == Kind::kLogSum || kind_ == Kind::kLogSumExp);
    const size_t acc_size = double_acc ? sizeof(double) : dtype_size(dtype);
    const size_t buffer = (static_cast<size_t>(p.out_count) * acc_size + 63) / 64 * 64;
    size_t workspace = 0;
    if (double_acc) {
      p.separate_acc = true;
      workspace += buffer;
    }
    if (kind_ == Kind::kLogSumExp) {
      p.shift_offset = workspace;
      workspace += buffer;
    }
    if (workspace > 0) ctx.set_workspace(workspace);
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    dispatch(kind_, ctx.params_as<ReduceParams>(), ctx.input(0), ctx.output(0), ctx.workspace);
    return absl::OkStatus();
  }

 private:
  Kind kind_;
  bool axes_input_;
  std::vector<int64_t> axes_;  // attribute versions
  bool keepdims_;
  bool noop_;
  int opset_;
};

// Axes became an input at opset 13 for ReduceSum and at 18 for the others.
SOFIE_REGISTER_OP("", "ReduceSum", 1, 12, (&ReduceOp::create<Kind::kSum, 13>));
SOFIE_REGISTER_OP("", "ReduceSum", 13, kMaxOpset, (&ReduceOp::create<Kind::kSum, 13>));
SOFIE_REGISTER_OP("", "ReduceMean", 1, 17, (&ReduceOp::create<Kind::kMean, 18>));
SOFIE_REGISTER_OP("", "ReduceMean", 18, kMaxOpset, (&ReduceOp::create<Kind::kMean, 18>));
SOFIE_REGISTER_OP("", "ReduceMax", 1, 17, (&ReduceOp::create<Kind::kMax, 18>));
SOFIE_REGISTER_OP("", "ReduceMax", 18, kMaxOpset, (&ReduceOp::create<Kind::kMax, 18>));
SOFIE_REGISTER_OP("", "ReduceMin", 1, 17, (&ReduceOp::create<Kind::kMin, 18>));
SOFIE_REGISTER_OP("", "ReduceMin", 18, kMaxOpset, (&ReduceOp::create<Kind::kMin, 18>));
SOFIE_REGISTER_OP("", "ReduceProd", 1, 17, (&ReduceOp::create<Kind::kProd, 18>));
SOFIE_REGISTER_OP("", "ReduceProd", 18, kMaxOpset, (&ReduceOp::create<Kind::kProd, 18>));
SOFIE_REGISTER_OP("", "ReduceSumSquare", 1, 17, (&ReduceOp::create<Kind::kSumSquare, 18>));
SOFIE_REGISTER_OP("", "ReduceSumSquare", 18, kMaxOpset, (&ReduceOp::create<Kind::kSumSquare, 18>));
SOFIE_REGISTER_OP("", "ReduceL1", 1, 17, (&ReduceOp::create<Kind::kL1, 18>));
SOFIE_REGISTER_OP("", "ReduceL1", 18, kMaxOpset, (&ReduceOp::create<Kind::kL1, 18>));
SOFIE_REGISTER_OP("", "ReduceL2", 1, 17, (&ReduceOp::create<Kind::kL2, 18>));
SOFIE_REGISTER_OP("", "ReduceL2", 18, kMaxOpset, (&ReduceOp::create<Kind::kL2, 18>));
SOFIE_REGISTER_OP("", "ReduceLogSum", 1, 17, (&ReduceOp::create<Kind::kLogSum, 18>));
SOFIE_REGISTER_OP("", "ReduceLogSum", 18, kMaxOpset, (&ReduceOp::create<Kind::kLogSum, 18>));
SOFIE_REGISTER_OP("", "ReduceLogSumExp", 1, 17, (&ReduceOp::create<Kind::kLogSumExp, 18>));
SOFIE_REGISTER_OP("", "ReduceLogSumExp", 18, kMaxOpset, (&ReduceOp::create<Kind::kLogSumExp, 18>));

}  // namespace
}  // namespace sofie::ops
