// A Session is one thread's execution state for a Model: its arena, the plans it has bound, profiling
// counters. Not thread-safe itself; make one per thread (Model::infer keeps one per thread for you).
// Session::run returns views into the session's arena: no allocation per call once the input-shape
// signature has been seen; the views stay valid until the next run on this session.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/model.h"
#include "runtime/tensor.h"

namespace sofie {

class Plan;
struct BoundPlan;

struct OpProfile {
  std::string op_type;
  int64_t calls = 0;
  double total_us = 0;
};

struct NodeProfile {
  std::string node;
  std::string op_type;
  int64_t calls = 0;
  double total_us = 0;
};

class Session {
 public:
  explicit Session(const Model& model);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Runs the model; the returned views (one per graph output) point into this session's memory.
  absl::StatusOr<absl::Span<const TensorView>> run(absl::Span<const TensorView> inputs);

  // Per-node timing, off by default (costs two clock reads per node).
  void set_profiling(bool on);
  std::vector<NodeProfile> node_profile() const;
  // Summed per op type, slowest first.
  std::vector<OpProfile> op_profile() const;

  // Plans this session bound that it had not bound before (its cache misses); for tests and tools.
  int64_t plans_built() const;
  // Bytes of this session's arena.
  size_t arena_bytes() const;
  // Calls served by the interpreter and by compiled code (runtime/tiering.h).
  int64_t calls_interpreted() const;
  int64_t calls_compiled() const;

  struct State;  // public only for the compiled-graph callback

 private:
  friend class Model;
  // For Model's per-thread sessions: does not keep the model alive.
  struct NonOwning {};
  Session(const ModelImpl* model, NonOwning);
  std::unique_ptr<State> state_;
};

}  // namespace sofie
