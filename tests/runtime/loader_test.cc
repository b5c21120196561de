// The ONNX loader: valid models load with their names, types and symbolic shapes; every malformed model
// (bad bytes, bad graphs, bad tensors, bad external data, unsupported opsets) is an error that says what
// is wrong, never a crash and never a giant allocation.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/status.h"
#include "runtime/tensor.h"
#include "tests/runtime/test_util.h"

namespace sofie {
namespace {

using Catch::Matchers::Contains;
using testing::bad_model;
using testing::message;

// The error of loading `path`, with the path itself cut out (so that checking for a name cannot match the
// file name); fails the test if it loads.
std::string load_error(const std::string& path) {
  auto model = Model::try_load(path);
  INFO("loading " << path << " should fail");
  REQUIRE_FALSE(model.ok());
  std::string text = message(model.status());
  CHECK_FALSE(text.empty());
  for (size_t at = text.find(path); at != std::string::npos; at = text.find(path)) {
    text.replace(at, path.size(), "<model path>");
  }
  return text;
}

Model load_ok(const std::string& path, const LoadOptions& options = {}) {
  auto model = Model::try_load(path, options);
  INFO("loading " << path << ": " << (model.ok() ? "" : message(model.status())));
  REQUIRE(model.ok());
  return *std::move(model);
}

// Runs a one-input model on the test data set in `folder` and compares with the numpy reference.
void check_against_reference(const Model& model, const std::string& folder) {
  Tensor x = testing::read_tensor(folder + "/test_data_set_0/input_0.pb");
  Tensor want = testing::read_tensor(folder + "/test_data_set_0/output_0.pb");
  auto outs = model.try_infer({x.view()});
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  REQUIRE(outs->size() == 1);
  testing::check_close((*outs)[0].view(), want.view(), 1e-4, 1e-5);
}

// Limits this process's address space to its current size plus `extra_bytes` while alive, so that an
// attempt to allocate a huge tensor fails at once instead of taking the machine's memory.
class AddressSpaceLimit {
 public:
  explicit AddressSpaceLimit(uint64_t extra_bytes) {
    getrlimit(RLIMIT_AS, &saved_);
    uint64_t pages = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
      unsigned long long size = 0;
      if (std::fscanf(f, "%llu", &size) == 1) pages = size;
      std::fclose(f);
    }
    rlimit limit = saved_;
    limit.rlim_cur = pages * 4096 + extra_bytes;
    if (saved_.rlim_cur != RLIM_INFINITY && saved_.rlim_cur < limit.rlim_cur) limit.rlim_cur = saved_.rlim_cur;
    active_ = pages > 0 && setrlimit(RLIMIT_AS, &limit) == 0;
  }
  ~AddressSpaceLimit() {
    if (active_) setrlimit(RLIMIT_AS, &saved_);
  }

 private:
  rlimit saved_{};
  bool active_ = false;
};

TEST_CASE("a valid model loads with names, dtypes and symbolic shapes") {
  Model model = load_ok(bad_model("tiny.onnx"));
  REQUIRE(model.inputs().size() == 1);
  const ValueInfo& x = model.inputs()[0];
  CHECK(x.name == "x");
  CHECK(x.dtype == DType::kFloat32);
  REQUIRE(x.shape.rank_known());
  REQUIRE(x.shape.rank() == 2);
  CHECK(x.shape[0].is_symbol());
  CHECK(x.shape[0].symbol == "batch");
  CHECK(x.shape[1] == Dim::known(3));
  CHECK(x.shape.to_string() == "[batch,3]");

  REQUIRE(model.outputs().size() == 2);
  CHECK(model.outputs()[0].name == "y");
  CHECK(model.outputs()[0].dtype == DType::kFloat32);
  CHECK(model.outputs()[0].shape.to_string() == "[batch,3]");
  CHECK(model.outputs()[1].name == "s");
  CHECK(model.outputs()[1].dtype == DType::kInt64);
  CHECK(model.outputs()[1].shape.to_string() == "[2]");

  const Graph& g = model.graph();
  CHECK(g.opsets().at("") == 13);
  REQUIRE(g.nodes().size() == 2);
  for (const Node& node : g.nodes()) {
    CHECK_FALSE(node.name.empty());  // the Shape node has no name in the file
    CHECK(node.op != nullptr);
    CHECK(node.opset == 13);
  }
  CHECK(g.find_value("x") != kNoValue);
  CHECK(g.find_value("no such value") == kNoValue);

  // And it runs: y = relu(x), s = shape(x).
  std::vector<float> in = {-1, 2, -3, 4, 0, -0.5f};
  auto outs = model.try_infer({TensorView::of(in.data(), {2, 3})});
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  REQUIRE(outs->size() == 2);
  CHECK((*outs)[0].shape() == Dims{2, 3});
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{0, 2, 0, 4, 0, 0});
  CHECK((*outs)[1].dtype() == DType::kInt64);
  CHECK((*outs)[1].to_vector<int64_t>() == std::vector<int64_t>{2, 3});
}

TEST_CASE("loading from a buffer gives the same model as loading the file") {
  std::string bytes = testing::read_file(bad_model("tiny.onnx"));
  auto model = Model::try_load_from_buffer(bytes.data(), bytes.size());
  INFO((model.ok() ? "" : message(model.status())));
  REQUIRE(model.ok());
  REQUIRE(model->inputs().size() == 1);
  CHECK(model->inputs()[0].shape.to_string() == "[batch,3]");
  REQUIRE(model->outputs().size() == 2);
  CHECK(model->outputs()[1].dtype == DType::kInt64);
}

TEST_CASE("an initializer listed among the graph inputs is not a model input") {
  Model model = load_ok(bad_model("initializer_as_input.onnx"));
  REQUIRE(model.inputs().size() == 1);
  CHECK(model.inputs()[0].name == "x");
  std::vector<float> in = {1, 1, 1};
  auto outs = model.try_infer({TensorView::of(in.data(), {1, 3})});
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{2, -1, 4});  // x + [1,-2,3]
}

TEST_CASE("nodes listed out of order are sorted topologically") {
  Model model = load_ok(bad_model("unsorted.onnx"));
  const auto& nodes = model.graph().nodes();
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0].name == "relu");
  CHECK(nodes[1].name == "mul");
  CHECK(nodes[2].name == "sub");
  std::vector<float> in = {-1, 0.5f, 2};
  auto outs = model.try_infer({TensorView::of(in.data(), {3})});
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{-1, 0, 3});  // relu(x) * 2 - 1
}

TEST_CASE("initializers in typed fields (float_data, int64_data) load") {
  Model model = load_ok(bad_model("typed_fields/model.onnx"));
  CHECK(model.outputs()[0].shape.rank() == 3);
  check_against_reference(model, bad_model("typed_fields"));
}

TEST_CASE("a model with a 4 MiB weight loads and runs") {
  Model model = load_ok(bad_model("big/model.onnx"));
  CHECK(model.inputs()[0].shape.to_string() == "[batch,1024]");
  check_against_reference(model, bad_model("big"));
}

TEST_CASE("an empty file is an error") {
  load_error(bad_model("empty.onnx"));
  CHECK_FALSE(Model::try_load_from_buffer("", 0).ok());
  CHECK_FALSE(Model::try_load_from_buffer(nullptr, 0).ok());
}

TEST_CASE("a nonexistent path is an error naming the path") {
  const std::string path = "no/such/folder/missing_model.onnx";
  auto model = Model::try_load(path);
  REQUIRE_FALSE(model.ok());
  CHECK_THAT(message(model.status()), Contains(path));
  try {
    Model::load(path);
    FAIL("Model::load should have thrown");
  } catch (const Error& e) {
    CHECK_FALSE(e.status().ok());
    CHECK_THAT(std::string(e.what()), Contains(path));
  }
}

// Every prefix of a valid model is invalid: cutting inside a field breaks the protobuf, and cutting
// between top-level fields loses the graph or the opset imports (checked with onnx in Python).
TEST_CASE("a truncated model is an error at every length") {
  for (const std::string& path : {bad_model("tiny.onnx"), testing::torch_model_dir("mlp") + "/model.onnx"}) {
    std::string bytes = testing::read_file(path);
    REQUIRE(Model::try_load_from_buffer(bytes.data(), bytes.size()).ok());
    for (size_t n = 0; n < bytes.size(); ++n) {
      // A fresh copy of exactly n bytes, so reading past the end is caught by sanitizers.
      std::vector<char> cut(bytes.begin(), bytes.begin() + n);
      auto model = Model::try_load_from_buffer(cut.data(), cut.size());
      INFO(path << " cut to " << n << " of " << bytes.size() << " bytes");
      REQUIRE_FALSE(model.ok());
    }
  }
}

// The inputs a loaded model accepts, with symbolic dims set to `batch`; false if not runnable cheaply.
bool make_inputs(const Model& model, int64_t batch, std::vector<Tensor>& out_inputs) {
  out_inputs.clear();
  for (const ValueInfo& in : model.inputs()) {
    if (!in.shape.rank_known() || in.dtype == DType::kUndefined) return false;
    Dims dims;
    for (const Dim& d : in.shape.dims()) dims.push_back(d.is_known() ? d.value : batch);
    auto n = checked_num_elements(dims);
    if (!n.ok() || *n > (1 << 20)) return false;
    out_inputs.push_back(Tensor::zeros(in.dtype, dims));
  }
  return true;
}

// Flipping or replacing single bytes: the result either fails to load or is a model that loads and
// then runs or fails cleanly.
TEST_CASE("a corrupted model is an error or a valid model, never a crash") {
  for (const std::string& path : {bad_model("tiny.onnx"), testing::torch_model_dir("mlp") + "/model.onnx",
                                  testing::torch_model_dir("flatten_net") + "/model.onnx"}) {
    std::string bytes = testing::read_file(path);
    std::mt19937 gen(1234);
    int loaded = 0, rejected = 0, ran = 0;
    for (size_t pos = 0; pos < bytes.size(); ++pos) {
      for (int variant = 0; variant < 4; ++variant) {
        std::vector<char> corrupt(bytes.begin(), bytes.end());
        uint8_t b = static_cast<uint8_t>(corrupt[pos]);
        switch (variant) {
          case 0: b ^= 0xFF; break;
          case 1: b ^= 0x01; break;
          case 2: b = static_cast<uint8_t>(b ^ 0x80); break;
          default: b = static_cast<uint8_t>(gen()); break;
        }
        corrupt[pos] = static_cast<char>(b);
        INFO(path << ": byte " << pos << " set to " << int(b) << " (variant " << variant << ")");
        auto model = Model::try_load_from_buffer(corrupt.data(), corrupt.size());
        if (!model.ok()) {
          ++rejected;
          CHECK_FALSE(model.status().message().empty());
          continue;
        }
        ++loaded;
        for (int64_t batch : {1, 2}) {
          std::vector<Tensor> inputs;
          if (!make_inputs(*model, batch, inputs)) continue;
          std::vector<TensorView> views;
          for (const Tensor& t : inputs) views.push_back(t.view());
          auto outs = model->try_infer(views);
          if (outs.ok()) ++ran;
        }
      }
    }
    INFO(path << ": " << loaded << " loaded, " << rejected << " rejected, " << ran << " runs");
    CHECK(rejected > 0);
    CHECK(loaded > 0);  // flipping a bit of a weight leaves a valid model
  }
}

TEST_CASE("an unknown operator is an error naming op type, domain, opset and node") {
  std::string e = load_error(bad_model("unknown_op.onnx"));
  CHECK_THAT(e, Contains("FooBar") && Contains("mystery") && Contains("13"));
  e = load_error(bad_model("unknown_domain_op.onnx"));
  CHECK_THAT(e, Contains("Frobnicate") && Contains("frob") && Contains("com.example") && Contains("3"));
}

TEST_CASE("an input nothing defines is an error naming the value and the node") {
  CHECK_THAT(load_error(bad_model("dangling_input.onnx")), Contains("missing_weight") && Contains("add_bias"));
}

TEST_CASE("a graph output nothing produces is an error naming it") {
  CHECK_THAT(load_error(bad_model("dangling_output.onnx")), Contains("ghost_output"));
}

TEST_CASE("a cyclic graph is an error naming a node on the cycle") {
  std::string e = load_error(bad_model("cyclic.onnx"));
  bool names_cycle_node =
      e.find("cycle_add") != std::string::npos || e.find("cycle_relu") != std::string::npos;
  INFO(e);
  CHECK(names_cycle_node);
  CHECK_THAT(load_error(bad_model("self_loop.onnx")), Contains("self_loop"));
}

TEST_CASE("a value defined twice is an error naming it") {
  CHECK_THAT(load_error(bad_model("duplicate_output.onnx")), Contains("dup"));
  CHECK_THAT(load_error(bad_model("output_shadows_input.onnx")), Contains("shadow") || Contains("'x'"));
}

TEST_CASE("two initializers with one name are an error naming it") {
  CHECK_THAT(load_error(bad_model("duplicate_initializer.onnx")), Contains("twice"));
}

TEST_CASE("an initializer whose raw_data has the wrong size is an error naming it") {
  CHECK_THAT(load_error(bad_model("raw_data_wrong_size.onnx")), Contains("bad_weight"));
}

TEST_CASE("external data in the model's folder loads") {
  Model model = load_ok(bad_model("ext_ok/model.onnx"));
  std::vector<float> in = {1, 2, 3, 4};
  auto outs = model.try_infer({TensorView::of(in.data(), {4})});
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  // weights.bin holds 8 bytes of padding, then w = [0.5, 1.5, 2.5, 3.5] (offset 8, length 16).
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{1.5f, 3.5f, 5.5f, 7.5f});
}

TEST_CASE("an external-data location may pass through a subfolder and back") {
  Model model = load_ok(bad_model("ext_dotdot_inside/model.onnx"));
  std::vector<float> in = {0, 0, 0, 0};
  auto outs = model.try_infer({TensorView::of(in.data(), {4})});
  REQUIRE(outs.ok());
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{0.5f, 1.5f, 2.5f, 3.5f});
}

TEST_CASE("external data from a buffer needs LoadOptions::external_data_dir") {
  std::string bytes = testing::read_file(bad_model("ext_ok/model.onnx"));
  auto without = Model::try_load_from_buffer(bytes.data(), bytes.size());
  REQUIRE_FALSE(without.ok());
  CHECK_THAT(message(without.status()), Contains("'w'") && Contains("external"));

  LoadOptions options;
  options.external_data_dir = bad_model("ext_ok");
  auto with = Model::try_load_from_buffer(bytes.data(), bytes.size(), options);
  INFO((with.ok() ? "" : message(with.status())));
  REQUIRE(with.ok());
  std::vector<float> in = {0, 0, 0, 0};
  auto outs = with->try_infer({TensorView::of(in.data(), {4})});
  REQUIRE(outs.ok());
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{0.5f, 1.5f, 2.5f, 3.5f});
}

TEST_CASE("external data outside the model's folder is an error naming the location") {
  CHECK_THAT(load_error(bad_model("ext_escape/model.onnx")), Contains("../outside.bin"));
  CHECK_THAT(load_error(bad_model("ext_absolute/model.onnx")), Contains("/etc/passwd"));

  // Also from a buffer, with the folder given.
  std::string bytes = testing::read_file(bad_model("ext_escape/model.onnx"));
  LoadOptions options;
  options.external_data_dir = bad_model("ext_escape");
  auto model = Model::try_load_from_buffer(bytes.data(), bytes.size(), options);
  REQUIRE_FALSE(model.ok());
  CHECK_THAT(message(model.status()), Contains("../outside.bin"));
}

TEST_CASE("missing or short external data, or a folder as its location, is an error") {
  CHECK_THAT(load_error(bad_model("ext_missing/model.onnx")), Contains("not_there.bin"));
  CHECK_THAT(load_error(bad_model("ext_short/model.onnx")), Contains("weights.bin"));
  CHECK_THAT(load_error(bad_model("ext_directory/model.onnx")), Contains("blobs"));
}

TEST_CASE("huge dimensions are an error, without trying to allocate") {
  // With at most 512 MiB of address space to spare, allocating any of these would fail (and throw
  // std::bad_alloc through try_load, failing the test) instead of returning a clean error.
  AddressSpaceLimit limit(uint64_t{1} << 29);
  CHECK_THAT(load_error(bad_model("huge_initializer.onnx")), Contains("huge_w"));
  CHECK_THAT(load_error(bad_model("overflow_initializer.onnx")), Contains("overflow_w"));
  CHECK_THAT(load_error(bad_model("missing_data_initializer.onnx")), Contains("no_data_w"));
  CHECK_THAT(load_error(bad_model("huge_input.onnx")), Contains("huge_in"));

  // [2^21,2^21]: each dimension is fine, their product (2^42 elements) is not. Rejecting it at load is
  // one answer; the other is to load and reject any input, which can never have that size.
  auto model = Model::try_load(bad_model("huge_input_2d.onnx"));
  if (!model.ok()) {
    CHECK_THAT(message(model.status()), Contains("huge_in_2d"));
  } else {
    const int64_t d = int64_t{1} << 21;
    float dummy = 0;
    auto outs = model->try_infer({TensorView::of(&dummy, {d, d})});
    REQUIRE_FALSE(outs.ok());
    CHECK_THAT(message(outs.status()), Contains("huge_in_2d"));
  }
}

TEST_CASE("a reshape target whose element count overflows is an error naming the node") {
  // Rejected at load (the target is a constant) or when planning; never by wrapping around.
  auto model = Model::try_load(bad_model("reshape_overflow.onnx"));
  if (!model.ok()) {
    CHECK_THAT(message(model.status()), Contains("overflowing_reshape"));
  } else {
    std::vector<float> x(6, 1.0f);
    auto outs = model->try_infer({TensorView::of(x.data(), {2, 3})});
    REQUIRE_FALSE(outs.ok());
    CHECK_THAT(message(outs.status()), Contains("overflowing_reshape"));
  }
}

TEST_CASE("negative dimensions are an error") {
  CHECK_THAT(load_error(bad_model("negative_initializer.onnx")), Contains("neg_w"));
  CHECK_THAT(load_error(bad_model("negative_input.onnx")), Contains("neg_in") && Contains("-2"));
}

TEST_CASE("default-domain opsets outside 7..21, or none, are an error") {
  CHECK_THAT(load_error(bad_model("opset6.onnx")), Contains("6"));
  CHECK_THAT(load_error(bad_model("opset22.onnx")), Contains("22"));
  load_error(bad_model("no_opset.onnx"));
}

TEST_CASE("an input of a type sofie does not support is an error naming it and the type") {
  CHECK_THAT(load_error(bad_model("float16_input.onnx")), Contains("half_input") && Contains("float16"));
}

}  // namespace
}  // namespace sofie
