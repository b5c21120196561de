// Constant (a tensor from an attribute) and Shape (an input's dims as int64, optionally sliced).
#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

class ConstantOp : public Op {
 public:
  explicit ConstantOp(Tensor value) : value_(std::move(value)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    static constexpr const char* kUnsupported[][2] = {
        {"sparse_value", "sparse tensors"}, {"value_string", "strings"}, {"value_strings", "strings"}};
    for (const auto& [name, what] : kUnsupported) {
      if (node.find_attribute(name) != nullptr) {
        return unsupported(node, absl::StrCat("attribute '", name, "' is not supported (sofie has no ", what, ")"));
      }
    }
    int count = 0;
    for (const char* name : {"value", "value_float", "value_floats", "value_int", "value_ints"}) {
      if (node.find_attribute(name) != nullptr) ++count;
    }
    if (count != 1) {
      return node_error(node, absl::StrCat("expects exactly one of the attributes value, value_float, value_floats, "
                                           "value_int, value_ints; got ", count));
    }
    Attrs a(node);
    Tensor t;
    if (const Tensor* v = a.get_tensor("value")) {
      t = *v;
    } else if (a.has("value_float")) {
      t = Tensor::zeros(DType::kFloat32, {});
      t.mutable_data_as<float>()[0] = a.get_float("value_float", 0.0f);
    } else if (a.has("value_int")) {
      t = Tensor::zeros(DType::kInt64, {});
      t.mutable_data_as<int64_t>()[0] = a.get_int("value_int", 0);
    } else if (a.has("value_floats")) {
      const std::vector<float> v = a.get_floats("value_floats");
      t = Tensor::zeros(DType::kFloat32, {static_cast<int64_t>(v.size())});
      std::copy(v.begin(), v.end(), t.mutable_data_as<float>());
    } else {
      const std::vector<int64_t> v = a.get_ints("value_ints");
      t = Tensor::zeros(DType::kInt64, {static_cast<int64_t>(v.size())});
      std::copy(v.begin(), v.end(), t.mutable_data_as<int64_t>());
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    if (t.dtype() == DType::kUndefined) return unsupported(node, "the 'value' tensor has an unsupported dtype");
    return std::unique_ptr<Op>(std::make_unique<ConstantOp>(std::move(t)));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 0, 0));
    ctx.set_output(0, value_.dtype(), SymShape::of(value_.shape()));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_shape(0, value_.shape());
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    if (value_.nbytes() > 0) std::memcpy(ctx.output(0).data, value_.data(), value_.nbytes());
    return absl::OkStatus();
  }

 private:
  Tensor value_;
};

SOFIE_REGISTER_OP("", "Constant", 1, kMaxOpset, &ConstantOp::create);

// ---------------------------------------------------------------------------------------------------
// Shape: dims[start:end] (start/end from opset 15, negative from the back, clamped to [0, rank]).
class ShapeOp : public Op {
 public:
  ShapeOp(int64_t start, int64_t end, bool has_end) : start_(start), end_(end), has_end_(has_end) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    int64_t start = 0, end = 0;
    bool has_end = false;
    if (node.opset >= 15) {
      start = a.get_int("start", 0);
      has_end = a.has("end");
      end = a.get_int("end", 0);
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<ShapeOp>(start, end, has_end));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    const SymShape& in = ctx.input_shape(0);
    Dim len = Dim::unknown();
    if (in.rank_known()) {
      auto [b, e] = range(in.rank());
      len = Dim::known(e - b);
    }
    ctx.set_output(0, DType::kInt64, SymShape({len}));
    return absl::OkStatus();
  }

  // The result depends on the input's shape only, so it is known while planning: the plan keeps it as a
  // constant (downstream Reshape/Gather/Concat see it) and run() is skipped.
  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& dims = ctx.input_shape(0);
    auto [b, e] = range(static_cast<int64_t>(dims.size()));
    Tensor value = Tensor::zeros(DType::kInt64, Dims{e - b});
    for (int64_t i = b; i < e; ++i) value.mutable_data_as<int64_t>()[i - b] = dims[i];
    ctx.set_output_value(0, std::move(value));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const Dims& dims = ctx.input(0).shape;
    auto [b, e] = range(static_cast<int64_t>(dims.size()));
    int64_t* out = ctx.output(0).data_as<int64_t>();
    for (int64_t i = b; i < e; ++i) out[i - b] = dims[i];
    return absl::OkStatus();
  }

 private:
  std::pair<int64_t, int64_t> range(int64_t rank) const {
    auto clamp = [rank](int64_t v) {
      if (v < 0) v += rank;
      return std::min(std::max<int64_t>(v, 0), rank);
    };
    const int64_t b = clamp(start_);
    const int64_t e = has_end_ ? clamp(end_) : rank;
    return {b, std::max(b, e)};
  }

  int64_t start_, end_;
  bool has_end_;
};

SOFIE_REGISTER_OP("", "Shape", 1, kMaxOpset, &ShapeOp::create);

}  // namespace
}  // namespace sofie::ops
