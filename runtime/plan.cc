#include "runtime/plan.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/eager.h"
#include "runtime/status.h"

namespace sofie {
namespace {

// Values up to this size whose inputs are all known while planning are computed once, at plan time.
constexpr size_t kMaxPlanFoldBytes = size_t{1} << 20;

size_t align_up(size_t n) { return (n + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment; }

std::vector<ReshapeContext::Port> output_ports(const Node& node, absl::Span<const DType> dtypes) {
  std::vector<ReshapeContext::Port> ports(node.outputs.size());
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    ports[k].present = node.outputs[k] != kNoValue;
    ports[k].dtype = dtypes[k];
  }
  return ports;
}

// Checks what reshape() produced: every present output has a shape of sane size.
absl::Status check_reshape_outputs(const Node& node, const ReshapeContext& ctx) {
  for (int k = 0; k < ctx.num_outputs(); ++k) {
    if (!ctx.has_output(k)) continue;
    if (!ctx.output_shape_set(k)) {
      return absl::InternalError(absl::StrCat(node.describe(), ": reshape set no shape for output ", k));
    }
    auto n = checked_num_elements(ctx.output(k).shape);
    if (!n.ok()) return node_error(node, absl::StrCat("output ", k, ": ", n.status().message()));
    if (static_cast<size_t>(*n) * dtype_size(ctx.output(k).dtype) > static_cast<size_t>(kMaxBytes)) {
      return node_error(node, absl::StrCat("output ", k, " of shape ", dims_string(ctx.output(k).shape),
                                           " is larger than 2^38 bytes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Tensor>> evaluate_node(const Node& node, absl::Span<const TensorView* const> inputs,
                                                  absl::Span<const DType> output_dtypes) {
  std::vector<ReshapeContext::Port> in_ports(inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k] == nullptr) continue;
    in_ports[k] = {inputs[k]->dtype, inputs[k]->shape, inputs[k], true};
  }
  ReshapeContext ctx(node, std::move(in_ports), output_ports(node, output_dtypes));
  SOFIE_RETURN_IF_ERROR(node.op->reshape(ctx));
  SOFIE_RETURN_IF_ERROR(check_reshape_outputs(node, ctx));

  std::vector<Tensor> results(node.outputs.size());
  std::vector<TensorView*> out_ptrs(node.outputs.size(), nullptr);
  std::vector<Tensor>& known = ctx.output_values();
  bool all_known = true;
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    if (!ctx.has_output(k)) continue;
    if (k < known.size() && known[k].dtype() != DType::kUndefined) {
      results[k] = known[k];
      continue;
    }
    all_known = false;
    if (ctx.alias_output() == static_cast<int>(k)) {
      const TensorView& src = *inputs[ctx.alias_input()];
      results[k] = Tensor::copy_of(TensorView(src.dtype, ctx.output(k).shape, src.data));
    } else {
      results[k] = Tensor::zeros(ctx.output(k).dtype, ctx.output(k).shape);
    }
    out_ptrs[k] = &results[k].mutable_view();
  }
  if (all_known) return results;

  AlignedBuffer workspace;
  if (ctx.workspace() > 0) workspace.reserve(ctx.workspace());
  BumpArena dynamic_outputs;  // for outputs whose shape the data decides (copied out below)
  std::vector<TensorView> dynamic_views(node.outputs.size());
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    if (ctx.has_output(k) && ctx.output_dynamic(static_cast<int>(k))) {
      dynamic_views[k].dtype = ctx.output(k).dtype;
      out_ptrs[k] = &dynamic_views[k];
    }
  }
  std::unique_ptr<OpParams> params = ctx.take_params();
  RunContext run;
  run.node = &node;
  run.inputs = inputs.data();
  run.outputs = out_ptrs.data();
  run.num_inputs = static_cast<int>(inputs.size());
  run.num_outputs = static_cast<int>(out_ptrs.size());
  run.workspace = workspace.data();
  run.params = params.get();
  run.allocator = &dynamic_outputs;
  SOFIE_RETURN_IF_ERROR(node.op->run(run));
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    if (dynamic_views[k].dtype != DType::kUndefined) results[k] = Tensor::copy_of(dynamic_views[k]);
  }
  return results;
}

namespace {

// Graph inputs that `v` is computed from and whose values could key a plan: small integer tensors.
uint64_t valuable_inputs_upstream(const Graph& g, const std::vector<Plan::Slot>& slots, ValueId v) {
  uint64_t found = 0;
  std::vector<ValueId> stack = {v};
  std::vector<bool> seen(g.values().size(), false);
  while (!stack.empty()) {
    ValueId x = stack.back();
    stack.pop_back();
    if (x == kNoValue || seen[x]) continue;
    seen[x] = true;
    const Plan::Slot& s = slots[x];
    if (s.storage == Plan::Storage::kInput) {
      if ((s.dtype == DType::kInt64 || s.dtype == DType::kInt32) && s.index < 64 &&
          num_elements(s.shape) <= kMaxValuedInputElements) {
        found |= uint64_t{1} << s.index;
      }
    } else if (g.value(x).producer >= 0) {
      for (ValueId in : g.nodes()[g.value(x).producer].inputs) stack.push_back(in);
    }
  }
  return found;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Plan>> Plan::build(std::shared_ptr<const Graph> graph,
                                                        absl::Span<const TensorView> inputs,
                                                        uint64_t valued_inputs, uint64_t* wanted_inputs) {
  *wanted_inputs = 0;
  auto plan = std::make_shared<Plan>();
  plan->graph_ = graph;
  const Graph& g = *graph;
  std::vector<Slot>& slots = plan->slots_;
  slots.resize(g.values().size());
  for (size_t v = 0; v < slots.size(); ++v) {
    const Value& value = g.values()[v];
    slots[v].dtype = value.dtype;
    if (value.constant) {
      slots[v].storage = Storage::kConstant;
      slots[v].constant = value.constant.get();
      slots[v].shape = value.constant->shape();
    }
  }
  auto add_constant = [&](ValueId v, Tensor t) {
    plan->constants_.push_back(std::make_unique<Tensor>(std::move(t)));
    slots[v].storage = Storage::kConstant;
    slots[v].constant = plan->constants_.back().get();
    slots[v].shape = slots[v].constant->shape();
  };
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    if (i < 64 && (valued_inputs >> i) & 1) {
      add_constant(g.inputs()[i], Tensor::copy_of(inputs[i]));
      continue;
    }
    Slot& s = slots[g.inputs()[i]];
    s.storage = Storage::kInput;
    s.index = static_cast<int32_t>(i);
    s.shape = inputs[i].shape;
  }

  struct InPlace {
    int step;
    ValueId out, in;
  };
  std::vector<InPlace> inplace;  // candidates, in step order
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    bool outputs_known = std::all_of(node.outputs.begin(), node.outputs.end(), [&](ValueId v) {
      return v == kNoValue || slots[v].storage == Storage::kConstant;
    });
    if (outputs_known) continue;  // folded at load time

    std::vector<ReshapeContext::Port> in_ports(node.inputs.size());
    std::vector<TensorView> known_views(node.inputs.size());
    bool inputs_known = true;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      ValueId v = node.inputs[k];
      if (v == kNoValue) continue;
      const Slot& s = slots[v];
      if (s.storage == Storage::kAbsent) {
        return absl::InternalError(absl::StrCat(node.describe(), ": input '", g.value(v).name, "' was not planned"));
      }
      in_ports[k] = {s.dtype, s.shape, nullptr, true};
      if (s.storage == Storage::kConstant) {
        known_views[k] = s.constant->view();
        in_ports[k].value = &known_views[k];
      } else {
        inputs_known = false;
      }
    }
    std::vector<DType> out_dtypes;
    for (ValueId v : node.outputs) out_dtypes.push_back(v == kNoValue ? DType::kUndefined : slots[v].dtype);
    ReshapeContext ctx(node, in_ports, output_ports(node, out_dtypes));
    absl::Status reshaped = node.op->reshape(ctx);
    auto eager_plan = [&] {
      auto eager = std::make_shared<Plan>();
      eager->graph_ = graph;
      eager->eager_ = true;
      return std::shared_ptr<const Plan>(std::move(eager));
    };
    if (!reshaped.ok()) {
      if (ctx.wanted_values() == 0) return reshaped;
      for (size_t k = 0; k < node.inputs.size() && k < 64; ++k) {
        if ((ctx.wanted_values() >> k) & 1) *wanted_inputs |= valuable_inputs_upstream(g, slots, node.inputs[k]);
      }
      *wanted_inputs &= ~valued_inputs;
      if (*wanted_inputs != 0) return reshaped;  // the caller keys plans on those inputs and retries
      return eager_plan();  // a shape computed from tensor data: only known while running
    }
    if (ctx.any_output_dynamic()) return eager_plan();
    SOFIE_RETURN_IF_ERROR(check_reshape_outputs(node, ctx));

    // Outputs known from shapes alone (Shape, Size) become plan constants.
    std::vector<Tensor>& values = ctx.output_values();
    bool all_values = !values.empty();
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k] == kNoValue) continue;
      if (k >= values.size() || values[k].dtype() == DType::kUndefined) all_values = false;
    }
    if (all_values) {
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        if (node.outputs[k] != kNoValue) add_constant(node.outputs[k], std::move(values[k]));
      }
      continue;
    }

    size_t out_bytes = 0;
    for (int k = 0; k < ctx.num_outputs(); ++k) {
      if (ctx.has_output(k)) out_bytes += num_elements(ctx.output(k).shape) * dtype_size(ctx.output(k).dtype);
    }
    if (inputs_known && node.op->foldable() && out_bytes <= kMaxPlanFoldBytes) {
      std::vector<const TensorView*> ins(node.inputs.size(), nullptr);
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        if (node.inputs[k] != kNoValue) ins[k] = &known_views[k];
      }
      SOFIE_ASSIGN_OR_RETURN(std::vector<Tensor> results, evaluate_node(node, ins, out_dtypes));
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        if (node.outputs[k] != kNoValue) add_constant(node.outputs[k], std::move(results[k]));
      }
      continue;
    }

    Step step;
    step.node = static_cast<int32_t>(n);
    step.params = ctx.take_params();
    step.workspace_bytes = ctx.workspace();
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      ValueId v = node.outputs[k];
      if (v == kNoValue) continue;
      Slot& s = slots[v];
      s.shape = ctx.output(k).shape;
      if (ctx.alias_output() == static_cast<int>(k)) {
        ValueId src = node.inputs[ctx.alias_input()];
        const Slot& from = slots[src];
        if (from.storage == Storage::kConstant) {
          add_constant(v, from.constant->reshaped(s.shape));
        } else {
          s.storage = Storage::kAlias;
          s.alias_of = from.storage == Storage::kAlias ? from.alias_of : src;
        }
      } else {
        s.storage = Storage::kArena;
      }
    }
    if (ctx.inplace_output() >= 0 && node.outputs[ctx.inplace_output()] != kNoValue &&
        node.inputs[ctx.inplace_input()] != kNoValue) {
      inplace.push_back({static_cast<int>(plan->steps_.size()), node.outputs[ctx.inplace_output()],
                         node.inputs[ctx.inplace_input()]});
    }
    plan->steps_.push_back(std::move(step));
  }

  for (ValueId out : g.outputs()) {
    if (slots[out].storage == Storage::kAbsent) {
      return absl::InternalError(absl::StrCat("graph output '", g.value(out).name, "' was not planned"));
    }
  }

  // In-place steps: the output shares its input's buffer when nothing reads the input afterwards.
  if (!inplace.empty()) {
    auto root_of = [&](ValueId v) {
      while (slots[v].storage == Storage::kAlias) v = slots[v].alias_of;
      return v;
    };
    std::vector<int> last_read(slots.size(), -1);
    for (int s = 0; s < static_cast<int>(plan->steps_.size()); ++s) {
      for (ValueId v : g.nodes()[plan->steps_[s].node].inputs) {
        if (v != kNoValue) last_read[v] = s;
      }
    }
    std::vector<bool> is_output(slots.size(), false);
    for (ValueId v : g.outputs()) is_output[v] = true;
    for (const InPlace& ip : inplace) {
      const ValueId r = root_of(ip.in);
      if (slots[r].storage != Storage::kArena || slots[ip.out].storage != Storage::kArena) continue;
      if (slots[ip.out].dtype != slots[r].dtype || num_elements(slots[ip.out].shape) != num_elements(slots[r].shape)) continue;
      bool free_after = true;
      for (size_t v = 0; v < slots.size() && free_after; ++v) {
        if (root_of(static_cast<ValueId>(v)) != r) continue;
        if (is_output[v] || last_read[v] > ip.step) free_after = false;
      }
      if (!free_after) continue;
      slots[ip.out].storage = Storage::kAlias;
      slots[ip.out].alias_of = r;
    }
    // Views planned earlier may point at a value that has just become an alias: point them at the root.
    for (Slot& slot : slots) {
      if (slot.storage == Storage::kAlias) slot.alias_of = root_of(slot.alias_of);
    }
  }

  // Memory plan: each arena buffer lives from the step that writes it to the last step that reads it
  // (or one of its aliases); graph outputs live to the end. Buffers are placed largest first at the
  // lowest offset that does not overlap a buffer alive at the same time.
  struct Buffer {
    size_t bytes;
    int first, last;
    ValueId value;  // kNoValue for a step's workspace
    int step;
    size_t offset = 0;
  };
  std::vector<Buffer> buffers;
  std::vector<int> buffer_of(slots.size(), -1);
  const int end = static_cast<int>(plan->steps_.size());
  auto root = [&](ValueId v) { return slots[v].storage == Storage::kAlias ? slots[v].alias_of : v; };
  for (int s = 0; s < end; ++s) {
    const Node& node = g.nodes()[plan->steps_[s].node];
    for (ValueId v : node.outputs) {
      if (v == kNoValue || slots[v].storage != Storage::kArena) continue;
      buffer_of[v] = static_cast<int>(buffers.size());
      size_t bytes = align_up(num_elements(slots[v].shape) * dtype_size(slots[v].dtype));
      buffers.push_back({bytes, s, s, v, s});
    }
    if (plan->steps_[s].workspace_bytes > 0) {
      buffers.push_back({align_up(plan->steps_[s].workspace_bytes), s, s, kNoValue, s});
    }
  }
  for (int s = 0; s < end; ++s) {
    for (ValueId v : g.nodes()[plan->steps_[s].node].inputs) {
      if (v == kNoValue) continue;
      int b = buffer_of[root(v)];
      if (b >= 0) buffers[b].last = std::max(buffers[b].last, s);
    }
  }
  for (ValueId out : g.outputs()) {
    int b = buffer_of[root(out)];
    if (b >= 0) buffers[b].last = end;
  }
  std::vector<int> order(buffers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<int> placed;
  for (int i : order) {
    Buffer& b = buffers[i];
    plan->unshared_bytes_ += b.bytes;
    // Candidate offsets: 0 and the end of every placed buffer alive at the same time.
    std::vector<std::pair<size_t, size_t>> busy;
    for (int j : placed) {
      const Buffer& o = buffers[j];
      if (o.first <= b.last && b.first <= o.last) busy.push_back({o.offset, o.offset + o.bytes});
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [lo, hi] : busy) {
      if (offset + b.bytes <= lo) break;
      offset = std::max(offset, hi);
    }
    b.offset = offset;
    plan->arena_bytes_ = std::max(plan->arena_bytes_, offset + b.bytes);
    placed.push_back(i);
  }
  for (const Buffer& b : buffers) {
    if (b.value != kNoValue) {
      slots[b.value].offset = b.offset;
    } else {
      plan->steps_[b.step].workspace_offset = b.offset;
    }
  }
  // Fixed layout: every value the plan holds has a static shape in the graph (or is a constant of the
  // graph). Buffer sizes and so offsets are then the same in every plan with this structure; compiled code
  // bakes the offsets in, and steps_hash covers them anyway, so code never runs against another layout
  // (a plan whose offsets differed, say through a workspace, would get code of its own).
  plan->fixed_layout_ = true;
  for (size_t v = 0; v < slots.size(); ++v) {
    const Value& value = g.values()[v];
    if (slots[v].storage == Storage::kAbsent || value.constant) continue;
    if (!value.shape.is_static() || static_cast<size_t>(value.shape.rank()) != slots[v].shape.size()) {
      plan->fixed_layout_ = false;
    }
  }
  plan->steps_hash_ = structure_hash(slots, plan->steps_, plan->fixed_layout_);
  return std::shared_ptr<const Plan>(std::move(plan));
}

uint64_t Plan::structure_hash(absl::Span<const Slot> slots, absl::Span<const Step> steps, bool fixed_layout) {
  // FNV-1a over the structure (not the dims).
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t x) {
    for (int i = 0; i < 8; ++i) {
      h ^= (x >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  for (const Step& step : steps) mix(static_cast<uint64_t>(step.node));
  mix(~0ull);
  for (const Slot& s : slots) {
    mix(static_cast<uint64_t>(s.storage));
    mix(s.shape.size());
    mix(static_cast<uint64_t>(static_cast<int64_t>(s.alias_of)));
  }
  if (fixed_layout) {
    mix(~1ull);
    for (const Slot& s : slots) {
      if (s.storage == Storage::kArena) mix(s.offset);
    }
  }
  return h;
}

}  // namespace sofie
