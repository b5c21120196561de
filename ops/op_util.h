// Helpers shared by the operator families: input checks with uniform messages, reading shape-like
// integer tensors, symbolic dimension arithmetic, and dispatch from a DType to a C++ element type.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/dtype.h"
#include "runtime/op.h"
#include "runtime/shape.h"
#include "runtime/tensor.h"

namespace sofie::ops {

// For valid models sofie cannot run (a dtype or feature it does not implement): the same
// "<Op> node '<name>': <message>" as node_error, but with code kUnimplemented, so tools can tell "not
// supported" from "invalid model".
absl::Status unsupported(const Node& node, absl::string_view message);

// Checks the node has between `min` and `max` inputs and that the first `min` are present.
absl::Status check_input_count(const InferContext& ctx, int min, int max);
// Input `i` must have one of `allowed` dtypes: "Relu node 'r': input 0 has dtype int8; supported: float32,
// float64" (kUnimplemented).
absl::Status check_input_dtype(const InferContext& ctx, int i, std::initializer_list<DType> allowed);
// Inputs `a` and `b` must have the same dtype.
absl::Status check_same_dtype(const InferContext& ctx, int a, int b);

// The values of an int64 or int32 tensor (shape inputs, axes, indices known while planning).
absl::StatusOr<std::vector<int64_t>> read_int_values(const TensorView& v, absl::string_view what);

// Product of symbolic dims [begin, end): known if all are known; a lone symbol times 1s stays that
// symbol; anything else is unknown.
Dim product_of(const std::vector<Dim>& dims, size_t begin, size_t end);

// Calls f(T{}) with T the element type of `dtype`; false for dtypes outside the family (the caller's
// infer() has rejected those already). visit_numeric: every dtype but bool; visit_any: all of them.
template <typename F>
bool visit_numeric(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32: f(float{}); return true;
    case DType::kFloat64: f(double{}); return true;
    case DType::kInt32: f(int32_t{}); return true;
    case DType::kInt64: f(int64_t{}); return true;
    case DType::kInt8: f(int8_t{}); return true;
    case DType::kUInt8: f(uint8_t{}); return true;
    default: return false;
  }
}

template <typename F>
bool visit_any(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32: f(float{}); return true;
    case DType::kFloat64: f(double{}); return true;
    case DType::kInt32: f(int32_t{}); return true;
    case DType::kInt64: f(int64_t{}); return true;
    case DType::kInt8: f(int8_t{}); return true;
    case DType::kUInt8: f(uint8_t{}); return true;
    case DType::kBool: f(bool{}); return true;
    case DType::kUndefined: return false;
  }
  return false;
}

// Strides of a dense row-major tensor, in elements.
Dims row_major_strides(absl::Span<const int64_t> dims);

}  // namespace sofie::ops
