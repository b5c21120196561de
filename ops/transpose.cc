// Transpose (perm defaults to reversing the dims), any dtype: a strided copy by element size.
#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

constexpr int kMaxTransposeRank = 16;

// The output walked in order as nested loops; in_strides[d] is how far the input moves (in elements) per
// step of output dim d. Output dims that stay adjacent in the input are merged and size-1 dims dropped,
// so the innermost input stride is 1 whenever the last dim does not move.
struct TransposeParams : OpParams {
  int64_t total = 0;
  size_t element_size = 0;
  Dims dims;
  Dims in_strides;
};

template <typename T>
void transpose_copy(const TransposeParams& p, const T* in, T* out) {
  const int rank = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims[rank - 1];
  const int64_t inner_stride = p.in_strides[rank - 1];
  int64_t index[kMaxTransposeRank] = {};
  int64_t in_off = 0;
  for (int64_t done = 0; done < p.total; done += inner) {
    const T* src = in + in_off;
    T* dst = out + done;
    if (inner_stride == 1) {
      std::memcpy(dst, src, static_cast<size_t>(inner) * sizeof(T));
    } else {
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * inner_stride];
    }
    for (int d = rank - 2; d >= 0; --d) {
      in_off += p.in_strides[d];
      if (++index[d] < p.dims[d]) break;
      in_off -= p.in_strides[d] * p.dims[d];
      index[d] = 0;
    }
  }
}

class TransposeOp : public Op {
 public:
  TransposeOp(bool has_perm, std::vector<int64_t> perm) : has_perm_(has_perm), perm_(std::move(perm)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool has_perm = a.has("perm");
    std::vector<int64_t> perm = a.get_ints("perm");
    SOFIE_RETURN_IF_ERROR(a.status());
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (sorted[i] != static_cast<int64_t>(i)) {
        return node_error(node, absl::StrCat("perm [", absl::StrJoin(perm, ","), "] is not a permutation of 0..",
                                             perm.size() - 1));
      }
    }
    return std::unique_ptr<Op>(std::make_unique<TransposeOp>(has_perm, std::move(perm)));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    const SymShape& in = ctx.input_shape(0);
    if (!in.rank_known()) {
      ctx.set_output(0, ctx.input_dtype(0),
                     has_perm_ ? SymShape(std::vector<Dim>(perm_.size(), Dim::unknown())) : SymShape::unknown_rank());
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(std::vector<int64_t> perm, perm_for(ctx, in.rank()));
    std::vector<Dim> out;
    for (int64_t p : perm) out.push_back(in[p]);
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(in.size());
    SOFIE_ASSIGN_OR_RETURN(std::vector<int64_t> perm, perm_for(ctx, rank));
    Dims out;
    for (int64_t p : perm) out.push_back(in[p]);
    auto& params = ctx.make_params<TransposeParams>();
    params.total = num_elements(in);
    params.element_size = dtype_size(ctx.input_dtype(0));
    const Dims in_strides = row_major_strides(in);
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t axis = perm[d];
      if (in[axis] == 1) continue;
      if (!params.dims.empty() && params.in_strides.back() == in_strides[axis] * in[axis]) {
        // Stepping the previous dim once = walking this one fully: one longer run.
        params.dims.back() *= in[axis];
        params.in_strides.back() = in_strides[axis];
      } else {
        params.dims.push_back(in[axis]);
        params.in_strides.push_back(in_strides[axis]);
      }
    }
    if (params.dims.empty()) {
      params.dims.push_back(1);
      params.in_strides.push_back(1);
    }
    if (params.dims.size() > kMaxTransposeRank) {
      return ctx.error(absl::StrCat("transposing ", dims_string(in), " needs more than ", kMaxTransposeRank,
                                    " loop levels"));
    }
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<TransposeParams>();
    if (p.total == 0) return absl::OkStatus();
    const void* in = ctx.input(0).data;
    void* out = ctx.output(0).data;
    switch (p.element_size) {
      case 1: transpose_copy(p, static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out)); break;
      case 2: transpose_copy(p, static_cast<const uint16_t*>(in), static_cast<uint16_t*>(out)); break;
      case 4: transpose_copy(p, static_cast<const uint32_t*>(in), static_cast<uint32_t*>(out)); break;
      case 8: transpose_copy(p, static_cast<const uint64_t*>(in), static_cast<uint64_t*>(out)); break;
      default: return ctx.error(absl::StrCat("unsupported element size ", p.element_size));
    }
    return absl::OkStatus();
  }

 private:
  template <typename Ctx>
  absl::StatusOr<std::vector<int64_t>> perm_for(const Ctx& ctx, int64_t rank) const {
    if (!has_perm_) {
      std::vector<int64_t> perm(rank);
      std::iota(perm.rbegin(), perm.rend(), 0);
      return perm;
    }
    if (static_cast<int64_t>(perm_.size()) != rank) {
      return ctx.error(absl::StrCat("perm [", absl::StrJoin(perm_, ","), "] has ", perm_.size(),
                                    " entries but the input has rank ", rank));
    }
    return perm_;
  }

  bool has_perm_;
  std::vector<int64_t> perm_;
};

SOFIE_REGISTER_OP("", "Transpose", 1, kMaxOpset, &TransposeOp::create);

}  // namespace
}  // namespace sofie::ops
