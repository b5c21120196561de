// Execution: models exported from PyTorch give PyTorch's results through Model and Session; plans are
// built once per input-shape signature; bad inputs are errors naming the input and its expected shape;
// Session::run returns views into the session, Model::infer owned tensors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "runtime/status.h"
#include "runtime/tensor.h"
#include "tests/runtime/test_util.h"

namespace sofie {
namespace {

using Catch::Matchers::Contains;
using testing::message;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

Model load(const std::string& name) {
  auto model = Model::try_load(testing::torch_model_dir(name) + "/model.onnx");
  INFO("loading " << name << ": " << (model.ok() ? "" : message(model.status())));
  REQUIRE(model.ok());
  return *std::move(model);
}

struct DataSet {
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  std::vector<TensorView> input_views() const {
    std::vector<TensorView> v;
    for (const Tensor& t : inputs) v.push_back(t.view());
    return v;
  }
};

DataSet data_set(const std::string& model, int n, int num_outputs) {
  std::string dir = testing::torch_model_dir(model) + "/test_data_set_" + std::to_string(n);
  DataSet d;
  d.inputs.push_back(testing::read_tensor(dir + "/input_0.pb"));
  for (int i = 0; i < num_outputs; ++i) {
    d.outputs.push_back(testing::read_tensor(dir + "/output_" + std::to_string(i) + ".pb"));
  }
  return d;
}

// Runs `inputs` through a session; fails the test on an error.
absl::Span<const TensorView> run_ok(Session& session, const std::vector<TensorView>& inputs) {
  auto outs = session.run(inputs);
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  return *outs;
}

std::string run_error(Session& session, const std::vector<TensorView>& inputs) {
  auto outs = session.run(inputs);
  REQUIRE_FALSE(outs.ok());
  return message(outs.status());
}

TEST_CASE("the PyTorch MLP gives PyTorch's results") {
  Model model = load("mlp");
  REQUIRE(model.inputs().size() == 1);
  REQUIRE(model.outputs().size() == 1);
  Session session(model);
  for (int n : {0, 1}) {
    DataSet d = data_set("mlp", n, 1);
    INFO("test_data_set_" << n << ", input " << dims_string(d.inputs[0].shape()));
    auto outs = model.try_infer(d.input_views());
    INFO((outs.ok() ? "" : message(outs.status())));
    REQUIRE(outs.ok());
    REQUIRE(outs->size() == 1);
    testing::check_close((*outs)[0].view(), d.outputs[0].view(), kRtol, kAtol);

    auto views = run_ok(session, d.input_views());
    REQUIRE(views.size() == 1);
    testing::check_close(views[0], d.outputs[0].view(), kRtol, kAtol);
  }
}

TEST_CASE("a model computing a reshape from Shape/Gather/Concat gives PyTorch's results") {
  Model model = load("flatten_net");
  REQUIRE(model.outputs().size() == 2);
  Session session(model);
  // Batches 1, 3, 2, then 1 and 3 again: three plans.
  for (int n : {0, 1, 2, 0, 1}) {
    DataSet d = data_set("flatten_net", n, 2);
    INFO("session, test_data_set_" << n << ", input " << dims_string(d.inputs[0].shape()));
    auto views = run_ok(session, d.input_views());
    REQUIRE(views.size() == 2);
    testing::check_close(views[0], d.outputs[0].view(), kRtol, kAtol);
    testing::check_close(views[1], d.outputs[1].view(), kRtol, kAtol);
  }
  CHECK(session.plans_built() == 3);

  for (int n : {0, 1, 2}) {
    DataSet d = data_set("flatten_net", n, 2);
    INFO("Model::try_infer, test_data_set_" << n << ", input " << dims_string(d.inputs[0].shape()));
    auto outs = model.try_infer(d.input_views());
    INFO((outs.ok() ? "" : message(outs.status())));
    REQUIRE(outs.ok());
    REQUIRE(outs->size() == 2);
    testing::check_close((*outs)[0].view(), d.outputs[0].view(), kRtol, kAtol);
    testing::check_close((*outs)[1].view(), d.outputs[1].view(), kRtol, kAtol);
  }
}

TEST_CASE("a session builds one plan per input shape and accepts a zero-sized batch") {
  Model model = load("mlp");
  Session session(model);
  CHECK(session.plans_built() == 0);
  DataSet one = data_set("mlp", 0, 1);   // batch 1
  DataSet five = data_set("mlp", 1, 1);  // batch 5
  std::vector<float> no_rows(7, 0.0f);   // storage is not read for a zero-sized input

  const int64_t expected_plans[] = {1, 2, 2, 2, 3};
  int step = 0;
  for (int64_t batch : {1, 5, 1, 5, 0}) {
    INFO("run " << step << ", batch " << batch);
    if (batch == 0) {
      auto views = run_ok(session, {TensorView::of(no_rows.data(), {0, 7})});
      REQUIRE(views.size() == 1);
      CHECK(views[0].shape == Dims{0, 1});
      CHECK(views[0].dtype == DType::kFloat32);
    } else {
      const DataSet& d = batch == 1 ? one : five;
      auto views = run_ok(session, d.input_views());
      REQUIRE(views.size() == 1);
      testing::check_close(views[0], d.outputs[0].view(), kRtol, kAtol);
    }
    CHECK(session.plans_built() == expected_plans[step]);
    ++step;
  }
  CHECK(session.plans_built() == 3);

  // Model::infer also takes a zero-sized batch.
  auto outs = model.try_infer({TensorView::of(no_rows.data(), {0, 7})});
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  CHECK((*outs)[0].shape() == Dims{0, 1});
}

TEST_CASE("every batch size from 0 to 40, twice, gives PyTorch's rows") {
  Model model = load("mlp");
  DataSet one = data_set("mlp", 0, 1);
  DataSet five = data_set("mlp", 1, 1);
  // Six rows with PyTorch references; a batch of b rows cycles through them.
  std::vector<const float*> rows, refs;
  rows.push_back(one.inputs[0].data_as<float>());
  refs.push_back(one.outputs[0].data_as<float>());
  for (int r = 0; r < 5; ++r) {
    rows.push_back(five.inputs[0].data_as<float>() + 7 * r);
    refs.push_back(five.outputs[0].data_as<float>() + r);
  }
  Session session(model);
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t k = 0; k <= 40; ++k) {
      const int64_t batch = pass == 0 ? k : 40 - k;
      std::vector<float> x(static_cast<size_t>(batch * 7) + 1);
      std::vector<float> want(static_cast<size_t>(batch) + 1);
      for (int64_t r = 0; r < batch; ++r) {
        std::copy(rows[r % 6], rows[r % 6] + 7, x.begin() + 7 * r);
        want[r] = *refs[r % 6];
      }
      INFO("pass " << pass << ", batch " << batch);
      auto views = run_ok(session, {TensorView::of(x.data(), {batch, 7})});
      REQUIRE(views[0].shape == Dims{batch, 1});
      testing::check_close(views[0], TensorView::of(want.data(), {batch, 1}), kRtol, kAtol);
      auto owned = model.try_infer({TensorView::of(x.data(), {batch, 7})});
      REQUIRE(owned.ok());
      testing::check_close((*owned)[0].view(), TensorView::of(want.data(), {batch, 1}), kRtol, kAtol);
    }
    if (pass == 0) CHECK(session.plans_built() == 41);
  }
}

TEST_CASE("bad inputs are errors naming the input and its expected shape") {
  Model model = load("mlp");
  const std::string name = model.inputs()[0].name;
  REQUIRE(model.inputs()[0].shape.to_string() == "[batch,7]");
  Session session(model);
  std::vector<float> f(70, 0.5f);
  std::vector<double> d(70, 0.5);
  std::vector<int64_t> i(70, 1);

  SECTION("wrong count") {
    CHECK_FALSE(session.run({}).ok());
    TensorView x = TensorView::of(f.data(), {1, 7});
    CHECK_FALSE(session.run({x, x}).ok());
  }
  SECTION("wrong dtype") {
    CHECK_THAT(run_error(session, {TensorView::of(d.data(), {1, 7})}), Contains(name) && Contains("float32"));
    CHECK_THAT(run_error(session, {TensorView::of(i.data(), {1, 7})}), Contains(name) && Contains("float32"));
  }
  SECTION("wrong rank") {
    CHECK_THAT(run_error(session, {TensorView::of(f.data(), {7})}), Contains(name) && Contains("[batch,7]"));
    CHECK_THAT(run_error(session, {TensorView::of(f.data(), {1, 7, 1})}), Contains(name) && Contains("[batch,7]"));
    CHECK_THAT(run_error(session, {TensorView::of(f.data(), Dims{})}), Contains(name) && Contains("[batch,7]"));
  }
  SECTION("wrong static dimension") {
    CHECK_THAT(run_error(session, {TensorView::of(f.data(), {2, 6})}), Contains(name) && Contains("[batch,7]"));
    CHECK_THAT(run_error(session, {TensorView::of(f.data(), {1, 8})}), Contains(name) && Contains("[batch,7]"));
  }
  SECTION("negative dimension") {
    CHECK_THAT(run_error(session, {TensorView::of(f.data(), {-1, 7})}), Contains(name));
  }
  SECTION("no data behind a non-empty input") {
    CHECK_THAT(run_error(session, {TensorView(DType::kFloat32, Dims{1, 7}, static_cast<const void*>(nullptr))}),
               Contains(name));
  }
  SECTION("Model::try_infer and Model::infer report the same") {
    auto r = model.try_infer({TensorView::of(f.data(), {2, 6})});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(message(r.status()), Contains(name) && Contains("[batch,7]"));
    try {
      model.infer(std::vector<TensorView>{TensorView::of(d.data(), {1, 7})});
      FAIL("Model::infer should have thrown");
    } catch (const Error& e) {
      CHECK_FALSE(e.status().ok());
      CHECK_THAT(std::string(e.what()), Contains(name));
    }
  }

  // After any error the session still works.
  DataSet good = data_set("mlp", 1, 1);
  auto views = run_ok(session, good.input_views());
  testing::check_close(views[0], good.outputs[0].view(), kRtol, kAtol);
}

TEST_CASE("infer(const float*) on a static-shape model") {
  Model model = load("mlp_static");
  REQUIRE(model.inputs()[0].shape.to_string() == "[2,7]");
  DataSet d = data_set("mlp_static", 0, 1);
  std::vector<float> y = model.infer(d.inputs[0].data_as<float>());
  REQUIRE(y.size() == 2);
  Tensor got = Tensor::copy_of(TensorView::of(y.data(), {2, 1}));
  testing::check_close(got.view(), d.outputs[0].view(), kRtol, kAtol);
}

TEST_CASE("infer(const float*) on a model with a symbolic input is an error, not a guess") {
  Model model = load("mlp");
  std::vector<float> x(7, 0.0f);
  CHECK_THROWS_AS(model.infer(x.data()), Error);
}

TEST_CASE("Session::run returns views into the session's memory") {
  Model model = load("mlp");
  Session session(model);
  DataSet d = data_set("mlp", 1, 1);
  std::vector<float> other(d.inputs[0].numel());
  for (size_t k = 0; k < other.size(); ++k) other[k] = d.inputs[0].data_as<float>()[k] * -0.5f + 0.25f;

  auto first = run_ok(session, {TensorView::of(other.data(), {5, 7})});
  const void* first_data = first[0].data;
  std::vector<float> first_values(first[0].data_as<float>(), first[0].data_as<float>() + first[0].numel());

  auto second = run_ok(session, d.input_views());
  testing::check_close(second[0], d.outputs[0].view(), kRtol, kAtol);
  // Same shape signature, same plan: the output lives where it lived, and holds the new result.
  CHECK(second[0].data == first_data);
  testing::check_close(TensorView::of(static_cast<const float*>(first_data), {5, 1}), d.outputs[0].view(), kRtol,
                       kAtol);
  // Different inputs gave different outputs (so the check above means something).
  CHECK(first_values != std::vector<float>(d.outputs[0].data_as<float>(), d.outputs[0].data_as<float>() + 5));
}

TEST_CASE("Model::infer returns owned tensors that outlive later calls and the model") {
  DataSet one = data_set("mlp", 0, 1);
  DataSet five = data_set("mlp", 1, 1);
  std::vector<Tensor> a, b, c;
  {
    Model model = load("mlp");
    a = model.infer(one.input_views());
    b = model.infer(five.input_views());
    c = model.infer(one.input_views());
  }
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  REQUIRE(c.size() == 1);
  CHECK(a[0].data() != c[0].data());
  testing::check_close(a[0].view(), one.outputs[0].view(), kRtol, kAtol);
  testing::check_close(b[0].view(), five.outputs[0].view(), kRtol, kAtol);
  testing::check_close(c[0].view(), one.outputs[0].view(), kRtol, kAtol);
}

TEST_CASE("a session and model copies keep the model alive") {
  DataSet d = data_set("mlp", 1, 1);
  std::unique_ptr<Session> session;
  Model copy = load("mlp");
  {
    Model model = load("mlp");
    session = std::make_unique<Session>(model.new_session());
    copy = model;
  }
  auto views = run_ok(*session, d.input_views());
  testing::check_close(views[0], d.outputs[0].view(), kRtol, kAtol);
  auto outs = copy.try_infer(d.input_views());
  REQUIRE(outs.ok());
  testing::check_close((*outs)[0].view(), d.outputs[0].view(), kRtol, kAtol);

  // A moved session keeps working.
  Session moved = std::move(*session);
  session.reset();
  views = run_ok(moved, d.input_views());
  testing::check_close(views[0], d.outputs[0].view(), kRtol, kAtol);
  CHECK(moved.plans_built() == 1);
}

TEST_CASE("profiling counts calls and time per node and per op type") {
  Model model = load("mlp");
  Session session(model);
  session.set_profiling(true);
  DataSet d = data_set("mlp", 1, 1);
  run_ok(session, d.input_views());
  run_ok(session, d.input_views());

  std::set<std::string> node_names;
  for (const Node& node : model.graph().nodes()) node_names.insert(node.name);
  std::vector<NodeProfile> nodes = session.node_profile();
  REQUIRE_FALSE(nodes.empty());
  int64_t node_calls = 0;
  for (const NodeProfile& p : nodes) {
    INFO("node " << p.node << " (" << p.op_type << ")");
    CHECK(node_names.count(p.node) == 1);
    CHECK(p.calls == 2);
    CHECK(p.total_us >= 0);
    node_calls += p.calls;
  }
  std::vector<OpProfile> ops = session.op_profile();
  REQUIRE_FALSE(ops.empty());
  int64_t op_calls = 0;
  for (size_t k = 0; k < ops.size(); ++k) {
    op_calls += ops[k].calls;
    if (k > 0) CHECK(ops[k - 1].total_us >= ops[k].total_us);
  }
  CHECK(op_calls == node_calls);
}

TEST_CASE("inputs need no particular alignment") {
  Model model = load("mlp");
  DataSet d = data_set("mlp", 1, 1);
  const float* x = d.inputs[0].data_as<float>();
  // Copies of the input at every 4-byte offset within a 64-byte line.
  std::vector<float> storage(5 * 7 + 16);
  Session session(model);
  std::vector<float> first;
  for (size_t shift = 0; shift < 16; ++shift) {
    std::copy(x, x + 35, storage.begin() + static_cast<std::ptrdiff_t>(shift));
    INFO("input at byte offset " << (reinterpret_cast<uintptr_t>(storage.data() + shift) % 64) << " mod 64");
    auto views = run_ok(session, {TensorView::of(storage.data() + shift, {5, 7})});
    std::vector<float> got(views[0].data_as<float>(), views[0].data_as<float>() + views[0].numel());
    if (shift == 0) {
      testing::check_close(views[0], d.outputs[0].view(), kRtol, kAtol);
      first = got;
    } else {
      CHECK(got == first);
    }
  }
}

Model load_loader_model(const std::string& file) {
  auto model = Model::try_load(testing::bad_model(file));
  INFO("loading " << file << ": " << (model.ok() ? "" : message(model.status())));
  REQUIRE(model.ok());
  return *std::move(model);
}

TEST_CASE("inputs declared with one symbol must agree on its value") {
  Model model = load_loader_model("shared_symbol.onnx");
  std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> b = {10, 20, 30, 40, 50, 60, 70, 80, 90};
  auto outs = model.try_infer({TensorView::of(a.data(), {2, 3}), TensorView::of(b.data(), {2, 3})});
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{11, 22, 33, 44, 55, 66});

  auto mismatch = model.try_infer({TensorView::of(a.data(), {2, 3}), TensorView::of(b.data(), {3, 3})});
  REQUIRE_FALSE(mismatch.ok());
  CHECK_THAT(message(mismatch.status()), Contains("batch"));
}

TEST_CASE("a graph output may be a graph input") {
  Model model = load_loader_model("passthrough.onnx");
  REQUIRE(model.outputs().size() == 2);
  std::vector<float> x = {1, -2, 3};
  auto outs = model.try_infer({TensorView::of(x.data(), {3})});
  INFO((outs.ok() ? "" : message(outs.status())));
  REQUIRE(outs.ok());
  REQUIRE(outs->size() == 2);
  CHECK((*outs)[0].to_vector<float>() == x);
  CHECK((*outs)[1].to_vector<float>() == x);
  // Owned: changing the input afterwards changes nothing.
  x[0] = 100;
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{1, -2, 3});
}

TEST_CASE("a model without inputs runs") {
  Model model = load_loader_model("no_inputs.onnx");
  CHECK(model.inputs().empty());
  Session session(model);
  for (int k = 0; k < 2; ++k) {
    auto views = run_ok(session, {});
    REQUIRE(views.size() == 1);
    CHECK(views[0].shape == Dims{2});
    CHECK(std::vector<float>(views[0].data_as<float>(), views[0].data_as<float>() + 2) ==
          std::vector<float>{1.5f, -2.5f});
  }
  CHECK(session.plans_built() == 1);
  auto outs = model.try_infer({});
  REQUIRE(outs.ok());
  CHECK((*outs)[0].to_vector<float>() == std::vector<float>{1.5f, -2.5f});
}

}  // namespace
}  // namespace sofie
