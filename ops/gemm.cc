// Gemm and MatMul (float32), both on the kernel ABI: BLIS for real matrices, the GEMV for single rows.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/kernels/sofie_kernels.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// ---------------------------------------------------------------------------------------------------
// Gemm: Y[M,N] = alpha * op(A) op(B) + beta * C, C unidirectionally broadcast to [M,N].

struct GemmParams : OpParams {
  int64_t M = 0, N = 0, K = 0;
  int64_t lda = 0, ldb = 0;
  bool use_c = false;
  // Element (m, n) of the broadcast C is C[m * c_row_stride + n * c_col_stride].
  int64_t c_row_stride = 0, c_col_stride = 0;
};

class GemmOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<GemmOp>();
    op->trans_a_ = a.get_int("transA", 0) != 0;
    op->trans_b_ = a.get_int("transB", 0) != 0;
    op->alpha_ = a.get_float("alpha", 1.0f);
    op->beta_ = a.get_float("beta", 1.0f);
    SOFIE_RETURN_IF_ERROR(a.status());
    op->c_required_ = node.opset < 11;
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, c_required_ ? 3 : 2, 3));
    for (int i = 0; i < 3; ++i) {
      if (ctx.has_input(i)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kFloat32}));
    }
    const SymShape& a = ctx.input_shape(0);
    const SymShape& b = ctx.input_shape(1);
    if (a.rank_known() && a.rank() != 2) {
      return ctx.error(absl::StrCat("A must be 2-D, got ", a.to_string()));
    }
    if (b.rank_known() && b.rank() != 2) {
      return ctx.error(absl::StrCat("B must be 2-D, got ", b.to_string()));
    }
    Dim m = a.rank_known() ? a[trans_a_ ? 1 : 0] : Dim::unknown();
    Dim n = b.rank_known() ? b[trans_b_ ? 0 : 1] : Dim::unknown();
    if (a.rank_known() && b.rank_known()) {
      const Dim& ka = a[trans_a_ ? 0 : 1];
      const Dim& kb = b[trans_b_ ? 1 : 0];
      if (ka.is_known() && kb.is_known() && ka.value != kb.value) {
        return ctx.error(absl::StrCat("A is ", a.to_string(), " but B is ", b.to_string(), ": inner dimensions ",
                                      ka.value, " and ", kb.value, " differ"));
      }
    }
    if (ctx.has_input(2)) {
      const SymShape& c = ctx.input_shape(2);
      if (c.rank_known() && c.rank() > 2) {
        return ctx.error(absl::StrCat("C must have rank <= 2, got ", c.to_string()));
      }
    }
    ctx.set_output(0, DType::kFloat32, SymShape({m, n}));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& a = ctx.input_shape(0);
    const Dims& b = ctx.input_shape(1);
    if (a.size() != 2 || b.size() != 2) {
      return ctx.error(absl::StrCat("A and B must be 2-D, got ", dims_string(a), " and ", dims_string(b)));
    }
    auto& p = ctx.make_params<GemmParams>();
    p.M = a[trans_a_ ? 1 : 0];
    p.K = a[trans_a_ ? 0 : 1];
    p.N = b[trans_b_ ? 0 : 1];
    const int64_t kb = b[trans_b_ ? 1 : 0];
    if (p.K != kb) {
      return ctx.error(absl::StrCat("A is ", dims_string(a), (trans_a_ ? " (transposed)" : ""), " but B is ",
                                    dims_string(b), (trans_b_ ? " (transposed)" : ""), ": inner dimensions ", p.K,
                                    " and ", kb, " differ"));
    }
    p.lda = a[1];
    p.ldb = b[1];
    if (ctx.has_input(2) && beta_ != 0.0f) {
      const Dims& c = ctx.input_shape(2);
      // Align C's dims to the right of [M, N]; a dim must be 1 (broadcast) or match.
      const int64_t rows = c.size() == 2 ? c[0] : 1;
      const int64_t cols = c.empty() ? 1 : c.back();
      if (c.size() > 2 || (rows != 1 && rows != p.M) || (cols != 1 && cols != p.N)) {
        return ctx.error(absl::StrCat("C is ", dims_string(c), ", which does not broadcast to the output [", p.M,
                                      ",", p.N, "]"));
      }
      p.use_c = true;
      p.c_col_stride = cols == 1 ? 0 : 1;
      p.c_row_stride = rows == 1 ? 0 : cols;
    }
    ctx.set_output_shape(0, Dims{p.M, p.N});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<GemmParams>();
    if (p.M == 0 || p.N == 0) return absl::OkStatus();
    float* y = ctx.output(0).data_as<float>();
    float beta = 0.0f;
    if (p.use_c) {
      // Y = C (broadcast), then GEMM accumulates into it with beta: no temporary.
      const float* c = ctx.input(2).data_as<float>();
      for (int64_t m = 0; m < p.M; ++m) {
        float* row = y + m * p.N;
        const float* c_row = c + m * p.c_row_stride;
        if (p.c_col_stride == 1) {
          std::memcpy(row, c_row, static_cast<size_t>(p.N) * sizeof(float));
        } else {
          std::fill(row, row + p.N, c_row[0]);
        }
      }
      beta = beta_;
    }
    sofie_gemm_f32(trans_a_, trans_b_, p.M, p.N, p.K, alpha_, ctx.input(0).data_as<float>(), p.lda,
                   ctx.input(1).data_as<float>(), p.ldb, beta, y, p.N);
    return absl::OkStatus();
  }

 private:
  bool trans_a_ = false;
  bool trans_b_ = false;
  float alpha_ = 1.0f;
  float beta_ = 1.0f;
  bool c_required_ = false;
};

SOFIE_REGISTER_OP("", "Gemm", 7, kMaxOpset, &GemmOp::create);

// ---------------------------------------------------------------------------------------------------
// MatMul: numpy matmul semantics. 1-D A is a row vector [1,K] whose M dim is dropped from the result,
// 1-D B a column [K,1] whose N dim is dropped; leading (batch) dims broadcast.

struct MatMulParams : OpParams {
  int64_t M = 0, N = 0, K = 0;
  int64_t ldb = 0;
  // One GEMM per batch entry, A and B at these element offsets. A batch-free B with a dense batched A
  // collapses into a single GEMM of batch * M rows (no offsets).
  std::vector<int64_t> a_offsets, b_offsets;
  bool batched = false;  // per-entry GEMMs at the offsets above (else one GEMM)
};

class MatMulOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<MatMulOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kFloat32}));
    const SymShape& a = ctx.input_shape(0);
    const SymShape& b = ctx.input_shape(1);
    if (!a.rank_known() || !b.rank_known()) {
      ctx.set_output(0, DType::kFloat32, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    if (a.rank() == 0 || b.rank() == 0) {
      return ctx.error(absl::StrCat("operands must have rank >= 1, got ", a.to_string(), " and ", b.to_string()));
    }
    const Dim& ka = a[a.rank() - 1];
    const Dim& kb = b.rank() == 1 ? b[0] : b[b.rank() - 2];
    if (ka.is_known() && kb.is_known() && ka.value != kb.value) {
      return ctx.error(absl::StrCat("A is ", a.to_string(), " but B is ", b.to_string(), ": inner dimensions ",
                                    ka.value, " and ", kb.value, " differ"));
    }
    std::vector<Dim> a_batch(a.dims().begin(), a.dims().end() - std::min<int64_t>(a.rank(), 2));
    std::vector<Dim> b_batch(b.dims().begin(), b.dims().end() - std::min<int64_t>(b.rank(), 2));
    auto batch = broadcast_symbolic(SymShape(a_batch), SymShape(b_batch));
    if (!batch.ok()) {
      return ctx.error(absl::StrCat("batch dimensions of A ", a.to_string(), " and B ", b.to_string(),
                                    " do not broadcast"));
    }
    std::vector<Dim> out = batch->dims();
    if (a.rank() >= 2) out.push_back(a[a.rank() - 2]);
    if (b.rank() >= 2) out.push_back(b[b.rank() - 1]);
    ctx.set_output(0, DType::kFloat32, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& a = ctx.input_shape(0);
    const Dims& b = ctx.input_shape(1);
    if (a.empty() || b.empty()) {
      return ctx.error(absl::StrCat("operands must have rank >= 1, got ", dims_string(a), " and ", dims_string(b)));
    }
    auto& p = ctx.make_params<MatMulParams>();
    p.M = a.size() >= 2 ? a[a.size() - 2] : 1;
    p.K = a.back();
    const int64_t kb = b.size() >= 2 ? b[b.size() - 2] : b[0];
    p.N = b.size() >= 2 ? b.back() : 1;
    p.ldb = p.N;
    if (p.K != kb) {
      return ctx.error(absl::StrCat("A is ", dims_string(a), " but B is ", dims_string(b), ": inner dimensions ",
                                    p.K, " and ", kb, " differ"));
    }
    const absl::Span<const int64_t> a_batch(a.data(), a.size() - std::min<size_t>(a.size(), 2));
    const absl::Span<const int64_t> b_batch(b.data(), b.size() - std::min<size_t>(b.size(), 2));
    auto batch = broadcast_dims(a_batch, b_batch);
    if (!batch.ok()) {
      return ctx.error(absl::StrCat("batch dimensions of A ", dims_string(a), " and B ", dims_string(b),
                                    " do not broadcast"));
    }
    Dims out = *batch;
    if (a.size() >= 2) out.push_back(p.M);
    if (b.size() >= 2) out.push_back(p.N);
    ctx.set_output_shape(0, out);

    const int64_t batch_count = num_elements(*batch);
    if (num_elements(b_batch) == 1) {
      // B has no batch: the output batch is A's, so [batch..., M, K] x [K, N] is one [batch*M, K] x [K, N].
      p.M *= batch_count;
      return absl::OkStatus();
    }
    // Offsets per batch entry (none for an empty batch): walk the output batch index, broadcasting dims
    // of size 1.
    p.batched = true;
    const size_t rank = batch->size();
    Dims a_pad(rank, 1), b_pad(rank, 1);
    std::copy(a_batch.begin(), a_batch.end(), a_pad.end() - a_batch.size());
    std::copy(b_batch.begin(), b_batch.end(), b_pad.end() - b_batch.size());
    Dims a_stride = row_major_strides(a_pad), b_stride = row_major_strides(b_pad);
    p.a_offsets.resize(batch_count);
    p.b_offsets.resize(batch_count);
    Dims index(rank, 0);
    for (int64_t i = 0; i < batch_count; ++i) {
      int64_t ao = 0, bo = 0;
      for (size_t d = 0; d < rank; ++d) {
        if (a_pad[d] != 1) ao += index[d] * a_stride[d];
        if (b_pad[d] != 1) bo += index[d] * b_stride[d];
      }
      p.a_offsets[i] = ao * p.M * p.K;
      p.b_offsets[i] = bo * p.K * p.N;
      for (size_t d = rank; d-- > 0;) {
        if (++index[d] < (*batch)[d]) break;
        index[d] = 0;
      }
    }
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<MatMulParams>();
    const float* a = ctx.input(0).data_as<float>();
    const float* b = ctx.input(1).data_as<float>();
    float* y = ctx.output(0).data_as<float>();
    if (!p.batched) {
      sofie_gemm_f32(0, 0, p.M, p.N, p.K, 1.0f, a, p.K, b, p.ldb, 0.0f, y, p.N);
      return absl::OkStatus();
    }
    const int64_t out_step = p.M * p.N;
    for (size_t i = 0; i < p.a_offsets.size(); ++i) {
      sofie_gemm_f32(0, 0, p.M, p.N, p.K, 1.0f, a + p.a_offsets[i], p.K, b + p.b_offsets[i], p.ldb, 0.0f,
                     y + static_cast<int64_t>(i) * out_step, p.N);
    }
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "MatMul", 1, kMaxOpset, &MatMulOp::create);

}  // namespace
}  // namespace sofie::ops
