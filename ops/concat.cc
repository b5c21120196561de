// Concat along one axis (negative allowed), any dtype; zero-sized inputs contribute nothing.
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// The output is `outer` rows; each row is the inputs' row chunks one after another.
struct ConcatParams : OpParams {
  int64_t outer = 0;
  std::vector<size_t> chunk_bytes;  // per input
  size_t row_bytes = 0;
};

class ConcatOp : public Op {
 public:
  explicit ConcatOp(int64_t axis) : axis_(axis) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const int64_t axis = node.opset < 4 ? a.get_int("axis", 1) : a.require_int("axis");
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<ConcatOp>(axis));
  }

  absl::Status infer(InferContext& ctx) override {
    const int n = ctx.num_inputs();
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, n < 1 ? 1 : n));
    std::vector<Dim> out;
    bool rank_known = false;
    int64_t rank = 0, axis = 0;
    for (int i = 0; i < n; ++i) {
      if (i > 0) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
      const SymShape& s = ctx.input_shape(i);
      if (!s.rank_known()) continue;
      if (!rank_known) {
        rank_known = true;
        rank = s.rank();
        auto a = normalize_axis(axis_, rank);
        if (!a.ok()) return ctx.error(a.status().message());
        axis = *a;
        out = s.dims();
        continue;
      }
      if (s.rank() != rank) {
        return ctx.error(absl::StrCat("input ", i, " has shape ", s.to_string(), " but an earlier input has rank ",
                                      rank, ": ranks differ"));
      }
      for (int64_t d = 0; d < rank; ++d) {
        if (d == axis) continue;
        if (s[d].is_known() && out[d].is_known() && s[d].value != out[d].value) {
          return ctx.error(absl::StrCat("input ", i, " has shape ", s.to_string(), ", which differs from ",
                                        "an earlier input in dimension ", d, " (only the axis ", axis, " may differ)"));
        }
        if (!out[d].is_known() && s[d].is_known()) out[d] = s[d];
      }
    }
    if (!rank_known) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape::unknown_rank());
      return absl::OkStatus();
    }
    int64_t total = 0;
    for (int i = 0; i < n && total >= 0; ++i) {
      const SymShape& s = ctx.input_shape(i);
      total = s.rank_known() && s[axis].is_known() ? total + s[axis].value : -1;
    }
    out[axis] = total >= 0 ? Dim::known(total) : (n == 1 ? ctx.input_shape(0)[axis] : Dim::unknown());
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const int n = ctx.num_inputs();
    const Dims& first = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(first.size());
    auto a = normalize_axis(axis_, rank);
    if (!a.ok()) return ctx.error(a.status().message());
    const int64_t axis = *a;
    auto& p = ctx.make_params<ConcatParams>();
    const absl::Span<const int64_t> dims(first);
    p.outer = num_elements(dims.subspan(0, axis));
    const int64_t inner = num_elements(dims.subspan(axis + 1));
    const size_t element = dtype_size(ctx.input_dtype(0));
    Dims out = first;
    out[axis] = 0;
    for (int i = 0; i < n; ++i) {
      const Dims& s = ctx.input_shape(i);
      if (static_cast<int64_t>(s.size()) != rank) {
        return ctx.error(absl::StrCat("input ", i, " has shape ", dims_string(s), " but input 0 has shape ",
                                      dims_string(first), ": ranks differ"));
      }
      for (int64_t d = 0; d < rank; ++d) {
        if (d != axis && s[d] != first[d]) {
          return ctx.error(absl::StrCat("input ", i, " has shape ", dims_string(s), " but input 0 has shape ",
                                        dims_string(first), ": only dimension ", axis, " may differ"));
        }
      }
      out[axis] += s[axis];
      p.chunk_bytes.push_back(static_cast<size_t>(s[axis] * inner) * element);
    }
    p.row_bytes = static_cast<size_t>(out[axis] * inner) * element;
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<ConcatParams>();
    if (p.row_bytes == 0) return absl::OkStatus();
    char* out = static_cast<char*>(ctx.output(0).data);
    for (size_t i = 0; i < p.chunk_bytes.size(); ++i) {
      const size_t chunk = p.chunk_bytes[i];
      if (chunk == 0) continue;
      const char* in = static_cast<const char*>(ctx.input(static_cast<int>(i)).data);
      char* dst = out;
      for (int64_t o = 0; o < p.outer; ++o) {
        std::memcpy(dst, in + o * chunk, chunk);
        dst += p.row_bytes;
      }
      out += chunk;
    }
    return absl::OkStatus();
  }

 private:
  int64_t axis_;
};

SOFIE_REGISTER_OP("", "Concat", 1, kMaxOpset, &ConcatOp::create);

}  // namespace
}  // namespace sofie::ops
