// Gather along any axis, any data dtype, int32 or int64 indices (negative ones count from the end).
// Indices are data: one out of range is a run-time error naming it, never an out-of-bounds read.
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

struct GatherParams : OpParams {
  int64_t axis = 0;
  int64_t outer = 0;      // prod(data[:axis])
  int64_t axis_size = 0;  // data[axis]
  int64_t count = 0;      // number of indices
  size_t slice_bytes = 0;  // prod(data[axis+1:]) * element size
};

template <typename I>
absl::Status gather(const RunContext& ctx, const GatherParams& p, const I* indices) {
  const char* data = static_cast<const char*>(ctx.input(0).data);
  char* out = static_cast<char*>(ctx.output(0).data);
  const int64_t n = p.axis_size;
  for (int64_t o = 0; o < p.outer; ++o) {
    const char* block = data + static_cast<size_t>(o * n) * p.slice_bytes;
    for (int64_t i = 0; i < p.count; ++i) {
      int64_t k = static_cast<int64_t>(indices[i]);
      if (k < -n || k >= n) {
        return ctx.error(absl::StrCat("index ", k, " (indices element ", i, ") is out of range [", -n, ", ", n - 1,
                                      "] for axis ", p.axis, " of data ", dims_string(ctx.input(0).shape)));
      }
      if (k < 0) k += n;
      std::memcpy(out, block + static_cast<size_t>(k) * p.slice_bytes, p.slice_bytes);
      out += p.slice_bytes;
    }
  }
  return absl::OkStatus();
}

class GatherOp : public Op {
 public:
  explicit GatherOp(int64_t axis) : axis_(axis) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = a.get_int("axis", 0);
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<GatherOp>(axis));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    const SymShape& data = ctx.input_shape(0);
    const SymShape& indices = ctx.input_shape(1);
    if (!data.rank_known() || !indices.rank_known()) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape::unknown_rank());
      return absl::OkStatus();
    }
    auto axis = normalize_axis(axis_, data.rank());
    if (!axis.ok()) return ctx.error(axis.status().message());
    std::vector<Dim> out(data.dims().begin(), data.dims().begin() + *axis);
    out.insert(out.end(), indices.dims().begin(), indices.dims().end());
    out.insert(out.end(), data.dims().begin() + *axis + 1, data.dims().end());
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& data = ctx.input_shape(0);
    const Dims& indices = ctx.input_shape(1);
    auto axis = normalize_axis(axis_, static_cast<int64_t>(data.size()));
    if (!axis.ok()) return ctx.error(absl::StrCat("data ", dims_string(data), ": ", axis.status().message()));
    auto& p = ctx.make_params<GatherParams>();
    const absl::Span<const int64_t> dims(data);
    p.axis = *axis;
    p.outer = num_elements(dims.subspan(0, *axis));
    p.axis_size = data[*axis];
    p.count = num_elements(indices);
    p.slice_bytes = static_cast<size_t>(num_elements(dims.subspan(*axis + 1))) * dtype_size(ctx.input_dtype(0));
    Dims out(data.begin(), data.begin() + *axis);
    out.insert(out.end(), indices.begin(), indices.end());
    out.insert(out.end(), data.begin() + *axis + 1, data.end());
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<GatherParams>();
    if (p.outer == 0 || p.count == 0) return absl::OkStatus();
    const TensorView& indices = ctx.input(1);
    if (indices.dtype == DType::kInt64) return gather(ctx, p, indices.data_as<int64_t>());
    return gather(ctx, p, indices.data_as<int32_t>());
  }

 private:
  int64_t axis_;
};

SOFIE_REGISTER_OP("", "Gather", 1, kMaxOpset, &GatherOp::create);

}  // namespace
}  // namespace sofie::ops
