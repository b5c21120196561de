// Transpose (perm defaults to reversing the dims), any dtype: a strided copy (movement_util.h), which
// takes the two innermost loops of a transpose as 8 x 8 tiles.
#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/movement_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

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
    // Output dim d steps the input by in_strides[perm[d]] (plan_strided_copy merges dims that stay
    // adjacent and drops size-1 ones).
    const Dims in_strides = row_major_strides(in);
    Dims strides;
    for (int64_t axis : perm) strides.push_back(in_strides[axis]);
    auto& params = ctx.make_params<StridedCopy>();
    if (!plan_strided_copy(out, strides, 0, dtype_size(ctx.input_dtype(0)), params)) {
      return ctx.error(absl::StrCat("transposing ", dims_string(in), " needs more than ", kMaxStridedLoops,
                                    " loop levels"));
    }
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    run_strided_copy(ctx.params_as<StridedCopy>(), ctx.input(0).data, ctx.output(0).data);
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
