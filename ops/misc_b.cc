// MaxUnpool (opset 9 and 11, optional output_shape input), Col2Im (opset 18, N-D) and CenterCropPad
// (opset 18, optional axes). Their output shapes come from attributes or from input values known when
// planning; the index work (Col2Im's column -> image map, CenterCropPad's region) is done in reshape.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/misc_b_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

std::string list(const std::vector<int64_t>& v) { return absl::StrCat("[", absl::StrJoin(v, ","), "]"); }

// ---------------------------------------------------------------------------------------------------
// MaxUnpool: y = zeros(inferred shape); y.flat[I.flat[i]] = X.flat[i], the indices flat over the whole
// tensor as MaxPool's Indices output produces them; the inferred shape per spatial axis is
// (in - 1) * stride - pads + kernel. An `output_shape` input (at least the inferred shape) places that
// result at its origin and zero-fills the rest, as the ONNX reference does.

struct MaxUnpoolParams : OpParams {
  Dims inferred;     // the shape the indices refer to
  Dims out_strides;  // strides of the output, used when it is larger than `inferred`
  bool padded = false;
};

class MaxUnpoolOp : public Op {
 public:
  MaxUnpoolOp(std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads)
      : kernel_(std::move(kernel)), strides_(std::move(strides)), pads_(std::move(pads)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    if (!a.has("kernel_shape")) return node_error(node, "the 'kernel_shape' attribute is required");
    std::vector<int64_t> kernel = a.get_ints("kernel_shape");
    std::vector<int64_t> strides = a.get_ints("strides", std::vector<int64_t>(kernel.size(), 1));
    std::vector<int64_t> pads = a.get_ints("pads", std::vector<int64_t>(2 * kernel.size(), 0));
    SOFIE_RETURN_IF_ERROR(a.status());
    const size_t k = kernel.size();
    if (k == 0 || strides.size() != k || pads.size() != 2 * k) {
      return node_error(node, absl::StrCat("kernel_shape ", list(kernel), ", strides ", list(strides), " and pads ",
                                           list(pads), " must have k, k and 2k values (k >= 1)"));
    }
    for (size_t i = 0; i < k; ++i) {
      if (kernel[i] < 1 || strides[i] < 1 || pads[i] < 0 || pads[i + k] < 0) {
        return node_error(node, absl::StrCat("kernel_shape ", list(kernel), ", strides ", list(strides), ", pads ",
                                             list(pads), ": kernel and strides must be >= 1, pads >= 0"));
      }
    }
    return std::unique_ptr<Op>(std::make_unique<MaxUnpoolOp>(std::move(kernel), std::move(strides), std::move(pads)));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64}));
    if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 2, {DType::kInt64}));
    const SymShape& x = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(kernel_.size()) + 2;
    if (x.rank_known() && x.rank() != rank) {
      return ctx.error(absl::StrCat("input X has shape ", x.to_string(), "; expected rank ", rank,
                                    " for kernel_shape ", list(kernel_)));
    }
    if (ctx.has_input(2)) {
      SOFIE_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> shape, load_ints(ctx, 2, "output_shape"));
      if (shape) {
        ctx.set_output(0, ctx.input_dtype(0), SymShape::of(*shape));
      } else {
        ctx.set_output(0, ctx.input_dtype(0), SymShape(std::vector<Dim>(rank, Dim::unknown())));
      }
      return absl::OkStatus();
    }
    std::vector<Dim> out(rank, Dim::unknown());
    if (x.rank_known()) {
      out[0] = x[0];
      out[1] = x[1];
      for (int64_t d = 2; d < rank; ++d) {
        if (x[d].is_known()) out[d] = Dim::known(default_size(d - 2, x[d].value));
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(kernel_.size()) + 2;
    if (static_cast<int64_t>(x.size()) != rank) {
      return ctx.error(absl::StrCat("input X has shape ", dims_string(x), "; expected rank ", rank));
    }
    if (ctx.input_shape(1) != x) {
      return ctx.error(absl::StrCat("indices have shape ", dims_string(ctx.input_shape(1)), "; expected the shape ",
                                    dims_string(x), " of X"));
    }
    Dims inferred{x[0], x[1]};
    for (int64_t d = 2; d < rank; ++d) {
      inferred.push_back(default_size(d - 2, x[d]));
      if (inferred.back() < 0) {
        return ctx.error(absl::StrCat("the unpooled shape ", dims_string(inferred), " of input X ", dims_string(x),
                                      " is negative"));
      }
    }
    Dims out = inferred;
    if (ctx.has_input(2)) {
      SOFIE_ASSIGN_OR_RETURN(const std::vector<int64_t> shape, plan_ints(ctx, 2, "output_shape"));
      bool ok = static_cast<int64_t>(shape.size()) == rank;
      for (int64_t d = 0; ok && d < rank; ++d) ok = d < 2 ? shape[d] == x[d] : shape[d] >= inferred[d];
      if (!ok) {
        return ctx.error(absl::StrCat("output_shape ", list(shape), " must be [", x[0], ", ", x[1],
                                      ", ...] with ", rank, " values, each spatial size at least the unpooled ",
                                      dims_string(inferred)));
      }
      out = Dims(shape.begin(), shape.end());
    }
    auto& p = ctx.make_params<MaxUnpoolParams>();
    p.inferred = inferred;
    p.padded = out != inferred;
    p.out_strides = row_major_strides(out);
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<MaxUnpoolParams>();
    const TensorView& x = ctx.input(0);
    TensorView& y = ctx.output(0);
    const int64_t total = num_elements(p.inferred);
    const int64_t* indices = ctx.input(1).data_as<int64_t>();
    std::memset(y.data, 0, y.nbytes());
    const size_t size = dtype_size(x.dtype);
    const char* src = static_cast<const char*>(x.data);
    char* dst = static_cast<char*>(y.data);
    const int64_t n = x.numel();
    const int64_t rank = static_cast<int64_t>(p.inferred.size());
    for (int64_t i = 0; i < n; ++i) {
      int64_t k = indices[i];
      if (k < 0 || k >= total) {
        return ctx.error(absl::StrCat("index ", k, " (indices element ", i, ") is out of range [0, ", total - 1,
                                      "] for the unpooled shape ", dims_string(p.inferred)));
      }
      if (p.padded) {  // the index's coordinates in the inferred shape, placed in the larger output
        int64_t offset = 0;
        for (int64_t d = rank - 1; d >= 0; --d) {
          offset += (k % p.inferred[d]) * p.out_strides[d];
          k /= p.inferred[d];
        }
        k = offset;
      }
      std::memcpy(dst + k * size, src + i * size, size);
    }
    return absl::OkStatus();
  }

 private:
  int64_t default_size(int64_t d, int64_t in) const {
    return (in - 1) * strides_[d] - pads_[d] - pads_[d + kernel_.size()] + kernel_[d];
  }

  std::vector<int64_t> kernel_, strides_, pads_;
};

// ---------------------------------------------------------------------------------------------------
// Col2Im: sums the columns [N, C * prod(block), L] back into images [N, C, image...]. Each column element
// (kernel offset k, block position l) maps to one image offset or none (padding); that map is built once
// per plan, and run() is one pass per (n, c).

struct Col2ImParams : OpParams {
  int64_t batch = 0, channels = 0, columns = 0, image = 0;  // columns = prod(block) * L per channel
  std::vector<int64_t> map;                                  // column element -> image offset, or -1
};

class Col2ImOp : public Op {
 public:
  Col2ImOp(std::vector<int64_t> dilations, std::vector<int64_t> pads, std::vector<int64_t> strides)
      : dilations_(std::move(dilations)), pads_(std::move(pads)), strides_(std::move(strides)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    std::vector<int64_t> dilations = a.get_ints("dilations"), pads = a.get_ints("pads"), strides = a.get_ints("strides");
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<Col2ImOp>(std::move(dilations), std::move(pads), std::move(strides)));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32,
                                                     DType::kInt8, DType::kUInt8}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 2, {DType::kInt64}));
    const SymShape& x = ctx.input_shape(0);
    if (x.rank_known() && x.rank() != 3) {
      return ctx.error(absl::StrCat("input has shape ", x.to_string(), "; expected [N, C * prod(block_shape), L]"));
    }
    SOFIE_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> image, load_ints(ctx, 1, "image_shape"));
    SOFIE_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> block, load_ints(ctx, 2, "block_shape"));
    const SymShape& is = ctx.input_shape(1);
    int64_t k = -1;  // spatial axes
    if (image) {
      k = static_cast<int64_t>(image->size());
    } else if (is.rank_known() && is.rank() == 1 && is[0].is_known()) {
      k = is[0].value;
    }
    if (k < 0) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape::unknown_rank());
      return absl::OkStatus();
    }
    std::vector<Dim> out(k + 2, Dim::unknown());
    if (x.rank_known()) out[0] = x[0];
    if (block && x.rank_known() && x[1].is_known()) {
      int64_t prod = 1;
      for (int64_t b : *block) prod *= b;
      if (prod > 0) out[1] = Dim::known(x[1].value / prod);
    }
    if (image) {
      for (int64_t d = 0; d < k; ++d) out[d + 2] = Dim::known((*image)[d]);
    }
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    SOFIE_ASSIGN_OR_RETURN(const std::vector<int64_t> image, plan_ints(ctx, 1, "image_shape"));
    SOFIE_ASSIGN_OR_RETURN(const std::vector<int64_t> block, plan_ints(ctx, 2, "block_shape"));
    const int64_t k = static_cast<int64_t>(image.size());
    const std::vector<int64_t> dil = dilations_.empty() ? std::vector<int64_t>(k, 1) : dilations_;
    const std::vector<int64_t> str = strides_.empty() ? std::vector<int64_t>(k, 1) : strides_;
    const std::vector<int64_t> pad = pads_.empty() ? std::vector<int64_t>(2 * k, 0) : pads_;
    if (k < 1 || static_cast<int64_t>(block.size()) != k || static_cast<int64_t>(dil.size()) != k ||
        static_cast<int64_t>(str.size()) != k || static_cast<int64_t>(pad.size()) != 2 * k) {
      return ctx.error(absl::StrCat("image_shape ", list(image), ", block_shape ", list(block), ", dilations ",
                                    list(dil), ", strides ", list(str), " and pads ", list(pad),
                                    " must have k, k, k, k and 2k values (k >= 1)"));
    }
    std::vector<int64_t> blocks(k);
    int64_t kernel = 1, length = 1;
    for (int64_t d = 0; d < k; ++d) {
      if (image[d] < 0 || block[d] < 1 || dil[d] < 1 || str[d] < 1 || pad[d] < 0 || pad[d + k] < 0) {
        return ctx.error(absl::StrCat("image_shape ", list(image), ", block_shape ", list(block), ", dilations ",
                                      list(dil), ", strides ", list(str), ", pads ", list(pad),
                                      ": sizes must be >= 0, block, dilations and strides >= 1, pads >= 0"));
      }
      blocks[d] = (image[d] + pad[d] + pad[d + k] - dil[d] * (block[d] - 1) - 1) / str[d] + 1;
      if (blocks[d] < 1) {
        return ctx.error(absl::StrCat("image_shape ", list(image), " with pads ", list(pad), " is smaller than the ",
                                      "dilated block ", list(block)));
      }
      kernel *= block[d];
      length *= blocks[d];
    }
    const Dims& x = ctx.input_shape(0);
    if (x.size() != 3 || x[1] % kernel != 0 || x[2] != length) {
      return ctx.error(absl::StrCat("input has shape ", dims_string(x), "; expected [N, C * ", kernel, ", ", length,
                                    "] for block_shape ", list(block), " (", list(blocks), " blocks)"));
    }
    auto& p = ctx.make_params<Col2ImParams>();
    p.batch = x[0];
    p.channels = x[1] / kernel;
    p.columns = kernel * length;
    p.image = num_elements(image);
    p.map.resize(static_cast<size_t>(p.columns));
    std::vector<int64_t> off(k), pos(k);
    for (int64_t kk = 0; kk < kernel; ++kk) {
      for (int64_t d = k - 1, r = kk; d >= 0; --d) off[d] = r % block[d], r /= block[d];
      for (int64_t l = 0; l < length; ++l) {
        for (int64_t d = k - 1, r = l; d >= 0; --d) pos[d] = r % blocks[d], r /= blocks[d];
        int64_t flat = 0;
        for (int64_t d = 0; d < k && flat >= 0; ++d) {
          const int64_t i = pos[d] * str[d] - pad[d] + off[d] * dil[d];
          flat = (i < 0 || i >= image[d]) ? -1 : flat * image[d] + i;
        }
        p.map[kk * length + l] = flat;
      }
    }
    Dims out{x[0], p.channels};
    out.insert(out.end(), image.begin(), image.end());
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<Col2ImParams>();
    visit_numeric(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* x = ctx.input(0).data_as<T>();
      T* y = ctx.output(0).data_as<T>();
      std::fill(y, y + p.batch * p.channels * p.image, T(0));
      const int64_t* map = p.map.data();
      for (int64_t nc = 0; nc < p.batch * p.channels; ++nc) {
        const T* xc = x + nc * p.columns;
        T* yc = y + nc * p.image;
        for (int64_t j = 0; j < p.columns; ++j) {
          if (map[j] >= 0) yc[map[j]] += xc[j];
        }
      }
    });
    return absl::OkStatus();
  }

 private:
  std::vector<int64_t> dilations_, pads_, strides_;
};

// ---------------------------------------------------------------------------------------------------
// CenterCropPad: per listed axis, a larger input is cropped around its centre (start (in - out) / 2) and
// a smaller one zero-padded around it (start (out - in) / 2); the overlap is copied in rows of the last
// axis.

struct CenterCropPadParams : OpParams {
  Dims region;              // the copied block, per axis
  Dims in_strides, out_strides;
  int64_t in_offset = 0, out_offset = 0;  // elements
  size_t element_size = 0;
};

class CenterCropPadOp : public Op {
 public:
  CenterCropPadOp(bool has_axes, std::vector<int64_t> axes) : has_axes_(has_axes), axes_(std::move(axes)) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const bool has_axes = a.has("axes");
    std::vector<int64_t> axes = a.get_ints("axes");
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::make_unique<CenterCropPadOp>(has_axes, std::move(axes)));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    const SymShape& x = ctx.input_shape(0);
    if (!x.rank_known()) {
      ctx.set_output(0, ctx.input_dtype(0), SymShape::unknown_rank());
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(const std::vector<int64_t> axes, resolve_axes(ctx, x.rank()));
    SOFIE_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> shape, load_ints(ctx, 1, "shape"));
    std::vector<Dim> out(x.dims());
    for (size_t i = 0; i < axes.size(); ++i) out[axes[i]] = Dim::unknown();
    if (shape) {
      SOFIE_RETURN_IF_ERROR(check_shape(ctx, *shape, axes));
      for (size_t i = 0; i < axes.size(); ++i) out[axes[i]] = Dim::known((*shape)[i]);
    }
    ctx.set_output(0, ctx.input_dtype(0), SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(x.size());
    SOFIE_ASSIGN_OR_RETURN(const std::vector<int64_t> axes, resolve_axes(ctx, rank));
    SOFIE_ASSIGN_OR_RETURN(const std::vector<int64_t> shape, plan_ints(ctx, 1, "shape"));
    SOFIE_RETURN_IF_ERROR(check_shape(ctx, shape, axes));
    Dims out = x;
    for (size_t i = 0; i < axes.size(); ++i) out[axes[i]] = shape[i];
    auto& p = ctx.make_params<CenterCropPadParams>();
    p.element_size = dtype_size(ctx.input_dtype(0));
    p.in_strides = row_major_strides(x);
    p.out_strides = row_major_strides(out);
    p.region.resize(rank);
    for (int64_t d = 0; d < rank; ++d) {
      p.region[d] = std::min(x[d], out[d]);
      if (x[d] > out[d]) p.in_offset += (x[d] - out[d]) / 2 * p.in_strides[d];
      if (out[d] > x[d]) p.out_offset += (out[d] - x[d]) / 2 * p.out_strides[d];
    }
    ctx.set_output_shape(0, std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<CenterCropPadParams>();
    TensorView& y = ctx.output(0);
    const bool pads = y.numel() != num_elements(p.region);
    if (pads) std::memset(y.data, 0, y.nbytes());
    if (num_elements(p.region) == 0) return absl::OkStatus();
    const char* src = static_cast<const char*>(ctx.input(0).data) + p.in_offset * p.element_size;
    char* dst = static_cast<char*>(y.data) + p.out_offset * p.element_size;
    const int64_t rank = static_cast<int64_t>(p.region.size());
    if (rank == 0) {
      std::memcpy(dst, src, p.element_size);
      return absl::OkStatus();
    }
    const size_t row = static_cast<size_t>(p.region[rank - 1]) * p.element_size;
    Dims idx(rank - 1, 0);
    const int64_t rows = num_elements(absl::Span<const int64_t>(p.region).subspan(0, rank - 1));
    for (int64_t r = 0; r < rows; ++r) {
      int64_t in = 0, out = 0;
      for (int64_t d = 0; d + 1 < rank; ++d) {
        in += idx[d] * p.in_strides[d];
        out += idx[d] * p.out_strides[d];
      }
      std::memcpy(dst + out * p.element_size, src + in * p.element_size, row);
      for (int64_t d = rank - 2; d >= 0; --d) {  // next row index
        if (++idx[d] < p.region[d]) break;
        idx[d] = 0;
      }
    }
    return absl::OkStatus();
  }

 private:
  template <typename Ctx>
  absl::StatusOr<std::vector<int64_t>> resolve_axes(const Ctx& ctx, int64_t rank) const {
    std::vector<int64_t> axes;
    if (!has_axes_) {
      for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
      return axes;
    }
    std::vector<bool> seen(rank, false);
    for (int64_t a : axes_) {
      const int64_t d = a < 0 ? a + rank : a;
      if (d < 0 || d >= rank || seen[d]) {
        return ctx.error(absl::StrCat("axes ", list(axes_), " must be distinct axes in [", -rank, ", ", rank - 1,
                                      "] for an input of rank ", rank));
      }
      seen[d] = true;
      axes.push_back(d);
    }
    return axes;
  }

  template <typename Ctx>
  static absl::Status check_shape(const Ctx& ctx, const std::vector<int64_t>& shape, const std::vector<int64_t>& axes) {
    if (shape.size() != axes.size()) {
      return ctx.error(absl::StrCat("shape ", list(shape), " has ", shape.size(), " values; expected ", axes.size(),
                                    " (one per axis)"));
    }
    for (int64_t s : shape) {
      if (s < 0) return ctx.error(absl::StrCat("shape ", list(shape), " has a negative size"));
    }
    return absl::OkStatus();
  }

  bool has_axes_;
  std::vector<int64_t> axes_;
};

SOFIE_REGISTER_OP("", "MaxUnpool", 9, 10, &MaxUnpoolOp::create);
SOFIE_REGISTER_OP("", "MaxUnpool", 11, kMaxOpset, &MaxUnpoolOp::create);
SOFIE_REGISTER_OP("", "Col2Im", 18, kMaxOpset, &Col2ImOp::create);
SOFIE_REGISTER_OP("", "CenterCropPad", 18, kMaxOpset, &CenterCropPadOp::create);

}  // namespace
}  // namespace sofie::ops
