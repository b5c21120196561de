// Small ONNX models built in C++ for the JIT tests: float32 values whose dims are fixed or the symbol
// "batch", initializers with distinct values, nodes with int and float attributes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h

namespace sofie::jit_testing {

// A dim of -1 is the symbol "batch".
constexpr int64_t kBatch = -1;

class ModelBuilder {
 public:
  explicit ModelBuilder(const std::string& name, int opset = 17);

  void input(const std::string& name, const std::vector<int64_t>& dims);
  void output(const std::string& name, const std::vector<int64_t>& dims);
  // A float32 initializer with values 0.1, -0.2, 0.3, ... scaled by `scale` (distinct, so nothing folds by
  // accident).
  void initializer(const std::string& name, const std::vector<int64_t>& dims, float scale = 1.0f);
  // A float32 initializer with the given values.
  void initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values);
  // An int64 initializer.
  void int64_initializer(const std::string& name, const std::vector<int64_t>& dims,
                         const std::vector<int64_t>& values);
  // A node named `name` (default: its output's name).
  onnx::NodeProto* node(const std::string& op_type, const std::vector<std::string>& inputs,
                        const std::string& output, const std::string& name = "");

  std::string serialize() const;
  onnx::ModelProto& proto() { return model_; }

 private:
  onnx::ModelProto model_;
};

void set_int(onnx::NodeProto* node, const std::string& name, int64_t value);
void set_float(onnx::NodeProto* node, const std::string& name, float value);
void set_ints(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values);
void set_string(onnx::NodeProto* node, const std::string& name, const std::string& value);

}  // namespace sofie::jit_testing
