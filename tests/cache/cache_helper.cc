// A test helper run in fresh processes by the cache tests: loads a model with the JIT tier against a given
// cache folder, runs it twice on a test input (the first call compiles or loads the code, the second runs
// it), and prints what happened as "name=value" lines:
//   key      the cache key (hex)           origin  compiled | disk cache | memory cache | shared
//   hash     XXH3-64 of the compiled call's output bytes
//   llvm     1 if LLVM/clang got mapped into the process
//   state    the model's tier state        stats   the process cache's counters
//
//   cache_helper --model M.onnx --input IN.pb --cache DIR [--read-only] [--reload] [--key-only]
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/key.h"
#include "jit/jit_provider.h"
#include "runtime/model.h"
#include "runtime/tensor_io.h"
#include "tests/cache/cache_test_util.h"

namespace {

std::string origin_of(const sofie::cache::CacheStats& before, const sofie::cache::CacheStats& after) {
  if (after.disk_hits > before.disk_hits) return "disk cache";
  if (after.memory_hits > before.memory_hits) return "memory cache";
  if (after.live_hits > before.live_hits) return "shared";
  if (after.misses > before.misses) return "compiled";
  return "none";
}

int run(const std::string& model_path, const sofie::Tensor& input, std::string* hash, std::string* state) {
  sofie::LoadOptions options;
  options.tier = sofie::Tier::kJit;
  auto model = sofie::Model::try_load(model_path, options);
  if (!model.ok()) {
    std::fprintf(stderr, "load: %s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  std::vector<sofie::TensorView> inputs = {input.view()};
  for (int call = 0; call < 2; ++call) {
    auto out = model->try_infer(inputs);
    if (!out.ok()) {
      std::fprintf(stderr, "infer: %s\n", std::string(out.status().message()).c_str());
      return 1;
    }
    if (call == 1) {
      std::string bytes;
      for (const sofie::Tensor& t : *out) bytes.append(static_cast<const char*>(t.data()), t.nbytes());
      *hash = absl::StrCat(sofie::cache::hash64(bytes.data(), bytes.size()));
    }
  }
  *state = model->tier_stats().state;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path, input_path;
  sofie::cache::CacheOptions cache_options;
  bool reload = false, key_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--model") model_path = value();
    else if (a == "--input") input_path = value();
    else if (a == "--cache") cache_options.dir = value();
    else if (a == "--read-only") cache_options.read_only = true;
    else if (a == "--max-bytes") cache_options.max_bytes = std::stoull(value());
    else if (a == "--reload") reload = true;
    else if (a == "--key-only") key_only = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  sofie::jit::set_cache_options(cache_options);
  auto input = sofie::read_tensor_file(input_path);
  if (!input.ok()) {
    std::fprintf(stderr, "input: %s\n", std::string(input.status().message()).c_str());
    return 1;
  }
  {
    auto model = sofie::Model::try_load(model_path, {});
    if (!model.ok()) return 1;
    auto plan = sofie::cache_testing::build_plan(*model, {input->tensor.view()});
    std::printf("key=%s\n", sofie::jit::cache_key(model->graph(), *plan).hex().c_str());
    if (key_only) return 0;
  }
  auto before = sofie::jit::code_cache().stats();
  std::string hash, state;
  if (run(model_path, input->tensor, &hash, &state) != 0) return 1;
  auto after = sofie::jit::code_cache().stats();
  std::printf("origin=%s\nhash=%s\nstate=%s\n", origin_of(before, after).c_str(), hash.c_str(), state.c_str());
  if (reload) {
    std::string hash2, state2;
    if (run(model_path, input->tensor, &hash2, &state2) != 0) return 1;
    auto again = sofie::jit::code_cache().stats();
    std::printf("origin2=%s\nhash2=%s\n", origin_of(after, again).c_str(), hash2.c_str());
  }
  const auto s = sofie::jit::code_cache().stats();
  std::printf("llvm=%d\nstats=live %lld memory %lld disk %lld misses %lld rejected %lld stores %lld memory_stores %lld\n",
              sofie::cache_testing::llvm_mapped() ? 1 : 0, (long long)s.live_hits, (long long)s.memory_hits,
              (long long)s.disk_hits, (long long)s.misses, (long long)s.rejected, (long long)s.stores,
              (long long)s.memory_stores);
  return 0;
}
