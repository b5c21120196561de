// GraphNets-style graph networks (DeepMind's Graph Nets vocabulary) with ONNX update functions.
//
//   auto model = sofie::graphnets::Model::load("lhcb_toy/model.pbtxt");   // throws sofie::Error
//   sofie::graphnets::GraphView g;
//   g.nodes = sofie::TensorView::of(x.data(), {n_nodes, 4});
//   g.edges = sofie::TensorView::of(e.data(), {n_edges, 4});
//   g.globals = sofie::TensorView::of(u.data(), {1, 1});
//   g.senders = sofie::TensorView::of(senders.data(), {n_edges});      // int64
//   g.receivers = sofie::TensorView::of(receivers.data(), {n_edges});  // int64
//   sofie::graphnets::Graph out = model.infer(g);                        // out.edges: [n_edges, ...]
//
// The spec (graphnets/graphnets.proto, protobuf text format) names the blocks, their inputs, aggregators and
// the ONNX file of each update function. Each update function runs as a sofie::Model: on the interpreter or
// on the JIT tier (LoadOptions::tier), with one compiled artifact per function serving every node and edge
// count. Aggregations are segment reductions, O(E) per call. N and E may change on every call; E = 0 and
// N = 1 are valid graphs.
//
// A Model is immutable and may be shared by any number of threads; infer() borrows an execution context
// from a pool inside the model. For calls without allocations once sizes have been seen, use a Session per
// thread. Every throwing call has a non-throwing twin returning absl::Status(Or).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model.h"
#include "runtime/tensor.h"

namespace sofie::graphnets {

// One graph: nodes [N, node_features], edges [E, edge_features], globals [1, global_features] (float32);
// senders and receivers [E] (int64, each in [0, N)): edge i goes from node senders[i] to node receivers[i].
struct GraphView {
  TensorView nodes;
  TensorView edges;
  TensorView globals;
  TensorView senders;
  TensorView receivers;
};

// A graph owning its tensors (what Model::infer returns).
struct Graph {
  Tensor nodes;
  Tensor edges;
  Tensor globals;
  Tensor senders;
  Tensor receivers;
  GraphView view() const;
};

// An update function of the model: its ONNX file (as written in the spec) and what its tier did.
struct FunctionInfo {
  std::string block;  // "core"
  std::string field;  // "graph_network.edge_block.model"
  std::string path;   // "core_edge.onnx"
  int64_t in_features = 0;
  int64_t out_features = 0;
  TierStats tier;
};

class Session;
class ModelImpl;

class Model {
 public:
  // Reads the spec and every ONNX file it names (relative to the spec's folder). `options` applies to every
  // update function (tier, JIT threshold). Errors name the block and the field, e.g.
  // "model.pbtxt: block 'core' field 'graph_network.edge_block.model': ...".
  static Model load(const std::string& spec_path, const LoadOptions& options = {});
  static absl::StatusOr<Model> try_load(const std::string& spec_path, const LoadOptions& options = {});
  // The same from spec text; ONNX paths are resolved against `folder`; `origin` names the spec in errors.
  static absl::StatusOr<Model> try_load_from_text(const std::string& spec_text, const std::string& folder,
                                                  const LoadOptions& options = {},
                                                  const std::string& origin = "spec");

  Graph infer(const GraphView& graph) const;
  absl::StatusOr<Graph> try_infer(const GraphView& graph) const;

  const std::string& name() const;
  // Feature widths of the input and output graphs: {nodes, edges, globals}.
  std::vector<int64_t> input_features() const;
  std::vector<int64_t> output_features() const;
  // Every distinct update function (an ONNX file used by several blocks or steps appears once).
  std::vector<FunctionInfo> functions() const;

  Session new_session() const;

 private:
  friend class Session;
  explicit Model(std::shared_ptr<const ModelImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const ModelImpl> impl_;
};

// One thread's execution context: the update functions' sessions and the buffers of every stage, grown to
// the largest graph seen and then reused.
class Session {
 public:
  explicit Session(const Model& model);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Runs the model. The returned views point into this session (or into `graph` for components no block
  // changes) and stay valid until the next run; senders and receivers are the input's.
  absl::StatusOr<GraphView> run(const GraphView& graph);

  // Calls of update functions served by the interpreter and by compiled code, summed over the functions.
  int64_t calls_interpreted() const;
  int64_t calls_compiled() const;

  struct State;

 private:
  friend class ModelImpl;
  // `owner` null: the session does not keep the model alive (the model's own pool for infer()).
  Session(const ModelImpl* model, std::shared_ptr<const ModelImpl> owner);
  std::unique_ptr<State> state_;
};

}  // namespace sofie::graphnets
