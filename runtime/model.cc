#include "runtime/model.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "runtime/model_impl.h"
#include "runtime/onnx_loader.h"
#include "runtime/session.h"

namespace sofie {

namespace {
std::atomic<uint64_t> next_model_id{1};

std::string describe_input(const ValueInfo& info, size_t i) {
  return absl::StrCat("input '", info.name, "' (#", i, ")");
}
}  // namespace

ModelImpl::ModelImpl(std::shared_ptr<const Graph> graph, Tier tier, int64_t jit_threshold)
    : graph_(std::move(graph)), id_(next_model_id++), tier_(std::make_shared<TierState>()) {
  tier_->tier = jit_provider() == nullptr ? Tier::kInterp : tier;
  tier_->threshold = tier == Tier::kJit ? 0 : std::max<int64_t>(jit_threshold, 0);
  for (ValueId v : graph_->inputs()) {
    const Value& value = graph_->value(v);
    inputs_.push_back({value.name, value.dtype, value.shape});
  }
  for (ValueId v : graph_->outputs()) {
    const Value& value = graph_->value(v);
    outputs_.push_back({value.name, value.dtype, value.shape});
  }
  for (int a = 0; a < static_cast<int>(inputs_.size()); ++a) {
    const SymShape& sa = inputs_[a].shape;
    for (int da = 0; da < sa.rank(); ++da) {
      if (!sa[da].is_symbol()) continue;
      // Tie each occurrence to the first earlier one with the same symbol.
      bool tied = false;
      for (int b = 0; b <= a && !tied; ++b) {
        const SymShape& sb = inputs_[b].shape;
        for (int db = 0; db < sb.rank() && !tied; ++db) {
          if (b == a && db >= da) break;
          if (sb[db].is_symbol() && sb[db].symbol == sa[da].symbol) {
            ties_.push_back({b, db, a, da});
            tied = true;
          }
        }
      }
    }
  }
}

ModelImpl::~ModelImpl() {
  // A compile still running holds the graph and plan it needs; wait for it rather than leave a thread.
  if (tier_->worker.joinable()) tier_->worker.join();
}

namespace {
constexpr int64_t kMaxCompiles = 4;     // per model: a model whose plans keep changing structure stops here
constexpr int64_t kMaxFailures = 3;     // then blacklisted: the interpreter serves for good
constexpr int kJitWaitSeconds = 120;    // Tier::kJit waits this long at most for its first compile
}  // namespace

void ModelImpl::note_interpreted_call(const std::shared_ptr<const Plan>& plan) const {
  TierState& t = *tier_;
  if (t.tier == Tier::kInterp || plan->eager()) return;
  const int64_t n = t.calls.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n < t.threshold.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(t.mu);
  if (may_compile_locked(*plan) && n >= t.threshold.load()) start_compile_locked(plan, n);
}

bool ModelImpl::may_compile_locked(const Plan& plan) const {
  const TierState& t = *tier_;
  return !t.blacklisted && t.compiles < kMaxCompiles && !t.compiling && compiled_for(plan) == nullptr;
}

const CompiledGraph* ModelImpl::compile_first_and_wait(const std::shared_ptr<const Plan>& plan) const {
  TierState& t = *tier_;
  if (t.tier != Tier::kJit || plan->eager() || t.waited.load(std::memory_order_acquire)) return nullptr;
  std::unique_lock<std::mutex> lock(t.mu);
  if (t.waited.load()) return nullptr;
  t.waited.store(true, std::memory_order_release);
  if (may_compile_locked(*plan)) start_compile_locked(plan, t.calls.load(std::memory_order_relaxed));
  // A compile that hangs must not hang the caller for good: after the timeout the interpreter serves
  // and the compiled code is picked up whenever it arrives.
  if (!t.done.wait_for(lock, std::chrono::seconds(kJitWaitSeconds), [&] { return !t.compiling; })) {
    std::fprintf(stderr, "sofie: JIT compile still running after %d s; the interpreter serves meanwhile\n",
                 kJitWaitSeconds);
  }
  return compiled_for(*plan);
}

void ModelImpl::start_compile_locked(const std::shared_ptr<const Plan>& plan, int64_t n) const {
  TierState& t = *tier_;
  if (t.worker.joinable()) t.worker.join();  // the previous compile has finished (compiling is false)
  t.compiling = true;
  JitProvider* jit = jit_provider();
  t.worker = std::thread([state = tier_, graph = graph_, plan, jit, n] {
    auto result = jit->compile(*graph, *plan);
    std::lock_guard<std::mutex> guard(state->mu);
    state->compiling = false;
    ++state->compiles;
    if (result.ok()) {
      // Earlier code stays alive (a call may still run it) until the model dies.
      state->history.push_back(*result);
      state->compiled = *result;
      state->fast.store(state->compiled.get(), std::memory_order_release);
    } else {
      ++state->failures;
      state->last_error = std::string(result.status().message());
      if (state->failures == 1) {
        std::fprintf(stderr, "sofie: JIT compile failed, the interpreter keeps serving: %s\n",
                     state->last_error.c_str());
      }
      if (state->failures >= kMaxFailures) {
        state->blacklisted = true;
      } else {
        state->threshold.store(n + std::max<int64_t>(state->threshold.load(), 1) * 4);  // back off
      }
    }
    state->done.notify_all();
  });
}

void ModelImpl::compile_at_load() const {
  TierState& t = *tier_;
  if (t.tier != Tier::kAuto || t.threshold.load() != 0) return;
  // A reference plan with every symbolic dimension 1: the compiled code serves every value of them.
  std::vector<Tensor> inputs;
  std::vector<TensorView> views;
  for (const ValueInfo& info : inputs_) {
    if (!info.shape.rank_known()) return;  // nothing to plan with: compile on the first call instead
    Dims dims;
    for (const Dim& d : info.shape.dims()) dims.push_back(d.is_known() ? d.value : 1);
    inputs.push_back(Tensor::zeros(info.dtype, dims));
    views.push_back(inputs.back().view());
  }
  uint64_t wanted = 0;
  auto plan = Plan::build(graph_, views, valued_inputs_.load(), &wanted);
  if (!plan.ok() || (*plan)->eager()) return;
  std::lock_guard<std::mutex> lock(t.mu);
  if (!t.compiling) start_compile_locked(*plan, 0);
}

const CompiledGraph* ModelImpl::probe_cached(const std::shared_ptr<const Plan>& plan) const {
  TierState& t = *tier_;
  if (t.tier == Tier::kInterp || plan->eager()) return nullptr;
  const uint64_t h = plan->steps_hash();
  if (t.probed_hash.load(std::memory_order_acquire) == h) return nullptr;
  std::lock_guard<std::mutex> lock(t.mu);
  if (t.probed_hash.load() == h) return nullptr;
  t.probed_hash.store(h, std::memory_order_release);
  if (const CompiledGraph* c = compiled_for(*plan)) return c;
  std::shared_ptr<const CompiledGraph> code = jit_provider()->cached(*graph_, *plan);
  if (!code) return nullptr;
  t.history.push_back(code);
  t.compiled = code;
  t.from_cache = true;
  t.fast.store(code.get(), std::memory_order_release);
  return code.get();
}

TierStats ModelImpl::tier_stats() const {
  TierState& t = *tier_;
  std::lock_guard<std::mutex> lock(t.mu);
  TierStats s;
  s.tier = t.tier;
  s.compiles = t.compiles;
  s.failures = t.failures;
  if (jit_provider() == nullptr) {
    s.state = "no JIT linked";
  } else if (t.tier == Tier::kInterp) {
    s.state = "interpreter";
  } else if (t.compiling) {
    s.state = "compiling";
  } else if (t.compiled) {
    s.state = "compiled";
    s.from_cache = t.from_cache;
  } else if (t.blacklisted) {
    s.state = "failed: " + t.last_error;
  } else {
    s.state = t.failures ? "interpreter (compile failed: " + t.last_error + ")" : "interpreter";
  }
  if (t.compiled) {
    s.compile_ms = t.compiled->compile_ms;
    s.code_bytes = t.compiled->code_bytes;
    s.emitted_steps = t.compiled->emitted_steps;
    s.fallback_steps = t.compiled->fallback_steps;
  }
  return s;
}

absl::Status ModelImpl::check_inputs(absl::Span<const TensorView> inputs, ShapeSignature* signature) const {
  if (inputs.size() != inputs_.size()) {
    std::string names;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      absl::StrAppend(&names, i ? ", " : "", inputs_[i].name, " ", dtype_name(inputs_[i].dtype),
                      inputs_[i].shape.to_string());
    }
    return absl::InvalidArgumentError(
        absl::StrCat("the model takes ", inputs_.size(), " input(s) (", names, "), got ", inputs.size()));
  }
  signature->clear();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueInfo& info = inputs_[i];
    const TensorView& in = inputs[i];
    auto mismatch = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(describe_input(info, i), ": expected ", dtype_name(info.dtype),
                                                     " ", info.shape.to_string(), ", got ", dtype_name(in.dtype),
                                                     " ", dims_string(in.shape), " (", what, ")"));
    };
    if (in.dtype != info.dtype) return mismatch("wrong element type");
    if (info.shape.rank_known()) {
      if (in.rank() != info.shape.rank()) return mismatch("wrong rank");
      for (int d = 0; d < in.rank(); ++d) {
        if (in.shape[d] < 0) return mismatch("negative dimension");
        if (info.shape[d].is_known() && info.shape[d].value != in.shape[d]) {
          return mismatch(absl::StrCat("dimension ", d, " must be ", info.shape[d].value));
        }
      }
    }
    auto n = checked_num_elements(in.shape);
    if (!n.ok()) return absl::InvalidArgumentError(absl::StrCat(describe_input(info, i), ": ", n.status().message()));
    if (*n > 0 && in.data == nullptr) return mismatch("null data pointer");
    signature->push_back(in.rank());
    signature->insert(signature->end(), in.shape.begin(), in.shape.end());
  }
  const uint64_t valued = valued_inputs_.load(std::memory_order_acquire);
  for (size_t i = 0; valued != 0 && i < inputs.size() && i < 64; ++i) {
    if (!((valued >> i) & 1)) continue;
    const TensorView& in = inputs[i];
    for (int64_t k = 0, n = in.numel(); k < n; ++k) {
      signature->push_back(in.dtype == DType::kInt64 ? in.data_as<int64_t>()[k] : in.data_as<int32_t>()[k]);
    }
  }
  for (const SymbolTie& t : ties_) {
    int64_t a = inputs[t.input_a].shape[t.dim_a];
    int64_t b = inputs[t.input_b].shape[t.dim_b];
    if (a != b) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dimension '", inputs_[t.input_a].shape[t.dim_a].symbol, "' is ", a, " in ",
          describe_input(inputs_[t.input_a], t.input_a), " but ", b, " in ",
          describe_input(inputs_[t.input_b], t.input_b)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Plan>> ModelImpl::plan_for(const ShapeSignature& signature,
                                                                 absl::Span<const TensorView> inputs) const {
  {
    std::lock_guard<std::mutex> lock(plans_mu_);
    auto it = plans_.find(signature);
    if (it != plans_.end()) return it->second;
  }
  // Build outside the lock; if two threads race, both plans are valid and one is kept.
  const uint64_t valued = valued_inputs_.load(std::memory_order_acquire);
  uint64_t wanted = 0;
  auto built = Plan::build(graph_, inputs, valued, &wanted);
  if (!built.ok()) {
    if (wanted != 0) {
      valued_inputs_.fetch_or(wanted, std::memory_order_acq_rel);
      return absl::AbortedError("plans must be keyed on input values; retry");
    }
    return built.status();
  }
  std::shared_ptr<const Plan> plan = std::move(*built);
  std::lock_guard<std::mutex> lock(plans_mu_);
  auto [it, inserted] = plans_.emplace(signature, plan);
  if (inserted) {
    plan_order_.push_back(signature);
    if (plan_order_.size() > kMaxCachedPlans) {
      plans_.erase(plan_order_.front());
      plan_order_.erase(plan_order_.begin());
    }
  }
  return it->second;
}

namespace {
absl::Status check_tier(const LoadOptions& options) {
  if (options.tier == Tier::kJit && jit_provider() == nullptr) {
    return absl::FailedPreconditionError("tier 'jit' asked for, but this program was built without the JIT (//jit)");
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<Model> Model::try_load(const std::string& path, const LoadOptions& options) {
  SOFIE_RETURN_IF_ERROR(check_tier(options));
  SOFIE_ASSIGN_OR_RETURN(std::shared_ptr<const Graph> graph, load_onnx_file(path, options));
  auto impl = std::make_shared<const ModelImpl>(std::move(graph), options.tier, options.jit_threshold);
  impl->compile_at_load();
  return Model(std::move(impl));
}

absl::StatusOr<Model> Model::try_load_from_buffer(const void* data, size_t size, const LoadOptions& options) {
  SOFIE_RETURN_IF_ERROR(check_tier(options));
  SOFIE_ASSIGN_OR_RETURN(std::shared_ptr<const Graph> graph, load_onnx_buffer(data, size, options));
  auto impl = std::make_shared<const ModelImpl>(std::move(graph), options.tier, options.jit_threshold);
  impl->compile_at_load();
  return Model(std::move(impl));
}

TierStats Model::tier_stats() const { return impl_->tier_stats(); }

Model Model::load(const std::string& path, const LoadOptions& options) {
  return value_or_throw(try_load(path, options));
}

const std::vector<ValueInfo>& Model::inputs() const { return impl_->inputs(); }
const std::vector<ValueInfo>& Model::outputs() const { return impl_->outputs(); }
const Graph& Model::graph() const { return *impl_->graph(); }
Session Model::new_session() const { return Session(*this); }

namespace {
// One session per (thread, model), created on the thread's first infer() on that model. Entries of
// models that died are dropped on the next miss.
struct ThreadSessions {
  struct Entry {
    std::weak_ptr<const ModelImpl> model;
    std::unique_ptr<Session> session;
  };
  std::unordered_map<uint64_t, Entry> by_model;
};
thread_local ThreadSessions thread_sessions;
}  // namespace

absl::StatusOr<std::vector<Tensor>> Model::try_infer(const std::vector<TensorView>& inputs) const {
  auto& sessions = thread_sessions.by_model;
  auto it = sessions.find(impl_->id());
  if (it == sessions.end()) {
    for (auto e = sessions.begin(); e != sessions.end();) {
      e = e->second.model.expired() ? sessions.erase(e) : std::next(e);
    }
    it = sessions.emplace(impl_->id(), ThreadSessions::Entry{impl_, std::unique_ptr<Session>(new Session(impl_.get(), Session::NonOwning{}))}).first;
  }
  SOFIE_ASSIGN_OR_RETURN(absl::Span<const TensorView> outs, it->second.session->run(inputs));
  std::vector<Tensor> result;
  result.reserve(outs.size());
  for (const TensorView& v : outs) result.push_back(Tensor::copy_of(v));
  return result;
}

std::vector<Tensor> Model::infer(const std::vector<TensorView>& inputs) const {
  return value_or_throw(try_infer(inputs));
}

std::vector<float> Model::infer(const float* input) const {
  const auto& ins = inputs();
  if (ins.size() != 1 || ins[0].dtype != DType::kFloat32 || !ins[0].shape.is_static()) {
    throw Error(absl::InvalidArgumentError(
        "infer(const float*) needs a model with exactly one float32 input of static shape; use "
        "infer(std::vector<TensorView>) instead"));
  }
  if (outputs()[0].dtype != DType::kFloat32) {
    throw Error(absl::InvalidArgumentError(absl::StrCat("infer(const float*) returns the first output as floats, but '",
                                                        outputs()[0].name, "' is ", dtype_name(outputs()[0].dtype))));
  }
  std::vector<Tensor> outs = infer({TensorView(DType::kFloat32, ins[0].shape.to_dims(), input)});
  return outs[0].to_vector<float>();
}

}  // namespace sofie
