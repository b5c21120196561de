// sofie's public C++ API.
//
//   auto model = sofie::Model::load("mlp.onnx");            // throws sofie::Error on a bad model
//   std::vector<float> y = model.infer(x.data());             // one static-shape float input
//   auto outs = model.infer({sofie::TensorView::of(x.data(), {batch, 7})});
//
// A Model is immutable and cheap to copy (shared state); any number of threads may call infer() on one
// Model at once: each thread gets its own execution state (arena, bound plan) on first use. Plans are
// built per input-shape signature and cached, so a stream of events with varying sizes re-plans only on
// sizes it has not seen. For zero allocations per call, use a Session (runtime/session.h).
//
// Every throwing call has a non-throwing twin returning absl::Status(Or): try_load, try_infer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/shape.h"
#include "runtime/status.h"
#include "runtime/tensor.h"
#include "runtime/tiering.h"

namespace sofie {

class Graph;
class ModelImpl;
class Session;

struct LoadOptions {
  // Folder that external-data paths are resolved against when loading from a memory buffer (loading
  // from a file uses the file's folder). Empty: external data is an error.
  std::string external_data_dir;
  // Execution tier (runtime/tiering.h). kAuto: the interpreter serves until the model has served
  // `jit_threshold` calls, then compiled code takes over once a background compile finishes (0 = compile
  // at load, in the background). Without the JIT linked into the binary (//jit), every tier is the interpreter; asking for
  // kJit then fails at load.
  Tier tier = Tier::kAuto;
  int64_t jit_threshold = 100;
};

struct ValueInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  SymShape shape;
};

class Model {
 public:
  static Model load(const std::string& path, const LoadOptions& options = {});
  static absl::StatusOr<Model> try_load(const std::string& path, const LoadOptions& options = {});
  static absl::StatusOr<Model> try_load_from_buffer(const void* data, size_t size, const LoadOptions& options = {});

  // Inputs in graph order; returns owned outputs in graph order.
  std::vector<Tensor> infer(const std::vector<TensorView>& inputs) const;
  absl::StatusOr<std::vector<Tensor>> try_infer(const std::vector<TensorView>& inputs) const;
  // The model has one float32 input of static shape (as SOFIE's generated Session::infer): reads exactly
  // that many floats; returns the first output, which must be float32.
  std::vector<float> infer(const float* input) const;

  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  const Graph& graph() const;

  // A new execution context for one thread (see runtime/session.h).
  Session new_session() const;
  // Which tier serves, compile time and code size.
  TierStats tier_stats() const;

 private:
  friend class Session;
  explicit Model(std::shared_ptr<const ModelImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const ModelImpl> impl_;
};

}  // namespace sofie
