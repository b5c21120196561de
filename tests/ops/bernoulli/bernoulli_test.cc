// Bernoulli through the public API: the share of ones over 10^5 draws within a few standard errors of p
// (constant and varying p), draws independent of their neighbours, reproducibility with a seed (across
// calls, sessions and loads) versus fresh draws per call without one, and no constant folding. The models
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

constexpr int64_t kCount = 100000;

// One Bernoulli node; p is the graph input "p" of shape [kCount] (float) unless `constant_p` is given.
std::string bernoulli_model(const float* seed, int dtype = 0, const std::vector<float>* constant_p = nullptr,
                            int p_type = onnx::TensorProto::FLOAT) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("sofie bernoulli_test");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(15);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("bernoulli_test");
  if (constant_p == nullptr) {
    auto* in = g->add_input();
    in->set_name("p");
    auto* t = in->mutable_type()->mutable_tensor_type();
    t->set_elem_type(p_type);
    t->mutable_shape()->add_dim()->set_dim_param("n");
  } else {
    auto* init = g->add_initializer();
    init->set_name("p");
    init->set_data_type(onnx::TensorProto::FLOAT);
    init->add_dims(static_cast<int64_t>(constant_p->size()));
    for (float v : *constant_p) init->add_float_data(v);
  }
  onnx::NodeProto* n = g->add_node();
  n->set_op_type("Bernoulli");
  n->set_name("coin");
  n->add_input("p");
  n->add_output("y");
  if (seed != nullptr) {
    auto* a = n->add_attribute();
    a->set_name("seed");
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(*seed);
  }
  if (dtype != 0) {
    auto* a = n->add_attribute();
    a->set_name("dtype");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(dtype);
  }
  g->add_output()->set_name("y");
  return model.SerializeAsString();
}

Model load_ok(const std::string& bytes) {
  auto model = Model::try_load_from_buffer(bytes.data(), bytes.size());
  INFO((model.ok() ? std::string() : std::string(model.status().message())));
  REQUIRE(model.ok());
  return *model;
}

Tensor infer_one(const Model& model, const std::vector<TensorView>& inputs) {
  auto out = model.try_infer(inputs);
  INFO((out.ok() ? std::string() : std::string(out.status().message())));
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  return (*out)[0];
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

TEST_CASE("Bernoulli: the share of ones matches p over 10^5 draws") {
  const float seed = 7.0f;
  Model model = load_ok(bernoulli_model(&seed));
  for (float p : {0.3f, 0.5f, 0.02f, 0.97f}) {
    INFO("p = " << p);
    std::vector<float> probs(kCount, p);
    const Tensor y = infer_one(model, {TensorView::of(probs.data(), {kCount})});
    REQUIRE(y.dtype() == DType::kFloat32);
    double ones = 0;
    for (float v : y.to_vector<float>()) {
      REQUIRE((v == 0.0f || v == 1.0f));
      ones += v;
    }
    // Standard error sqrt(p (1 - p) / n) <= 0.0016; allow 5 of them.
    const double se = std::sqrt(p * (1.0 - p) / kCount);
    CHECK(std::fabs(ones / kCount - p) < 5 * se);
  }
}

TEST_CASE("Bernoulli: varying p, float64 input, and draws independent of their neighbours") {
  std::vector<double> probs(kCount);
  for (int64_t i = 0; i < kCount; ++i) probs[i] = static_cast<double>(i % 100) / 99.0;
  const float seed = 11.0f;
  Model model = load_ok(bernoulli_model(&seed, 0, nullptr, onnx::TensorProto::DOUBLE));
  const Tensor y = infer_one(model, {TensorView::of(probs.data(), {kCount})});
  REQUIRE(y.dtype() == DType::kFloat64);
  const std::vector<double> v = y.to_vector<double>();
  // Per decile of p, the share of ones is near the decile's mean p (10^4 draws each, error <= 0.005).
  for (int decile = 0; decile < 10; ++decile) {
    double ones = 0, expected = 0, count = 0;
    for (int64_t i = 0; i < kCount; ++i) {
      if ((i % 100) / 10 != decile) continue;
      ones += v[i];
      expected += probs[i];
      count += 1;
    }
    CHECK(std::fabs(ones / count - expected / count) < 0.025);
  }
  // With p = 0.5 everywhere, pairs of neighbours agree about half the time (no correlation).
  std::vector<double> half(kCount, 0.5);
  const std::vector<double> h = infer_one(model, {TensorView::of(half.data(), {kCount})}).to_vector<double>();
  double agree = 0;
  for (int64_t i = 0; i + 1 < kCount; ++i) agree += h[i] == h[i + 1] ? 1 : 0;
  CHECK(std::fabs(agree / (kCount - 1) - 0.5) < 0.01);
}

TEST_CASE("Bernoulli: a seed gives the same draws on every call, thread and load; no seed gives new ones") {
  std::vector<float> probs(4096, 0.5f);
  const std::vector<TensorView> inputs{TensorView::of(probs.data(), {4096})};
  const float seed = 42.0f, other_seed = 43.0f;
  Model a = load_ok(bernoulli_model(&seed));
  Model b = load_ok(bernoulli_model(&seed));
  const Tensor a1 = infer_one(a, inputs), a2 = infer_one(a, inputs), b1 = infer_one(b, inputs);
  CHECK(same_bytes(a1, a2));
  CHECK(same_bytes(a1, b1));
  Tensor other_thread;
  std::thread([&] {
    auto out = a.try_infer(inputs);
    if (out.ok()) other_thread = (*out)[0];
  }).join();
  CHECK(same_bytes(a1, other_thread));
  CHECK_FALSE(same_bytes(a1, infer_one(load_ok(bernoulli_model(&other_seed)), inputs)));

  Model u = load_ok(bernoulli_model(nullptr));
  CHECK_FALSE(same_bytes(infer_one(u, inputs), infer_one(u, inputs)));
}

TEST_CASE("Bernoulli: not constant-folded on a constant p; dtype sets the output type") {
  const std::vector<float> p(1024, 0.5f);
  Model model = load_ok(bernoulli_model(nullptr, onnx::TensorProto::BOOL, &p));
  const Tensor y1 = infer_one(model, {}), y2 = infer_one(model, {});
  REQUIRE(y1.dtype() == DType::kBool);
  CHECK_FALSE(same_bytes(y1, y2));
  int64_t ones = 0;
  for (int64_t i = 0; i < y1.numel(); ++i) {
    const uint8_t v = static_cast<const uint8_t*>(y1.data())[i];
    REQUIRE(v <= 1);
    ones += v;
  }
  CHECK(ones > 400);
  CHECK(ones < 624);

  Model ints = load_ok(bernoulli_model(nullptr, onnx::TensorProto::INT32, &p));
  CHECK(infer_one(ints, {}).dtype() == DType::kInt32);
}

}  // namespace
}  // namespace sofie
