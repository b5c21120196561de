// RandomNormal, RandomUniform, RandomNormalLike, RandomUniformLike through the public API: sample mean and
// standard deviation within a few standard errors over 10^5 values, bounds, and reproducibility with a
// seed (same output across calls and across loads) versus fresh values per call without one. The models
// are built here with the ONNX protos.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "runtime/model.h"

namespace sofie {
namespace {

struct Input {
  std::string name;
  int elem_type;
  std::vector<std::string> dims;  // a number, or a symbol
};

class ModelBuilder {
 public:
  explicit ModelBuilder(int opset = 17) {
    model_.set_ir_version(8);
    model_.set_producer_name("sofie random_test");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.mutable_graph()->set_name("random_test");
  }

  onnx::NodeProto* node(const std::string& op_type, const std::vector<std::string>& inputs,
                        const std::string& output) {
    onnx::NodeProto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op_type);
    n->set_name(op_type + "_" + output);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(output);
    return n;
  }

  void input(const Input& in) {
    auto* info = model_.mutable_graph()->add_input();
    info->set_name(in.name);
    auto* t = info->mutable_type()->mutable_tensor_type();
    t->set_elem_type(in.elem_type);
    auto* shape = t->mutable_shape();
    for (const auto& d : in.dims) {
      if (!d.empty() && (std::isdigit(static_cast<unsigned char>(d[0])) != 0)) {
        shape->add_dim()->set_dim_value(std::stoll(d));
      } else {
        shape->add_dim()->set_dim_param(d);
      }
    }
  }

  void initializer(const std::string& name, float value) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_float_data(value);
  }

  void output(const std::string& name) { model_.mutable_graph()->add_output()->set_name(name); }

  absl::StatusOr<Model> load() const {
    const std::string bytes = model_.SerializeAsString();
    return Model::try_load_from_buffer(bytes.data(), bytes.size());
  }

 private:
  onnx::ModelProto model_;
};

void attr_float(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void attr_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void attr_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

// A generator with no inputs: RandomNormal(mean, scale) or RandomUniform(low, high).
ModelBuilder generator(const std::string& op, float a, float b, const std::vector<int64_t>& shape,
                       const float* seed, int dtype = onnx::TensorProto::FLOAT) {
  ModelBuilder m;
  onnx::NodeProto* n = m.node(op, {}, "y");
  const bool normal = op == "RandomNormal";
  attr_float(n, normal ? "mean" : "low", a);
  attr_float(n, normal ? "scale" : "high", b);
  attr_ints(n, "shape", shape);
  attr_int(n, "dtype", dtype);
  if (seed != nullptr) attr_float(n, "seed", *seed);
  m.output("y");
  return m;
}

Model load_ok(const ModelBuilder& b) {
  auto model = b.load();
  INFO((model.ok() ? std::string() : std::string(model.status().message())));
  REQUIRE(model.ok());
  return *model;
}

Tensor infer_one(const Model& model, const std::vector<TensorView>& inputs = {}) {
  auto out = model.try_infer(inputs);
  INFO((out.ok() ? std::string() : std::string(out.status().message())));
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  return (*out)[0];
}

std::vector<double> values_of(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = t.dtype() == DType::kFloat32 ? t.data_as<float>()[i] : t.data_as<double>()[i];
  }
  return v;
}

struct Stats {
  double mean = 0, std = 0, min = INFINITY, max = -INFINITY;
};

Stats stats_of(const std::vector<double>& v) {
  Stats s;
  for (double x : v) {
    s.mean += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(v.size() - 1));
  return s;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

constexpr int64_t kRows = 250, kCols = 400;  // 10^5 samples
const double kSamples = static_cast<double>(kRows * kCols);

TEST_CASE("RandomNormal: mean, standard deviation and shape over 10^5 samples") {
  for (int dtype : {onnx::TensorProto::FLOAT, onnx::TensorProto::DOUBLE}) {
    const float seed = 3.0f;
    Model model = load_ok(generator("RandomNormal", 1.5f, 2.0f, {kRows, kCols}, &seed, dtype));
    Tensor y = infer_one(model);
    CHECK(y.dtype() == (dtype == onnx::TensorProto::FLOAT ? DType::kFloat32 : DType::kFloat64));
    CHECK(y.shape() == Dims{kRows, kCols});
    const std::vector<double> v = values_of(y);
    const Stats s = stats_of(v);
    // Standard errors: 2 / sqrt(1e5) = 0.0063 for the mean, about 2 / sqrt(2e5) = 0.0045 for the std.
    CHECK(std::fabs(s.mean - 1.5) < 0.03);
    CHECK(std::fabs(s.std - 2.0) < 0.03);
    // Shape of the distribution: the share within one standard deviation is 0.6827 (error ~0.0015).
    double within = 0;
    for (double x : v) within += std::fabs(x - 1.5) < 2.0 ? 1 : 0;
    CHECK(std::fabs(within / kSamples - 0.6827) < 0.01);
  }
}

TEST_CASE("RandomUniform: bounds, mean and standard deviation over 10^5 samples") {
  for (int dtype : {onnx::TensorProto::FLOAT, onnx::TensorProto::DOUBLE}) {
    const float seed = 11.0f;
    Model model = load_ok(generator("RandomUniform", -3.0f, 5.0f, {kRows, kCols}, &seed, dtype));
    const Stats s = stats_of(values_of(infer_one(model)));
    CHECK(s.min >= -3.0);
    CHECK(s.max < 5.0);
    CHECK(s.min < -2.99);
    CHECK(s.max > 4.99);
    CHECK(std::fabs(s.mean - 1.0) < 0.05);                      // standard error 0.0073
    CHECK(std::fabs(s.std - 8.0 / std::sqrt(12.0)) < 0.03);    // 2.309
  }
  // Defaults: [0, 1).
  ModelBuilder m;
  onnx::NodeProto* n = m.node("RandomUniform", {}, "y");
  attr_ints(n, "shape", {kRows, kCols});
  m.output("y");
  const Stats s = stats_of(values_of(infer_one(load_ok(m))));
  CHECK(s.min >= 0.0);
  CHECK(s.max < 1.0);
  CHECK(std::fabs(s.mean - 0.5) < 0.01);
}

TEST_CASE("A seed gives the same output on every call and every load; no seed gives new values per call") {
  for (const char* op : {"RandomNormal", "RandomUniform"}) {
    INFO(op);
    const float seed = 42.0f, other_seed = 43.0f;
    Model a = load_ok(generator(op, 0.0f, 1.0f, {64, 33}, &seed));
    Model b = load_ok(generator(op, 0.0f, 1.0f, {64, 33}, &seed));
    const Tensor a1 = infer_one(a), a2 = infer_one(a), b1 = infer_one(b);
    CHECK(same_bytes(a1, a2));
    CHECK(same_bytes(a1, b1));
    // Another thread (its own session) too.
    Tensor other_thread;
    std::thread([&] {
      auto out = a.try_infer({});
      if (out.ok()) other_thread = (*out)[0];
    }).join();
    CHECK(same_bytes(a1, other_thread));
    Model c = load_ok(generator(op, 0.0f, 1.0f, {64, 33}, &other_seed));
    CHECK_FALSE(same_bytes(a1, infer_one(c)));

    Model u = load_ok(generator(op, 0.0f, 1.0f, {64, 33}, nullptr));
    const Tensor u1 = infer_one(u), u2 = infer_one(u);
    CHECK_FALSE(same_bytes(u1, u2));
  }
}

TEST_CASE("The Like forms take the input's shape (symbolic dims too) and its dtype unless dtype is given") {
  for (const char* op : {"RandomNormalLike", "RandomUniformLike"}) {
    INFO(op);
    ModelBuilder m;
    m.input({"x", onnx::TensorProto::FLOAT, {"batch", "7"}});
    onnx::NodeProto* n = m.node(op, {"x"}, "y");
    attr_float(n, "seed", 5.0f);
    m.output("y");
    Model model = load_ok(m);
    CHECK(model.outputs().at(0).shape.to_string() == "[batch,7]");
    for (int64_t batch : {1, 3, 2000}) {
      std::vector<float> x(static_cast<size_t>(batch * 7), 0.0f);
      const Tensor y = infer_one(model, {TensorView::of(x.data(), {batch, 7})});
      CHECK(y.dtype() == DType::kFloat32);
      CHECK(y.shape() == Dims{batch, 7});
      if (batch == 2000) {
        const Stats s = stats_of(values_of(y));
        const bool normal = std::string(op) == "RandomNormalLike";
        CHECK(std::fabs(s.mean - (normal ? 0.0 : 0.5)) < 0.02);
        CHECK(std::fabs(s.std - (normal ? 1.0 : 1.0 / std::sqrt(12.0))) < 0.02);
      }
    }
    // An int64 input with dtype=double: the input's values are never read, only its shape.
    ModelBuilder d;
    d.input({"x", onnx::TensorProto::INT64, {"4", "5"}});
    onnx::NodeProto* nd = d.node(op, {"x"}, "y");
    attr_int(nd, "dtype", onnx::TensorProto::DOUBLE);
    d.output("y");
    std::vector<int64_t> xi(20, 7);
    const Tensor y = infer_one(load_ok(d), {TensorView::of(xi.data(), {4, 5})});
    CHECK(y.dtype() == DType::kFloat64);
    CHECK(y.shape() == Dims{4, 5});
  }
}

TEST_CASE("Random ops are not constant-folded, even on constant inputs") {
  // RandomUniformLike of an initializer, then Add: every input is constant, yet each call is new.
  ModelBuilder m;
  m.initializer("c", 1.0f);
  m.node("RandomUniformLike", {"c"}, "r");
  m.node("Add", {"r", "c"}, "y");
  m.output("y");
  Model model = load_ok(m);
  const Tensor y1 = infer_one(model), y2 = infer_one(model);
  CHECK_FALSE(same_bytes(y1, y2));
  CHECK(y1.data_as<float>()[0] >= 1.0f);
  CHECK(y1.data_as<float>()[0] < 2.0f);

  ModelBuilder g;
  onnx::NodeProto* n = g.node("RandomNormal", {}, "r");
  attr_ints(n, "shape", {16});
  g.node("Relu", {"r"}, "y");
  g.output("y");
  Model model2 = load_ok(g);
  CHECK_FALSE(same_bytes(infer_one(model2), infer_one(model2)));
}

TEST_CASE("Random ops reject what they cannot produce") {
  const float seed = 1.0f;
  auto half = generator("RandomNormal", 0.0f, 1.0f, {2, 2}, &seed, onnx::TensorProto::FLOAT16).load();
  REQUIRE_FALSE(half.ok());
  CHECK(half.status().code() == absl::StatusCode::kUnimplemented);
  CHECK(std::string(half.status().message()).find("RandomNormal node") != std::string::npos);

  ModelBuilder m;
  m.node("RandomUniform", {}, "y");
  m.output("y");
  auto no_shape = m.load();
  REQUIRE_FALSE(no_shape.ok());
  CHECK(std::string(no_shape.status().message()).find("'shape'") != std::string::npos);

  ModelBuilder like;
  like.input({"x", onnx::TensorProto::INT32, {"3"}});
  like.node("RandomNormalLike", {"x"}, "y");
  like.output("y");
  auto int_like = like.load();
  REQUIRE_FALSE(int_like.ok());
  CHECK(int_like.status().code() == absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace sofie
