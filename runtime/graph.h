// The graph IR: values, nodes with typed attributes, initializers, inputs/outputs, subgraphs and opset
// imports. Built once by the loader (runtime/onnx_loader.h), validated, topologically sorted and
// shape-inferred; read-only afterwards. A Graph never learns about plans or compiled code.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/shape.h"
#include "runtime/tensor.h"

namespace sofie {

class Graph;
class Op;

struct Attribute {
  enum class Type { kUndefined, kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings, kTensors, kGraphs };
  std::string name;
  Type type = Type::kUndefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<const Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<const Graph>> graphs;
};
const char* attribute_type_name(Attribute::Type t);

// Index of a value in Graph::values(); kNoValue marks an absent optional input or output.
using ValueId = int32_t;
inline constexpr ValueId kNoValue = -1;

struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  SymShape shape;
  int32_t producer = -1;      // node index, -1 for graph inputs, initializers and outer-scope values
  bool is_graph_input = false;
  bool is_initializer = false;
  bool is_outer_scope = false;  // a subgraph's reference to a value of an enclosing graph
  // Set for initializers and for values folded at load time (constant inputs all the way up).
  std::shared_ptr<const Tensor> constant;
};

struct Node {
  std::string name;      // never empty after loading: unnamed nodes get "<op_type>_<index>"
  std::string op_type;
  std::string domain;    // "" for the default ONNX domain
  int opset = 0;         // the model's opset for this domain
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::vector<Attribute> attributes;
  // Values of this graph (or of enclosing ones) that the node's subgraphs read by name, in the order of
  // `implicit_names`. Empty for nodes without subgraphs.
  std::vector<ValueId> implicit_inputs;
  std::vector<std::string> implicit_names;
  // The operator implementation, bound at load time from the registry (null only inside the loader).
  std::shared_ptr<const Op> op;

  const Attribute* find_attribute(const std::string& attr_name) const;
  // "Gemm node 'fc1'", for error messages.
  std::string describe() const;
};

// For control-flow operators' infer(): shape inference of a subgraph (an If branch, a Loop or Scan body)
// given the types its operator passes to its formal inputs. Outer-scope values were typed from the
// enclosing graph just before the operator's infer() ran. Call only from infer() (while loading).
absl::Status infer_subgraph(const Graph& subgraph, absl::Span<const std::pair<DType, SymShape>> inputs);

class Graph {
 public:
  const std::string& name() const { return name_; }
  const std::vector<Value>& values() const { return values_; }
  const Value& value(ValueId id) const { return values_[id]; }
  // Nodes in a valid execution (topological) order.
  const std::vector<Node>& nodes() const { return nodes_; }
  // Graph inputs that are not initializers, in declaration order.
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  // What the load-time graph passes did (runtime/passes.h).
  int passes_matmul_add_fused() const { return pass_counts_[0]; }
  int passes_batchnorm_folded() const { return pass_counts_[1]; }
  int passes_dead_removed() const { return pass_counts_[2]; }
  // opset per domain ("" is the default ONNX domain).
  const std::map<std::string, int>& opsets() const { return opsets_; }
  // kNoValue when absent.
  ValueId find_value(const std::string& value_name) const;

 private:
  friend class GraphBuilder;
  friend class GraphRewriter;
  friend absl::Status infer_subgraph(const Graph& subgraph, absl::Span<const std::pair<DType, SymShape>> inputs);
  std::string name_;
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  std::map<std::string, int> opsets_;
  absl::flat_hash_map<std::string, ValueId> by_name_;
  int pass_counts_[3] = {0, 0, 0};
};

// Mutable construction of a Graph, used by the loader; `finish` validates, sorts, binds operators and
// runs shape inference and constant folding, then hands out the immutable graph.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name, std::map<std::string, int> opsets);
  // This graph is a subgraph (If/Loop/Scan body): names it does not define are outer-scope values
  // (typed from `outer` where known). Subgraphs are validated and bound here; their control-flow
  // operator infers their shapes.
  void mark_subgraph(std::map<std::string, const Value*> outer);

  absl::Status add_input(const std::string& name, DType dtype, SymShape shape);
  absl::Status add_initializer(const std::string& name, Tensor tensor);
  // Inputs/outputs by name; "" = absent optional.
  absl::Status add_node(Node node, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs);
  absl::Status add_output(const std::string& name);
  // Declared type of an intermediate value (ONNX value_info); used only where inference cannot tell.
  void add_value_info(const std::string& name, DType dtype, SymShape shape);

  absl::StatusOr<std::shared_ptr<const Graph>> finish() &&;

 private:
  absl::StatusOr<ValueId> define(const std::string& name, const std::string& what);
  absl::Status sort_topologically();
  absl::Status bind_and_infer();
  // Symbolic inference (and constant folding) of every node of `g`, in order.
  static absl::Status infer_nodes(Graph& g, const std::map<std::string, std::pair<DType, SymShape>>& value_infos);
  static absl::Status fold_if_constant(Graph& g, const Node& node);
  friend absl::Status infer_subgraph(const Graph& subgraph, absl::Span<const std::pair<DType, SymShape>> inputs);

  std::unique_ptr<Graph> g_;
  std::vector<std::vector<std::string>> node_inputs_;  // per node, resolved in finish()
  std::vector<std::string> output_names_;
  std::map<std::string, std::pair<DType, SymShape>> value_infos_;
  std::map<std::string, const Value*> outer_;
  bool is_subgraph_ = false;
};

}  // namespace sofie
