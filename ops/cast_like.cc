// CastLike (opset 15+): Cast to the dtype of the second input, with Cast's conversion (ops/cast.h).
#include <memory>

#include "ops/cast.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

class CastLikeOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<CastLikeOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    for (int i = 0; i < 2; ++i) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32,
                                                       DType::kInt8, DType::kUInt8, DType::kBool}));
    }
    ctx.set_output(0, ctx.input_dtype(1), ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_shape(0, ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    TensorView& y = ctx.output(0);
    cast_elements(x.dtype, x.data, y.dtype, y.data, x.numel());
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "CastLike", 15, kMaxOpset, &CastLikeOp::create);

}  // namespace
}  // namespace sofie::ops
