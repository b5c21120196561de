// Small helpers shared by the signal, sampling and misc_b operator files (ops/signal.cc,
// ops/signal_windows.cc, ops/sampling.cc, ops/misc_b.cc): reading scalar inputs whose values are needed
// while planning or known at load time.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {

// The single value of an int32/int64 tensor with one element (a scalar or [1]). Allocates only for errors.
inline absl::StatusOr<int64_t> single_int(const TensorView& v, absl::string_view what) {
  if (v.numel() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must hold one value, got shape ", dims_string(v.shape)));
  }
  if (v.dtype == DType::kInt64) return v.data_as<int64_t>()[0];
  if (v.dtype == DType::kInt32) return static_cast<int64_t>(v.data_as<int32_t>()[0]);
  return absl::InvalidArgumentError(absl::StrCat(what, " has dtype ", dtype_name(v.dtype), "; expected int64 or int32"));
}

// The single value of a float32/float64 (or integer) tensor with one element, as a double.
inline absl::StatusOr<double> single_real(const TensorView& v, absl::string_view what) {
  if (v.numel() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must hold one value, got shape ", dims_string(v.shape)));
  }
  switch (v.dtype) {
    case DType::kFloat32: return static_cast<double>(v.data_as<float>()[0]);
    case DType::kFloat64: return v.data_as<double>()[0];
    case DType::kInt32: return static_cast<double>(v.data_as<int32_t>()[0]);
    case DType::kInt64: return static_cast<double>(v.data_as<int64_t>()[0]);
    default:
      return absl::InvalidArgumentError(absl::StrCat(what, " has dtype ", dtype_name(v.dtype),
                                                     "; expected a float or integer type"));
  }
}

// Input i's single integer value while planning; kUnimplemented when it is not known then (the planner
// keys the plan on it or runs the plan eagerly).
inline absl::StatusOr<int64_t> plan_int(const ReshapeContext& ctx, int i, absl::string_view what) {
  const TensorView* v = ctx.input_value(i);
  if (v == nullptr) {
    return unsupported(ctx.node(), absl::StrCat("the '", what, "' input must be known when planning"));
  }
  auto value = single_int(*v, what);
  if (!value.ok()) return ctx.error(value.status().message());
  return *value;
}

// Input i's integer values while planning (a 1-D shape-like input).
inline absl::StatusOr<std::vector<int64_t>> plan_ints(const ReshapeContext& ctx, int i, absl::string_view what) {
  const TensorView* v = ctx.input_value(i);
  if (v == nullptr) {
    return unsupported(ctx.node(), absl::StrCat("the '", what, "' input must be known when planning"));
  }
  auto values = read_int_values(*v, what);
  if (!values.ok()) return ctx.error(values.status().message());
  return *std::move(values);
}

// Input i's single integer value at load time, nullopt when it is not a constant then.
inline absl::StatusOr<std::optional<int64_t>> load_int(const InferContext& ctx, int i, absl::string_view what) {
  const Tensor* c = ctx.input_constant(i);
  if (c == nullptr) return std::optional<int64_t>();
  auto value = single_int(c->view(), what);
  if (!value.ok()) return ctx.error(value.status().message());
  return std::optional<int64_t>(*value);
}

// Input i's integer values at load time, nullopt when it is not a constant then.
inline absl::StatusOr<std::optional<std::vector<int64_t>>> load_ints(const InferContext& ctx, int i,
                                                                     absl::string_view what) {
  const Tensor* c = ctx.input_constant(i);
  if (c == nullptr) return std::optional<std::vector<int64_t>>();
  auto values = read_int_values(c->view(), what);
  if (!values.ok()) return ctx.error(values.status().message());
  return std::optional<std::vector<int64_t>>(*std::move(values));
}

// The dtype named by an `output_datatype`/`dtype` attribute, limited to `allowed` (kUnimplemented otherwise).
inline absl::StatusOr<DType> attr_dtype(const Node& node, int64_t onnx_type, absl::Span<const DType> allowed) {
  const DType t = dtype_from_onnx(static_cast<int>(onnx_type));
  for (DType a : allowed) {
    if (t != DType::kUndefined && a == t) return t;
  }
  return unsupported(node, absl::StrCat("output dtype ", onnx_type_name(static_cast<int>(onnx_type)),
                                        " is not supported"));
}

}  // namespace sofie::ops
