// jit/object_loader on objects made by the real compiler (libsofie_compiler.so, dlopened by the JIT
// provider): results equal to the ORC-linked code of the same object, bit for bit; and fuzzing with
// corrupted and truncated objects, which must be refused or loaded, never crash (and are never run).
#include <catch2/catch.hpp>

#include <elf.h>

#include <cstring>
#include <random>

#include "cache/store.h"
#include "jit/codegen.h"
#include "jit/jit_provider.h"
#include "jit/object_loader.h"
#include "ops/kernels/sofie_kernels.h"
#include "runtime/compiled_abi.h"
#include "tests/cache/cache_test_util.h"

namespace sofie::jit {
namespace {

using cache_testing::build_plan;
using cache_testing::model_input;
using cache_testing::model_path;

struct RealObject {
  std::string object;
  GeneratedGraph gen;
  std::shared_ptr<const CompiledGraph> orc;  // the code ORC linked from the same object
  std::shared_ptr<const Plan> plan;
  std::vector<std::vector<float>> packed;
  std::vector<HostSymbol> symbols;
};

// Compiles `model` (cold cache) and returns the object bytes the provider stored, plus what loading needs.
RealObject compile_real(const Model& model, const Tensor& input) {
  RealObject r;
  const std::string dir = cache_testing::fresh_dir("real");
  cache::CacheOptions options;
  options.dir = dir;
  options.quiet = true;
  set_cache_options(options);
  r.plan = build_plan(model, {input.view()});
  auto result = compile_graph(model.graph(), *r.plan);
  REQUIRE(result.ok());
  REQUIRE(result->origin == CodeOrigin::kCompiled);
  r.orc = result->code;
  auto files = cache_testing::entry_files(dir);
  REQUIRE(files.size() == 1);
  auto entry = cache::parse_entry(cache_testing::read_bytes(files[0]));
  REQUIRE(entry.ok());
  r.object = entry->object;
  auto gen = generate(model.graph(), *r.plan);
  REQUIRE(gen.ok());
  r.gen = *gen;
  CHECK(entry->source == gen->source);
  for (const PackedConstant& pc : gen->packed) {
    const float* src = model.graph().value(pc.value).constant->data_as<float>();
    std::vector<float> t(static_cast<size_t>(pc.rows * pc.cols));
    for (int64_t i = 0; i < pc.rows; ++i) {
      for (int64_t j = 0; j < pc.cols; ++j) t[j * pc.rows + i] = src[i * pc.cols + j];
    }
    r.packed.push_back(std::move(t));
  }
  for (size_t i = 0; i < gen->packed.size(); ++i) r.symbols.push_back({gen->packed[i].symbol, r.packed[i].data()});
  r.symbols.push_back({"sofie_gemm_f32", reinterpret_cast<const void*>(&sofie_gemm_f32)});
  r.symbols.push_back({"sofie_gemv_f32", reinterpret_cast<const void*>(&sofie_gemv_f32)});
  r.symbols.push_back({"sofie_sigmoid_f32", reinterpret_cast<const void*>(&sofie_sigmoid_f32)});
  r.symbols.push_back({"sofie_tanh_f32", reinterpret_cast<const void*>(&sofie_tanh_f32)});
  r.symbols.push_back({"sofie_exp_f32", reinterpret_cast<const void*>(&sofie_exp_f32)});
  return r;
}

int no_fallback(sofie_host*, int) { return 1; }

// Runs a compiled graph without fallback steps on `input`, as Session::execute_compiled does; returns the
// bytes of every graph output.
std::string run_direct(sofie_graph_fn fn, const Plan& plan, const Tensor& input) {
  const Graph& g = plan.graph();
  std::vector<char> arena(plan.arena_bytes() + 64);
  char* base = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(arena.data()) + 63) & ~uintptr_t{63});
  const auto& slots = plan.slots();
  std::vector<void*> values(slots.size(), nullptr);
  std::vector<long long> dims;
  for (size_t v = 0; v < slots.size(); ++v) {
    const Plan::Slot& s = slots[v];
    switch (s.storage) {
      case Plan::Storage::kArena: values[v] = base + s.offset; break;
      case Plan::Storage::kConstant: values[v] = const_cast<void*>(s.constant->data()); break;
      case Plan::Storage::kInput: values[v] = const_cast<void*>(input.data()); break;
      case Plan::Storage::kAlias: {
        const Plan::Slot& root = slots[s.alias_of];
        values[v] = root.storage == Plan::Storage::kInput ? const_cast<void*>(input.data()) : base + root.offset;
        break;
      }
      case Plan::Storage::kAbsent: break;
    }
    dims.insert(dims.end(), s.shape.begin(), s.shape.end());
  }
  REQUIRE(fn(base, values.data(), dims.data(), nullptr, &no_fallback) == 0);
  std::string out;
  for (ValueId v : g.outputs()) {
    const Plan::Slot& s = slots[v];
    out.append(static_cast<const char*>(values[v]), num_elements(s.shape) * dtype_size(s.dtype));
  }
  return out;
}

TEST_CASE("objects of the real compiler run exactly as ORC runs them") {
  for (const std::string name : {"mlp", "vae_decoder"}) {
    INFO(name);
    auto model = Model::try_load(model_path(name), {});
    REQUIRE(model.ok());
    const Tensor input = model_input(name, 1);
    RealObject r = compile_real(*model, input);
    if (r.gen.fallback_steps != 0) {
      WARN(name << " has steps run by the interpreter; compared through sessions below instead");
      continue;
    }
    auto loaded = load_object(r.object.data(), r.object.size(), r.gen.entry, r.symbols);
    REQUIRE(loaded.ok());
    CHECK((*loaded)->mapped_bytes() > 0);
    const std::string by_orc = run_direct(r.orc->entry, *r.plan, input);
    const std::string by_loader = run_direct(reinterpret_cast<sofie_graph_fn>((*loaded)->entry()), *r.plan, input);
    CHECK(by_orc.size() > 0);
    CHECK(by_orc == by_loader);
    // Other batch sizes through the same code (symbolic batch).
    const Tensor one = model_input(name, 0);
    auto plan1 = build_plan(*model, {one.view()});
    CHECK(run_direct(r.orc->entry, *plan1, one) ==
          run_direct(reinterpret_cast<sofie_graph_fn>((*loaded)->entry()), *plan1, one));
  }
}

// Through the runtime (sessions, fallback steps through the interpreter): the cold process's code is
// ORC-linked, a warm one loads the stored object with jit/object_loader.
TEST_CASE("cached code gives exactly the results of freshly compiled code") {
  for (const std::string name : {"mlp", "dense_net", "vae_decoder"}) {
    INFO(name);
    const std::string dir = cache_testing::fresh_dir("exact");
    cache::CacheOptions options;
    options.dir = dir;
    options.quiet = true;
    const Tensor input = model_input(name, 1);
    LoadOptions load;
    load.tier = Tier::kJit;
    std::vector<std::string> results;
    for (int round = 0; round < 2; ++round) {
      set_cache_options(options);  // a fresh process cache: nothing shared in memory
      auto model = Model::try_load(model_path(name), load);
      REQUIRE(model.ok());
      REQUIRE(model->try_infer({input.view()}).ok());  // compiles (round 0) or loads (round 1)
      auto out = model->try_infer({input.view()});
      REQUIRE(out.ok());
      CHECK(model->tier_stats().state == "compiled");
      std::string bytes;
      for (const Tensor& t : *out) bytes.append(static_cast<const char*>(t.data()), t.nbytes());
      results.push_back(bytes);
      const cache::CacheStats s = code_cache().stats();
      CHECK((round == 0 ? s.misses : s.disk_hits) == 1);
      CHECK(s.rejected == 0);
    }
    CHECK(results[0] == results[1]);
  }
}

TEST_CASE("a second model with the same key shares the loaded code") {
  cache::CacheOptions options;
  options.dir = cache_testing::fresh_dir("shared");
  options.quiet = true;
  set_cache_options(options);
  auto a = Model::try_load(model_path("mlp"), {});
  auto b = Model::try_load(model_path("mlp"), {});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const Tensor input = model_input("mlp", 1);
  auto ra = compile_graph(a->graph(), *build_plan(*a, {input.view()}));
  auto rb = compile_graph(b->graph(), *build_plan(*b, {input.view()}));
  REQUIRE(ra.ok());
  REQUIRE(rb.ok());
  CHECK(ra->origin == CodeOrigin::kCompiled);
  CHECK(rb->origin == CodeOrigin::kShared);
  CHECK(ra->code.get() == rb->code.get());
  CHECK(code_cache().stats().live_hits == 1);
}

// Locates the first RELA section applying to an executable section.
bool find_text_rela(const std::string& obj, Elf64_Shdr* out) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, obj.data(), sizeof eh);
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh, target;
    std::memcpy(&sh, obj.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    if (sh.sh_type != SHT_RELA || sh.sh_size == 0) continue;
    std::memcpy(&target, obj.data() + eh.e_shoff + sh.sh_info * sizeof(Elf64_Shdr), sizeof target);
    if (target.sh_flags & SHF_EXECINSTR) {
      *out = sh;
      return true;
    }
  }
  return false;
}

TEST_CASE("the loader refuses what it does not support, with a reason") {
  auto model = Model::try_load(model_path("mlp"), {});
  REQUIRE(model.ok());
  RealObject r = compile_real(*model, model_input("mlp", 1));
  REQUIRE(load_object(r.object.data(), r.object.size(), r.gen.entry, r.symbols).ok());

  auto missing = load_object(r.object.data(), r.object.size(), "no_such_function", r.symbols);
  CHECK(absl::IsNotFound(missing.status()));

  Elf64_Shdr rela;
  REQUIRE(find_text_rela(r.object, &rela));
  std::string bad = r.object;
  Elf64_Rela first;
  std::memcpy(&first, bad.data() + rela.sh_offset, sizeof first);
  first.r_info = ELF64_R_INFO(ELF64_R_SYM(first.r_info), R_X86_64_TPOFF32);
  std::memcpy(&bad[rela.sh_offset], &first, sizeof first);
  auto unsupported = load_object(bad.data(), bad.size(), r.gen.entry, r.symbols);
  REQUIRE(!unsupported.ok());
  CHECK(absl::IsUnimplemented(unsupported.status()));

  // Without the host symbols the code needs: an undefined-symbol error, not a crash.
  if (!r.symbols.empty()) {
    auto unresolved = load_object(r.object.data(), r.object.size(), r.gen.entry, {});
    CHECK(!unresolved.ok());
  }
  CHECK(is_allowed_process_symbol("expf"));
  CHECK(!is_allowed_process_symbol("system"));

  std::string not_elf = r.object;
  not_elf[0] = 'X';
  CHECK(absl::IsInvalidArgument(load_object(not_elf.data(), not_elf.size(), r.gen.entry, r.symbols).status()));
  CHECK(!load_object(nullptr, 0, r.gen.entry, r.symbols).ok());
}

TEST_CASE("fuzzing: corrupted and truncated objects never crash the loader") {
  for (const std::string name : {"mlp", "dense_net"}) {
    auto model = Model::try_load(model_path(name), {});
    REQUIRE(model.ok());
    RealObject r = compile_real(*model, model_input(name, 1));
    const std::string& good = r.object;
    int loaded = 0, refused = 0;
    auto attempt = [&](const std::string& bytes) {
      auto o = load_object(bytes.data(), bytes.size(), r.gen.entry, r.symbols);
      (o.ok() ? loaded : refused)++;  // a corrupted object that loads is never run
    };
    // Every byte, inverted.
    for (size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = static_cast<char>(~bad[i]);
      attempt(bad);
    }
    // Random mutations, half of them aimed at the ELF and section headers.
    Elf64_Ehdr eh;
    std::memcpy(&eh, good.data(), sizeof eh);
    std::mt19937_64 rng(12345);
    for (int m = 0; m < 3000; ++m) {
      std::string bad = good;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) {
        size_t at;
        switch (rng() % 3) {
          case 0: at = rng() % sizeof(Elf64_Ehdr); break;
          case 1: at = eh.e_shoff + rng() % (eh.e_shnum * sizeof(Elf64_Shdr)); break;
          default: at = rng() % bad.size(); break;
        }
        if (at < bad.size()) bad[at] = static_cast<char>(rng() & 0xff);
      }
      attempt(bad);
    }
    // Truncations.
    for (size_t n = 0; n < good.size(); n += 1 + good.size() / 500) attempt(good.substr(0, n));
    INFO(name << ": " << loaded << " mutated objects loaded (not run), " << refused << " refused");
    CHECK(refused > 0);
    CHECK(load_object(good.data(), good.size(), r.gen.entry, r.symbols).ok());
  }
}

}  // namespace
}  // namespace sofie::jit
