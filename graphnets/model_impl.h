// Internal: a loaded GraphNets model. The spec is validated once at load (graphnets/loader.cc) into blocks
// whose update functions are sofie::Models, and an unrolled schedule of stages with every feature width
// known; sessions (graphnets/model.cc) only follow the schedule. Not part of the public API.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graphnets/model.h"
#include "graphnets/segment.h"
#include "runtime/model.h"

namespace sofie::graphnets {

// Feature widths of a graph's components.
struct Widths {
  int64_t nodes = 0, edges = 0, globals = 0;
};

// An update function: one ONNX file, loaded once however many blocks or steps use it.
struct Function {
  FunctionInfo info;  // tier stats filled on request
  sofie::Model model;
};

// Which features an update reads; function < 0: the component passes through unchanged.
struct EdgeUpdate {
  int function = -1;
  std::string field;  // "graph_network.edge_block.model", for errors
  bool use_edges = false, use_receiver_nodes = false, use_sender_nodes = false, use_globals = false;
};
struct NodeUpdate {
  int function = -1;
  std::string field;
  bool use_received_edges = false, use_sent_edges = false, use_nodes = false, use_globals = false;
  Reducer received_edges_reducer = Reducer::kSum, sent_edges_reducer = Reducer::kSum;
};
struct GlobalUpdate {
  int function = -1;
  std::string field;
  bool use_edges = false, use_nodes = false, use_globals = false;
  Reducer edges_reducer = Reducer::kSum, nodes_reducer = Reducer::kSum;
};

// Every block kind is edge update → node update (seeing the new edges) → global update (seeing both);
// EdgeBlock, NodeBlock and GlobalBlock have one of them, GraphIndependent reads each component only.
struct Block {
  std::string name;
  EdgeUpdate edge;
  NodeUpdate node;
  GlobalUpdate global;
};

// One block application of the unrolled model. Graph states: 0 is the input, stage s writes state s + 1.
// The stage's input is state `input`, or the feature-wise concatenation of states `input` and `concat_with`
// (encode-process-decode's skip concatenation).
struct Stage {
  int block = 0;
  int input = 0;
  int concat_with = -1;
  std::string where;  // "" or "processing step 2", for errors
};

class ModelImpl {
 public:
  std::string name;
  Widths input;
  Widths output;
  std::vector<Function> functions;
  std::vector<Block> blocks;
  std::vector<Stage> stages;

  // Execution contexts for Model::infer, reused across calls and threads (each used by one call at a time).
  std::unique_ptr<Session> borrow_session() const;
  void return_session(std::unique_ptr<Session> session) const;

 private:
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Session>> pool_;
};

// Reads and validates a spec (graphnets/loader.cc).
absl::StatusOr<std::shared_ptr<ModelImpl>> load_model_impl(const std::string& spec_text, const std::string& folder,
                                                           const LoadOptions& options, const std::string& origin);

}  // namespace sofie::graphnets
