// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12+; 13 only adds bfloat16), float32 and
// float64. Both see the scores as [N, C, D] (D = product of d1..dk, 1 for [N, C]) and the targets as [N, D].
// A target equal to ignore_index contributes neither loss nor weight; any other target outside [0, C) is a
// data error. reduction: none ([N, d1..dk]), sum, or mean = sum / sum of the applied weights (each weight 1
// without a weight input), which is NaN when every target is ignored, as in PyTorch and ONNX's reference.
// Sums run in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/kernels/math_f32.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Reduction { kNone, kSum, kMean };

struct LossParams : OpParams {
  int64_t N = 0, C = 0, D = 1;
};

template <typename T>
T exp_of(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return kernels::exp_f32(v);
  } else {
    return std::exp(v);
  }
}

int64_t target_at(const TensorView& t, int64_t i) {
  return t.dtype == DType::kInt32 ? t.data_as<int32_t>()[i] : t.data_as<int64_t>()[i];
}

// Shared by both losses: attributes, shape checks and the final reduction.
class LossBase : public Op {
 protected:
  absl::Status parse(const Node& node) {
    Attrs a(node);
    const std::string reduction = a.get_string("reduction", "mean");
    has_ignore_ = a.has("ignore_index");
    ignore_index_ = a.get_int("ignore_index", 0);
    SOFIE_RETURN_IF_ERROR(a.status());
    if (reduction == "none") {
      reduction_ = Reduction::kNone;
    } else if (reduction == "sum") {
      reduction_ = Reduction::kSum;
    } else if (reduction == "mean") {
      reduction_ = Reduction::kMean;
    } else {
      return node_error(node, absl::StrCat("reduction is '", reduction, "'; expected none, sum or mean"));
    }
    return absl::OkStatus();
  }

  // Inputs: scores [N, C, d...], targets [N, d...], optional weights [C].
  absl::Status infer_common(InferContext& ctx) {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
    const SymShape& x = ctx.input_shape(0);
    const SymShape& t = ctx.input_shape(1);
    if (x.rank_known() && x.rank() < 2) {
      return ctx.error(absl::StrCat("scores ", x.to_string(), " must have rank >= 2 ([N, C, d1..dk])"));
    }
    if (x.rank_known() && t.rank_known() && t.rank() != x.rank() - 1) {
      return ctx.error(absl::StrCat("target ", t.to_string(), " must have rank ", x.rank() - 1, " for scores ",
                                    x.to_string()));
    }
    SymShape loss_shape{std::vector<Dim>{}};
    if (reduction_ == Reduction::kNone) {
      if (t.rank_known()) {
        loss_shape = t;
      } else if (x.rank_known()) {
        std::vector<Dim> dims = {x[0]};
        for (int64_t i = 2; i < x.rank(); ++i) dims.push_back(x[i]);
        loss_shape = SymShape(std::move(dims));
      } else {
        loss_shape = SymShape();
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), loss_shape);
    return absl::OkStatus();
  }

  absl::Status reshape_common(ReshapeContext& ctx) const {
    const Dims& x = ctx.input_shape(0);
    const Dims& t = ctx.input_shape(1);
    bool ok = x.size() >= 2 && t.size() == x.size() - 1 && t[0] == x[0];
    for (size_t i = 2; ok && i < x.size(); ++i) ok = t[i - 1] == x[i];
    if (!ok) {
      return ctx.error(absl::StrCat("target ", dims_string(t), " does not match scores ", dims_string(x),
                                    "; expected scores [N, C, d1..dk] and target [N, d1..dk]"));
    }
    auto& p = ctx.make_params<LossParams>();
    p.N = x[0];
    p.C = x[1];
    p.D = num_elements(absl::Span<const int64_t>(x).subspan(2));
    if (ctx.has_input(2)) {
      const Dims& w = ctx.input_shape(2);
      if (w.size() != 1 || w[0] != p.C) {
        return ctx.error(absl::StrCat("weight is ", dims_string(w), "; expected [", p.C, "] (one per class)"));
      }
    }
    ctx.set_output_shape(0, reduction_ == Reduction::kNone ? t : Dims{});
    return absl::OkStatus();
  }

  // The class of target i, or -1 when ignored; an error for targets outside [0, C).
  absl::StatusOr<int64_t> class_of(const RunContext& ctx, const TensorView& t, int64_t i, int64_t C) const {
    const int64_t c = target_at(t, i);
    if (has_ignore_ && c == ignore_index_) return -1;
    if (c < 0 || c >= C) {
      return ctx.error(absl::StrCat("target ", c, " at flat index ", i, " is out of range; expected [0, ", C, ")",
                                    has_ignore_ ? absl::StrCat(" or ignore_index ", ignore_index_) : ""));
    }
    return c;
  }

  // Writes the scalar of sum/mean reductions.
  template <typename T>
  void finish(const RunContext& ctx, double loss_sum, double weight_sum) const {
    if (reduction_ == Reduction::kNone) return;
    const double v = reduction_ == Reduction::kSum ? loss_sum : loss_sum / weight_sum;
    ctx.output(0).data_as<T>()[0] = static_cast<T>(v);
  }

  Reduction reduction_ = Reduction::kMean;
  bool has_ignore_ = false;
  int64_t ignore_index_ = 0;
};

class NllLossOp : public LossBase {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    auto op = std::make_unique<NllLossOp>();
    SOFIE_RETURN_IF_ERROR(op->parse(node));
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override { return infer_common(ctx); }
  absl::Status reshape(ReshapeContext& ctx) const override { return reshape_common(ctx); }

  absl::Status run(const RunContext& ctx) const override {
    if (ctx.input(0).dtype == DType::kFloat32) return run_typed<float>(ctx);
    return run_typed<double>(ctx);
  }

 private:
  template <typename T>
  absl::Status run_typed(const RunContext& ctx) const {
    const auto& p = ctx.params_as<LossParams>();
    const T* x = ctx.input(0).data_as<T>();
    const TensorView& t = ctx.input(1);
    const T* w = ctx.has_input(2) ? ctx.input(2).data_as<T>() : nullptr;
    T* y = ctx.output(0).data_as<T>();
    double loss_sum = 0, weight_sum = 0;
    for (int64_t n = 0; n < p.N; ++n) {
      for (int64_t d = 0; d < p.D; ++d) {
        const int64_t i = n * p.D + d;
        SOFIE_ASSIGN_OR_RETURN(int64_t c, class_of(ctx, t, i, p.C));
        T loss = 0, weight = 0;
        if (c >= 0) {
          weight = w ? w[c] : T(1);
          loss = -x[(n * p.C + c) * p.D + d] * weight;
        }
        if (reduction_ == Reduction::kNone) {
          y[i] = loss;
        } else {
          loss_sum += loss;
          weight_sum += weight;
        }
      }
    }
    finish<T>(ctx, loss_sum, weight_sum);
    return absl::OkStatus();
  }
};

// Log-softmax over C (stride D) for one sample at a time: the running max and sum of the D positions
// live in the workspace, so every pass reads contiguous rows of D.
class SoftmaxCrossEntropyOp : public LossBase {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    auto op = std::make_unique<SoftmaxCrossEntropyOp>();
    SOFIE_RETURN_IF_ERROR(op->parse(node));
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(infer_common(ctx));
    if (ctx.has_output(1)) ctx.set_output(1, ctx.input_dtype(0), ctx.input_shape(0));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    SOFIE_RETURN_IF_ERROR(reshape_common(ctx));
    if (ctx.has_output(1)) ctx.set_output_shape(1, ctx.input_shape(0));
    const int64_t D = num_elements(absl::Span<const int64_t>(ctx.input_shape(0)).subspan(2));
    ctx.set_workspace(2 * static_cast<size_t>(D) * dtype_size(ctx.input_dtype(0)));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    if (ctx.input(0).dtype == DType::kFloat32) return run_typed<float>(ctx);
    return run_typed<double>(ctx);
  }

 private:
  template <typename T>
  absl::Status run_typed(const RunContext& ctx) const {
    const auto& p = ctx.params_as<LossParams>();
    const T* x = ctx.input(0).data_as<T>();
    const TensorView& t = ctx.input(1);
    const T* w = ctx.has_input(2) ? ctx.input(2).data_as<T>() : nullptr;
    T* y = ctx.output(0).data_as<T>();
    T* log_prob = ctx.has_output(1) ? ctx.output(1).data_as<T>() : nullptr;
    T* shift = static_cast<T*>(ctx.workspace);  // per position: max + log(sum(exp(x - max)))
    T* sum = shift + p.D;
    const int64_t D = p.D;
    double loss_sum = 0, weight_sum = 0;
    for (int64_t n = 0; n < p.N; ++n) {
      const T* xn = x + n * p.C * D;
      for (int64_t d = 0; d < D; ++d) shift[d] = -std::numeric_limits<T>::infinity();
      for (int64_t d = 0; d < D; ++d) sum[d] = 0;
      for (int64_t c = 0; c < p.C; ++c) {
        const T* row = xn + c * D;
        for (int64_t d = 0; d < D; ++d) shift[d] = std::max(shift[d], row[d]);
      }
      for (int64_t c = 0; c < p.C; ++c) {
        const T* row = xn + c * D;
        for (int64_t d = 0; d < D; ++d) sum[d] += exp_of(row[d] - shift[d]);
      }
      for (int64_t d = 0; d < D; ++d) shift[d] += std::log(sum[d]);
      if (log_prob) {
        T* ln = log_prob + n * p.C * D;
        for (int64_t c = 0; c < p.C; ++c) {
          for (int64_t d = 0; d < D; ++d) ln[c * D + d] = xn[c * D + d] - shift[d];
        }
      }
      for (int64_t d = 0; d < D; ++d) {
        const int64_t i = n * D + d;
        SOFIE_ASSIGN_OR_RETURN(int64_t c, class_of(ctx, t, i, p.C));
        T loss = 0, weight = 0;
        if (c >= 0) {
          weight = w ? w[c] : T(1);
          loss = -(xn[c * D + d] - shift[d]) * weight;
        }
        if (reduction_ == Reduction::kNone) {
          y[i] = loss;
        } else {
          loss_sum += loss;
          weight_sum += weight;
        }
      }
    }
    finish<T>(ctx, loss_sum, weight_sum);
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "NegativeLogLikelihoodLoss", 12, kMaxOpset, &NllLossOp::create);
SOFIE_REGISTER_OP("", "SoftmaxCrossEntropyLoss", 12, kMaxOpset, &SoftmaxCrossEntropyOp::create);

}  // namespace
}  // namespace sofie::ops
