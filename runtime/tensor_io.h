// Tensors to and from files: ONNX TensorProto (.pb, as in the ONNX backend test layout) and NumPy .npy
// (version 1/2/3, little-endian, C order, the dtypes sofie supports).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "runtime/tensor.h"

namespace onnx {
class TensorProto;
}

namespace sofie {

struct NamedTensor {
  std::string name;  // TensorProto name; empty for .npy
  Tensor tensor;
};

// By extension: ".npy" is NumPy, anything else a serialized TensorProto.
absl::StatusOr<NamedTensor> read_tensor_file(const std::string& path);
absl::StatusOr<NamedTensor> parse_tensor_proto_bytes(const std::string& bytes);
absl::Status write_tensor_pb(const std::string& path, const TensorView& tensor, const std::string& name);

// TensorProto -> Tensor: typed fields or raw_data (little-endian); external data resolved against
// `external_data_dir` (must stay inside it; empty dir = external data is an error). `what` names the
// tensor in errors ("initializer 'fc1.weight'").
absl::StatusOr<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& external_data_dir,
                                         const std::string& what);

}  // namespace sofie
