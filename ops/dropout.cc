// Dropout in inference mode: the output is the input (an alias, no copy) and the optional mask is all
// true. Before opset 10 the mask has X's dtype (all ones), from 10 it is bool. From opset 12 `ratio` and
// `training_mode` are inputs; training_mode = true drops nothing only when ratio = 0, so that case is
// exact, any other training run needs random numbers and is not supported.
#include <algorithm>
#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// The training_mode and ratio inputs' values, when known while planning (nullopt-like: known = false).
struct TrainingCheck {
  bool known = true;
  bool training = false;
  double ratio = 0.5;
};

double scalar_as_double(const TensorView& v) {
  switch (v.dtype) {
    case DType::kFloat32: return v.data_as<float>()[0];
    case DType::kFloat64: return v.data_as<double>()[0];
    default: return 0.5;
  }
}

class DropoutOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    // Before opset 12 the ratio is an attribute; inference ignores it, but it must be a valid ratio.
    const float ratio = node.opset < 12 ? a.get_float("ratio", 0.5f) : 0.5f;
    SOFIE_RETURN_IF_ERROR(a.status());
    if (!(ratio >= 0.0f && ratio < 1.0f)) {
      return node_error(node, absl::StrCat("ratio ", ratio, " is outside [0, 1)"));
    }
    return std::unique_ptr<Op>(std::make_unique<DropoutOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, ctx.node().opset >= 12 ? 3 : 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    if (ctx.has_input(1)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kFloat32, DType::kFloat64}));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 2, {DType::kBool}));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    if (ctx.has_output(1)) {
      ctx.set_output(1, ctx.node().opset >= 10 ? DType::kBool : ctx.input_dtype(0), ctx.input_shape(0));
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    for (int i = 1; i < 3; ++i) {
      if (ctx.has_input(i) && num_elements(ctx.input_shape(i)) != 1) {
        return ctx.error(absl::StrCat(i == 1 ? "ratio" : "training_mode", " must be a scalar, got shape ",
                                      dims_string(ctx.input_shape(i))));
      }
    }
    const TrainingCheck t = training_at_plan(ctx);
    if (t.known) SOFIE_RETURN_IF_ERROR(check_training(ctx.node(), t.training, t.ratio));
    ctx.set_output_shape(0, ctx.input_shape(0));
    if (ctx.has_output(1)) ctx.set_output_shape(1, ctx.input_shape(0));
    ctx.set_alias(0, 0);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    if (ctx.has_input(2)) {
      const bool training = ctx.input(2).data_as<uint8_t>()[0] != 0;
      const double ratio = ctx.has_input(1) ? scalar_as_double(ctx.input(1)) : 0.5;
      SOFIE_RETURN_IF_ERROR(check_training(*ctx.node, training, ratio));
    }
    if (!ctx.has_output(1)) return absl::OkStatus();
    TensorView& mask = ctx.output(1);
    const int64_t n = mask.numel();
    switch (mask.dtype) {
      case DType::kBool: std::fill(mask.data_as<uint8_t>(), mask.data_as<uint8_t>() + n, uint8_t{1}); break;
      case DType::kFloat32: std::fill(mask.data_as<float>(), mask.data_as<float>() + n, 1.0f); break;
      case DType::kFloat64: std::fill(mask.data_as<double>(), mask.data_as<double>() + n, 1.0); break;
      default: return ctx.error(absl::StrCat("unexpected mask dtype ", dtype_name(mask.dtype)));
    }
    return absl::OkStatus();
  }

 private:
  static TrainingCheck training_at_plan(const ReshapeContext& ctx) {
    TrainingCheck t;
    if (!ctx.has_input(2)) return t;  // inference
    const TensorView* mode = ctx.input_value(2);
    if (mode == nullptr) {
      t.known = false;
      return t;
    }
    t.training = mode->data_as<uint8_t>()[0] != 0;
    if (ctx.has_input(1)) {
      const TensorView* ratio = ctx.input_value(1);
      if (ratio == nullptr) {
        t.known = false;
        return t;
      }
      t.ratio = scalar_as_double(*ratio);
    }
    return t;
  }

  static absl::Status check_training(const Node& node, bool training, double ratio) {
    if (!training || ratio == 0.0) return absl::OkStatus();
    return unsupported(node, absl::StrCat("training_mode = true with ratio ", ratio,
                                          " is not supported (sofie runs inference only)"));
  }
};

SOFIE_REGISTER_OP("", "Dropout", 7, 9, &DropoutOp::create);
SOFIE_REGISTER_OP("", "Dropout", 10, 11, &DropoutOp::create);
SOFIE_REGISTER_OP("", "Dropout", 12, kMaxOpset, &DropoutOp::create);

}  // namespace
}  // namespace sofie::ops
