#include "runtime/passes.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/op.h"
#include "runtime/status.h"

namespace sofie {

// Rewrites a Graph in place while it is still being loaded (not shared yet).
class GraphRewriter {
 public:
  explicit GraphRewriter(Graph& g) : g_(g) { count_uses(); }

  absl::Status fuse_matmul_add();
  absl::Status fold_batchnorm();
  void eliminate_dead();
  void record() {
    g_.pass_counts_[0] += fused;
    g_.pass_counts_[1] += bn_folded;
    g_.pass_counts_[2] += dead;
  }

 private:
  void count_uses() {
    uses_.assign(g_.values_.size(), 0);
    for (const Node& n : g_.nodes_) {
      for (ValueId v : n.inputs) if (v != kNoValue) ++uses_[v];
      for (ValueId v : n.implicit_inputs) ++uses_[v];
    }
    for (ValueId v : g_.outputs_) ++uses_[v];
  }
  // The only consumer of `v` (a node index), or -1.
  int sole_consumer(ValueId v) const {
    if (uses_[v] != 1) return -1;
    for (size_t i = 0; i < g_.nodes_.size(); ++i) {
      if (removed_.size() > i && removed_[i]) continue;
      for (ValueId in : g_.nodes_[i].inputs) if (in == v) return static_cast<int>(i);
    }
    return -1;
  }
  const Tensor* constant_f32(ValueId v) const {
    if (v == kNoValue || !g_.values_[v].constant) return nullptr;
    const Tensor* t = g_.values_[v].constant.get();
    return t->dtype() == DType::kFloat32 ? t : nullptr;
  }
  ValueId add_constant(const std::string& base, Tensor t) {
    std::string name = base;
    for (int k = 1; g_.by_name_.count(name); ++k) name = absl::StrCat(base, "_", k);
    ValueId id = static_cast<ValueId>(g_.values_.size());
    Value v;
    v.name = name;
    v.dtype = t.dtype();
    v.shape = SymShape::of(t.shape());
    v.is_initializer = true;
    v.constant = std::make_shared<const Tensor>(std::move(t));
    g_.values_.push_back(std::move(v));
    g_.by_name_[name] = id;
    uses_.push_back(0);
    return id;
  }
  // Replaces node `i` by `node` (new op bound and inferred) and marks node `drop` removed.
  absl::Status replace(size_t i, Node node, size_t drop) {
    const OpSchema* schema = OpRegistry::global().find(node.domain, node.op_type, node.opset);
    if (schema == nullptr) return absl::InternalError(absl::StrCat("pass: no ", node.op_type, " operator"));
    SOFIE_ASSIGN_OR_RETURN(std::unique_ptr<Op> op, schema->create(node));
    InferContext ctx(node, g_.values_);
    SOFIE_RETURN_IF_ERROR(op->infer(ctx));
    node.op = std::shared_ptr<const Op>(std::move(op));
    for (ValueId out : node.outputs) if (out != kNoValue) g_.values_[out].producer = static_cast<int32_t>(i);
    g_.nodes_[i] = std::move(node);
    removed_.resize(g_.nodes_.size(), false);
    removed_[drop] = true;
    count_uses();
    return absl::OkStatus();
  }
  static float attr_f(const Node& n, const char* name, float dflt) {
    const Attribute* a = n.find_attribute(name);
    return a && a->type == Attribute::Type::kFloat ? a->f : dflt;
  }
  static int64_t attr_i(const Node& n, const char* name, int64_t dflt) {
    const Attribute* a = n.find_attribute(name);
    return a && a->type == Attribute::Type::kInt ? a->i : dflt;
  }
  static void set_attr_f(Node& n, const char* name, float value) {
    for (Attribute& a : n.attributes) {
      if (a.name == name) {
        a.type = Attribute::Type::kFloat;
        a.f = value;
        return;
      }
    }
    Attribute a;
    a.name = name;
    a.type = Attribute::Type::kFloat;
    a.f = value;
    n.attributes.push_back(a);
  }
  bool is_removed(size_t i) const { return i < removed_.size() && removed_[i]; }

  Graph& g_;
  std::vector<int> uses_;
  std::vector<bool> removed_;

 public:
  int fused = 0, bn_folded = 0, dead = 0;
};

absl::Status GraphRewriter::fuse_matmul_add() {
  for (size_t i = 0; i < g_.nodes_.size(); ++i) {
    const Node& mm = g_.nodes_[i];
    if (is_removed(i) || mm.op_type != "MatMul" || !mm.domain.empty() || mm.outputs.size() != 1) continue;
    const Value& a = g_.values_[mm.inputs[0]];
    const Tensor* w = constant_f32(mm.inputs[1]);
    if (a.dtype != DType::kFloat32 || !a.shape.rank_known() || a.shape.rank() != 2 || !w || w->rank() != 2) continue;
    int c = sole_consumer(mm.outputs[0]);
    if (c < 0) continue;
    const Node& add = g_.nodes_[c];
    if (add.op_type != "Add" || !add.domain.empty() || add.outputs.size() != 1) continue;
    ValueId other = add.inputs[0] == mm.outputs[0] ? add.inputs[1] : add.inputs[0];
    const Tensor* bias = constant_f32(other);
    const int64_t n = w->shape()[1];
    if (!bias || !((bias->rank() == 1 && bias->shape()[0] == n) ||
                   (bias->rank() == 2 && bias->shape()[0] == 1 && bias->shape()[1] == n))) {
      continue;
    }
    Node gemm;
    gemm.name = absl::StrCat(mm.name, "+", add.name);
    gemm.op_type = "Gemm";
    gemm.opset = std::max(mm.opset, 11);
    gemm.inputs = {mm.inputs[0], mm.inputs[1], other};
    gemm.outputs = {add.outputs[0]};
    SOFIE_RETURN_IF_ERROR(replace(c, std::move(gemm), i));
    ++fused;
  }
  return absl::OkStatus();
}

absl::Status GraphRewriter::fold_batchnorm() {
  for (size_t i = 0; i < g_.nodes_.size(); ++i) {
    const Node& prod = g_.nodes_[i];
    if (is_removed(i) || !prod.domain.empty() || prod.outputs.size() != 1) continue;
    const bool conv = prod.op_type == "Conv";
    const bool gemm = prod.op_type == "Gemm";
    if (!conv && !gemm) continue;
    int c = sole_consumer(prod.outputs[0]);
    if (c < 0) continue;
    const Node& bn = g_.nodes_[c];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.inputs.size() != 5) continue;
    if (attr_i(bn, "training_mode", 0) != 0 || attr_i(bn, "spatial", 1) != 1) continue;
    if (std::count_if(bn.outputs.begin(), bn.outputs.end(), [](ValueId v) { return v != kNoValue; }) != 1) continue;
    const Tensor* scale = constant_f32(bn.inputs[1]);
    const Tensor* shift = constant_f32(bn.inputs[2]);
    const Tensor* mean = constant_f32(bn.inputs[3]);
    const Tensor* var = constant_f32(bn.inputs[4]);
    const Tensor* w = constant_f32(prod.inputs[1]);
    if (!scale || !shift || !mean || !var || !w) continue;
    const int64_t channels = scale->numel();
    if (shift->numel() != channels || mean->numel() != channels || var->numel() != channels) continue;
    const float eps = attr_f(bn, "epsilon", 1e-5f);
    std::vector<float> s(channels), t(channels);
    for (int64_t k = 0; k < channels; ++k) {
      s[k] = scale->data_as<float>()[k] / std::sqrt(var->data_as<float>()[k] + eps);
      t[k] = shift->data_as<float>()[k] - mean->data_as<float>()[k] * s[k];
    }
    Node folded = prod;
    Tensor w2 = Tensor::copy_of(w->view());
    float* wd = w2.mutable_data_as<float>();
    Tensor b2 = Tensor::zeros(DType::kFloat32, {channels});
    float* bd = b2.mutable_data_as<float>();
    const Tensor* bias = prod.inputs.size() > 2 ? constant_f32(prod.inputs[2]) : nullptr;
    const bool has_bias_input = prod.inputs.size() > 2 && prod.inputs[2] != kNoValue;
    if (has_bias_input && !bias) continue;
    if (conv) {
      // W [M, C/group, k...]: output channel m scales W[m, ...]; bias' = bias * s + t.
      if (w->rank() < 3 || w->shape()[0] != channels) continue;
      if (bias && bias->numel() != channels) continue;
      const int64_t per = w->numel() / channels;
      for (int64_t m = 0; m < channels; ++m) {
        for (int64_t j = 0; j < per; ++j) wd[m * per + j] *= s[m];
        bd[m] = (bias ? bias->data_as<float>()[m] : 0.f) * s[m] + t[m];
      }
      folded.inputs.resize(3);
    } else {
      // Y = alpha A op(B) + beta C over [M, N]; BN over N. Scale op(B)'s columns; C' = beta C s + t, beta' = 1.
      const Value& y = g_.values_[prod.outputs[0]];
      if (!y.shape.rank_known() || y.shape.rank() != 2 || w->rank() != 2) continue;
      const bool trans_b = attr_i(prod, "transB", 0) != 0;
      const int64_t n = trans_b ? w->shape()[0] : w->shape()[1];
      const int64_t k = trans_b ? w->shape()[1] : w->shape()[0];
      if (n != channels) continue;
      for (int64_t r = 0; r < k; ++r) {
        for (int64_t col = 0; col < n; ++col) (trans_b ? wd[col * k + r] : wd[r * n + col]) *= s[col];
      }
      const float beta = attr_f(prod, "beta", 1.f);
      if (bias && !(bias->numel() == channels || bias->numel() == 1)) continue;
      for (int64_t col = 0; col < n; ++col) {
        float cval = bias ? bias->data_as<float>()[bias->numel() == 1 ? 0 : col] : 0.f;
        bd[col] = beta * cval * s[col] + t[col];
      }
      set_attr_f(folded, "beta", 1.f);
      folded.inputs.resize(3);
    }
    folded.inputs[1] = add_constant(g_.values_[prod.inputs[1]].name + ".bn_folded", std::move(w2));
    folded.inputs[2] = add_constant(g_.values_[prod.outputs[0]].name + ".bn_folded_bias", std::move(b2));
    ValueId bn_out = kNoValue;
    for (ValueId v : bn.outputs) if (v != kNoValue) bn_out = v;
    folded.outputs = {bn_out};
    folded.name = absl::StrCat(prod.name, "+", bn.name);
    SOFIE_RETURN_IF_ERROR(replace(c, std::move(folded), i));
    ++bn_folded;
  }
  return absl::OkStatus();
}

void GraphRewriter::eliminate_dead() {
  removed_.resize(g_.nodes_.size(), false);
  // Live: needed by a graph output, walking back through producers; folded nodes are not needed.
  std::vector<bool> live(g_.nodes_.size(), false);
  std::vector<ValueId> stack(g_.outputs_.begin(), g_.outputs_.end());
  std::vector<bool> seen(g_.values_.size(), false);
  while (!stack.empty()) {
    ValueId v = stack.back();
    stack.pop_back();
    if (v == kNoValue || seen[v]) continue;
    seen[v] = true;
    const Value& value = g_.values_[v];
    if (value.constant || value.producer < 0) continue;
    const size_t p = static_cast<size_t>(value.producer);
    if (removed_[p] || live[p]) continue;
    live[p] = true;
    const Node& node = g_.nodes_[p];
    stack.insert(stack.end(), node.inputs.begin(), node.inputs.end());
    stack.insert(stack.end(), node.implicit_inputs.begin(), node.implicit_inputs.end());
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g_.nodes_.size(); ++i) {
    if (live[i]) {
      kept.push_back(std::move(g_.nodes_[i]));
    } else if (!removed_[i]) {
      ++dead;
    }
  }
  g_.nodes_ = std::move(kept);
  for (Value& v : g_.values_) v.producer = -1;
  for (size_t i = 0; i < g_.nodes_.size(); ++i) {
    for (ValueId out : g_.nodes_[i].outputs) if (out != kNoValue) g_.values_[out].producer = static_cast<int32_t>(i);
  }
}

absl::Status run_graph_passes(Graph& graph) {
  GraphRewriter r(graph);
  SOFIE_RETURN_IF_ERROR(r.fuse_matmul_add());
  SOFIE_RETURN_IF_ERROR(r.fold_batchnorm());
  r.eliminate_dead();
  r.record();
  return absl::OkStatus();
}

}  // namespace sofie
