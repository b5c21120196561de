// Element types sofie supports, and their mapping to ONNX TensorProto.DataType.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sofie {

enum class DType : uint8_t {
  kUndefined = 0,
  kFloat32,
  kFloat64,
  kInt64,
  kInt32,
  kInt8,
  kUInt8,
  kBool,  // one byte per element, 0 or 1
};

// Bytes per element (0 for kUndefined).
size_t dtype_size(DType t);
// "float32", "int64", ...
const char* dtype_name(DType t);
// ONNX TensorProto.DataType number -> DType; kUndefined if sofie does not support it.
DType dtype_from_onnx(int onnx_type);
int dtype_to_onnx(DType t);
// Name of an ONNX data type number, also of types sofie does not support ("float16", ...).
std::string onnx_type_name(int onnx_type);

inline bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }
inline bool is_integer(DType t) {
  return t == DType::kInt64 || t == DType::kInt32 || t == DType::kInt8 || t == DType::kUInt8;
}

template <typename T>
struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

}  // namespace sofie
