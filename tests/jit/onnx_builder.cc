#include "tests/jit/onnx_builder.h"

namespace sofie::jit_testing {
namespace {

void set_type(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& dims) {
  info->set_name(name);
  auto* tensor_type = info->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor_type->mutable_shape();
  for (int64_t d : dims) {
    if (d == kBatch) {
      shape->add_dim()->set_dim_param("batch");
    } else {
      shape->add_dim()->set_dim_value(d);
    }
  }
}

}  // namespace

ModelBuilder::ModelBuilder(const std::string& name, int opset) {
  model_.set_ir_version(8);
  model_.set_producer_name("sofie tests");
  model_.add_opset_import()->set_version(opset);
  model_.mutable_graph()->set_name(name);
}

void ModelBuilder::input(const std::string& name, const std::vector<int64_t>& dims) {
  set_type(model_.mutable_graph()->add_input(), name, dims);
}

void ModelBuilder::output(const std::string& name, const std::vector<int64_t>& dims) {
  set_type(model_.mutable_graph()->add_output(), name, dims);
}

void ModelBuilder::initializer(const std::string& name, const std::vector<int64_t>& dims, float scale) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<float> values;
  for (int64_t i = 0; i < n; ++i) values.push_back(scale * static_cast<float>((i % 2 ? -0.1 : 0.1) * (i % 97 + 1)));
  initializer(name, dims, values);
}

void ModelBuilder::initializer(const std::string& name, const std::vector<int64_t>& dims,
                               const std::vector<float>& values) {
  onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
}

void ModelBuilder::int64_initializer(const std::string& name, const std::vector<int64_t>& dims,
                                     const std::vector<int64_t>& values) {
  onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
}

onnx::NodeProto* ModelBuilder::node(const std::string& op_type, const std::vector<std::string>& inputs,
                                    const std::string& output, const std::string& name) {
  onnx::NodeProto* node = model_.mutable_graph()->add_node();
  node->set_op_type(op_type);
  node->set_name(name.empty() ? output : name);
  for (const std::string& in : inputs) node->add_input(in);
  node->add_output(output);
  return node;
}

std::string ModelBuilder::serialize() const { return model_.SerializeAsString(); }

void set_int(onnx::NodeProto* node, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void set_float(onnx::NodeProto* node, const std::string& name, float value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

void set_ints(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void set_string(onnx::NodeProto* node, const std::string& name, const std::string& value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

}  // namespace sofie::jit_testing
