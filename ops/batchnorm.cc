// BatchNormalization in inference mode: y = (x - mean) / sqrt(var + epsilon) * scale + B per channel
// (dim 1), any rank >= 2. Before opset 9, spatial = 0 normalises per element of dims[1:] instead.
// Training mode (training_mode = 1, or the running/saved statistics outputs) is rejected at load.
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// x viewed as [outer, channels, inner]; statistics have `channels` elements.
struct BatchNormParams : OpParams {
  int64_t outer = 0, channels = 0, inner = 0;
};

double load(const TensorView& v, int64_t i) {
  return v.dtype == DType::kFloat64 ? v.data_as<double>()[i] : static_cast<double>(v.data_as<float>()[i]);
}

class BatchNormOp : public Op {
 public:
  BatchNormOp(float epsilon, bool spatial) : epsilon_(epsilon), spatial_(spatial) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const float epsilon = a.get_float("epsilon", 1e-5f);
    const bool spatial = node.opset >= 9 || a.get_int("spatial", 1) != 0;
    const bool training = node.opset >= 14 && a.get_int("training_mode", 0) != 0;
    SOFIE_RETURN_IF_ERROR(a.status());
    if (training) {
      return unsupported(node, "training_mode = 1 is not supported (sofie runs inference only)");
    }
    for (size_t i = 1; i < node.outputs.size(); ++i) {
      if (node.outputs[i] != kNoValue) {
        return unsupported(node, absl::StrCat("output ", i,
                                             " (running or saved statistics) exists only in training mode, which "
                                             "sofie does not support"));
      }
    }
    return std::unique_ptr<Op>(std::make_unique<BatchNormOp>(epsilon, spatial));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 5, 5));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    for (int i = 1; i < 5; ++i) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kFloat32, DType::kFloat64}));
    const SymShape& x = ctx.input_shape(0);
    if (x.rank_known() && x.rank() < 2) {
      return ctx.error(absl::StrCat("X must have rank >= 2, got ", x.to_string()));
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    if (x.size() < 2) return ctx.error(absl::StrCat("X must have rank >= 2, got ", dims_string(x)));
    auto& p = ctx.make_params<BatchNormParams>();
    const absl::Span<const int64_t> dims(x);
    p.outer = x[0];
    p.channels = spatial_ ? x[1] : num_elements(dims.subspan(1));
    p.inner = spatial_ ? num_elements(dims.subspan(2)) : 1;
    static constexpr const char* kNames[] = {"X", "scale", "B", "mean", "var"};
    for (int i = 1; i < 5; ++i) {
      if (num_elements(ctx.input_shape(i)) != p.channels) {
        return ctx.error(absl::StrCat(kNames[i], " is ", dims_string(ctx.input_shape(i)), " but X ", dims_string(x),
                                      " has ", p.channels, spatial_ ? " channels" : " elements per batch entry"));
      }
    }
    ctx.set_workspace(2 * static_cast<size_t>(p.channels) * dtype_size(ctx.input_dtype(0)));
    ctx.set_output_shape(0, x);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<BatchNormParams>();
    if (p.outer * p.channels * p.inner == 0) return absl::OkStatus();
    if (ctx.input(0).dtype == DType::kFloat32) {
      apply<float>(ctx, p);
    } else {
      apply<double>(ctx, p);
    }
    return absl::OkStatus();
  }

 private:
  // Folds the statistics into y = x * a[c] + b[c] (a and b in the workspace), then one pass over x.
  template <typename T>
  void apply(const RunContext& ctx, const BatchNormParams& p) const {
    T* a = static_cast<T*>(ctx.workspace);
    T* b = a + p.channels;
    for (int64_t c = 0; c < p.channels; ++c) {
      const double inv_std = 1.0 / std::sqrt(load(ctx.input(4), c) + static_cast<double>(epsilon_));
      const double scale = load(ctx.input(1), c) * inv_std;
      a[c] = static_cast<T>(scale);
      b[c] = static_cast<T>(load(ctx.input(2), c) - load(ctx.input(3), c) * scale);
    }
    const T* x = ctx.input(0).data_as<T>();
    T* y = ctx.output(0).data_as<T>();
    if (p.inner == 1) {
      for (int64_t o = 0; o < p.outer; ++o) {
        const T* xo = x + o * p.channels;
        T* yo = y + o * p.channels;
        for (int64_t c = 0; c < p.channels; ++c) yo[c] = xo[c] * a[c] + b[c];
      }
      return;
    }
    for (int64_t o = 0; o < p.outer; ++o) {
      for (int64_t c = 0; c < p.channels; ++c) {
        const int64_t offset = (o * p.channels + c) * p.inner;
        const T ac = a[c], bc = b[c];
        map_unary(p.inner, x + offset, y + offset, [ac, bc](T v) { return v * ac + bc; });
      }
    }
  }

  float epsilon_;
  bool spatial_;
};

SOFIE_REGISTER_OP("", "BatchNormalization", 7, kMaxOpset, &BatchNormOp::create);

}  // namespace
}  // namespace sofie::ops
