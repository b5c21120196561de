// Symbolic shapes, as ONNX declares them: each dimension is a concrete value, a named symbol
// (`dim_param`, e.g. "batch", "nodes") or unknown; the rank itself may be unknown. Shape inference at load
// time works on these; plans work on concrete `Dims`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/tensor.h"

namespace sofie {

struct Dim {
  int64_t value = -1;  // >= 0 when known
  std::string symbol;  // the dim_param name when the value is not known; empty when unknown

  static Dim known(int64_t v) { return Dim{v, {}}; }
  static Dim named(std::string s) { return Dim{-1, std::move(s)}; }
  static Dim unknown() { return Dim{}; }
  bool is_known() const { return value >= 0; }
  bool is_symbol() const { return value < 0 && !symbol.empty(); }
  bool operator==(const Dim& o) const { return value == o.value && symbol == o.symbol; }
  bool operator!=(const Dim& o) const { return !(*this == o); }
};

class SymShape {
 public:
  SymShape() = default;  // unknown rank
  explicit SymShape(std::vector<Dim> dims) : rank_known_(true), dims_(std::move(dims)) {}
  static SymShape of(absl::Span<const int64_t> dims);
  static SymShape unknown_rank() { return SymShape(); }

  bool rank_known() const { return rank_known_; }
  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }  // valid when rank_known()
  const std::vector<Dim>& dims() const { return dims_; }
  const Dim& operator[](size_t i) const { return dims_[i]; }
  // Every dimension known.
  bool is_static() const;
  // The concrete dims; only when is_static().
  Dims to_dims() const;
  // "[batch,7]", "[?,3]", "[*]" for unknown rank.
  std::string to_string() const;
  bool operator==(const SymShape& o) const { return rank_known_ == o.rank_known_ && dims_ == o.dims_; }

 private:
  bool rank_known_ = false;
  std::vector<Dim> dims_;
};

// Numpy-style multidirectional broadcasting of concrete shapes; an error names both shapes.
absl::StatusOr<Dims> broadcast_dims(absl::Span<const int64_t> a, absl::Span<const int64_t> b);
// The same on symbolic shapes: 1 vs d -> d, equal symbols stay, a known dim beats a symbol (>1), else
// unknown. Fails only on two different known dims > 1.
absl::StatusOr<SymShape> broadcast_symbolic(const SymShape& a, const SymShape& b);

// Normalises an axis in [-rank, rank) to [0, rank); error otherwise.
absl::StatusOr<int64_t> normalize_axis(int64_t axis, int64_t rank);

}  // namespace sofie
