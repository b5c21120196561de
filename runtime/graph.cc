#include "runtime/graph.h"

#include <algorithm>
#include <queue>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/op.h"
#include "runtime/passes.h"
#include "runtime/plan.h"
#include "runtime/status.h"

namespace sofie {

const char* attribute_type_name(Attribute::Type t) {
  switch (t) {
    case Attribute::Type::kFloat: return "float";
    case Attribute::Type::kInt: return "int";
    case Attribute::Type::kString: return "string";
    case Attribute::Type::kTensor: return "tensor";
    case Attribute::Type::kGraph: return "graph";
    case Attribute::Type::kFloats: return "floats";
    case Attribute::Type::kInts: return "ints";
    case Attribute::Type::kStrings: return "strings";
    case Attribute::Type::kTensors: return "tensors";
    case Attribute::Type::kGraphs: return "graphs";
    case Attribute::Type::kUndefined: return "undefined";
  }
  return "undefined";
}

const Attribute* Node::find_attribute(const std::string& attr_name) const {
  for (const Attribute& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

std::string Node::describe() const { return absl::StrCat(op_type, " node '", name, "'"); }

ValueId Graph::find_value(const std::string& value_name) const {
  auto it = by_name_.find(value_name);
  return it == by_name_.end() ? kNoValue : it->second;
}

GraphBuilder::GraphBuilder(std::string name, std::map<std::string, int> opsets) : g_(new Graph()) {
  g_->name_ = std::move(name);
  g_->opsets_ = std::move(opsets);
}

void GraphBuilder::mark_subgraph(std::map<std::string, const Value*> outer) {
  is_subgraph_ = true;
  outer_ = std::move(outer);
}

absl::StatusOr<ValueId> GraphBuilder::define(const std::string& name, const std::string& what) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " has an empty name"));
  auto it = g_->by_name_.find(name);
  if (it != g_->by_name_.end()) {
    const Value& old = g_->values_[it->second];
    std::string before = old.is_initializer   ? "an initializer"
                         : old.is_graph_input ? "a graph input"
                                              : absl::StrCat("the output of ", g_->nodes_[old.producer].describe());
    return absl::InvalidArgumentError(
        absl::StrCat("value '", name, "' is defined twice: as ", before, " and as ", what));
  }
  ValueId id = static_cast<ValueId>(g_->values_.size());
  g_->values_.push_back(Value{});
  g_->values_.back().name = name;
  g_->by_name_[name] = id;
  return id;
}

absl::Status GraphBuilder::add_input(const std::string& name, DType dtype, SymShape shape) {
  // IR < 4 models list initializers among the inputs too: the initializer wins, the value stays constant.
  auto it = g_->by_name_.find(name);
  if (it != g_->by_name_.end() && g_->values_[it->second].is_initializer) return absl::OkStatus();
  SOFIE_ASSIGN_OR_RETURN(ValueId id, define(name, "a graph input"));
  Value& v = g_->values_[id];
  v.dtype = dtype;
  v.shape = std::move(shape);
  v.is_graph_input = true;
  g_->inputs_.push_back(id);
  return absl::OkStatus();
}

absl::Status GraphBuilder::add_initializer(const std::string& name, Tensor tensor) {
  auto it = g_->by_name_.find(name);
  if (it != g_->by_name_.end() && g_->values_[it->second].is_graph_input) {
    // Declared as an input first (IR < 4): it becomes a constant and leaves the input list.
    ValueId id = it->second;
    g_->inputs_.erase(std::remove(g_->inputs_.begin(), g_->inputs_.end(), id), g_->inputs_.end());
    g_->values_[id].is_graph_input = false;
    g_->by_name_.erase(it);
    g_->values_[id].name.clear();
    // Re-define below under the same name; the orphaned slot is harmless (never referenced).
  }
  SOFIE_ASSIGN_OR_RETURN(ValueId id, define(name, "an initializer"));
  Value& v = g_->values_[id];
  v.dtype = tensor.dtype();
  v.shape = SymShape::of(tensor.shape());
  v.is_initializer = true;
  v.constant = std::make_shared<const Tensor>(std::move(tensor));
  return absl::OkStatus();
}

absl::Status GraphBuilder::add_node(Node node, const std::vector<std::string>& inputs,
                                    const std::vector<std::string>& outputs) {
  int32_t index = static_cast<int32_t>(g_->nodes_.size());
  if (node.name.empty()) node.name = absl::StrCat(node.op_type, "_", index);
  node.outputs.clear();
  for (const std::string& out : outputs) {
    if (out.empty()) {
      node.outputs.push_back(kNoValue);
      continue;
    }
    SOFIE_ASSIGN_OR_RETURN(ValueId id, define(out, absl::StrCat("an output of ", node.describe())));
    g_->values_[id].producer = index;
    node.outputs.push_back(id);
  }
  g_->nodes_.push_back(std::move(node));
  node_inputs_.push_back(inputs);
  return absl::OkStatus();
}

absl::Status GraphBuilder::add_output(const std::string& name) {
  output_names_.push_back(name);
  return absl::OkStatus();
}

void GraphBuilder::add_value_info(const std::string& name, DType dtype, SymShape shape) {
  value_infos_[name] = {dtype, std::move(shape)};
}

namespace {
// Names a subgraph takes from enclosing scopes (its outer-scope values), recursively.
void collect_outer_refs(const Graph& g, std::vector<std::string>* out) {
  for (const Value& v : g.values()) {
    if (v.is_outer_scope) out->push_back(v.name);
  }
}
}  // namespace

absl::Status GraphBuilder::sort_topologically() {
  const size_t n = g_->nodes_.size();
  // Dependencies: node inputs plus the outer-scope references of its subgraphs.
  std::vector<std::vector<int32_t>> consumers(n);
  std::vector<int> pending(n, 0);
  for (size_t i = 0; i < n; ++i) {
    std::vector<ValueId> deps(g_->nodes_[i].inputs.begin(), g_->nodes_[i].inputs.end());
    deps.insert(deps.end(), g_->nodes_[i].implicit_inputs.begin(), g_->nodes_[i].implicit_inputs.end());
    absl::flat_hash_set<int32_t> producers;
    for (ValueId v : deps) {
      if (v == kNoValue) continue;
      int32_t p = g_->values_[v].producer;
      if (p >= 0 && producers.insert(p).second) {
        consumers[p].push_back(static_cast<int32_t>(i));
        ++pending[i];
      }
    }
  }
  // Kahn's algorithm, keeping the file order among ready nodes (stable, readable profiles).
  std::priority_queue<int32_t, std::vector<int32_t>, std::greater<int32_t>> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push(static_cast<int32_t>(i));
  }
  std::vector<int32_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    int32_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int32_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push(c);
    }
  }
  if (order.size() != n) {
    std::vector<std::string> stuck;
    for (size_t i = 0; i < n && stuck.size() < 5; ++i) {
      if (pending[i] > 0) stuck.push_back(g_->nodes_[i].describe());
    }
    return absl::InvalidArgumentError(
        absl::StrCat("the graph has a cycle; nodes on or after it: ", absl::StrJoin(stuck, ", ")));
  }
  // Renumber nodes and producers.
  std::vector<Node> sorted;
  sorted.reserve(n);
  for (int32_t i : order) sorted.push_back(std::move(g_->nodes_[i]));
  g_->nodes_ = std::move(sorted);
  for (size_t i = 0; i < n; ++i) {
    for (ValueId out : g_->nodes_[i].outputs) {
      if (out != kNoValue) g_->values_[out].producer = static_cast<int32_t>(i);
    }
  }
  return absl::OkStatus();
}

absl::Status GraphBuilder::bind_and_infer() {
  // Bind every node to its operator first, so one error lists every unsupported operator.
  std::vector<std::string> unsupported;
  for (Node& node : g_->nodes_) {
    const OpSchema* schema = OpRegistry::global().find(node.domain, node.op_type, node.opset);
    if (schema == nullptr) {
      std::string domain = node.domain.empty() ? "ai.onnx" : node.domain;
      auto versions = OpRegistry::global().versions(node.domain, node.op_type);
      std::string known;
      if (!versions.empty()) {
        known = absl::StrCat(" (sofie supports it for opsets ",
                             absl::StrJoin(versions, ", ",
                                           [](std::string* out, const OpSchema* s) {
                                             absl::StrAppend(out, s->since_version, "-", s->until_version);
                                           }),
                             ")");
      }
      unsupported.push_back(absl::StrCat(node.op_type, " (domain ", domain, ", opset ", node.opset, ") at node '",
                                         node.name, "'", known));
      continue;
    }
    auto op = schema->create(node);
    if (!op.ok()) return op.status();
    node.op = std::shared_ptr<const Op>(std::move(*op));
  }
  if (!unsupported.empty()) {
    return absl::UnimplementedError(
        absl::StrCat("unsupported operator", unsupported.size() > 1 ? "s: " : ": ", absl::StrJoin(unsupported, "; ")));
  }
  if (is_subgraph_) return absl::OkStatus();  // subgraphs are inferred by their control-flow op
  return infer_nodes(*g_, value_infos_);
}

namespace {
// Gives a subgraph's outer-scope values the types of the enclosing graph's values they name.
void type_outer_values(const Node& node, const std::vector<Value>& values) {
  auto visit = [&](const Graph& sub) {
    auto& sub_values = const_cast<std::vector<Value>&>(sub.values());
    for (Value& v : sub_values) {
      if (!v.is_outer_scope) continue;
      for (size_t k = 0; k < node.implicit_names.size(); ++k) {
        if (node.implicit_names[k] == v.name) {
          v.dtype = values[node.implicit_inputs[k]].dtype;
          v.shape = values[node.implicit_inputs[k]].shape;
        }
      }
    }
  };
  for (const Attribute& a : node.attributes) {
    if (a.g) visit(*a.g);
    for (const auto& g : a.graphs) visit(*g);
  }
}
}  // namespace

absl::Status GraphBuilder::infer_nodes(Graph& g, const std::map<std::string, std::pair<DType, SymShape>>& value_infos) {
  for (Node& node : g.nodes_) {
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      ValueId in = node.inputs[k];
      if (in != kNoValue && g.values_[in].dtype == DType::kUndefined) {
        return node_error(node, absl::StrCat("input ", k, " ('", g.values_[in].name,
                                             "') has no known element type"));
      }
    }
    type_outer_values(node, g.values_);
    InferContext ctx(node, g.values_);
    // infer() is the only mutating call an operator sees; it runs once, before the op is shared.
    SOFIE_RETURN_IF_ERROR(const_cast<Op&>(*node.op).infer(ctx));
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      ValueId out = node.outputs[k];
      if (out == kNoValue) continue;
      Value& v = g.values_[out];
      if (v.dtype == DType::kUndefined) {
        auto it = value_infos.find(v.name);
        if (it == value_infos.end()) {
          return node_error(node, absl::StrCat("output ", k, " ('", v.name, "') got no element type"));
        }
        v.dtype = it->second.first;
        v.shape = it->second.second;
      }
    }
    SOFIE_RETURN_IF_ERROR(fold_if_constant(g, node));
  }
  return absl::OkStatus();
}

absl::Status infer_subgraph(const Graph& subgraph, absl::Span<const std::pair<DType, SymShape>> inputs) {
  Graph& g = const_cast<Graph&>(subgraph);  // still loading: the subgraph is not shared yet
  if (inputs.size() != g.inputs_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("subgraph '", g.name_, "' has ", g.inputs_.size(),
                                                   " inputs, its operator passes ", inputs.size()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    Value& v = g.values_[g.inputs_[i]];
    if (v.dtype == DType::kUndefined) v.dtype = inputs[i].first;
    if (v.dtype != inputs[i].first) {
      return absl::InvalidArgumentError(absl::StrCat("subgraph '", g.name_, "' input '", v.name, "' is declared ",
                                                     dtype_name(v.dtype), " but receives ", dtype_name(inputs[i].first)));
    }
    if (!v.shape.rank_known()) v.shape = inputs[i].second;
  }
  return GraphBuilder::infer_nodes(g, {});
}

// Load-time constant folding: a node whose inputs are all known (Constant, ops on initializers, shape
// arithmetic on static shapes) is evaluated once here; plans then skip it.
absl::Status GraphBuilder::fold_if_constant(Graph& g, const Node& node) {
  if (!node.op->foldable()) return absl::OkStatus();
  std::vector<const TensorView*> inputs;
  for (ValueId in : node.inputs) {
    if (in == kNoValue) {
      inputs.push_back(nullptr);
      continue;
    }
    const Value& v = g.values_[in];
    if (!v.constant) return absl::OkStatus();
    inputs.push_back(&v.constant->view());
  }
  std::vector<DType> out_dtypes;
  for (ValueId out : node.outputs) out_dtypes.push_back(out == kNoValue ? DType::kUndefined : g.values_[out].dtype);
  SOFIE_ASSIGN_OR_RETURN(std::vector<Tensor> results, evaluate_node(node, inputs, out_dtypes));
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    ValueId out = node.outputs[k];
    if (out == kNoValue) continue;
    Value& v = g.values_[out];
    v.shape = SymShape::of(results[k].shape());
    v.constant = std::make_shared<const Tensor>(std::move(results[k]));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Graph>> GraphBuilder::finish() && {
  // Resolve node inputs; names not defined here may come from enclosing graphs (subgraphs only).
  for (size_t i = 0; i < g_->nodes_.size(); ++i) {
    Node& node = g_->nodes_[i];
    node.inputs.clear();
    for (const std::string& in : node_inputs_[i]) {
      if (in.empty()) {
        node.inputs.push_back(kNoValue);
        continue;
      }
      ValueId id = g_->find_value(in);
      if (id == kNoValue) {
        if (!is_subgraph_) {
          return node_error(node, absl::StrCat("input '", in,
                                               "' is not produced by any node, graph input or initializer"));
        }
        SOFIE_ASSIGN_OR_RETURN(id, define(in, "an outer-scope value"));
        Value& v = g_->values_[id];
        v.is_outer_scope = true;
        auto it = outer_.find(in);
        if (it != outer_.end()) {
          v.dtype = it->second->dtype;
          v.shape = it->second->shape;
        }
      }
      node.inputs.push_back(id);
    }
  }
  // Values the nodes' subgraphs read from this scope (or, for a subgraph, from further out).
  for (Node& node : g_->nodes_) {
    std::vector<std::string> refs;
    for (const Attribute& a : node.attributes) {
      if (a.g) collect_outer_refs(*a.g, &refs);
      for (const auto& sub : a.graphs) collect_outer_refs(*sub, &refs);
    }
    for (const std::string& name : refs) {
      if (std::find(node.implicit_names.begin(), node.implicit_names.end(), name) != node.implicit_names.end()) continue;
      ValueId id = g_->find_value(name);
      if (id == kNoValue) {
        if (!is_subgraph_) {
          return node_error(node, absl::StrCat("a subgraph reads '", name,
                                               "', which no enclosing graph defines"));
        }
        SOFIE_ASSIGN_OR_RETURN(id, define(name, "an outer-scope value"));
        g_->values_[id].is_outer_scope = true;
      }
      node.implicit_inputs.push_back(id);
      node.implicit_names.push_back(name);
    }
  }
  for (const std::string& out : output_names_) {
    ValueId id = g_->find_value(out);
    if (id == kNoValue) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph output '", out, "' is not produced by any node, graph input or initializer"));
    }
    g_->outputs_.push_back(id);
  }
  SOFIE_RETURN_IF_ERROR(sort_topologically());
  SOFIE_RETURN_IF_ERROR(bind_and_infer());
  if (!is_subgraph_) SOFIE_RETURN_IF_ERROR(run_graph_passes(*g_));
  return std::shared_ptr<const Graph>(std::move(g_));
}

}  // namespace sofie
