// The operator interface and its registry. An operator follows XNNPACK's lifecycle:
//   create (parse and validate attributes, once per node at load)
//   -> infer (dtypes and symbolic output shapes, once at load)
//   -> reshape (concrete shapes, workspace size, per-plan parameters; once per plan, i.e. per new
//      input-shape signature)
//   -> run (per inference; no allocation).
// Operators live in ops/ and register themselves with SOFIE_REGISTER_OP; the runtime finds them by
// (domain, op_type, opset) and never includes an ops/ header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/graph.h"
#include "runtime/shape.h"
#include "runtime/status.h"
#include "runtime/tensor.h"

namespace sofie {

inline constexpr int kMinOpset = 7;
inline constexpr int kMaxOpset = 21;

// Builds the error every operator reports: "<Op> node '<name>': <message>".
absl::Status node_error(const Node& node, absl::string_view message);

// Typed attribute access with the first error kept: read everything, then check status() once.
//   Attrs a(node);
//   int64_t axis = a.get_int("axis", 1);
//   SOFIE_RETURN_IF_ERROR(a.status());
class Attrs {
 public:
  explicit Attrs(const Node& node) : node_(node) {}
  bool has(const std::string& name) const { return node_.find_attribute(name) != nullptr; }
  int64_t get_int(const std::string& name, int64_t default_value);
  float get_float(const std::string& name, float default_value);
  std::string get_string(const std::string& name, const std::string& default_value);
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> default_value = {});
  std::vector<float> get_floats(const std::string& name, std::vector<float> default_value = {});
  // Required attributes: missing is an error.
  int64_t require_int(const std::string& name);
  const Tensor* get_tensor(const std::string& name);  // nullptr when absent
  const Attribute* get(const std::string& name, Attribute::Type type);  // nullptr when absent
  absl::Status status() const { return status_; }

 private:
  void fail(const std::string& message);
  const Node& node_;
  absl::Status status_;
};

// Load time: symbolic shape inference of one node.
class InferContext {
 public:
  InferContext(const Node& node, std::vector<Value>& values) : node_(node), values_(values) {}
  const Node& node() const { return node_; }
  int num_inputs() const { return static_cast<int>(node_.inputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && node_.inputs[i] != kNoValue; }
  DType input_dtype(int i) const { return values_[node_.inputs[i]].dtype; }
  const SymShape& input_shape(int i) const { return values_[node_.inputs[i]].shape; }
  // The value's name, for error messages.
  const std::string& input_name(int i) const { return values_[node_.inputs[i]].name; }
  // The input's value when it is known at load time (initializer or folded constant), else nullptr.
  const Tensor* input_constant(int i) const {
    return has_input(i) ? values_[node_.inputs[i]].constant.get() : nullptr;
  }
  int num_outputs() const { return static_cast<int>(node_.outputs.size()); }
  bool has_output(int i) const { return i < num_outputs() && node_.outputs[i] != kNoValue; }
  void set_output(int i, DType dtype, SymShape shape);
  // The output's value is known from input shapes alone (Shape, Size on static shapes): the graph keeps
  // it as a constant. Call after set_output.
  void set_output_constant(int i, Tensor value);
  absl::Status error(absl::string_view message) const { return node_error(node_, message); }

 private:
  const Node& node_;
  std::vector<Value>& values_;
};

// Per-plan state an operator computes in reshape (strides, loop bounds, chosen kernel) and reads in run.
struct OpParams {
  virtual ~OpParams() = default;
};

// Plan time: concrete shapes for one node.
class ReshapeContext {
 public:
  struct Port {
    DType dtype = DType::kUndefined;
    Dims shape;
    const TensorView* value = nullptr;  // inputs only: known at plan time
    bool present = false;
  };
  ReshapeContext(const Node& node, std::vector<Port> inputs, std::vector<Port> outputs)
      : node_(node), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {}

  const Node& node() const { return node_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  bool has_input(int i) const { return i < num_inputs() && inputs_[i].present; }
  DType input_dtype(int i) const { return inputs_[i].dtype; }
  const Dims& input_shape(int i) const { return inputs_[i].shape; }
  // The input's data when known while planning (constants, values computed from shapes such as
  // Shape -> Gather -> Concat), else nullptr. Ops whose output shape depends on an input's values
  // (Reshape's shape, Expand's shape, ...) read it here.
  // The input's value if known while planning, without asking for it: planning does not fall back to
  // keying plans on input values or running eagerly when it is unknown (for optional shortcuts).
  const TensorView* known_value(int i) const { return has_input(i) ? inputs_[i].value : nullptr; }
  const TensorView* input_value(int i) const {
    if (!has_input(i)) return nullptr;
    if (inputs_[i].value == nullptr) wanted_values_ |= uint64_t{1} << (i & 63);
    return inputs_[i].value;
  }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  bool has_output(int i) const { return i < num_outputs() && outputs_[i].present; }
  DType output_dtype(int i) const { return outputs_[i].dtype; }
  void set_output_shape(int i, Dims shape) { outputs_[i].shape = std::move(shape); shapes_set_ |= 1ull << i; }
  // The output's value is known from the input shapes alone (Shape, Size): the plan keeps it as a
  // constant, skips run() for this node when all its outputs are known, and downstream ops see it
  // through input_value(). Also sets the output's shape.
  void set_output_value(int i, Tensor value) {
    set_output_shape(i, value.shape());
    output_values_.resize(outputs_.size());
    output_values_[i] = std::move(value);
  }
  // Scratch memory for run(), 64-byte aligned, from the plan's arena.
  void set_workspace(size_t bytes) { workspace_ = bytes; }
  // Output `output` is `input` reinterpreted (same bytes, new shape): no copy, no run() needed for it.
  // Only for ops whose run() then does nothing for that output (Reshape, Flatten, Squeeze, ...).
  void set_alias(int output, int input) { alias_of_ = input; alias_output_ = output; }
  // Output `output` may be computed in place over `input` (same dtype and size; run() must work when the
  // two pointers are equal). The planner takes it when the input has no later reader.
  void set_inplace(int output, int input) { inplace_output_ = output; inplace_input_ = input; }
  // Output `i`'s shape depends on the input *data* (NonZero, Unique, If, Loop, ...): no shape is set here;
  // run() allocates it with RunContext::allocate_output. Plans containing such an op run eagerly
  // (reshape per node per call, memory from a per-session bump arena).
  void set_output_dynamic(int i) { dynamic_outputs_ |= uint64_t{1} << i; shapes_set_ |= uint64_t{1} << i; }
  template <typename P>
  P& make_params() {
    auto p = std::make_unique<P>();
    P& ref = *p;
    params_ = std::move(p);
    return ref;
  }
  absl::Status error(absl::string_view message) const { return node_error(node_, message); }

  // For the planner.
  const Port& output(int i) const { return outputs_[i]; }
  bool output_shape_set(int i) const { return (shapes_set_ >> i) & 1; }
  bool output_dynamic(int i) const { return (dynamic_outputs_ >> i) & 1; }
  bool any_output_dynamic() const { return dynamic_outputs_ != 0; }
  size_t workspace() const { return workspace_; }
  int alias_input() const { return alias_of_; }
  int inplace_output() const { return inplace_output_; }
  int inplace_input() const { return inplace_input_; }
  int alias_output() const { return alias_output_; }
  std::unique_ptr<OpParams> take_params() { return std::move(params_); }
  std::vector<Tensor>& output_values() { return output_values_; }
  // Inputs whose value the op asked for while it was not known (bit i = input i).
  uint64_t wanted_values() const { return wanted_values_; }

 private:
  const Node& node_;
  std::vector<Port> inputs_;
  std::vector<Port> outputs_;
  uint64_t shapes_set_ = 0;
  uint64_t dynamic_outputs_ = 0;
  size_t workspace_ = 0;
  int alias_of_ = -1;
  int alias_output_ = -1;
  int inplace_output_ = -1;
  int inplace_input_ = -1;
  std::unique_ptr<OpParams> params_;
  std::vector<Tensor> output_values_;
  mutable uint64_t wanted_values_ = 0;
};

// Memory for outputs whose shape is only known while running (see ReshapeContext::set_output_dynamic).
class OutputAllocator {
 public:
  virtual ~OutputAllocator() = default;
  // 64-byte aligned; valid until the end of the current inference.
  virtual void* allocate(size_t bytes) = 0;
};

struct RunContext;

// Runs a node's subgraphs (If branches, Loop/Scan bodies) from the node's run(), eagerly, with memory
// from the current inference's bump arena. Given only to nodes of plans that run eagerly (any node with a
// subgraph marks its outputs dynamic).
class SubgraphRunner {
 public:
  virtual ~SubgraphRunner() = default;
  // `inputs`: the subgraph's formal inputs; its outer-scope values are taken from the parent node's
  // implicit inputs (by name). `outputs` receive views valid until release() of an earlier mark().
  virtual absl::Status run(const Graph& subgraph, const RunContext& parent, absl::Span<const TensorView> inputs,
                           std::vector<TensorView>* outputs) = 0;
  // Bump-arena position; release(mark) frees everything allocated after it (a Loop body per iteration).
  virtual size_t mark() = 0;
  virtual void release(size_t mark) = 0;
};

// Run time: buffers are bound, shapes are those reshape produced.
struct RunContext {
  const Node* node = nullptr;
  const TensorView* const* inputs = nullptr;  // nullptr entries for absent optional inputs
  TensorView* const* outputs = nullptr;       // nullptr entries for absent optional outputs
  int num_inputs = 0;
  int num_outputs = 0;
  void* workspace = nullptr;
  const OpParams* params = nullptr;
  // Values of enclosing scopes that the node's subgraphs read (Node::implicit_inputs order).
  const TensorView* const* implicit_inputs = nullptr;
  OutputAllocator* allocator = nullptr;  // set when the plan runs eagerly
  SubgraphRunner* subgraphs = nullptr;   // set when the plan runs eagerly

  bool has_input(int i) const { return i < num_inputs && inputs[i] != nullptr; }
  const TensorView& input(int i) const { return *inputs[i]; }
  bool has_output(int i) const { return i < num_outputs && outputs[i] != nullptr; }
  TensorView& output(int i) const { return *outputs[i]; }
  template <typename P>
  const P& params_as() const { return *static_cast<const P*>(params); }
  absl::Status error(absl::string_view message) const { return node_error(*node, message); }
  // For dynamic outputs: gives output `i` its shape and memory (zero-filled is not promised).
  absl::StatusOr<TensorView*> allocate_output(int i, Dims shape) const;
};

class Op {
 public:
  virtual ~Op() = default;
  // Output dtypes and symbolic shapes (InferContext::set_output for each present output). Called once,
  // at load, before the op is shared; may record input dtypes in the op for later phases.
  virtual absl::Status infer(InferContext& ctx) = 0;
  // Concrete output shapes (set_output_shape for each present output), workspace, aliasing, params.
  virtual absl::Status reshape(ReshapeContext& ctx) const = 0;
  // Computes the outputs. Must not allocate. Errors only for data-dependent faults (an index out of range).
  virtual absl::Status run(const RunContext& ctx) const = 0;
  // False for ops whose result is not a function of their inputs (random generators): never folded.
  virtual bool foldable() const { return true; }
};

using OpFactory = absl::StatusOr<std::unique_ptr<Op>> (*)(const Node& node);

struct OpSchema {
  std::string domain;  // "" = default ONNX domain
  std::string op_type;
  int since_version = 1;
  int until_version = kMaxOpset;  // inclusive
  OpFactory create = nullptr;
};

class OpRegistry {
 public:
  static OpRegistry& global();
  // Overlapping ranges for one (domain, op_type) are a build bug: reported on stderr, process aborts.
  void add(OpSchema schema);
  const OpSchema* find(const std::string& domain, const std::string& op_type, int opset) const;
  // All versions registered for (domain, op_type), in registration order; empty if unknown.
  std::vector<const OpSchema*> versions(const std::string& domain, const std::string& op_type) const;
  std::vector<const OpSchema*> all() const;

 private:
  std::vector<std::unique_ptr<OpSchema>> schemas_;
};

struct OpRegistration {
  OpRegistration(const char* domain, const char* op_type, int since, int until, OpFactory create);
};

}  // namespace sofie

// Registers an operator next to its code: SOFIE_REGISTER_OP("", "Relu", 6, sofie::kMaxOpset, &ReluOp::create);
#define SOFIE_REGISTER_OP(domain, op_type, since, until, factory)                                  \
  static ::sofie::OpRegistration SOFIE_CONCAT_(sofie_op_registration_, __LINE__)(domain, op_type, \
                                                                                  since, until, factory)
