#include "runtime/dtype.h"

namespace sofie {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt64: return 8;
    case DType::kInt32: return 4;
    case DType::kInt8: return 1;
    case DType::kUInt8: return 1;
    case DType::kBool: return 1;
    case DType::kUndefined: return 0;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt64: return "int64";
    case DType::kInt32: return "int32";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kBool: return "bool";
    case DType::kUndefined: return "undefined";
  }
  return "undefined";
}

// Numbers from onnx.proto's TensorProto.DataType.
DType dtype_from_onnx(int onnx_type) {
  switch (onnx_type) {
    case 1: return DType::kFloat32;
    case 2: return DType::kUInt8;
    case 3: return DType::kInt8;
    case 6: return DType::kInt32;
    case 7: return DType::kInt64;
    case 9: return DType::kBool;
    case 11: return DType::kFloat64;
    default: return DType::kUndefined;
  }
}

int dtype_to_onnx(DType t) {
  switch (t) {
    case DType::kFloat32: return 1;
    case DType::kUInt8: return 2;
    case DType::kInt8: return 3;
    case DType::kInt32: return 6;
    case DType::kInt64: return 7;
    case DType::kBool: return 9;
    case DType::kFloat64: return 11;
    case DType::kUndefined: return 0;
  }
  return 0;
}

std::string onnx_type_name(int onnx_type) {
  static const char* const kNames[] = {"undefined", "float32",  "uint8",     "int8",       "uint16",
                                       "int16",     "int32",    "int64",     "string",     "bool",
                                       "float16",   "float64",  "uint32",    "uint64",     "complex64",
                                       "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
                                       "float8e5m2", "float8e5m2fnuz", "uint4", "int4"};
  if (onnx_type >= 0 && onnx_type < static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) {
    return kNames[onnx_type];
  }
  return "onnx type " + std::to_string(onnx_type);
}

}  // namespace sofie
