#include "tests/tools/test_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "runtime/tensor.h"
#include "runtime/tensor_io.h"

extern char** environ;

namespace sofie::tools::testing {
namespace fs = std::filesystem;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0' ? v : fallback;
}

void ok_or_throw(const absl::Status& status) {
  if (!status.ok()) throw std::runtime_error(std::string(status.message()));
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

void set_tensor_type(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& dims) {
  info->set_name(name);
  auto* tensor_type = info->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tensor_type->mutable_shape()->add_dim()->set_dim_value(d);
}

}  // namespace

std::string runfile(const std::string& path) {
  return env_or("TEST_SRCDIR", ".") + "/" + env_or("TEST_WORKSPACE", "sofie") + "/" + path;
}

std::string fresh_temp_dir(const std::string& name) {
  fs::path dir = fs::path(env_or("TEST_TMPDIR", fs::temp_directory_path().string())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_wrong_output_case(const std::string& source, const std::string& dest, int element, float delta) {
  const fs::path src(source), dst(dest);
  fs::create_directories(dst / "test_data_set_0");
  fs::copy_file(src / "model.onnx", dst / "model.onnx", fs::copy_options::overwrite_existing);
  for (int k = 0; fs::exists(src / "test_data_set_0" / ("input_" + std::to_string(k) + ".pb")); ++k) {
    const std::string file = "input_" + std::to_string(k) + ".pb";
    fs::copy_file(src / "test_data_set_0" / file, dst / "test_data_set_0" / file,
                  fs::copy_options::overwrite_existing);
  }
  absl::StatusOr<NamedTensor> expected = read_tensor_file((src / "test_data_set_0" / "output_0.pb").string());
  ok_or_throw(expected.status());
  Tensor wrong = Tensor::copy_of(expected->tensor.view());
  if (wrong.dtype() != DType::kFloat32 || element >= wrong.numel()) {
    throw std::runtime_error("write_wrong_output_case: needs a float32 output with that element");
  }
  wrong.mutable_data_as<float>()[element] += delta;
  ok_or_throw(write_tensor_pb((dst / "test_data_set_0" / "output_0.pb").string(), wrong.view(), expected->name));
}

namespace {

// A single-input, single-output float32 [1,4] model with `add_nodes` filling the graph from "x" to "y", and a
// data set where y == x.
template <typename AddNodes>
void write_identity_like_case(const std::string& dest, const std::vector<std::pair<std::string, int>>& opsets,
                              AddNodes add_nodes) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("sofie tests");
  for (const auto& [domain, version] : opsets) {
    auto* opset = model.add_opset_import();
    opset->set_domain(domain);
    opset->set_version(version);
  }
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("test_graph");
  set_tensor_type(graph->add_input(), "x", {1, 4});
  set_tensor_type(graph->add_output(), "y", {1, 4});
  add_nodes(graph);

  fs::create_directories(fs::path(dest) / "test_data_set_0");
  write_bytes((fs::path(dest) / "model.onnx").string(), model.SerializeAsString());
  const float x[4] = {1, -2, 3, -4};
  ok_or_throw(write_tensor_pb((fs::path(dest) / "test_data_set_0" / "input_0.pb").string(),
                              TensorView::of(x, {1, 4}), "x"));
  ok_or_throw(write_tensor_pb((fs::path(dest) / "test_data_set_0" / "output_0.pb").string(),
                              TensorView::of(x, {1, 4}), "y"));
}

onnx::NodeProto* add_node(onnx::GraphProto* graph, const std::string& op_type, const std::string& domain,
                          const std::string& in, const std::string& out) {
  onnx::NodeProto* node = graph->add_node();
  node->set_op_type(op_type);
  node->set_domain(domain);
  node->set_name(op_type + "_" + out);
  node->add_input(in);
  node->add_output(out);
  return node;
}

}  // namespace

void write_unknown_op_case(const std::string& dest) {
  write_identity_like_case(dest, {{"", 13}, {"com.example", 1}}, [](onnx::GraphProto* graph) {
    add_node(graph, "Relu", "", "x", "a");
    add_node(graph, "FrobnicateXYZ", "", "a", "b");
    add_node(graph, "Blorp", "com.example", "b", "y");
  });
}

void write_float16_case(const std::string& dest) {
  write_identity_like_case(dest, {{"", 13}}, [](onnx::GraphProto* graph) {
    auto cast = [&](const std::string& in, const std::string& out, int to) {
      onnx::AttributeProto* attr = add_node(graph, "Cast", "", in, out)->add_attribute();
      attr->set_name("to");
      attr->set_type(onnx::AttributeProto::INT);
      attr->set_i(to);
    };
    cast("x", "half", onnx::TensorProto::FLOAT16);
    cast("half", "y", onnx::TensorProto::FLOAT);
  });
}

void write_segmented_initializer_case(const std::string& dest) {
  write_identity_like_case(dest, {{"", 13}}, [](onnx::GraphProto* graph) {
    onnx::TensorProto* zeros = graph->add_initializer();
    zeros->set_name("zeros");
    zeros->set_data_type(onnx::TensorProto::FLOAT);
    zeros->add_dims(4);
    for (int i = 0; i < 4; ++i) zeros->add_float_data(0);
    zeros->mutable_segment()->set_begin(0);
    zeros->mutable_segment()->set_end(4);
    add_node(graph, "Add", "", "x", "y")->add_input("zeros");
  });
}

SofieRun run_sofie(const std::vector<std::string>& args) {
  static int counter = 0;
  const std::string dir = fresh_temp_dir("sofie_run_" + std::to_string(counter++));
  const std::string out_path = dir + "/stdout", err_path = dir + "/stderr";
  std::vector<std::string> argv_strings = {runfile("tools/sofie")};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  SofieRun r;
  int status = 0;
  if (spawned != 0 || waitpid(pid, &status, 0) != pid) {
    r.exit_code = -2;
    r.err = "could not run " + argv_strings[0];
    return r;
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

}  // namespace sofie::tools::testing
