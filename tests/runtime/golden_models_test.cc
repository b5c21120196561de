// The golden models of tools/models (PyTorch exports in the ONNX backend test layout, batch 1 and 5):
// sofie's outputs match PyTorch's through Model::infer and Session::run, at every batch size in turn, with
// one plan per batch size.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "runtime/model.h"
#include "runtime/session.h"
#include "runtime/tensor.h"
#include "tests/runtime/test_util.h"

namespace sofie {
namespace {

using testing::message;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

struct Golden {
  Tensor input;
  Tensor output;
};

Golden read_set(const std::string& dir, int n) {
  std::string set = dir + "/test_data_set_" + std::to_string(n);
  return {testing::read_tensor(set + "/input_0.pb"), testing::read_tensor(set + "/output_0.pb")};
}

void check_golden_model(const std::string& name, int64_t features, int64_t classes) {
  const std::string dir = testing::runfile("tools/models/" + name);
  auto loaded = Model::try_load(dir + "/model.onnx");
  INFO(name << ": " << (loaded.ok() ? "" : message(loaded.status())));
  REQUIRE(loaded.ok());
  const Model& model = *loaded;
  REQUIRE(model.inputs().size() == 1);
  REQUIRE(model.outputs().size() == 1);
  CHECK(model.inputs()[0].shape.to_string() == "[batch," + std::to_string(features) + "]");
  // The batch symbol may be lost behind a reshape computed from Shape ops; the class count may not.
  const SymShape& out_shape = model.outputs()[0].shape;
  INFO("output shape " << out_shape.to_string());
  REQUIRE(out_shape.rank_known());
  REQUIRE(out_shape.rank() == 2);
  CHECK(out_shape[1] == Dim::known(classes));
  CHECK(out_shape[0].is_known() == false);

  Golden sets[2] = {read_set(dir, 0), read_set(dir, 1)};
  REQUIRE(sets[0].input.shape()[0] == 1);
  REQUIRE(sets[1].input.shape()[0] == 5);

  SECTION("Model::infer") {
    for (const Golden& g : sets) {
      INFO("batch " << g.input.shape()[0]);
      auto outs = model.try_infer({g.input.view()});
      INFO((outs.ok() ? "" : message(outs.status())));
      REQUIRE(outs.ok());
      REQUIRE(outs->size() == 1);
      testing::check_close((*outs)[0].view(), g.output.view(), kRtol, kAtol);
    }
  }
  SECTION("one session, batches 1, 5, 1, 5, 0") {
    Session session(model);
    std::vector<float> storage(static_cast<size_t>(features), 0.0f);
    for (int step : {0, 1, 0, 1, -1}) {
      if (step < 0) {
        auto outs = session.run({TensorView::of(storage.data(), {0, features})});
        INFO((outs.ok() ? "" : message(outs.status())));
        REQUIRE(outs.ok());
        CHECK((*outs)[0].shape == Dims{0, classes});
        continue;
      }
      const Golden& g = sets[step];
      INFO("batch " << g.input.shape()[0]);
      auto outs = session.run({g.input.view()});
      INFO((outs.ok() ? "" : message(outs.status())));
      REQUIRE(outs.ok());
      REQUIRE(outs->size() == 1);
      testing::check_close((*outs)[0], g.output.view(), kRtol, kAtol);
    }
    CHECK(session.plans_built() == 3);
  }
  SECTION("batches 0 to 12 built from the reference rows") {
    // Rows are independent in these models: a batch cycling through the six reference rows must give
    // the six reference output rows.
    std::vector<const float*> rows, refs;
    for (const Golden& g : sets) {
      for (int64_t r = 0; r < g.input.shape()[0]; ++r) {
        rows.push_back(g.input.data_as<float>() + r * features);
        refs.push_back(g.output.data_as<float>() + r * classes);
      }
    }
    Session session(model);
    for (int64_t batch = 0; batch <= 12; ++batch) {
      std::vector<float> x(static_cast<size_t>((batch + 1) * features));
      std::vector<float> want(static_cast<size_t>((batch + 1) * classes));
      for (int64_t r = 0; r < batch; ++r) {
        size_t k = static_cast<size_t>(r) % rows.size();
        std::copy(rows[k], rows[k] + features, x.begin() + r * features);
        std::copy(refs[k], refs[k] + classes, want.begin() + r * classes);
      }
      INFO("batch " << batch);
      auto outs = session.run({TensorView::of(x.data(), {batch, features})});
      INFO((outs.ok() ? "" : message(outs.status())));
      REQUIRE(outs.ok());
      testing::check_close((*outs)[0], TensorView::of(want.data(), {batch, classes}), kRtol, kAtol);
    }
  }
}

TEST_CASE("tools/models mlp gives PyTorch's results") { check_golden_model("mlp", 7, 1); }

TEST_CASE("tools/models dense_net gives PyTorch's results") { check_golden_model("dense_net", 16, 5); }

}  // namespace
}  // namespace sofie
