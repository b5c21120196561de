// DepthToSpace (DCR and CRD modes) and SpaceToDepth on [N,C,H,W] tensors of any dtype: each is a reshape,
// a transpose and a reshape, done in one strided copy (movement_util.h).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "ops/movement_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

class SpaceDepthOp : public Op {
 public:
  enum class Kind { kDepthToSpaceDCR, kDepthToSpaceCRD, kSpaceToDepth };

  SpaceDepthOp(Kind kind, int64_t block) : kind_(kind), block_(block) {}

  static absl::StatusOr<std::unique_ptr<Op>> create_depth_to_space(const Node& node) {
    Attrs a(node);
    const int64_t block = a.require_int("blocksize");
    const std::string mode = node.opset >= 11 ? a.get_string("mode", "DCR") : "DCR";
    SOFIE_RETURN_IF_ERROR(a.status());
    if (mode != "DCR" && mode != "CRD") {
      return node_error(node, absl::StrCat("mode '", mode, "' is not DCR or CRD"));
    }
    return make(node, mode == "DCR" ? Kind::kDepthToSpaceDCR : Kind::kDepthToSpaceCRD, block);
  }

  static absl::StatusOr<std::unique_ptr<Op>> create_space_to_depth(const Node& node) {
    Attrs a(node);
    const int64_t block = a.require_int("blocksize");
    SOFIE_RETURN_IF_ERROR(a.status());
    return make(node, Kind::kSpaceToDepth, block);
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    const SymShape& in = ctx.input_shape(0);
    if (!in.rank_known()) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape(std::vector<Dim>(4, Dim::unknown())));
      return absl::OkStatus();
    }
    if (in.rank() != 4) return ctx.error(absl::StrCat("input ", in.to_string(), " must have rank 4 ([N,C,H,W])"));
    const int64_t b = block_, bb = block_ * block_;
    auto scaled = [](const Dim& d, int64_t mul, int64_t div) {
      if (!d.is_known()) return Dim::unknown();
      return Dim::known(d.value * mul / div);
    };
    std::vector<Dim> out = in.dims();
    if (kind_ == Kind::kSpaceToDepth) {
      for (int d = 2; d < 4; ++d) {
        if (in[d].is_known() && in[d].value % b != 0) {
          return ctx.error(absl::StrCat("input ", in.to_string(), ": dim ", d, " is not a multiple of blocksize ", b));
        }
      }
      out[1] = scaled(in[1], bb, 1);
      out[2] = scaled(in[2], 1, b);
      out[3] = scaled(in[3], 1, b);
    } else {
      if (in[1].is_known() && in[1].value % bb != 0) {
        return ctx.error(absl::StrCat("input ", in.to_string(), ": channels are not a multiple of blocksize^2 ", bb));
      }
      out[1] = scaled(in[1], 1, bb);
      out[2] = scaled(in[2], b, 1);
      out[3] = scaled(in[3], b, 1);
    }
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    if (in.size() != 4) return ctx.error(absl::StrCat("input ", dims_string(in), " must have rank 4 ([N,C,H,W])"));
    const int64_t n = in[0], c = in[1], h = in[2], w = in[3], b = block_;
    Dims loops, strides, out;
    if (kind_ == Kind::kSpaceToDepth) {
      if (h % b != 0 || w % b != 0) {
        return ctx.error(absl::StrCat("input ", dims_string(in), ": H and W must be multiples of blocksize ", b));
      }
      // Output [N, b, b, C, H/b, W/b] read from input (n, c, h'*b + b1, w'*b + b2).
      loops = {n, b, b, c, h / b, w / b};
      strides = {c * h * w, w, 1, h * w, b * w, b};
      out = {n, c * b * b, h / b, w / b};
    } else {
      if (c % (b * b) != 0) {
        return ctx.error(absl::StrCat("input ", dims_string(in), ": channels are not a multiple of blocksize^2 ",
                                      b * b));
      }
      const int64_t co = c / (b * b);
      // Output [N, C', H, b1, W, b2]; the input channel is (b1, b2, c') in DCR and (c', b1, b2) in CRD.
      loops = {n, co, h, b, w, b};
      if (kind_ == Kind::kDepthToSpaceDCR) {
        strides = {c * h * w, h * w, w, b * co * h * w, 1, co * h * w};
      } else {
        strides = {c * h * w, b * b * h * w, w, b * h * w, 1, h * w};
      }
      out = {n, co, h * b, w * b};
    }
    auto& p = ctx.make_params<StridedCopy>();
    plan_strided_copy(loops, strides, 0, dtype_size(ctx.input_dtype(0)), p);  // 6 loops at most
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    run_strided_copy(ctx.params_as<StridedCopy>(), ctx.input(0).data, ctx.output(0).data);
    return absl::OkStatus();
  }

 private:
  static absl::StatusOr<std::unique_ptr<Op>> make(const Node& node, Kind kind, int64_t block) {
    if (block < 1) return node_error(node, absl::StrCat("blocksize is ", block, "; expected a positive value"));
    return std::unique_ptr<Op>(std::make_unique<SpaceDepthOp>(kind, block));
  }

  Kind kind_;
  int64_t block_;
};

SOFIE_REGISTER_OP("", "DepthToSpace", 1, 10, &SpaceDepthOp::create_depth_to_space);
SOFIE_REGISTER_OP("", "DepthToSpace", 11, kMaxOpset, &SpaceDepthOp::create_depth_to_space);
SOFIE_REGISTER_OP("", "SpaceToDepth", 1, kMaxOpset, &SpaceDepthOp::create_space_to_depth);

}  // namespace
}  // namespace sofie::ops
