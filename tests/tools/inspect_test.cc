// inspect_lib: declared inputs/outputs with symbolic shapes, opsets, the operator histogram (subgraphs
// included) and unsupported operators, all without loading the model into the runtime.
#include "tools/inspect.h"

#include <catch2/catch.hpp>

#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "tests/tools/test_util.h"

namespace sofie::tools {
namespace {

const OpUse* find_op(const ModelSummary& s, const std::string& domain, const std::string& op_type) {
  for (const OpUse& op : s.ops) {
    if (op.domain == domain && op.op_type == op_type) return &op;
  }
  return nullptr;
}

TEST_CASE("inspect the generated mlp") {
  absl::StatusOr<ModelSummary> s = inspect_model_file(testing::runfile("tools/models/mlp/model.onnx"));
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  REQUIRE(s->inputs.size() == 1);
  CHECK(s->inputs[0].name == "input");
  CHECK(s->inputs[0].type == "float32");
  CHECK(s->inputs[0].shape == "[batch,7]");
  REQUIRE(s->outputs.size() == 1);
  CHECK(s->outputs[0].shape == "[batch,1]");
  CHECK(s->opsets == std::vector<std::pair<std::string, int>>{{"", 13}});
  CHECK(s->num_nodes == 10);
  CHECK(s->num_initializers == 10);  // 5 weights + 5 biases
  REQUIRE(s->ops.size() == 3);
  CHECK(s->ops[0].op_type == "Gemm");  // most used first
  CHECK(s->ops[0].count == 5);
  CHECK(find_op(*s, "", "Relu")->count == 4);
  CHECK(find_op(*s, "", "Sigmoid")->count == 1);
  CHECK(s->unsupported_ops().empty());
  CHECK(s->unsupported_types.empty());
  CHECK(unsupported_reason(*s).empty());

  const std::string text = format_model_summary(*s);
  INFO(text);
  CHECK(text.find("input   float32  [batch,7]") != std::string::npos);
  CHECK(text.find("unsupported ops: none") != std::string::npos);
}

TEST_CASE("inspect lists every unsupported op of a model sofie cannot load") {
  const std::string dir = testing::fresh_temp_dir("inspect_unknown") + "/case";
  testing::write_unknown_op_case(dir);
  absl::StatusOr<ModelSummary> s = inspect_model_file(dir + "/model.onnx");
  REQUIRE(s.ok());
  const std::vector<OpUse> unsupported = s->unsupported_ops();
  REQUIRE(unsupported.size() == 2);
  CHECK(unsupported[0].qualified_name() == "FrobnicateXYZ");
  CHECK(unsupported[0].opset == 13);
  CHECK(unsupported[1].qualified_name() == "com.example.Blorp");
  CHECK(unsupported[1].opset == 1);
  CHECK(unsupported_reason(*s) == "unsupported ops: FrobnicateXYZ (opset 13), com.example.Blorp (opset 1)");
  CHECK(find_op(*s, "", "Relu")->supported);
  const std::string text = format_model_summary(*s);
  INFO(text);
  CHECK(text.find("unsupported ops (2):") != std::string::npos);
}

// A hand-made model: an If whose branches hold nodes, "ai.onnx" written out as the domain, symbolic and
// unknown dimensions, an initializer listed among the inputs (as before IR version 4), an untyped output.
onnx::ModelProto model_with_subgraphs() {
  onnx::ModelProto m;
  m.set_ir_version(3);
  auto* opset = m.add_opset_import();
  opset->set_domain("ai.onnx");
  opset->set_version(11);
  onnx::GraphProto* g = m.mutable_graph();
  auto* x = g->add_input();
  x->set_name("x");
  auto* tt = x->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("nodes");
  tt->mutable_shape()->add_dim();  // neither value nor name
  tt->mutable_shape()->add_dim()->set_dim_value(3);
  auto* cond = g->add_input();
  cond->set_name("cond");
  cond->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::BOOL);
  cond->mutable_type()->mutable_tensor_type()->mutable_shape();  // rank 0
  auto* w = g->add_input();
  w->set_name("w");
  w->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  auto* init = g->add_initializer();
  init->set_name("w");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(2);
  init->add_dims(3);
  for (int i = 0; i < 6; ++i) init->add_float_data(i);
  g->add_output()->set_name("y");

  onnx::NodeProto* node = g->add_node();
  node->set_op_type("If");
  node->set_domain("ai.onnx");
  node->add_input("cond");
  node->add_output("y");
  auto add_branch = [&](const std::string& attr_name, const std::vector<std::string>& ops) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(attr_name);
    a->set_type(onnx::AttributeProto::GRAPH);
    onnx::GraphProto* branch = a->mutable_g();
    std::string in = "x";
    for (size_t i = 0; i < ops.size(); ++i) {
      onnx::NodeProto* n = branch->add_node();
      n->set_op_type(ops[i]);
      n->add_input(in);
      in = attr_name + std::to_string(i);
      n->add_output(in);
    }
    branch->add_output()->set_name(in);
  };
  add_branch("then_branch", {"Relu", "Relu"});
  add_branch("else_branch", {"Identity"});
  return m;
}

TEST_CASE("inspect counts subgraph nodes and prints symbolic shapes") {
  const ModelSummary s = inspect_model(model_with_subgraphs());
  CHECK(s.opsets == std::vector<std::pair<std::string, int>>{{"", 11}});
  REQUIRE(s.inputs.size() == 2);  // "w" is an initializer
  CHECK(s.inputs[0].shape == "[nodes,?,3]");
  CHECK(s.inputs[1].type == "bool");
  CHECK(s.inputs[1].shape == "[]");
  REQUIRE(s.outputs.size() == 1);
  CHECK(s.outputs[0].type == "?");
  CHECK(s.outputs[0].shape == "[*]");
  CHECK(s.num_nodes == 4);
  CHECK(s.num_initializers == 1);
  CHECK(s.initializer_elements == 6);
  REQUIRE(find_op(s, "", "If") != nullptr);
  CHECK(find_op(s, "", "If")->count == 1);
  CHECK(find_op(s, "", "If")->opset == 11);
  CHECK(find_op(s, "", "Relu")->count == 2);
  CHECK(find_op(s, "", "Identity")->count == 1);
  CHECK(s.ops[0].op_type == "Relu");
}

TEST_CASE("inspect names element types sofie has no dtype for") {
  const std::string dir = testing::fresh_temp_dir("inspect_float16") + "/case";
  testing::write_float16_case(dir);
  absl::StatusOr<ModelSummary> s = inspect_model_file(dir + "/model.onnx");
  REQUIRE(s.ok());
  CHECK(s->unsupported_ops().empty());
  CHECK(s->unsupported_types == std::vector<std::string>{"float16"});
  CHECK(unsupported_reason(*s) == "unsupported element types: float16");
  CHECK(format_model_summary(*s).find("unsupported element types: float16\n") != std::string::npos);

  // Declared values, initializers and subgraphs count too.
  onnx::ModelProto m = model_with_subgraphs();
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::STRING);
  m.mutable_graph()->mutable_initializer(0)->set_data_type(onnx::TensorProto::BFLOAT16);
  m.mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_g()->add_value_info()->mutable_type()
      ->mutable_sequence_type();
  CHECK(inspect_model(m).unsupported_types == std::vector<std::string>{"bfloat16", "sequence", "string"});
}

TEST_CASE("inspect errors: missing file, not a model") {
  CHECK(absl::IsNotFound(inspect_model_file(testing::fresh_temp_dir("inspect_err") + "/none.onnx").status()));
  CHECK(!inspect_model_bytes("\xff\xff\xff not a protobuf").ok());
  CHECK(!inspect_model_bytes("").ok());  // parses as an empty ModelProto, which has no graph
}

}  // namespace
}  // namespace sofie::tools
