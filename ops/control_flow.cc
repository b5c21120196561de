// Control flow and data-dependent shapes: If, Loop, Scan (subgraphs run through RunContext::subgraphs) and
// NonZero. All their outputs are dynamic (ReshapeContext::set_output_dynamic), so plans containing them run
// eagerly (runtime/eager.h).
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

using TypeList = std::vector<std::pair<DType, SymShape>>;

const Graph* graph_attribute(const Node& node, const char* name, absl::Status* status) {
  const Attribute* a = node.find_attribute(name);
  if (a == nullptr || a->type != Attribute::Type::kGraph || !a->g) {
    if (status->ok()) *status = node_error(node, absl::StrCat("graph attribute '", name, "' is missing"));
    return nullptr;
  }
  return a->g.get();
}

void mark_all_dynamic(ReshapeContext& ctx) {
  for (int k = 0; k < ctx.num_outputs(); ++k) {
    if (ctx.has_output(k)) ctx.set_output_dynamic(k);
  }
}

// Reads a one-element tensor as bool / int64.
bool scalar_bool(const TensorView& v) { return v.numel() > 0 && v.data_as<uint8_t>()[0] != 0; }
int64_t scalar_int64(const TensorView& v) {
  if (v.numel() == 0) return 0;
  return v.dtype == DType::kInt32 ? v.data_as<int32_t>()[0] : v.data_as<int64_t>()[0];
}

// The subgraph's declared dtype/shape of output k.
std::pair<DType, SymShape> output_type(const Graph& g, size_t k) {
  const Value& v = g.value(g.outputs()[k]);
  return {v.dtype, v.shape};
}

// Copies `n` elements of `bytes_per` bytes; both views are dense.
void copy_bytes(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}

// ---------------------------------------------------------------------------------------------------
class IfOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    auto op = std::make_unique<IfOp>();
    absl::Status st;
    op->then_ = graph_attribute(node, "then_branch", &st);
    op->else_ = graph_attribute(node, "else_branch", &st);
    if (!st.ok()) return st;
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kBool}));
    SOFIE_RETURN_IF_ERROR(infer_subgraph(*then_, {}));
    SOFIE_RETURN_IF_ERROR(infer_subgraph(*else_, {}));
    if (then_->outputs().size() != static_cast<size_t>(ctx.num_outputs()) ||
        else_->outputs().size() != static_cast<size_t>(ctx.num_outputs())) {
      return ctx.error(absl::StrCat("the branches have ", then_->outputs().size(), " and ", else_->outputs().size(),
                                    " outputs, the node ", ctx.num_outputs()));
    }
    for (int k = 0; k < ctx.num_outputs(); ++k) {
      auto [t_type, t_shape] = output_type(*then_, k);
      auto [e_type, e_shape] = output_type(*else_, k);
      if (t_type != e_type) {
        return ctx.error(absl::StrCat("output ", k, " is ", dtype_name(t_type), " in then_branch but ",
                                      dtype_name(e_type), " in else_branch"));
      }
      SymShape shape;  // unknown rank unless both branches agree on it
      if (t_shape.rank_known() && e_shape.rank_known() && t_shape.rank() == e_shape.rank()) {
        std::vector<Dim> dims;
        for (int64_t d = 0; d < t_shape.rank(); ++d) dims.push_back(t_shape[d] == e_shape[d] ? t_shape[d] : Dim::unknown());
        shape = SymShape(std::move(dims));
      }
      ctx.set_output(k, t_type, shape);
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    if (num_elements(ctx.input_shape(0)) != 1) {
      return ctx.error(absl::StrCat("cond must have one element, has shape ", dims_string(ctx.input_shape(0))));
    }
    mark_all_dynamic(ctx);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const Graph& branch = scalar_bool(ctx.input(0)) ? *then_ : *else_;
    std::vector<TensorView> outs;
    SOFIE_RETURN_IF_ERROR(ctx.subgraphs->run(branch, ctx, {}, &outs));
    for (int k = 0; k < ctx.num_outputs; ++k) {
      if (ctx.has_output(k)) ctx.output(k) = outs[k];  // branch results live until the inference ends
    }
    return absl::OkStatus();
  }

 private:
  const Graph* then_ = nullptr;
  const Graph* else_ = nullptr;
};

SOFIE_REGISTER_OP("", "If", 1, kMaxOpset, &IfOp::create);

// ---------------------------------------------------------------------------------------------------
// Stacks per-iteration tensors of equal shape into [count, ...shape] (axis 0), or along `axis`.
absl::Status stack_outputs(const RunContext& ctx, int out, const std::vector<TensorView>& parts, int64_t axis,
                           bool reverse, const SymShape& declared) {
  Dims elem;
  if (!parts.empty()) {
    elem = parts[0].shape;
  } else if (declared.rank_known() && declared.is_static()) {
    elem = declared.to_dims();
  }
  for (const TensorView& p : parts) {
    if (p.shape != elem) {
      return ctx.error(absl::StrCat("scan output ", out, " changes shape across iterations: ", dims_string(elem),
                                    " then ", dims_string(p.shape)));
    }
  }
  const int64_t rank = static_cast<int64_t>(elem.size()) + 1;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return ctx.error(absl::StrCat("scan output axis out of range for rank ", rank));
  Dims shape = elem;
  shape.insert(shape.begin() + axis, static_cast<int64_t>(parts.size()));
  SOFIE_ASSIGN_OR_RETURN(TensorView * dst, ctx.allocate_output(out, shape));
  const size_t esize = dtype_size(dst->dtype);
  // outer = product of elem dims before axis; inner = after.
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= elem[d];
  for (size_t d = axis; d < elem.size(); ++d) inner *= elem[d];
  const int64_t count = static_cast<int64_t>(parts.size());
  char* base = static_cast<char*>(dst->data);
  for (int64_t t = 0; t < count; ++t) {
    const char* src = static_cast<const char*>(parts[reverse ? count - 1 - t : t].data);
    for (int64_t o = 0; o < outer; ++o) {
      copy_bytes(base + ((o * count + t) * inner) * esize, src + o * inner * esize, inner * esize);
    }
  }
  return absl::OkStatus();
}

class LoopOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    auto op = std::make_unique<LoopOp>();
    absl::Status st;
    op->body_ = graph_attribute(node, "body", &st);
    if (!st.ok()) return st;
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() < 2) return ctx.error("needs inputs M and cond (each may be empty)");
    if (ctx.has_input(0)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kInt64}));
    if (ctx.has_input(1)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kBool}));
    carried_ = ctx.num_inputs() - 2;
    TypeList types = {{DType::kInt64, SymShape::of({})}, {DType::kBool, SymShape::of({})}};
    for (int k = 2; k < ctx.num_inputs(); ++k) {
      if (!ctx.has_input(k)) return ctx.error(absl::StrCat("loop-carried input ", k, " is missing"));
      types.push_back({ctx.input_dtype(k), ctx.input_shape(k)});
    }
    SOFIE_RETURN_IF_ERROR(infer_subgraph(*body_, types));
    const int body_outputs = static_cast<int>(body_->outputs().size());
    if (body_outputs < 1 + carried_) {
      return ctx.error(absl::StrCat("the body has ", body_outputs, " outputs, needs at least ", 1 + carried_));
    }
    scans_ = body_outputs - 1 - carried_;
    if (ctx.num_outputs() > carried_ + scans_) {
      return ctx.error(absl::StrCat("the node has ", ctx.num_outputs(), " outputs, the body gives ", carried_ + scans_));
    }
    for (int k = 0; k < ctx.num_outputs(); ++k) {
      auto [dtype, shape] = output_type(*body_, 1 + k);
      if (k < carried_) {
        ctx.set_output(k, dtype, shape.rank_known() && shape == ctx.input_shape(2 + k) ? shape : SymShape());
      } else {
        std::vector<Dim> dims = {Dim::unknown()};
        if (shape.rank_known()) dims.insert(dims.end(), shape.dims().begin(), shape.dims().end());
        ctx.set_output(k, dtype, shape.rank_known() ? SymShape(dims) : SymShape());
      }
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    mark_all_dynamic(ctx);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const int64_t max_trips = ctx.has_input(0) ? scalar_int64(ctx.input(0)) : std::numeric_limits<int64_t>::max();
    bool cond = ctx.has_input(1) ? scalar_bool(ctx.input(1)) : true;
    std::vector<TensorView> carried;
    for (int k = 0; k < carried_; ++k) carried.push_back(ctx.input(2 + k));
    std::vector<std::vector<TensorView>> scans(scans_);
    std::vector<TensorView> inputs(2 + carried_), outs;
    for (int64_t i = 0; i < max_trips && cond; ++i) {
      // Iteration state lives in the bump arena until the inference ends (no per-iteration release:
      // the scan outputs and the carried values of earlier iterations are read later).
      auto* iter = static_cast<int64_t*>(ctx.allocator->allocate(sizeof(int64_t)));
      auto* cond_in = static_cast<uint8_t*>(ctx.allocator->allocate(1));
      *iter = i;
      *cond_in = cond ? 1 : 0;
      inputs[0] = TensorView(DType::kInt64, Dims{}, iter);
      inputs[1] = TensorView(DType::kBool, Dims{}, cond_in);
      for (int k = 0; k < carried_; ++k) inputs[2 + k] = carried[k];
      SOFIE_RETURN_IF_ERROR(ctx.subgraphs->run(*body_, ctx, inputs, &outs));
      cond = scalar_bool(outs[0]);
      for (int k = 0; k < carried_; ++k) carried[k] = outs[1 + k];
      for (int k = 0; k < scans_; ++k) scans[k].push_back(outs[1 + carried_ + k]);
    }
    for (int k = 0; k < ctx.num_outputs; ++k) {
      if (!ctx.has_output(k)) continue;
      if (k < carried_) {
        ctx.output(k) = carried[k];
      } else {
        SOFIE_RETURN_IF_ERROR(
            stack_outputs(ctx, k, scans[k - carried_], 0, false, output_type(*body_, 1 + k).second));
      }
    }
    return absl::OkStatus();
  }

 private:
  const Graph* body_ = nullptr;
  int carried_ = 0;
  int scans_ = 0;
};

SOFIE_REGISTER_OP("", "Loop", 1, kMaxOpset, &LoopOp::create);

// ---------------------------------------------------------------------------------------------------
// Scan, opset 9 and later (opset 8's batch axis and sequence_lens are not supported).
class ScanOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    auto op = std::make_unique<ScanOp>();
    absl::Status st;
    op->body_ = graph_attribute(node, "body", &st);
    if (!st.ok()) return st;
    Attrs a(node);
    op->num_scan_inputs_ = a.require_int("num_scan_inputs");
    op->input_axes_ = a.get_ints("scan_input_axes");
    op->input_dirs_ = a.get_ints("scan_input_directions");
    op->output_axes_ = a.get_ints("scan_output_axes");
    op->output_dirs_ = a.get_ints("scan_output_directions");
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    const int m = static_cast<int>(num_scan_inputs_);
    if (m < 1 || m > ctx.num_inputs()) {
      return ctx.error(absl::StrCat("num_scan_inputs ", num_scan_inputs_, " must be in [1, ", ctx.num_inputs(), "]"));
    }
    states_ = ctx.num_inputs() - m;
    if (input_axes_.empty()) input_axes_.assign(m, 0);
    if (input_dirs_.empty()) input_dirs_.assign(m, 0);
    if (static_cast<int>(input_axes_.size()) != m || static_cast<int>(input_dirs_.size()) != m) {
      return ctx.error("scan_input_axes/scan_input_directions must have num_scan_inputs entries");
    }
    TypeList types;
    for (int k = 0; k < ctx.num_inputs(); ++k) {
      if (!ctx.has_input(k)) return ctx.error(absl::StrCat("input ", k, " is missing"));
      SymShape s = ctx.input_shape(k);
      if (k >= states_ && s.rank_known()) {
        auto axis = normalize_axis(input_axes_[k - states_], s.rank());
        if (!axis.ok()) return ctx.error(axis.status().message());
        std::vector<Dim> dims = s.dims();
        dims.erase(dims.begin() + *axis);
        s = SymShape(dims);
      } else if (k >= states_) {
        s = SymShape();
      }
      types.push_back({ctx.input_dtype(k), s});
    }
    SOFIE_RETURN_IF_ERROR(infer_subgraph(*body_, types));
    const int body_outputs = static_cast<int>(body_->outputs().size());
    scans_out_ = body_outputs - states_;
    if (scans_out_ < 0 || ctx.num_outputs() > body_outputs) {
      return ctx.error(absl::StrCat("the body has ", body_outputs, " outputs for ", states_, " states"));
    }
    if (output_axes_.empty()) output_axes_.assign(scans_out_, 0);
    if (output_dirs_.empty()) output_dirs_.assign(scans_out_, 0);
    if (static_cast<int>(output_axes_.size()) != scans_out_ || static_cast<int>(output_dirs_.size()) != scans_out_) {
      return ctx.error("scan_output_axes/scan_output_directions must have one entry per scan output");
    }
    for (int k = 0; k < ctx.num_outputs(); ++k) {
      auto [dtype, shape] = output_type(*body_, k);
      ctx.set_output(k, dtype, k < states_ ? shape : SymShape());
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    int64_t length = -1;
    for (int k = states_; k < ctx.num_inputs(); ++k) {
      const Dims& s = ctx.input_shape(k);
      auto axis = normalize_axis(input_axes_[k - states_], static_cast<int64_t>(s.size()));
      if (!axis.ok()) return ctx.error(axis.status().message());
      if (length >= 0 && s[*axis] != length) {
        return ctx.error(absl::StrCat("scan inputs disagree on the sequence length: ", length, " vs ", s[*axis]));
      }
      length = s[*axis];
    }
    mark_all_dynamic(ctx);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const int m = static_cast<int>(num_scan_inputs_);
    std::vector<TensorView> states;
    for (int k = 0; k < states_; ++k) states.push_back(ctx.input(k));
    // Sequence length and per-input slicing geometry.
    struct Slicing {
      int64_t axis, outer, inner, length;
      size_t esize;
    };
    std::vector<Slicing> sl(m);
    int64_t length = 0;
    for (int j = 0; j < m; ++j) {
      const TensorView& in = ctx.input(states_ + j);
      int64_t axis = input_axes_[j] < 0 ? input_axes_[j] + in.rank() : input_axes_[j];
      int64_t outer = 1, inner = 1;
      for (int64_t d = 0; d < axis; ++d) outer *= in.shape[d];
      for (int64_t d = axis + 1; d < in.rank(); ++d) inner *= in.shape[d];
      sl[j] = {axis, outer, inner, in.shape[axis], dtype_size(in.dtype)};
      length = in.shape[axis];
    }
    std::vector<std::vector<TensorView>> scans(scans_out_);
    std::vector<TensorView> inputs(states_ + m), outs;
    for (int64_t t = 0; t < length; ++t) {
      for (int k = 0; k < states_; ++k) inputs[k] = states[k];
      for (int j = 0; j < m; ++j) {
        const TensorView& in = ctx.input(states_ + j);
        const Slicing& s = sl[j];
        const int64_t step = input_dirs_[j] ? length - 1 - t : t;
        Dims shape = in.shape;
        shape.erase(shape.begin() + s.axis);
        char* dst = static_cast<char*>(ctx.allocator->allocate(s.outer * s.inner * s.esize));
        const char* src = static_cast<const char*>(in.data);
        for (int64_t o = 0; o < s.outer; ++o) {
          copy_bytes(dst + o * s.inner * s.esize, src + ((o * s.length + step) * s.inner) * s.esize, s.inner * s.esize);
        }
        inputs[states_ + j] = TensorView(in.dtype, shape, static_cast<void*>(dst));
      }
      SOFIE_RETURN_IF_ERROR(ctx.subgraphs->run(*body_, ctx, inputs, &outs));
      for (int k = 0; k < states_; ++k) states[k] = outs[k];
      for (int k = 0; k < scans_out_; ++k) scans[k].push_back(outs[states_ + k]);
    }
    for (int k = 0; k < ctx.num_outputs; ++k) {
      if (!ctx.has_output(k)) continue;
      if (k < states_) {
        ctx.output(k) = states[k];
      } else {
        const int j = k - states_;
        SOFIE_RETURN_IF_ERROR(stack_outputs(ctx, k, scans[j], output_axes_[j], output_dirs_[j] != 0,
                                            output_type(*body_, k).second));
      }
    }
    return absl::OkStatus();
  }

 private:
  const Graph* body_ = nullptr;
  int64_t num_scan_inputs_ = 0;
  std::vector<int64_t> input_axes_, input_dirs_, output_axes_, output_dirs_;
  int states_ = 0;
  int scans_out_ = 0;
};

SOFIE_REGISTER_OP("", "Scan", 9, kMaxOpset, &ScanOp::create);

// ---------------------------------------------------------------------------------------------------
// Scan, opset 8: every input and output carries a leading batch axis, scan inputs are [batch, seq, ...]
// (scanned along axis 1), states [batch, ...]; the first input is the optional sequence_lens. Each batch
// entry runs the body over its sequence. sequence_lens shorter than the sequence (padded batches) are
// not supported (an error at run time).
class Scan8Op : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    auto op = std::make_unique<Scan8Op>();
    absl::Status st;
    op->body_ = graph_attribute(node, "body", &st);
    if (!st.ok()) return st;
    Attrs a(node);
    op->num_scan_inputs_ = a.require_int("num_scan_inputs");
    op->dirs_ = a.get_ints("directions");
    SOFIE_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    const int m = static_cast<int>(num_scan_inputs_);
    const int data_inputs = ctx.num_inputs() - 1;
    if (m < 1 || m > data_inputs) {
      return ctx.error(absl::StrCat("num_scan_inputs ", num_scan_inputs_, " must be in [1, ", data_inputs, "]"));
    }
    states_ = data_inputs - m;
    if (dirs_.empty()) dirs_.assign(m, 0);
    if (static_cast<int>(dirs_.size()) != m) return ctx.error("directions must have num_scan_inputs entries");
    TypeList types;
    for (int k = 1; k < ctx.num_inputs(); ++k) {
      if (!ctx.has_input(k)) return ctx.error(absl::StrCat("input ", k, " is missing"));
      const SymShape& s = ctx.input_shape(k);
      const int drop = k - 1 < states_ ? 1 : 2;  // batch axis; also the sequence axis for scan inputs
      if (s.rank_known() && s.rank() < drop) {
        return ctx.error(absl::StrCat("input ", k, " has shape ", s.to_string(), "; expected a batch axis",
                                      drop == 2 ? " and a sequence axis" : ""));
      }
      types.push_back({ctx.input_dtype(k),
                       s.rank_known() ? SymShape(std::vector<Dim>(s.dims().begin() + drop, s.dims().end()))
                                      : SymShape()});
    }
    SOFIE_RETURN_IF_ERROR(infer_subgraph(*body_, types));
    scans_out_ = static_cast<int>(body_->outputs().size()) - states_;
    if (scans_out_ < 0 || ctx.num_outputs() > static_cast<int>(body_->outputs().size())) {
      return ctx.error(absl::StrCat("the body has ", body_->outputs().size(), " outputs for ", states_, " states"));
    }
    for (int k = 0; k < ctx.num_outputs(); ++k) ctx.set_output(k, output_type(*body_, k).first, SymShape());
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    mark_all_dynamic(ctx);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const int m = static_cast<int>(num_scan_inputs_);
    const TensorView& first = ctx.input(1);
    if (first.rank() < 1) return ctx.error("inputs need a batch axis");
    const int64_t batch = first.shape[0];
    int64_t length = -1;
    for (int j = 0; j < m; ++j) {
      const TensorView& in = ctx.input(1 + states_ + j);
      if (in.rank() < 2 || in.shape[0] != batch) return ctx.error("scan inputs must be [batch, sequence, ...]");
      if (length >= 0 && in.shape[1] != length) return ctx.error("scan inputs disagree on the sequence length");
      length = in.shape[1];
    }
    if (ctx.has_input(0)) {
      const TensorView& lens = ctx.input(0);
      for (int64_t b = 0; b < lens.numel(); ++b) {
        const int64_t l = lens.dtype == DType::kInt32 ? lens.data_as<int32_t>()[b] : lens.data_as<int64_t>()[b];
        if (l != length) {
          return unsupported(*ctx.node, absl::StrCat("sequence_lens[", b, "] = ", l, " is shorter than the sequence (",
                                                     length, "): padded batches are not supported"));
        }
      }
    }
    // Per batch entry: views of its slice (no copy: the batch axis is outermost).
    auto slice = [](const TensorView& t, int64_t b) {
      Dims shape(t.shape.begin() + 1, t.shape.end());
      const size_t bytes = static_cast<size_t>(num_elements(shape)) * dtype_size(t.dtype);
      return TensorView(t.dtype, shape, static_cast<void*>(static_cast<char*>(t.data) + b * bytes));
    };
    std::vector<std::vector<TensorView>> results(batch);  // per batch: final states, then stacked scans
    std::vector<TensorView> inputs(states_ + m), outs;
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<TensorView> states;
      for (int k = 0; k < states_; ++k) states.push_back(slice(ctx.input(1 + k), b));
      std::vector<std::vector<TensorView>> scans(scans_out_);
      for (int64_t t = 0; t < length; ++t) {
        for (int k = 0; k < states_; ++k) inputs[k] = states[k];
        for (int j = 0; j < m; ++j) {
          const TensorView seq = slice(ctx.input(1 + states_ + j), b);  // [length, ...]
          inputs[states_ + j] = slice(seq, dirs_[j] ? length - 1 - t : t);
        }
        SOFIE_RETURN_IF_ERROR(ctx.subgraphs->run(*body_, ctx, inputs, &outs));
        for (int k = 0; k < states_; ++k) states[k] = outs[k];
        for (int k = 0; k < scans_out_; ++k) scans[k].push_back(outs[states_ + k]);
      }
      results[b] = states;
      for (int k = 0; k < scans_out_; ++k) {
        // Stack this entry's scan outputs into arena memory ([length, ...]).
        const std::vector<TensorView>& parts = scans[k];
        Dims shape = parts.empty() ? Dims{} : parts[0].shape;
        shape.insert(shape.begin(), length);
        const DType dtype = parts.empty() ? output_type(*body_, states_ + k).first : parts[0].dtype;
        const size_t part_bytes = parts.empty() ? 0 : parts[0].nbytes();
        char* dst = static_cast<char*>(ctx.allocator->allocate(part_bytes * static_cast<size_t>(length)));
        for (int64_t t = 0; t < length; ++t) {
          if (parts[t].shape != parts[0].shape) return ctx.error("a scan output changes shape across iterations");
          copy_bytes(dst + t * part_bytes, parts[t].data, part_bytes);
        }
        results[b].push_back(TensorView(dtype, shape, static_cast<void*>(dst)));
      }
    }
    // Outputs: [batch, ...] of every per-entry result (all entries share a shape).
    for (int k = 0; k < ctx.num_outputs; ++k) {
      if (!ctx.has_output(k)) continue;
      Dims elem = batch > 0 ? results[0][k].shape : Dims{};
      for (int64_t b = 1; b < batch; ++b) {
        if (results[b][k].shape != elem) return ctx.error(absl::StrCat("output ", k, " differs in shape across the batch"));
      }
      Dims shape = elem;
      shape.insert(shape.begin(), batch);
      SOFIE_ASSIGN_OR_RETURN(TensorView * dst, ctx.allocate_output(k, shape));
      const size_t bytes = static_cast<size_t>(num_elements(elem)) * dtype_size(dst->dtype);
      for (int64_t b = 0; b < batch; ++b) {
        copy_bytes(static_cast<char*>(dst->data) + b * bytes, results[b][k].data, bytes);
      }
    }
    return absl::OkStatus();
  }

 private:
  const Graph* body_ = nullptr;
  int64_t num_scan_inputs_ = 0;
  std::vector<int64_t> dirs_;
  int states_ = 0;
  int scans_out_ = 0;
};

SOFIE_REGISTER_OP("", "Scan", 8, 8, &Scan8Op::create);

// ---------------------------------------------------------------------------------------------------
class NonZeroOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<NonZeroOp>());
  }
  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    const SymShape& s = ctx.input_shape(0);
    ctx.set_output(0, DType::kInt64,
                   s.rank_known() ? SymShape({Dim::known(s.rank()), Dim::unknown()}) : SymShape());
    return absl::OkStatus();
  }
  absl::Status reshape(ReshapeContext& ctx) const override {
    ctx.set_output_dynamic(0);
    return absl::OkStatus();
  }
  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    const int64_t n = x.numel();
    int64_t count = 0;
    bool ok = visit_any(x.dtype, [&](auto tag) {
      using T = decltype(tag);
      const T* p = x.data_as<T>();
      for (int64_t i = 0; i < n; ++i) count += p[i] != T{};
    });
    if (!ok) return ctx.error("unsupported input dtype");
    const int64_t rank = x.rank();
    SOFIE_ASSIGN_OR_RETURN(TensorView * out, ctx.allocate_output(0, Dims{rank, count}));
    int64_t* o = out->data_as<int64_t>();
    Dims strides = row_major_strides(x.shape);
    visit_any(x.dtype, [&](auto tag) {
      using T = decltype(tag);
      const T* p = x.data_as<T>();
      int64_t col = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (p[i] == T{}) continue;
        int64_t rest = i;
        for (int64_t d = 0; d < rank; ++d) {
          o[d * count + col] = rest / strides[d];
          rest %= strides[d];
        }
        ++col;
      }
    });
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "NonZero", 9, kMaxOpset, &NonZeroOp::create);

}  // namespace
}  // namespace sofie::ops
