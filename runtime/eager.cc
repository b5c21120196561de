#include "runtime/eager.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/status.h"

namespace sofie {

namespace {
size_t align_up(size_t n) { return (n + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment; }
}  // namespace

void* BumpArena::allocate(size_t bytes) {
  bytes = std::max<size_t>(align_up(bytes), kTensorAlignment);
  if (chunks_.empty() || chunks_.back()->used + bytes > chunks_.back()->buffer.capacity()) {
    size_t last = chunks_.empty() ? 0 : chunks_.back()->buffer.capacity();
    auto chunk = std::make_unique<Chunk>();
    chunk->buffer.reserve(std::max({bytes, size_t{1} << 16, 2 * last}));
    chunks_.push_back(std::move(chunk));
  }
  Chunk& c = *chunks_.back();
  void* p = static_cast<char*>(c.buffer.data()) + c.used;
  c.used += bytes;
  total_used_ += bytes;
  high_water_ = std::max(high_water_, total_used_);
  return p;
}

void BumpArena::reset() {
  if (chunks_.size() > 1) {  // merge: the next run fits in one chunk
    chunks_.clear();
    auto chunk = std::make_unique<Chunk>();
    chunk->buffer.reserve(high_water_ + high_water_ / 4);
    chunks_.push_back(std::move(chunk));
  }
  for (auto& c : chunks_) c->used = 0;
  total_used_ = 0;
}

void BumpArena::release(size_t mark) {
  while (total_used_ > mark && !chunks_.empty()) {
    Chunk& c = *chunks_.back();
    size_t drop = std::min(c.used, total_used_ - mark);
    c.used -= drop;
    total_used_ -= drop;
    if (c.used == 0 && total_used_ > mark && chunks_.size() > 1) chunks_.pop_back();
    if (drop == 0) break;
  }
}

namespace {

class EagerRunner : public SubgraphRunner {
 public:
  explicit EagerRunner(BumpArena& arena) : arena_(arena) {}
  absl::Status run(const Graph& subgraph, const RunContext& parent, absl::Span<const TensorView> inputs,
                   std::vector<TensorView>* outputs) override {
    std::vector<std::pair<ValueId, const TensorView*>> outer;
    const auto& names = parent.node->implicit_names;
    for (size_t v = 0; v < subgraph.values().size(); ++v) {
      const Value& value = subgraph.values()[v];
      if (!value.is_outer_scope) continue;
      auto it = std::find(names.begin(), names.end(), value.name);
      if (it == names.end()) {
        return absl::InternalError(absl::StrCat(parent.node->describe(), ": subgraph value '", value.name, "' is not bound"));
      }
      outer.push_back({static_cast<ValueId>(v), parent.implicit_inputs[it - names.begin()]});
    }
    return run_eager(subgraph, inputs, outer, arena_, outputs);
  }
  size_t mark() override { return arena_.mark(); }
  void release(size_t mark) override { arena_.release(mark); }

 private:
  BumpArena& arena_;
};

}  // namespace

absl::Status run_eager(const Graph& graph, absl::Span<const TensorView> inputs,
                       absl::Span<const std::pair<ValueId, const TensorView*>> outer, BumpArena& arena,
                       std::vector<TensorView>* outputs, std::vector<double>* node_us,
                       std::vector<int64_t>* node_calls) {
  EagerRunner runner(arena);
  std::vector<TensorView> views(graph.values().size());
  std::vector<bool> ready(graph.values().size(), false);
  for (size_t v = 0; v < views.size(); ++v) {
    const Value& value = graph.values()[v];
    if (value.constant) {
      views[v] = value.constant->view();
      ready[v] = true;
    }
  }
  for (size_t i = 0; i < graph.inputs().size() && i < inputs.size(); ++i) {
    views[graph.inputs()[i]] = inputs[i];
    ready[graph.inputs()[i]] = true;
  }
  for (const auto& [v, view] : outer) {
    views[v] = *view;
    ready[v] = true;
  }

  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const Node& node = graph.nodes()[n];
    bool known = std::all_of(node.outputs.begin(), node.outputs.end(),
                             [&](ValueId v) { return v == kNoValue || graph.value(v).constant; });
    if (known) continue;
    std::vector<ReshapeContext::Port> in_ports(node.inputs.size());
    std::vector<const TensorView*> in_ptrs(node.inputs.size(), nullptr);
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      ValueId v = node.inputs[k];
      if (v == kNoValue) continue;
      if (!ready[v]) {
        return absl::InternalError(absl::StrCat(node.describe(), ": input '", graph.value(v).name, "' is not computed"));
      }
      in_ports[k] = {views[v].dtype, views[v].shape, &views[v], true};
      in_ptrs[k] = &views[v];
    }
    std::vector<ReshapeContext::Port> out_ports(node.outputs.size());
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      out_ports[k].present = node.outputs[k] != kNoValue;
      if (out_ports[k].present) out_ports[k].dtype = graph.value(node.outputs[k]).dtype;
    }
    ReshapeContext ctx(node, std::move(in_ports), std::move(out_ports));
    SOFIE_RETURN_IF_ERROR(node.op->reshape(ctx));
    std::vector<TensorView*> out_ptrs(node.outputs.size(), nullptr);
    bool need_run = false;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      ValueId v = node.outputs[k];
      if (v == kNoValue) continue;
      TensorView& out = views[v];
      out.dtype = graph.value(v).dtype;
      ready[v] = true;
      out_ptrs[k] = &out;
      const int ki = static_cast<int>(k);
      if (ctx.output_dynamic(ki)) {
        out.shape.clear();
        out.data = nullptr;
        need_run = true;
        continue;
      }
      if (!ctx.output_shape_set(ki)) {
        return absl::InternalError(absl::StrCat(node.describe(), ": reshape set no shape for output ", k));
      }
      out.shape = ctx.output(ki).shape;
      auto count = checked_num_elements(out.shape);
      if (!count.ok()) return node_error(node, absl::StrCat("output ", k, ": ", count.status().message()));
      const size_t bytes = static_cast<size_t>(*count) * dtype_size(out.dtype);
      auto& values = ctx.output_values();
      if (k < values.size() && values[k].dtype() != DType::kUndefined) {
        out.data = arena.allocate(bytes);
        if (bytes) std::memcpy(out.data, values[k].data(), bytes);
      } else if (ctx.alias_output() == ki) {
        out.data = in_ptrs[ctx.alias_input()]->data;
      } else {
        out.data = arena.allocate(bytes);
        need_run = true;
      }
    }
    if (!need_run) continue;
    std::unique_ptr<OpParams> params = ctx.take_params();
    std::vector<const TensorView*> implicit(node.implicit_inputs.size());
    for (size_t k = 0; k < implicit.size(); ++k) implicit[k] = &views[node.implicit_inputs[k]];
    RunContext run;
    run.node = &node;
    run.inputs = in_ptrs.data();
    run.outputs = out_ptrs.data();
    run.num_inputs = static_cast<int>(in_ptrs.size());
    run.num_outputs = static_cast<int>(out_ptrs.size());
    run.workspace = ctx.workspace() ? arena.allocate(ctx.workspace()) : nullptr;
    run.params = params.get();
    run.implicit_inputs = implicit.data();
    run.allocator = &arena;
    run.subgraphs = &runner;
    auto t0 = std::chrono::steady_clock::now();
    SOFIE_RETURN_IF_ERROR(node.op->run(run));
    if (node_us != nullptr) {
      (*node_us)[n] += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      (*node_calls)[n] += 1;
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k] != kNoValue && ctx.output_dynamic(static_cast<int>(k)) &&
          views[node.outputs[k]].data == nullptr && num_elements(views[node.outputs[k]].shape) != 0) {
        return absl::InternalError(absl::StrCat(node.describe(), ": run() did not allocate dynamic output ", k));
      }
    }
  }
  outputs->clear();
  for (ValueId v : graph.outputs()) {
    if (!ready[v]) return absl::InternalError(absl::StrCat("graph output '", graph.value(v).name, "' was not computed"));
    outputs->push_back(views[v]);
  }
  return absl::OkStatus();
}

}  // namespace sofie
