// Cache keys: stable across processes, blind to symbolic dim values, and different whenever anything the
// object code depends on changes (weights, static shapes, versions, compiler, CPU features, options).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "cache/key.h"
#include "jit/jit_provider.h"
#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "tests/cache/cache_test_util.h"

namespace sofie::cache {
namespace {

using cache_testing::build_plan;
using cache_testing::model_input;
using cache_testing::model_path;

onnx::ModelProto read_proto(const std::string& path) {
  onnx::ModelProto proto;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(proto.ParseFromIstream(&in));
  return proto;
}

CacheKey key_of(const Model& model, const Tensor& input) {
  auto plan = build_plan(model, {input.view()});
  return jit::cache_key(model.graph(), *plan);
}

CacheKey key_of_proto(const onnx::ModelProto& proto, const Tensor& input) {
  const std::string bytes = proto.SerializeAsString();
  auto model = Model::try_load_from_buffer(bytes.data(), bytes.size());
  REQUIRE(model.ok());
  return key_of(*model, input);
}

TEST_CASE("the same model gives the same key in every process") {
  const std::string model = model_path("mlp");
  const std::string input = cache_testing::runfile("tools/models/mlp/test_data_set_1/input_0.pb");
  auto a = cache_testing::run_process(cache_testing::helper_path(),
                                      {"--model", model, "--input", input, "--cache", "", "--key-only"});
  auto b = cache_testing::run_process(cache_testing::helper_path(),
                                      {"--model", model, "--input", input, "--cache", "", "--key-only"});
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  const std::string ka = cache_testing::field(a.out, "key");
  CHECK(ka.size() == 32);
  CHECK(ka == cache_testing::field(b.out, "key"));

  auto m = Model::try_load(model);
  REQUIRE(m.ok());
  CHECK(key_of(*m, model_input("mlp", 1)).hex() == ka);
}

TEST_CASE("symbolic dims are not in the key: one entry serves every batch size") {
  auto m = Model::try_load(model_path("mlp"));
  REQUIRE(m.ok());
  const CacheKey batch1 = key_of(*m, model_input("mlp", 0));
  const CacheKey batch5 = key_of(*m, model_input("mlp", 1));
  CHECK(batch1.bytes == batch5.bytes);
  CHECK(batch1.digest == batch5.digest);
}

TEST_CASE("a change of any weight gives another key") {
  const onnx::ModelProto proto = read_proto(model_path("mlp"));
  const Tensor input = model_input("mlp", 1);
  const CacheKey base = key_of_proto(proto, input);
  REQUIRE(proto.graph().initializer_size() > 0);
  for (int i = 0; i < proto.graph().initializer_size(); ++i) {
    onnx::ModelProto changed = proto;
    onnx::TensorProto* t = changed.mutable_graph()->mutable_initializer(i);
    if (t->has_raw_data() && !t->raw_data().empty()) {
      std::string raw = t->raw_data();
      raw[raw.size() / 2] ^= 0x01;  // one bit of one float
      t->set_raw_data(raw);
    } else if (t->float_data_size() > 0) {
      t->set_float_data(0, t->float_data(0) + 1.0f);
    } else {
      continue;
    }
    INFO("initializer " << t->name());
    CHECK(key_of_proto(changed, input).digest != base.digest);
  }
}

TEST_CASE("a change of a static shape or of the graph structure gives another key") {
  const onnx::ModelProto proto = read_proto(model_path("mlp"));
  const Tensor input = model_input("mlp", 1);  // batch 5
  const CacheKey base = key_of_proto(proto, input);

  onnx::ModelProto static_batch = proto;  // batch fixed at 5 instead of symbolic
  auto* dim = static_batch.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
  dim->clear_dim_param();
  dim->set_dim_value(5);
  CHECK(key_of_proto(static_batch, input).digest != base.digest);

  onnx::ModelProto renamed = proto;  // another node name: the generated source (comments) differs
  renamed.mutable_graph()->mutable_node(0)->set_name("renamed_node");
  CHECK(key_of_proto(renamed, input).digest != base.digest);

  // A different plan structure: dense_net's plan against mlp's.
  auto dense = Model::try_load(model_path("dense_net"));
  REQUIRE(dense.ok());
  auto dense_plan = build_plan(*dense, {model_input("dense_net", 1).view()});
  auto mlp = Model::try_load(model_path("mlp"));
  REQUIRE(mlp.ok());
  auto mlp_plan = build_plan(*mlp, {input.view()});
  CHECK(canonical_plan_bytes(*dense_plan) != canonical_plan_bytes(*mlp_plan));
  CHECK(canonical_plan_bytes(*mlp_plan) == canonical_plan_bytes(*build_plan(*mlp, {model_input("mlp", 0).view()})));
}

TEST_CASE("versions, compiler, CPU features and options are in the key") {
  auto m = Model::try_load(model_path("mlp"));
  REQUIRE(m.ok());
  auto plan = build_plan(*m, {model_input("mlp", 1).view()});
  const CompileIdentity id = jit::host_compile_identity();
  const CacheKey base = make_key(m->graph(), *plan, id);
  CHECK(make_key(m->graph(), *plan, id).digest == base.digest);
  CHECK(key_header_field(base.bytes, "cpu") == host_cpu_fingerprint());
  CHECK(key_header_field(base.bytes, "options") == id.options);

  std::vector<std::pair<std::string, CompileIdentity>> variants;
  auto add = [&](const std::string& what, auto change) {
    CompileIdentity v = id;
    change(v);
    variants.push_back({what, v});
  };
  add("codegen version", [](CompileIdentity& v) { v.codegen_version++; });
  add("kernel ABI", [](CompileIdentity& v) { v.kernel_abi_version++; });
  add("compiled ABI", [](CompileIdentity& v) { v.compiled_abi_version++; });
  add("compiler", [](CompileIdentity& v) { v.compiler = "LLVM 17.0.0, compiler ABI 1"; });
  add("options", [](CompileIdentity& v) { v.options = "opt=3 cpu=host"; });
  add("CPU name", [](CompileIdentity& v) { v.cpu = "x86-64-v3"; });
  add("one CPU feature bit", [](CompileIdentity& v) {
    // Flip one bit of the leaf-7 EBX word (AVX2, AVX-512F, ... live there).
    const size_t at = v.cpu.find("7b=");
    REQUIRE(at != std::string::npos);
    char& c = v.cpu[at + 3 + 7];
    c = c == '0' ? '1' : '0';
  });
  for (const auto& [what, variant] : variants) {
    INFO(what);
    CHECK(make_key(m->graph(), *plan, variant).digest != base.digest);
  }
}

TEST_CASE("the CPU fingerprint is stable and readable") {
  const std::string& fp = host_cpu_fingerprint();
  CHECK(fp == host_cpu_fingerprint());
  CHECK(fp.rfind("x86-64 ", 0) == 0);
  CHECK(fp.find("xcr0=") != std::string::npos);
}

TEST_CASE("digests print as 32 hex digits") {
  const Digest128 d = hash128(std::string("sofie"));
  CHECK(d.hex().size() == 32);
  CHECK(d == hash128(std::string("sofie")));
  CHECK(d != hash128(std::string("sofiE")));
}

}  // namespace
}  // namespace sofie::cache
