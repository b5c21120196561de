// Expand (broadcast to a shape), Tile (repeat along each axis) and Pad (constant, edge, reflect and wrap
// padding; negative pads crop), for every dtype. Expand and Tile are strided copies (movement_util.h); Pad
// maps each output index of every axis to an input index (or to the constant) once per plan.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/cast.h"
#include "ops/movement_util.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

// Values of an integer input known at load time; nullopt when it is computed later.
absl::StatusOr<std::optional<std::vector<int64_t>>> load_time_ints(const InferContext& ctx, int i,
                                                                   const char* what) {
  const Tensor* c = ctx.input_constant(i);
  if (c == nullptr) return std::optional<std::vector<int64_t>>();
  auto v = read_int_values(c->view(), what);
  if (!v.ok()) return ctx.error(v.status().message());
  return std::optional<std::vector<int64_t>>(*std::move(v));
}

// Values of an integer input needed while planning.
absl::StatusOr<std::vector<int64_t>> plan_time_ints(const ReshapeContext& ctx, int i, const char* what) {
  const TensorView* v = ctx.input_value(i);
  if (v == nullptr) {
    return unsupported(ctx.node(), absl::StrCat("the '", what, "' input must be known when planning ",
                                                "(a constant, or computed from shapes)"));
  }
  auto values = read_int_values(*v, what);
  if (!values.ok()) return ctx.error(values.status().message());
  return *std::move(values);
}

// A 1-D input of known length but unknown values: the output has that rank (or the input's, if larger).
SymShape unknown_dims_of_rank(const InferContext& ctx, int i, int64_t min_rank) {
  const SymShape& s = ctx.input_shape(i);
  if (s.rank_known() && s.rank() == 1 && s[0].is_known()) {
    return SymShape(std::vector<Dim>(std::max(s[0].value, min_rank), Dim::unknown()));
  }
  return SymShape::unknown_rank();
}

// ---------------------------------------------------------------------------------------------------
// Expand: numpy broadcasting of the input against `shape` (either side may have the 1s).
class ExpandOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<ExpandOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    const SymShape& in = ctx.input_shape(0);
    SOFIE_ASSIGN_OR_RETURN(auto shape, load_time_ints(ctx, 1, "shape"));
    if (!shape) {
      ctx.set_output(0, ctx.input_dtype(0),
                     in.rank_known() ? unknown_dims_of_rank(ctx, 1, in.rank()) : SymShape::unknown_rank());
      return absl::OkStatus();
    }
    SOFIE_RETURN_IF_ERROR(check_shape(ctx, *shape));
    auto out = broadcast_symbolic(in, SymShape::of(*shape));
    if (!out.ok()) return ctx.error(out.status().message());
    ctx.set_output(0, ctx.input_dtype(0), *std::move(out));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    SOFIE_ASSIGN_OR_RETURN(std::vector<int64_t> shape, plan_time_ints(ctx, 1, "shape"));
    SOFIE_RETURN_IF_ERROR(check_shape(ctx, shape));
    const Dims& in = ctx.input_shape(0);
    auto out = broadcast_dims(in, shape);
    if (!out.ok()) return ctx.error(out.status().message());
    const size_t rank = out->size();
    Dims in_pad(rank, 1);
    std::copy(in.begin(), in.end(), in_pad.end() - in.size());
    Dims strides = row_major_strides(in_pad);
    for (size_t d = 0; d < rank; ++d) {
      if (in_pad[d] == 1) strides[d] = 0;
    }
    auto& p = ctx.make_params<StridedCopy>();
    if (!plan_strided_copy(*out, strides, 0, dtype_size(ctx.input_dtype(0)), p)) {
      return ctx.error(absl::StrCat("expanding ", dims_string(in), " to ", dims_string(*out), " needs more than ",
                                    kMaxStridedLoops, " loops"));
    }
    ctx.set_output_shape(0, *std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    run_strided_copy(ctx.params_as<StridedCopy>(), ctx.input(0).data, ctx.output(0).data);
    return absl::OkStatus();
  }

 private:
  template <typename Ctx>
  static absl::Status check_shape(const Ctx& ctx, const std::vector<int64_t>& shape) {
    for (int64_t d : shape) {
      if (d < 0) return ctx.error(absl::StrCat("shape [", absl::StrJoin(shape, ","), "] has a negative dimension"));
    }
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "Expand", 8, kMaxOpset, &ExpandOp::create);

// ---------------------------------------------------------------------------------------------------
// Tile: output dim d = input dim d * repeats[d]. As a strided copy over [r0, d0, r1, d1, ...] with input
// strides [0, s0, 0, s1, ...].
class TileOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<TileOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    const SymShape& in = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(0);
    if (!in.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(auto repeats, load_time_ints(ctx, 1, "repeats"));
    if (!repeats) {
      ctx.set_output(0, dtype, SymShape(std::vector<Dim>(in.rank(), Dim::unknown())));
      return absl::OkStatus();
    }
    SOFIE_RETURN_IF_ERROR(check_repeats(ctx, *repeats, in.rank()));
    std::vector<Dim> out(in.dims());
    for (size_t d = 0; d < out.size(); ++d) {
      const int64_t r = (*repeats)[d];
      if (out[d].is_known()) out[d] = Dim::known(out[d].value * r);
      else if (r == 0) out[d] = Dim::known(0);
      else if (r != 1) out[d] = Dim::unknown();
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    SOFIE_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, plan_time_ints(ctx, 1, "repeats"));
    SOFIE_RETURN_IF_ERROR(check_repeats(ctx, repeats, static_cast<int64_t>(in.size())));
    const Dims strides = row_major_strides(in);
    Dims loops, loop_strides, out;
    for (size_t d = 0; d < in.size(); ++d) {
      loops.push_back(repeats[d]);
      loop_strides.push_back(0);
      loops.push_back(in[d]);
      loop_strides.push_back(strides[d]);
      out.push_back(in[d] * repeats[d]);
    }
    auto& p = ctx.make_params<StridedCopy>();
    if (!plan_strided_copy(loops, loop_strides, 0, dtype_size(ctx.input_dtype(0)), p)) {
      return ctx.error(absl::StrCat("tiling ", dims_string(in), " by [", absl::StrJoin(repeats, ","),
                                    "] needs more than ", kMaxStridedLoops, " loops"));
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
  static absl::Status check_repeats(const Ctx& ctx, const std::vector<int64_t>& repeats, int64_t rank) {
    if (static_cast<int64_t>(repeats.size()) != rank) {
      return ctx.error(absl::StrCat("repeats [", absl::StrJoin(repeats, ","), "] has ", repeats.size(),
                                    " entries but the input has rank ", rank));
    }
    for (int64_t r : repeats) {
      if (r < 0) return ctx.error(absl::StrCat("repeats [", absl::StrJoin(repeats, ","), "] has a negative entry"));
    }
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "Tile", 6, kMaxOpset, &TileOp::create);

// ---------------------------------------------------------------------------------------------------
// Pad. Opsets 2-10: 'pads' and 'value' attributes; 11+: pads input, optional constant_value input; 18+:
// optional axes input; 19+: mode 'wrap'. Negative pads crop first; the padding then refers to the cropped
// input (as ONNX Runtime does). reflect and wrap repeat periodically when the padding exceeds the input,
// as numpy.pad does.

enum class PadMode { kConstant, kEdge, kReflect, kWrap };

constexpr int kMaxPadRank = 32;

struct PadParams : OpParams {
  Dims out_dims;
  Dims in_strides;
  std::vector<int64_t> maps;  // per axis, per output index: the input index, or -1 for the constant
  Dims map_start;             // axis d's map begins at maps[map_start[d]]
  int64_t rows = 0;           // output rows (all dims but the last)
  int64_t copy_begin = 0, copy_end = 0;  // the last axis' interior, copied with one memcpy
  size_t element_size = 0;
  uint64_t attr_value_bits = 0;  // the 'value' attribute converted to the data dtype (opsets < 11)
};

// Output index -> input index (-1: the constant) for one axis of size n padded by (before, after).
absl::StatusOr<std::vector<int64_t>> pad_axis_map(int64_t n, int64_t before, int64_t after, PadMode mode) {
  const int64_t crop_begin = std::max<int64_t>(0, -before);
  const int64_t m = n - crop_begin - std::max<int64_t>(0, -after);
  if (m < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("pads (", before, ", ", after, ") crop more than the axis size ", n));
  }
  const int64_t b = std::max<int64_t>(0, before), out = m + b + std::max<int64_t>(0, after);
  if (m == 0 && out > 0 && mode != PadMode::kConstant) {
    return absl::InvalidArgumentError(absl::StrCat("cannot pad an empty axis (size ", n, " after cropping ",
                                                   "to ", m, ") in a mode other than 'constant'"));
  }
  std::vector<int64_t> map(out);
  for (int64_t j = 0; j < out; ++j) {
    int64_t k = j - b;
    if (k < 0 || k >= m) {
      switch (mode) {
        case PadMode::kConstant: map[j] = -1; continue;
        case PadMode::kEdge: k = std::clamp<int64_t>(k, 0, m - 1); break;
        case PadMode::kWrap: k = ((k % m) + m) % m; break;
        case PadMode::kReflect:
          if (m == 1) {
            k = 0;
          } else {
            const int64_t period = 2 * (m - 1);
            k = ((k % period) + period) % period;
            if (k >= m) k = period - k;
          }
          break;
      }
    }
    map[j] = crop_begin + k;
  }
  return map;
}

template <typename T>
void pad_rows(const PadParams& p, const T* in, T* out, T fill) {
  const int last = static_cast<int>(p.out_dims.size()) - 1;
  const int64_t width = p.out_dims[last];
  const int64_t* last_map = p.maps.data() + p.map_start[last];
  int64_t index[kMaxPadRank] = {};
  for (int64_t row = 0; row < p.rows; ++row) {
    T* dst = out + row * width;
    bool constant_row = false;
    int64_t off = 0;
    for (int d = 0; d < last; ++d) {
      const int64_t m = p.maps[p.map_start[d] + index[d]];
      if (m < 0) {
        constant_row = true;
        break;
      }
      off += m * p.in_strides[d];
    }
    if (constant_row) {
      std::fill(dst, dst + width, fill);
    } else {
      const T* src = in + off;
      for (int64_t j = 0; j < p.copy_begin; ++j) dst[j] = last_map[j] < 0 ? fill : src[last_map[j]];
      if (p.copy_end > p.copy_begin) {
        std::memcpy(dst + p.copy_begin, src + last_map[p.copy_begin],
                    static_cast<size_t>(p.copy_end - p.copy_begin) * sizeof(T));
      }
      for (int64_t j = p.copy_end; j < width; ++j) dst[j] = last_map[j] < 0 ? fill : src[last_map[j]];
    }
    for (int d = last - 1; d >= 0; --d) {
      if (++index[d] < p.out_dims[d]) break;
      index[d] = 0;
    }
  }
}

class PadOp : public Op {
 public:
  PadOp(int opset, PadMode mode, std::vector<int64_t> pads, double value)
      : opset_(opset), mode_(mode), attr_pads_(std::move(pads)), attr_value_(value) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const std::string mode_name = a.get_string("mode", "constant");
    std::vector<int64_t> pads;
    double value = 0;
    if (node.opset < 11) {
      if (!a.has("pads")) return node_error(node, "the 'pads' attribute is required before opset 11");
      pads = a.get_ints("pads");
      value = a.get_float("value", 0.0f);
    }
    SOFIE_RETURN_IF_ERROR(a.status());
    PadMode mode;
    if (mode_name == "constant") mode = PadMode::kConstant;
    else if (mode_name == "edge") mode = PadMode::kEdge;
    else if (mode_name == "reflect") mode = PadMode::kReflect;
    else if (mode_name == "wrap" && node.opset >= 19) mode = PadMode::kWrap;
    else {
      return node_error(node, absl::StrCat("mode '", mode_name, "' is not one of constant, reflect, edge",
                                           node.opset >= 19 ? ", wrap" : " (wrap needs opset 19)"));
    }
    return std::unique_ptr<Op>(std::make_unique<PadOp>(node.opset, mode, std::move(pads), value));
  }

  absl::Status infer(InferContext& ctx) override {
    if (opset_ < 11) {
      SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, opset_ >= 18 ? 4 : 3));
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kInt64, DType::kInt32}));
      if (ctx.has_input(2)) SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 2));
      if (ctx.has_input(3)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 3, {DType::kInt64, DType::kInt32}));
    }
    if (ctx.input_dtype(0) == DType::kUndefined) return unsupported(ctx.node(), "input 0 has an unsupported dtype");
    const SymShape& in = ctx.input_shape(0);
    const DType dtype = ctx.input_dtype(0);
    if (!in.rank_known()) {
      ctx.set_output(0, dtype, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    std::optional<std::vector<int64_t>> pads = attr_pads_;
    std::optional<std::vector<int64_t>> axes;
    if (opset_ >= 11) {
      SOFIE_ASSIGN_OR_RETURN(pads, load_time_ints(ctx, 1, "pads"));
      if (ctx.has_input(3)) {
        SOFIE_ASSIGN_OR_RETURN(axes, load_time_ints(ctx, 3, "axes"));
        if (!axes) pads.reset();
      }
    }
    if (!pads) {
      ctx.set_output(0, dtype, SymShape(std::vector<Dim>(in.rank(), Dim::unknown())));
      return absl::OkStatus();
    }
    SOFIE_ASSIGN_OR_RETURN(std::vector<int64_t> full, full_pads(ctx, *pads, axes, in.rank()));
    std::vector<Dim> out(in.dims());
    const int64_t rank = in.rank();
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t before = full[d], after = full[d + rank];
      if (out[d].is_known()) {
        const int64_t size = out[d].value + before + after;
        if (size < 0) {
          return ctx.error(absl::StrCat("pads (", before, ", ", after, ") crop more than the size ", out[d].value,
                                        " of axis ", d));
        }
        out[d] = Dim::known(size);
      } else if (before != 0 || after != 0) {
        out[d] = Dim::unknown();
      }
    }
    ctx.set_output(0, dtype, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& in = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(in.size());
    std::vector<int64_t> pads = attr_pads_;
    std::optional<std::vector<int64_t>> axes;
    if (opset_ >= 11) {
      SOFIE_ASSIGN_OR_RETURN(pads, plan_time_ints(ctx, 1, "pads"));
      if (ctx.has_input(3)) {
        SOFIE_ASSIGN_OR_RETURN(axes, plan_time_ints(ctx, 3, "axes"));
      }
      if (ctx.has_input(2) && ctx.input_shape(2).size() > 1) {
        return ctx.error(absl::StrCat("constant_value must be a scalar, got shape ",
                                      dims_string(ctx.input_shape(2))));
      }
    }
    SOFIE_ASSIGN_OR_RETURN(std::vector<int64_t> full, full_pads(ctx, pads, axes, rank));
    if (rank > kMaxPadRank) {
      return ctx.error(absl::StrCat("inputs of rank ", rank, " are not supported (at most ", kMaxPadRank, ")"));
    }
    auto& p = ctx.make_params<PadParams>();
    // A scalar is padded as a single element of a 1-D tensor (its pads are empty).
    const Dims dims = rank == 0 ? Dims{1} : in;
    if (rank == 0) full = {0, 0};
    const int64_t r = static_cast<int64_t>(dims.size());
    p.in_strides = row_major_strides(dims);
    p.element_size = dtype_size(ctx.input_dtype(0));
    for (int64_t d = 0; d < r; ++d) {
      auto map = pad_axis_map(dims[d], full[d], full[d + r], mode_);
      if (!map.ok()) return ctx.error(absl::StrCat("axis ", d, ": ", map.status().message()));
      p.map_start.push_back(static_cast<int64_t>(p.maps.size()));
      p.out_dims.push_back(static_cast<int64_t>(map->size()));
      p.maps.insert(p.maps.end(), map->begin(), map->end());
    }
    const int64_t last = r - 1;
    const int64_t crop_begin = std::max<int64_t>(0, -full[last]);
    const int64_t interior = dims[last] - crop_begin - std::max<int64_t>(0, -full[last + r]);
    p.copy_begin = std::max<int64_t>(0, full[last]);
    p.copy_end = p.copy_begin + interior;
    p.rows = num_elements(absl::Span<const int64_t>(p.out_dims).subspan(0, last));
    if (opset_ < 11) cast_elements(DType::kFloat64, &attr_value_, ctx.input_dtype(0), &p.attr_value_bits, 1);
    ctx.set_output_shape(0, rank == 0 ? Dims{} : p.out_dims);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<PadParams>();
    if (p.rows == 0 || p.out_dims.back() == 0) return absl::OkStatus();
    uint64_t fill_bits = p.attr_value_bits;
    if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
      std::memcpy(&fill_bits, ctx.input(2).data, p.element_size);
    }
    const void* in = ctx.input(0).data;
    void* out = ctx.output(0).data;
    switch (p.element_size) {
      case 1: run_typed<uint8_t>(p, in, out, fill_bits); break;
      case 2: run_typed<uint16_t>(p, in, out, fill_bits); break;
      case 4: run_typed<uint32_t>(p, in, out, fill_bits); break;
      default: run_typed<uint64_t>(p, in, out, fill_bits); break;
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  static void run_typed(const PadParams& p, const void* in, void* out, uint64_t fill_bits) {
    T fill;
    std::memcpy(&fill, &fill_bits, sizeof(T));
    pad_rows(p, static_cast<const T*>(in), static_cast<T*>(out), fill);
  }

  // Pads for every axis ([begin_0 .. begin_{r-1}, end_0 .. end_{r-1}]) from pads over `axes`.
  template <typename Ctx>
  static absl::StatusOr<std::vector<int64_t>> full_pads(const Ctx& ctx, const std::vector<int64_t>& pads,
                                                        const std::optional<std::vector<int64_t>>& axes,
                                                        int64_t rank) {
    if (!axes) {
      if (static_cast<int64_t>(pads.size()) != 2 * rank) {
        return ctx.error(absl::StrCat("pads [", absl::StrJoin(pads, ","), "] has ", pads.size(),
                                      " entries; expected ", 2 * rank, " (twice the input rank ", rank, ")"));
      }
      return pads;
    }
    const int64_t n = static_cast<int64_t>(axes->size());
    if (static_cast<int64_t>(pads.size()) != 2 * n) {
      return ctx.error(absl::StrCat("pads [", absl::StrJoin(pads, ","), "] has ", pads.size(), " entries; expected ",
                                    2 * n, " (twice the number of axes)"));
    }
    std::vector<int64_t> full(2 * rank, 0);
    std::vector<bool> seen(rank, false);
    for (int64_t i = 0; i < n; ++i) {
      auto axis = normalize_axis((*axes)[i], rank);
      if (!axis.ok()) return ctx.error(axis.status().message());
      if (seen[*axis]) return ctx.error(absl::StrCat("axes [", absl::StrJoin(*axes, ","), "] repeat an axis"));
      seen[*axis] = true;
      full[*axis] = pads[i];
      full[*axis + rank] = pads[i + n];
    }
    return full;
  }

  int opset_;
  PadMode mode_;
  std::vector<int64_t> attr_pads_;
  double attr_value_;
};

SOFIE_REGISTER_OP("", "Pad", 2, 10, &PadOp::create);
SOFIE_REGISTER_OP("", "Pad", 11, 17, &PadOp::create);
SOFIE_REGISTER_OP("", "Pad", 18, 18, &PadOp::create);
SOFIE_REGISTER_OP("", "Pad", 19, kMaxOpset, &PadOp::create);

}  // namespace
}  // namespace sofie::ops
