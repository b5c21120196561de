// Model inspection straight from the ONNX ModelProto, without loading the model into the runtime: a model
// whose operators sofie does not support fails Model::try_load at the first one, while inspection lists them
// all at once. Used by `sofie inspect` and by `sofie check` (for SKIP reasons).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onnx {
class ModelProto;
}

namespace sofie::tools {

// A graph input or output as the model declares it.
struct DeclaredValue {
  std::string name;
  std::string type;   // "float32", "int64", "float16", "sequence", ... ("?" when undeclared)
  std::string shape;  // "[batch,7]"; "?" for a dimension with neither value nor name; "[*]" for unknown rank
};

// One (domain, op_type) of the model, with the opset the model imports for its domain.
struct OpUse {
  std::string domain;  // "" for the default ONNX domain (also when the model writes "ai.onnx")
  std::string op_type;
  int opset = 0;       // 0 when the model imports no opset for the domain
  int64_t count = 0;   // nodes, subgraphs (If/Loop/Scan bodies) included
  bool supported = false;  // OpRegistry::global().find(domain, op_type, opset) != nullptr

  // "TopK", "com.microsoft.FusedConv": the op type, prefixed by its domain when not the default one.
  std::string qualified_name() const;
};

struct ModelSummary {
  int64_t ir_version = 0;
  std::string producer;                               // "pytorch 1.13.0"; empty when not recorded
  std::vector<std::pair<std::string, int>> opsets;    // (domain, version) as imported; "" = default domain
  std::vector<DeclaredValue> inputs;                  // graph inputs that are not initializers
  std::vector<DeclaredValue> outputs;
  int64_t num_nodes = 0;                              // subgraph nodes included
  int64_t num_initializers = 0;                       // main graph only
  int64_t initializer_elements = 0;
  std::vector<OpUse> ops;                             // most used first, then by name
  // Element types (and non-tensor types) the model uses that sofie has no DType for, sorted: "float16",
  // "sequence", ... From declared values, initializers, tensor attributes and Cast 'to' / 'dtype' attributes,
  // subgraphs included.
  std::vector<std::string> unsupported_types;

  std::vector<OpUse> unsupported_ops() const;
};

// Reads and parses a model file. Errors: missing or unreadable file, not a ModelProto.
absl::StatusOr<ModelSummary> inspect_model_file(const std::string& path);
absl::StatusOr<ModelSummary> inspect_model_bytes(const std::string& bytes);
ModelSummary inspect_model(const onnx::ModelProto& model);

// Why sofie cannot run the model, from inspection alone; empty when nothing is known to be missing:
// "unsupported ops: Conv (opset 13), com.microsoft.FusedConv (opset 1); unsupported element types: float16".
std::string unsupported_reason(const ModelSummary& summary);

// The multi-line report `sofie inspect` prints.
std::string format_model_summary(const ModelSummary& summary);

}  // namespace sofie::tools
