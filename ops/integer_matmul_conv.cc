// Integer matrix products and convolutions of quantized tensors (int8/uint8 operands, any mix):
//   MatMulInteger (10)  int32 = (A - a_zero_point) x (B - b_zero_point), numpy matmul broadcasting;
//                       a_zero_point scalar, per row ([M] or [batch..., M, 1]), b_zero_point scalar or per
//                       column ([N] or [batch..., 1, N]);
//   QLinearMatMul (10)  the same product requantized: round_half_even(acc * a_scale * b_scale / y_scale)
//                       + y_zero_point, saturated; scales/zero points per tensor or per row (a) / column (b);
//   ConvInteger (10)    Conv's attributes, int32 output; x_zero_point scalar, w_zero_point scalar or [M];
//   QLinearConv (10)    ConvInteger plus an optional int32 bias, requantized like QLinearMatMul (w_scale
//                       and w_zero_point per tensor or per output channel).
// Operands are widened to int32 with their zero point subtracted (padding then contributes 0, i.e. the
// input is padded with its zero point), so one int32 GEMM loop serves every dtype mix; it runs row-axpy
// style, which GCC vectorises. Requantization follows ONNX Runtime: a float multiplier, clamp, then rint.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/conv_pool_common.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

int32_t q_at(const TensorView& v, int64_t i) {
  return v.dtype == DType::kInt8 ? v.data_as<int8_t>()[i] : v.data_as<uint8_t>()[i];
}

// dst[i] = src[i] - zp for n quantized elements.
void widen(DType t, const void* src, int64_t n, int32_t zp, int32_t* dst) {
  if (t == DType::kInt8) {
    map_unary(n, static_cast<const int8_t*>(src), dst, [zp](int8_t v) { return static_cast<int32_t>(v) - zp; });
  } else {
    map_unary(n, static_cast<const uint8_t*>(src), dst, [zp](uint8_t v) { return static_cast<int32_t>(v) - zp; });
  }
}

// dst[i] = src[i] - zp[i] for n elements (per-column zero points).
void widen_each(DType t, const void* src, int64_t n, const int32_t* zp, int32_t* dst) {
  if (t == DType::kInt8) {
    const int8_t* s = static_cast<const int8_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = s[i] - zp[i];
  } else {
    const uint8_t* s = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = s[i] - zp[i];
  }
}

// C[M,N] (+)= A[M,K] B[K,N], int32, row-major and dense.
void gemm_i32(int64_t M, int64_t N, int64_t K, const int32_t* A, const int32_t* B, bool accumulate, int32_t* C) {
  for (int64_t m = 0; m < M; ++m) {
    int32_t* c = C + m * N;
    if (!accumulate) std::fill(c, c + N, 0);
    for (int64_t k = 0; k < K; ++k) {
      const int32_t a = A[m * K + k];
      if (a != 0) axpy_row(N, a, B + k * N, c);
    }
  }
}

// y = saturate(rint(acc * multiplier) + zp), the clamp done before rounding (bounds are integers).
template <typename Q>
void requantize_row(int64_t n, const int32_t* acc, float multiplier, int32_t zp, Q* y) {
  const float lo = static_cast<float>(std::numeric_limits<Q>::min() - zp);
  const float hi = static_cast<float>(std::numeric_limits<Q>::max() - zp);
  map_unary(n, acc, y, [=](int32_t v) {
    float f = static_cast<float>(v) * multiplier;
    f = select(f > lo, f, lo);
    f = select(f < hi, f, hi);
    return static_cast<Q>(static_cast<int32_t>(std::rint(f)) + zp);
  });
}

void requantize(DType out, int64_t n, const int32_t* acc, float multiplier, int32_t zp, void* y) {
  if (out == DType::kInt8) {
    requantize_row(n, acc, multiplier, zp, static_cast<int8_t*>(y));
  } else {
    requantize_row(n, acc, multiplier, zp, static_cast<uint8_t*>(y));
  }
}

float scalar_f32(const TensorView& v) { return v.data_as<float>()[0]; }

// ---------------------------------------------------------------------------------------------------
// Matrix products. Inputs of MatMulInteger: A, B, a_zp, b_zp. Of QLinearMatMul: A, a_scale, a_zp, B,
// b_scale, b_zp, y_scale, y_zp. `Slots` names the input index of each role.
struct Slots {
  int a, b, a_zp, b_zp, a_scale, b_scale, y_scale, y_zp;  // -1: not an input of this op
};
constexpr Slots kMatMulIntegerSlots{0, 1, 2, 3, -1, -1, -1, -1};
constexpr Slots kQLinearMatMulSlots{0, 3, 2, 5, 1, 4, 6, 7};

// How a per-row (A) or per-column (B) quantity is indexed: value = data[batch * batch_stride + i * step].
struct Vec {
  int64_t batch_stride = 0, step = 0;
};

struct IntMatMulParams : OpParams {
  int64_t M = 0, K = 0, N = 0, batch = 0;
  std::vector<int64_t> a_batch, b_batch;  // per output batch entry: the batch index of A and of B
  Vec a_zp, b_zp, a_scale, b_scale;
};

class IntMatMulOp : public Op {
 public:
  explicit IntMatMulOp(bool qlinear) : qlinear_(qlinear), s_(qlinear ? kQLinearMatMulSlots : kMatMulIntegerSlots) {}

  template <bool kQLinear>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<IntMatMulOp>(kQLinear));
  }

  absl::Status infer(InferContext& ctx) override {
    if (qlinear_) {
      SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 8, 8));
      for (int i : {s_.a_scale, s_.b_scale, s_.y_scale}) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kFloat32}));
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, s_.y_zp, {DType::kUInt8, DType::kInt8}));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 4));
    }
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, s_.a, {DType::kUInt8, DType::kInt8}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, s_.b, {DType::kUInt8, DType::kInt8}));
    if (ctx.has_input(s_.a_zp)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, s_.a, s_.a_zp));
    if (ctx.has_input(s_.b_zp)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, s_.b, s_.b_zp));
    const DType out = qlinear_ ? ctx.input_dtype(s_.y_zp) : DType::kInt32;
    const SymShape& a = ctx.input_shape(s_.a);
    const SymShape& b = ctx.input_shape(s_.b);
    if (!a.rank_known() || !b.rank_known()) {
      ctx.set_output(0, out, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    if (a.rank() == 0 || b.rank() == 0) {
      return ctx.error(absl::StrCat("operands must have rank >= 1, got ", a.to_string(), " and ", b.to_string()));
    }
    std::vector<Dim> a_batch(a.dims().begin(), a.dims().end() - std::min<int64_t>(a.rank(), 2));
    std::vector<Dim> b_batch(b.dims().begin(), b.dims().end() - std::min<int64_t>(b.rank(), 2));
    auto batch = broadcast_symbolic(SymShape(a_batch), SymShape(b_batch));
    if (!batch.ok()) {
      return ctx.error(absl::StrCat("batch dimensions of A ", a.to_string(), " and B ", b.to_string(),
                                    " do not broadcast"));
    }
    std::vector<Dim> dims = batch->dims();
    if (a.rank() >= 2) dims.push_back(a[a.rank() - 2]);
    if (b.rank() >= 2) dims.push_back(b[b.rank() - 1]);
    ctx.set_output(0, out, SymShape(std::move(dims)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& a = ctx.input_shape(s_.a);
    const Dims& b = ctx.input_shape(s_.b);
    if (a.empty() || b.empty()) {
      return ctx.error(absl::StrCat("operands must have rank >= 1, got ", dims_string(a), " and ", dims_string(b)));
    }
    auto& p = ctx.make_params<IntMatMulParams>();
    p.M = a.size() >= 2 ? a[a.size() - 2] : 1;
    p.K = a.back();
    const int64_t kb = b.size() >= 2 ? b[b.size() - 2] : b[0];
    p.N = b.size() >= 2 ? b.back() : 1;
    if (p.K != kb) {
      return ctx.error(absl::StrCat("A is ", dims_string(a), " but B is ", dims_string(b), ": inner dimensions ",
                                    p.K, " and ", kb, " differ"));
    }
    const absl::Span<const int64_t> a_bdims(a.data(), a.size() - std::min<size_t>(a.size(), 2));
    const absl::Span<const int64_t> b_bdims(b.data(), b.size() - std::min<size_t>(b.size(), 2));
    auto batch = broadcast_dims(a_bdims, b_bdims);
    if (!batch.ok()) {
      return ctx.error(absl::StrCat("batch dimensions of A ", dims_string(a), " and B ", dims_string(b),
                                    " do not broadcast"));
    }
    Dims out = *batch;
    if (a.size() >= 2) out.push_back(p.M);
    if (b.size() >= 2) out.push_back(p.N);
    ctx.set_output_shape(0, out);
    p.batch = num_elements(*batch);
    const size_t rank = batch->size();
    Dims a_pad(rank, 1), b_pad(rank, 1);
    std::copy(a_bdims.begin(), a_bdims.end(), a_pad.end() - a_bdims.size());
    std::copy(b_bdims.begin(), b_bdims.end(), b_pad.end() - b_bdims.size());
    const Dims a_stride = row_major_strides(a_pad), b_stride = row_major_strides(b_pad);
    Dims index(rank, 0);
    for (int64_t i = 0; i < p.batch; ++i) {
      int64_t ai = 0, bi = 0;
      for (size_t d = 0; d < rank; ++d) {
        if (a_pad[d] != 1) ai += index[d] * a_stride[d];
        if (b_pad[d] != 1) bi += index[d] * b_stride[d];
      }
      p.a_batch.push_back(ai);
      p.b_batch.push_back(bi);
      for (size_t d = rank; d-- > 0;) {
        if (++index[d] < (*batch)[d]) break;
        index[d] = 0;
      }
    }
    SOFIE_ASSIGN_OR_RETURN(p.a_zp, vec_of(ctx, s_.a_zp, a_bdims, p.M, true));
    SOFIE_ASSIGN_OR_RETURN(p.b_zp, vec_of(ctx, s_.b_zp, b_bdims, p.N, false));
    if (qlinear_) {
      SOFIE_ASSIGN_OR_RETURN(p.a_scale, vec_of(ctx, s_.a_scale, a_bdims, p.M, true));
      SOFIE_ASSIGN_OR_RETURN(p.b_scale, vec_of(ctx, s_.b_scale, b_bdims, p.N, false));
      for (int i : {s_.y_scale, s_.y_zp}) {
        if (num_elements(ctx.input_shape(i)) != 1) {
          return ctx.error(absl::StrCat("input ", i, " is ", dims_string(ctx.input_shape(i)), "; expected a scalar"));
        }
      }
    }
    // Workspace: A's and B's widened slices, B's column zero points, the int32 accumulator (QLinear).
    size_t words = static_cast<size_t>(p.M * p.K + p.K * p.N + p.N);
    if (qlinear_) words += static_cast<size_t>(p.M * p.N);
    ctx.set_workspace(words * sizeof(int32_t));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<IntMatMulParams>();
    const TensorView& a = ctx.input(s_.a);
    const TensorView& b = ctx.input(s_.b);
    const TensorView* a_zp = ctx.has_input(s_.a_zp) ? &ctx.input(s_.a_zp) : nullptr;
    const TensorView* b_zp = ctx.has_input(s_.b_zp) ? &ctx.input(s_.b_zp) : nullptr;
    int32_t* wa = static_cast<int32_t*>(ctx.workspace);
    int32_t* wb = wa + p.M * p.K;
    int32_t* bzp = wb + p.K * p.N;
    int32_t* acc = bzp + p.N;
    const size_t a_es = dtype_size(a.dtype), b_es = dtype_size(b.dtype);
    TensorView& y = ctx.output(0);
    const DType out = y.dtype;
    const size_t y_es = dtype_size(out);
    for (int64_t i = 0; i < p.batch; ++i) {
      const int64_t ab = p.a_batch[i], bb = p.b_batch[i];
      const char* asrc = static_cast<const char*>(a.data) + ab * p.M * p.K * a_es;
      for (int64_t m = 0; m < p.M; ++m) {
        const int32_t z = a_zp ? q_at(*a_zp, ab * p.a_zp.batch_stride + m * p.a_zp.step) : 0;
        widen(a.dtype, asrc + m * p.K * a_es, p.K, z, wa + m * p.K);
      }
      for (int64_t n = 0; n < p.N; ++n) bzp[n] = b_zp ? q_at(*b_zp, bb * p.b_zp.batch_stride + n * p.b_zp.step) : 0;
      const char* bsrc = static_cast<const char*>(b.data) + bb * p.K * p.N * b_es;
      for (int64_t k = 0; k < p.K; ++k) widen_each(b.dtype, bsrc + k * p.N * b_es, p.N, bzp, wb + k * p.N);
      if (!qlinear_) {
        gemm_i32(p.M, p.N, p.K, wa, wb, false, y.data_as<int32_t>() + i * p.M * p.N);
        continue;
      }
      gemm_i32(p.M, p.N, p.K, wa, wb, false, acc);
      const float* as = ctx.input(s_.a_scale).data_as<float>();
      const float* bs = ctx.input(s_.b_scale).data_as<float>();
      const float ys = scalar_f32(ctx.input(s_.y_scale));
      const int32_t yz = q_at(ctx.input(s_.y_zp), 0);
      char* ydst = static_cast<char*>(y.data) + i * p.M * p.N * y_es;
      for (int64_t m = 0; m < p.M; ++m) {
        const float sa = as[ab * p.a_scale.batch_stride + m * p.a_scale.step];
        if (p.b_scale.step == 0) {
          requantize(out, p.N, acc + m * p.N, sa * bs[bb * p.b_scale.batch_stride] / ys, yz,
                     ydst + m * p.N * y_es);
          continue;
        }
        for (int64_t n = 0; n < p.N; ++n) {
          const float mult = sa * bs[bb * p.b_scale.batch_stride + n] / ys;
          requantize(out, 1, acc + m * p.N + n, mult, yz, ydst + (m * p.N + n) * y_es);
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  // The layout of a zero point or scale of A (per row: `rows` = M) or B (per column: N): a scalar, a
  // vector [len], or one vector per batch entry ([batch..., len, 1] for A, [batch..., 1, len] for B).
  static absl::StatusOr<Vec> vec_of(const ReshapeContext& ctx, int input, absl::Span<const int64_t> batch,
                                    int64_t len, bool rows) {
    Vec v;
    if (input < 0 || !ctx.has_input(input)) return v;
    const Dims& s = ctx.input_shape(input);
    if (num_elements(s) == 1 && (s.size() <= 1 || len == 1)) return v;
    if (s.size() == 1 && s[0] == len) {
      v.step = 1;
      return v;
    }
    Dims want(batch.begin(), batch.end());
    want.push_back(rows ? len : 1);
    want.push_back(rows ? 1 : len);
    if (s == want) {
      v.step = 1;
      v.batch_stride = len;
      return v;
    }
    return ctx.error(absl::StrCat("input ", input, " is ", dims_string(s), "; expected a scalar, [", len, "] or ",
                                  dims_string(want), rows ? " (per row of A)" : " (per column of B)"));
  }

  bool qlinear_;
  Slots s_;
};

SOFIE_REGISTER_OP("", "MatMulInteger", 10, kMaxOpset, &IntMatMulOp::create<false>);
SOFIE_REGISTER_OP("", "QLinearMatMul", 10, kMaxOpset, &IntMatMulOp::create<true>);

// ---------------------------------------------------------------------------------------------------
// Convolutions. ConvInteger inputs: x, w, x_zp, w_zp. QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp,
// y_scale, y_zp, B.
struct ConvSlots {
  int x, w, x_zp, w_zp, x_scale, w_scale, y_scale, y_zp, bias;
};
constexpr ConvSlots kConvIntegerSlots{0, 1, 2, 3, -1, -1, -1, -1, -1};
constexpr ConvSlots kQLinearConvSlots{0, 3, 2, 5, 1, 4, 6, 7, 8};

struct IntConvParams : OpParams {
  int64_t N = 0, C = 0, M = 0, G = 1, Cg = 0, Mg = 0;
  int64_t kdim = 0, in_size = 0, out_size = 0;
  Window3 win;
  bool per_channel_w = false;  // w_zero_point / w_scale per output channel
};

// Patches of one group of one image (channels x in_size int8/uint8) as rows (c, kd, kh, kw) of out_size
// int32 values minus `zp`; 0 where the window reads padding.
void im2col_q(DType t, const void* x, int64_t channels, const Window3& w, int32_t zp, int32_t* col) {
  const WindowAxis& a0 = w.ax[0];
  const WindowAxis& a1 = w.ax[1];
  const WindowAxis& a2 = w.ax[2];
  const int64_t ow = a2.out;
  const size_t es = dtype_size(t);
  int32_t* row = col;
  for (int64_t c = 0; c < channels; ++c) {
    const char* xc = static_cast<const char*>(x) + c * w.in_size() * es;
    for (int64_t kd = 0; kd < a0.k; ++kd) {
      for (int64_t kh = 0; kh < a1.k; ++kh) {
        for (int64_t kw = 0; kw < a2.k; ++kw) {
          const int64_t off = kw * a2.d - a2.pb;
          int64_t lo, hi;
          valid_range(ow, a2.s, off, a2.in, &lo, &hi);
          for (int64_t od = 0; od < a0.out; ++od) {
            const int64_t id = od * a0.s - a0.pb + kd * a0.d;
            for (int64_t oh = 0; oh < a1.out; ++oh) {
              int32_t* dst = row + (od * a1.out + oh) * ow;
              const int64_t ih = oh * a1.s - a1.pb + kh * a1.d;
              if (id < 0 || id >= a0.in || ih < 0 || ih >= a1.in) {
                std::fill(dst, dst + ow, 0);
                continue;
              }
              const char* src = xc + (id * a1.in + ih) * a2.in * es;
              std::fill(dst, dst + lo, 0);
              if (a2.s == 1) {
                if (hi > lo) widen(t, src + (lo + off) * es, hi - lo, zp, dst + lo);
              } else {
                for (int64_t o = lo; o < hi; ++o) {
                  const char* e = src + (o * a2.s + off) * es;
                  dst[o] = (t == DType::kInt8 ? *reinterpret_cast<const int8_t*>(e) : *reinterpret_cast<const uint8_t*>(e)) - zp;
                }
              }
              std::fill(dst + hi, dst + ow, 0);
            }
          }
          row += w.out_size();
        }
      }
    }
  }
}

class IntConvOp : public Op {
 public:
  template <bool kQLinear>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<IntConvOp>();
    op->qlinear_ = kQLinear;
    op->s_ = kQLinear ? kQLinearConvSlots : kConvIntegerSlots;
    absl::Status status;
    op->win_ = WindowAttrs::read(a, node, /*has_dilations=*/true, &status);
    op->group_ = a.get_int("group", 1);
    SOFIE_RETURN_IF_ERROR(a.status());
    SOFIE_RETURN_IF_ERROR(status);
    if (op->group_ < 1) return node_error(node, absl::StrCat("group is ", op->group_, "; expected >= 1"));
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    if (qlinear_) {
      SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 8, 9));
      for (int i : {s_.x_scale, s_.w_scale, s_.y_scale}) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kFloat32}));
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, s_.y_zp, {DType::kUInt8, DType::kInt8}));
      if (ctx.has_input(s_.bias)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, s_.bias, {DType::kInt32}));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 4));
    }
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, s_.x, {DType::kUInt8, DType::kInt8}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, s_.w, {DType::kUInt8, DType::kInt8}));
    if (ctx.has_input(s_.x_zp)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, s_.x, s_.x_zp));
    if (ctx.has_input(s_.w_zp)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, s_.w, s_.w_zp));
    const DType dtype = qlinear_ ? ctx.input_dtype(s_.y_zp) : DType::kInt32;
    const SymShape& x = ctx.input_shape(s_.x);
    const SymShape& w = ctx.input_shape(s_.w);
    if (!x.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    if (x.rank() < 3) return ctx.error(absl::StrCat("X must have rank >= 3 ([N, C, spatial...]), got ", x.to_string()));
    const int64_t spatial = x.rank() - 2;
    SOFIE_RETURN_IF_ERROR(win_.check(ctx.node(), spatial));
    if (w.rank_known() && w.rank() != x.rank()) {
      return ctx.error(absl::StrCat("W ", w.to_string(), " must have the rank of X ", x.to_string()));
    }
    std::vector<Dim> out = {x[0], w.rank_known() ? w[0] : Dim::unknown()};
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t k = -1;
      if (!win_.kernel_shape.empty()) {
        k = win_.kernel_shape[i];
      } else if (w.rank_known() && w[2 + i].is_known()) {
        k = w[2 + i].value;
      }
      if (k < 0 || !x[2 + i].is_known()) {
        out.push_back(Dim::unknown());
        continue;
      }
      auto axis = forward_axis(win_.auto_pad, x[2 + i].value, k, win_.stride(i), win_.dilation(i), win_.pad_begin(i),
                               win_.pad_end(i, spatial), false);
      if (!axis.ok()) return ctx.error(absl::StrCat("spatial axis ", i, ": ", axis.status().message()));
      out.push_back(Dim::known(axis->out));
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(s_.x);
    const Dims& w = ctx.input_shape(s_.w);
    if (x.size() < 3 || w.size() != x.size()) {
      return ctx.error(absl::StrCat("X ", dims_string(x), " and W ", dims_string(w), " must have the same rank >= 3"));
    }
    const int64_t spatial = static_cast<int64_t>(x.size()) - 2;
    SOFIE_RETURN_IF_ERROR(win_.check(ctx.node(), spatial));
    auto& p = ctx.make_params<IntConvParams>();
    p.N = x[0];
    p.C = x[1];
    p.M = w[0];
    p.G = group_;
    p.Cg = w[1];
    if (p.C != p.Cg * p.G || p.M % p.G != 0) {
      return ctx.error(absl::StrCat("X ", dims_string(x), " and W ", dims_string(w), " do not match group ", p.G,
                                    ": expected C = W[1] * group and W[0] a multiple of group"));
    }
    p.Mg = p.M / p.G;
    std::vector<WindowAxis> axes;
    Dims out = {p.N, p.M};
    for (int64_t i = 0; i < spatial; ++i) {
      const int64_t k = w[2 + i];
      if (!win_.kernel_shape.empty() && win_.kernel_shape[i] != k) {
        return ctx.error(absl::StrCat("kernel_shape [", absl::StrJoin(win_.kernel_shape, ","), "] does not match W ",
                                      dims_string(w)));
      }
      auto axis = forward_axis(win_.auto_pad, x[2 + i], k, win_.stride(i), win_.dilation(i), win_.pad_begin(i),
                               win_.pad_end(i, spatial), false);
      if (!axis.ok()) return ctx.error(absl::StrCat("spatial axis ", i, ": ", axis.status().message()));
      axes.push_back(*axis);
      out.push_back(axis->out);
    }
    p.win = to_window3(axes);
    p.in_size = p.win.in_size();
    p.out_size = p.win.out_size();
    p.kdim = p.Cg * p.win.kernel_size();
    // Per-tensor or per-output-channel quantities.
    auto check_len = [&](int input, bool allow_channels, bool* per_channel) -> absl::Status {
      if (input < 0 || !ctx.has_input(input)) return absl::OkStatus();
      const Dims& s = ctx.input_shape(input);
      if (num_elements(s) == 1 && s.size() <= 1) return absl::OkStatus();
      if (allow_channels && s.size() == 1 && s[0] == p.M) {
        *per_channel = true;
        return absl::OkStatus();
      }
      return ctx.error(absl::StrCat("input ", input, " is ", dims_string(s), "; expected a scalar",
                                    allow_channels ? absl::StrCat(" or [", p.M, "] (per output channel)") : ""));
    };
    bool unused = false, w_zp_pc = false, w_scale_pc = false;
    SOFIE_RETURN_IF_ERROR(check_len(s_.x_zp, false, &unused));
    SOFIE_RETURN_IF_ERROR(check_len(s_.w_zp, true, &w_zp_pc));
    SOFIE_RETURN_IF_ERROR(check_len(s_.x_scale, false, &unused));
    SOFIE_RETURN_IF_ERROR(check_len(s_.w_scale, true, &w_scale_pc));
    SOFIE_RETURN_IF_ERROR(check_len(s_.y_scale, false, &unused));
    SOFIE_RETURN_IF_ERROR(check_len(s_.y_zp, false, &unused));
    p.per_channel_w = w_zp_pc || w_scale_pc;
    if (s_.bias >= 0 && ctx.has_input(s_.bias)) {
      const Dims& b = ctx.input_shape(s_.bias);
      if (b.size() != 1 || b[0] != p.M) {
        return ctx.error(absl::StrCat("B is ", dims_string(b), "; expected [", p.M, "] (one per output channel)"));
      }
    }
    // Workspace: widened weights [M, kdim], the columns [kdim, out_size], the accumulator (QLinear).
    size_t words = static_cast<size_t>(p.M * p.kdim + p.kdim * p.out_size);
    if (qlinear_) words += static_cast<size_t>(p.Mg * p.out_size);
    ctx.set_workspace(words * sizeof(int32_t));
    ctx.set_output_shape(0, out);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<IntConvParams>();
    if (p.N == 0 || p.M == 0 || p.out_size == 0) return absl::OkStatus();
    const TensorView& x = ctx.input(s_.x);
    const TensorView& w = ctx.input(s_.w);
    int32_t* wi = static_cast<int32_t*>(ctx.workspace);
    int32_t* col = wi + p.M * p.kdim;
    int32_t* acc = col + p.kdim * p.out_size;
    const bool has_wzp = ctx.has_input(s_.w_zp);
    const int64_t wzp_step = has_wzp && ctx.input(s_.w_zp).numel() > 1 ? 1 : 0;
    for (int64_t m = 0; m < p.M; ++m) {
      const int32_t z = has_wzp ? q_at(ctx.input(s_.w_zp), m * wzp_step) : 0;
      widen(w.dtype, static_cast<const char*>(w.data) + m * p.kdim * dtype_size(w.dtype), p.kdim, z, wi + m * p.kdim);
    }
    const int32_t xz = ctx.has_input(s_.x_zp) ? q_at(ctx.input(s_.x_zp), 0) : 0;
    TensorView& y = ctx.output(0);
    const size_t x_es = dtype_size(x.dtype), y_es = dtype_size(y.dtype);
    const int32_t* bias = s_.bias >= 0 && ctx.has_input(s_.bias) ? ctx.input(s_.bias).data_as<int32_t>() : nullptr;
    for (int64_t n = 0; n < p.N; ++n) {
      for (int64_t g = 0; g < p.G; ++g) {
        const char* xg = static_cast<const char*>(x.data) + (n * p.C + g * p.Cg) * p.in_size * x_es;
        const int64_t m0 = g * p.Mg;
        int32_t* dst = qlinear_ ? acc : y.data_as<int32_t>() + (n * p.M + m0) * p.out_size;
        if (p.kdim == 0) {
          std::fill(dst, dst + p.Mg * p.out_size, 0);
        } else {
          im2col_q(x.dtype, xg, p.Cg, p.win, xz, col);
          gemm_i32(p.Mg, p.out_size, p.kdim, wi + m0 * p.kdim, col, false, dst);
        }
        if (!qlinear_) continue;
        const float xs = scalar_f32(ctx.input(s_.x_scale));
        const float* ws = ctx.input(s_.w_scale).data_as<float>();
        const int64_t ws_step = ctx.input(s_.w_scale).numel() > 1 ? 1 : 0;
        const float ys = scalar_f32(ctx.input(s_.y_scale));
        const int32_t yz = q_at(ctx.input(s_.y_zp), 0);
        for (int64_t m = 0; m < p.Mg; ++m) {
          int32_t* row = acc + m * p.out_size;
          if (bias) {
            const int32_t b = bias[m0 + m];
            map_unary(p.out_size, row, row, [b](int32_t v) { return v + b; });
          }
          requantize(y.dtype, p.out_size, row, xs * ws[(m0 + m) * ws_step] / ys, yz,
                     static_cast<char*>(y.data) + ((n * p.M + m0 + m) * p.out_size) * y_es);
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  bool qlinear_ = false;
  ConvSlots s_ = kConvIntegerSlots;
  WindowAttrs win_;
  int64_t group_ = 1;
};

SOFIE_REGISTER_OP("", "ConvInteger", 10, kMaxOpset, &IntConvOp::create<false>);
SOFIE_REGISTER_OP("", "QLinearConv", 10, kMaxOpset, &IntConvOp::create<true>);

}  // namespace
}  // namespace sofie::ops
