#include "runtime/session.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "runtime/eager.h"
#include "runtime/model_impl.h"
#include "runtime/plan.h"

namespace sofie {

struct Session::State {
  std::shared_ptr<const ModelImpl> owner;  // null for Model's per-thread sessions
  const ModelImpl* model = nullptr;

  // Plans this session has used, most recent first (small: lookups are linear and allocation-free).
  static constexpr size_t kLocalPlans = 16;
  std::vector<std::pair<ShapeSignature, std::shared_ptr<const Plan>>> local_plans;
  ShapeSignature signature;  // scratch
  std::shared_ptr<const Plan> bound;  // owned: a plan evicted from the caches stays valid while bound
  int64_t plans_built = 0;

  // Binding of `bound` to this session's memory.
  AlignedBuffer arena;
  std::vector<TensorView> views;                // one per graph value
  std::vector<const TensorView*> step_inputs;   // flattened per step
  std::vector<TensorView*> step_outputs;
  std::vector<size_t> step_input_begin, step_output_begin;
  std::vector<std::pair<ValueId, int32_t>> input_slots;  // (value, graph input) incl. aliases of inputs
  std::vector<TensorView> outputs;
  // The same binding in the compiled-graph ABI (runtime/compiled_abi.h).
  std::vector<void*> value_ptrs;
  std::vector<long long> dims_flat;
  absl::Status step_status;  // of a step a compiled graph ran through the interpreter
  int64_t calls_interpreted = 0, calls_compiled = 0;

  BumpArena eager_arena;  // for plans that run eagerly

  bool profiling = false;
  std::vector<int64_t> node_calls;
  std::vector<double> node_us;

  void bind(std::shared_ptr<const Plan> plan);
  void set_inputs(absl::Span<const TensorView> inputs);
  absl::Status execute_step(size_t s);
  absl::Status execute(absl::Span<const TensorView> inputs);
  absl::Status execute_compiled(const CompiledGraph& code, absl::Span<const TensorView> inputs);
};

void Session::State::bind(std::shared_ptr<const Plan> owned) {
  const Plan& plan = *owned;
  const Graph& g = plan.graph();
  arena.reserve(std::max<size_t>(plan.arena_bytes(), 1));
  char* base = static_cast<char*>(arena.data());
  const auto& slots = plan.slots();
  views.resize(slots.size());
  input_slots.clear();
  for (size_t v = 0; v < slots.size(); ++v) {
    const Plan::Slot& s = slots[v];
    views[v].dtype = s.dtype;
    views[v].shape = s.shape;
    switch (s.storage) {
      case Plan::Storage::kArena: views[v].data = base + s.offset; break;
      case Plan::Storage::kConstant: views[v].data = const_cast<void*>(s.constant->data()); break;
      case Plan::Storage::kInput:
        views[v].data = nullptr;
        input_slots.push_back({static_cast<ValueId>(v), s.index});
        break;
      case Plan::Storage::kAlias: {
        const Plan::Slot& root = slots[s.alias_of];
        if (root.storage == Plan::Storage::kInput) {
          input_slots.push_back({static_cast<ValueId>(v), root.index});
        } else {
          views[v].data = base + root.offset;
        }
        break;
      }
      case Plan::Storage::kAbsent: views[v].data = nullptr; break;
    }
  }
  step_inputs.clear();
  step_outputs.clear();
  step_input_begin.clear();
  step_output_begin.clear();
  for (const Plan::Step& step : plan.steps()) {
    const Node& node = g.nodes()[step.node];
    step_input_begin.push_back(step_inputs.size());
    step_output_begin.push_back(step_outputs.size());
    for (ValueId v : node.inputs) step_inputs.push_back(v == kNoValue ? nullptr : &views[v]);
    for (ValueId v : node.outputs) step_outputs.push_back(v == kNoValue ? nullptr : &views[v]);
  }
  step_input_begin.push_back(step_inputs.size());
  step_output_begin.push_back(step_outputs.size());
  outputs.resize(g.outputs().size());
  value_ptrs.resize(views.size());
  dims_flat.clear();
  for (size_t v = 0; v < views.size(); ++v) {
    value_ptrs[v] = views[v].data;
    dims_flat.insert(dims_flat.end(), views[v].shape.begin(), views[v].shape.end());
  }
  bound = std::move(owned);
}

void Session::State::set_inputs(absl::Span<const TensorView> inputs) {
  for (const auto& [v, i] : input_slots) {
    views[v].data = inputs[i].data;
    value_ptrs[v] = inputs[i].data;
  }
}

absl::Status Session::State::execute_step(size_t s) {
  const Plan::Step& step = bound->steps()[s];
  const Node& node = bound->graph().nodes()[step.node];
  RunContext ctx;
  ctx.node = &node;
  ctx.inputs = step_inputs.data() + step_input_begin[s];
  ctx.outputs = step_outputs.data() + step_output_begin[s];
  ctx.num_inputs = static_cast<int>(step_input_begin[s + 1] - step_input_begin[s]);
  ctx.num_outputs = static_cast<int>(step_output_begin[s + 1] - step_output_begin[s]);
  ctx.workspace = step.workspace_bytes ? static_cast<char*>(arena.data()) + step.workspace_offset : nullptr;
  ctx.params = step.params.get();
  if (!profiling) return node.op->run(ctx);
  auto t0 = std::chrono::steady_clock::now();
  absl::Status st = node.op->run(ctx);
  node_calls[step.node] += 1;
  node_us[step.node] += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

absl::Status Session::State::execute(absl::Span<const TensorView> inputs) {
  set_inputs(inputs);
  const size_t n = bound->steps().size();
  for (size_t s = 0; s < n; ++s) SOFIE_RETURN_IF_ERROR(execute_step(s));
  const Graph& g = bound->graph();
  for (size_t i = 0; i < outputs.size(); ++i) outputs[i] = views[g.outputs()[i]];
  return absl::OkStatus();
}

namespace {
extern "C" int sofie_session_run_step(sofie_host* host, int step) {
  auto* state = reinterpret_cast<Session::State*>(host);
  state->step_status = state->execute_step(static_cast<size_t>(step));
  return state->step_status.ok() ? 0 : 1;
}
}  // namespace

absl::Status Session::State::execute_compiled(const CompiledGraph& code, absl::Span<const TensorView> inputs) {
  set_inputs(inputs);
  step_status = absl::OkStatus();
  // The arena the views (and so run_step's kernels) were bound to: bind() is the only place it grows.
  if (code.entry(static_cast<char*>(arena.data()), value_ptrs.data(), dims_flat.data(),
                 reinterpret_cast<sofie_host*>(this), &sofie_session_run_step) != 0) {
    return step_status.ok() ? absl::InternalError("compiled graph failed") : step_status;
  }
  const Graph& g = bound->graph();
  for (size_t i = 0; i < outputs.size(); ++i) outputs[i] = views[g.outputs()[i]];
  return absl::OkStatus();
}

Session::Session(const Model& model) : state_(std::make_unique<State>()) {
  state_->owner = model.impl_;
  state_->model = model.impl_.get();
}

Session::Session(const ModelImpl* model, NonOwning) : state_(std::make_unique<State>()) { state_->model = model; }

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

absl::StatusOr<absl::Span<const TensorView>> Session::run(absl::Span<const TensorView> inputs) {
  State& st = *state_;
  SOFIE_RETURN_IF_ERROR(st.model->check_inputs(inputs, &st.signature));
  if (st.local_plans.empty() || st.local_plans.front().first != st.signature) {
    auto it = std::find_if(st.local_plans.begin(), st.local_plans.end(),
                           [&](const auto& e) { return e.first == st.signature; });
    if (it == st.local_plans.end()) {
      auto plan = st.model->plan_for(st.signature, inputs);
      // Planning may find that some input values must key the plans; each retry adds at least one
      // such input, so this ends.
      for (int retry = 0; !plan.ok() && absl::IsAborted(plan.status()) && retry < 64; ++retry) {
        SOFIE_RETURN_IF_ERROR(st.model->check_inputs(inputs, &st.signature));
        plan = st.model->plan_for(st.signature, inputs);
      }
      if (!plan.ok()) return plan.status();
      ++st.plans_built;
      if (st.local_plans.size() >= State::kLocalPlans) st.local_plans.pop_back();
      st.local_plans.insert(st.local_plans.begin(), {st.signature, std::move(*plan)});
    } else {
      std::rotate(st.local_plans.begin(), it, it + 1);
    }
  }
  const std::shared_ptr<const Plan>& plan = st.local_plans.front().second;
  if (plan->eager()) {
    st.eager_arena.reset();
    SOFIE_RETURN_IF_ERROR(run_eager(plan->graph(), inputs, {}, st.eager_arena, &st.outputs,
                                    st.profiling ? &st.node_us : nullptr, st.profiling ? &st.node_calls : nullptr));
    return absl::Span<const TensorView>(st.outputs);
  }
  if (st.bound != plan) st.bind(plan);
  const CompiledGraph* code = st.model->compiled_for(*plan);
  if (code == nullptr) code = st.model->probe_cached(plan);
  if (code == nullptr) code = st.model->compile_first_and_wait(plan);
  if (code != nullptr) {
    ++st.calls_compiled;
    SOFIE_RETURN_IF_ERROR(st.execute_compiled(*code, inputs));
    return absl::Span<const TensorView>(st.outputs);
  }
  ++st.calls_interpreted;
  SOFIE_RETURN_IF_ERROR(st.execute(inputs));
  st.model->note_interpreted_call(plan);
  return absl::Span<const TensorView>(st.outputs);
}

void Session::set_profiling(bool on) {
  state_->profiling = on;
  size_t n = state_->model->graph()->nodes().size();
  state_->node_calls.assign(n, 0);
  state_->node_us.assign(n, 0.0);
}

std::vector<NodeProfile> Session::node_profile() const {
  std::vector<NodeProfile> out;
  const Graph& g = *state_->model->graph();
  for (size_t n = 0; n < state_->node_calls.size(); ++n) {
    if (state_->node_calls[n] == 0) continue;
    out.push_back({g.nodes()[n].name, g.nodes()[n].op_type, state_->node_calls[n], state_->node_us[n]});
  }
  std::sort(out.begin(), out.end(), [](const NodeProfile& a, const NodeProfile& b) { return a.total_us > b.total_us; });
  return out;
}

std::vector<OpProfile> Session::op_profile() const {
  std::vector<OpProfile> out;
  for (const NodeProfile& n : node_profile()) {
    auto it = std::find_if(out.begin(), out.end(), [&](const OpProfile& o) { return o.op_type == n.op_type; });
    if (it == out.end()) {
      out.push_back({n.op_type, n.calls, n.total_us});
    } else {
      it->calls += n.calls;
      it->total_us += n.total_us;
    }
  }
  std::sort(out.begin(), out.end(), [](const OpProfile& a, const OpProfile& b) { return a.total_us > b.total_us; });
  return out;
}

int64_t Session::plans_built() const { return state_->plans_built; }
int64_t Session::calls_interpreted() const { return state_->calls_interpreted; }
int64_t Session::calls_compiled() const { return state_->calls_compiled; }
size_t Session::arena_bytes() const { return state_->arena.capacity(); }

}  // namespace sofie
