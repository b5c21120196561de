// The JIT tier's provider: generated C++ (jit/codegen.h) compiled by libsofie_compiler.so, which is
// dlopened on the first compile only (a process that never compiles never maps LLVM or clang), through
// the compiled-code cache (cache/): a verified cache entry is loaded by jit/object_loader without LLVM.
// Linking //jit registers it with the runtime (runtime/tiering.h).
#include "jit/jit_provider.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include <ctime>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cache/code_cache.h"
#include "cache/key.h"
#include "jit/codegen.h"
#include "jit/compiler/compiler_loader.h"
#include "jit/llvm_version.h"
#include "jit/object_loader.h"
#include "ops/kernels/sofie_kernels.h"
#include "runtime/compiled_abi.h"
#include "runtime/graph.h"
#include "runtime/tensor.h"
#include "runtime/tiering.h"

namespace sofie::jit {
namespace {

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool exists(const std::string& path) { return !path.empty() && access(path.c_str(), R_OK) == 0; }

// Where libsofie_compiler.so is: $SOFIE_COMPILER_LIBRARY, else the runfiles of this program (Bazel puts
// it there for every target that depends on //jit), else the Bazel output tree next to the program.
std::vector<std::string> candidate_paths() {
  const std::string rel = "jit/compiler/" SOFIE_COMPILER_LIBRARY_NAME;
  std::vector<std::string> out;
  // An explicit path is the only one tried: a wrong one must fail, not find another copy silently.
  if (const char* env = std::getenv("SOFIE_COMPILER_LIBRARY")) return {env};
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* dir = std::getenv(var)) out.push_back(absl::StrCat(dir, "/sofie/", rel));
  }
  const std::string exe = self_exe();
  if (!exe.empty()) {
    out.push_back(absl::StrCat(exe, ".runfiles/sofie/", rel));
    const std::string dir = exe.substr(0, exe.find_last_of('/'));
    out.push_back(absl::StrCat(dir, "/../", rel));
    out.push_back(absl::StrCat(dir, "/../../", rel));
  }
  return out;
}

// Code linked by ORC (a fresh compile, or an entry only ORC could link).
class OrcCompiled : public CompiledGraph {
 public:
  OrcCompiled(const CompilerLibrary* lib, sofie_jit_module* module, std::vector<Tensor> packed)
      : lib_(lib), module_(module), packed_(std::move(packed)) {}
  ~OrcCompiled() override { lib_->jit_free_module(module_); }

 private:
  const CompilerLibrary* lib_;
  sofie_jit_module* module_;
  std::vector<Tensor> packed_;  // read by the code: freed after it
};

// Code from the cache, loaded by jit/object_loader (no LLVM).
class CachedCompiled : public CompiledGraph {
 public:
  CachedCompiled(std::unique_ptr<LoadedObject> object, std::vector<Tensor> packed)
      : packed_(std::move(packed)), object_(std::move(object)) {}

 private:
  std::vector<Tensor> packed_;
  std::unique_ptr<LoadedObject> object_;  // destroyed first: unmaps the code before its constants go
};

constexpr int kOptLevel = 2;

// Constants the code wants in another layout (codegen.h): made once per load, owned by the compiled graph.
absl::Status make_packed(const Graph& graph, const GeneratedGraph& gen, std::vector<Tensor>* packed) {
  for (const PackedConstant& pc : gen.packed) {
    const Value& value = graph.value(pc.value);
    if (!value.constant || value.constant->dtype() != DType::kFloat32 ||
        value.constant->numel() != pc.rows * pc.cols) {
      return absl::InternalError(absl::StrCat("packed constant ", pc.symbol, " does not match value ", pc.value));
    }
    const float* src = value.constant->data_as<float>();
    // 64-byte aligned like every tensor: the code's 16-float loads then never straddle two cache lines
    // (a std::vector's 16-byte alignment made Linear 64 at batch 1 a third slower in 3 runs of 4).
    Tensor t = Tensor::zeros(DType::kFloat32, Dims{pc.rows * pc.cols});
    // Rows [r0, r0 + width) stored column by column from t[r0 * cols]; the transpose is one such block.
    const int64_t block = pc.block > 0 ? pc.block : pc.rows;
    for (int64_t r0 = 0; r0 < pc.rows; r0 += block) {
      const int64_t width = std::min(block, pc.rows - r0);
      float* dst = t.mutable_data_as<float>() + r0 * pc.cols;
      for (int64_t r = 0; r < width; ++r) {
        for (int64_t c = 0; c < pc.cols; ++c) dst[c * width + r] = src[(r0 + r) * pc.cols + c];
      }
    }
    packed->push_back(std::move(t));
  }
  return absl::OkStatus();
}

void* kernel_symbol(const std::string& name) {
  if (name == "sofie_gemm_f32") return reinterpret_cast<void*>(&sofie_gemm_f32);
  if (name == "sofie_gemv_f32") return reinterpret_cast<void*>(&sofie_gemv_f32);
  if (name == "sofie_sigmoid_f32") return reinterpret_cast<void*>(&sofie_sigmoid_f32);
  if (name == "sofie_tanh_f32") return reinterpret_cast<void*>(&sofie_tanh_f32);
  if (name == "sofie_exp_f32") return reinterpret_cast<void*>(&sofie_exp_f32);
  return nullptr;
}

// The host symbols of generated code: packed constants, then the kernel-ABI functions it calls.
absl::Status host_symbols(const GeneratedGraph& gen, const std::vector<Tensor>& packed,
                          std::vector<HostSymbol>* out) {
  for (size_t i = 0; i < gen.packed.size(); ++i) out->push_back({gen.packed[i].symbol, packed[i].data()});
  for (const std::string& name : gen.host_symbols) {
    void* address = kernel_symbol(name);
    if (address == nullptr) return absl::InternalError(absl::StrCat("generated code calls unknown '", name, "'"));
    out->push_back({name, address});
  }
  return absl::OkStatus();
}

std::string compiler_identity() {
  return absl::StrCat("LLVM ", SOFIE_LLVM_VERSION_STRING, ", compiler ABI ", SOFIE_COMPILER_ABI_VERSION);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void fill(CompiledGraph* c, const Plan& plan, const GeneratedGraph& gen, size_t code_bytes) {
  c->steps_hash = plan.steps_hash();
  c->code_bytes = code_bytes;
  c->emitted_steps = gen.emitted_steps;
  c->fallback_steps = gen.fallback_steps;
}

class ClangJitProvider : public JitProvider {
 public:
  absl::StatusOr<std::shared_ptr<const CompiledGraph>> compile(const Graph& graph, const Plan& plan) override {
    absl::StatusOr<JitResult> result = compile_with_cache(graph, plan, "");
    if (!result.ok()) return result.status();
    return result->code;
  }

  // Code already compiled (this process or the cache), without compiling: null on a miss.
  std::shared_ptr<const CompiledGraph> cached(const Graph& graph, const Plan& plan) override {
    absl::StatusOr<JitResult> result = compile_with_cache(graph, plan, "", /*compile_on_miss=*/false);
    return result.ok() ? result->code : nullptr;
  }

  absl::StatusOr<JitResult> compile_with_cache(const Graph& graph, const Plan& plan, const std::string& model_name,
                                               bool compile_on_miss = true) {
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<GeneratedGraph> gen = generate(graph, plan);
    if (!gen.ok()) return gen.status();
    cache::CodeCache& cache = cache::CodeCache::process();
    const cache::CacheKey key = cache::make_key(graph, plan, host_compile_identity());
    std::unique_lock<std::mutex> key_lock = cache.lock_key(key);  // one compile per key in this process

    JitResult result;
    result.key = key.hex();
    cache::CodeCache::Found found = cache.find(key, /*probe=*/!compile_on_miss);
    if (found.source == cache::CodeCache::Source::kLive) {
      result.code = std::move(found.live);
      result.origin = CodeOrigin::kShared;
      return result;
    }
    std::vector<Tensor> packed;
    if (absl::Status s = make_packed(graph, *gen, &packed); !s.ok()) return s;
    std::vector<HostSymbol> symbols;
    if (absl::Status s = host_symbols(*gen, packed, &symbols); !s.ok()) return s;

    if (found.source != cache::CodeCache::Source::kNone) {
      const std::string where = found.path.empty() ? "in-memory entry " + key.hex() : found.path;
      absl::StatusOr<std::shared_ptr<const CompiledGraph>> loaded =
          load_entry(found.entry, *gen, plan, packed, symbols, where, t0);
      if (loaded.ok()) {
        cache.add_live(key, *loaded);
        result.code = std::move(*loaded);
        result.origin = found.source == cache::CodeCache::Source::kDisk ? CodeOrigin::kDiskCache
                                                                        : CodeOrigin::kMemoryCache;
        return result;
      }
      cache.reject(key, where, std::string(loaded.status().message()));
    }

    // A miss (or an unusable entry): compile, keep the object for the cache.
    if (!compile_on_miss) return absl::NotFoundError("not in the cache");
    absl::StatusOr<const CompilerLibrary*> lib = library();
    if (!lib.ok()) return lib.status();
    std::vector<sofie_jit_symbol> jit_symbols;
    for (const HostSymbol& s : symbols) jit_symbols.push_back({s.name.c_str(), const_cast<void*>(s.address)});
    sofie_jit_options options{};
    options.opt_level = kOptLevel;
    options.symbols = jit_symbols.data();
    options.num_symbols = jit_symbols.size();
    sofie_jit_module* module = nullptr;
    void* entry = nullptr;
    void* object = nullptr;
    size_t object_size = 0;
    char* error = nullptr;
    int rc = (*lib)->jit_compile(gen->source.data(), gen->source.size(), gen->entry.c_str(), &options, &module,
                                 &entry, &object, &object_size, &error);
    if (rc != 0) {
      std::string message = error != nullptr ? error : "unknown error";
      (*lib)->jit_free(error);
      return absl::InternalError(absl::StrCat("JIT compile failed: ", message));
    }
    auto compiled = std::make_shared<OrcCompiled>(*lib, module, std::move(packed));
    compiled->entry = reinterpret_cast<sofie_graph_fn>(entry);
    fill(compiled.get(), plan, *gen, object_size);
    compiled->compile_ms = ms_since(t0);

    if (object != nullptr && object_size > 0) {
      const std::string version = (*lib)->jit_compiler_version();
      if (version.rfind(absl::StrCat("LLVM ", SOFIE_LLVM_VERSION_STRING), 0) == 0) {
        cache::Entry e;
        e.key_bytes = key.bytes;
        e.object.assign(static_cast<const char*>(object), object_size);
        e.source = gen->source;
        e.meta.fields["model"] = model_name.empty() ? graph.name() : model_name;
        e.meta.fields["shape_class"] = cache::shape_class(graph, plan);
        e.meta.fields["compiler"] = version;
        e.meta.fields["target_cpu"] = (*lib)->jit_host_cpu();
        e.meta.fields["created"] = absl::StrCat(static_cast<int64_t>(std::time(nullptr)));
        e.meta.fields["compile_ms"] = absl::StrCat(static_cast<int64_t>(compiled->compile_ms));
        e.meta.fields["steps"] = absl::StrCat(gen->emitted_steps, " emitted, ", gen->fallback_steps, " fallback");
        cache.store(key, std::move(e));
      } else {
        static std::once_flag warned;
        std::call_once(warned, [&] {
          std::fprintf(stderr, "sofie: the JIT compiler is %s but sofie was built against LLVM %s: not caching\n",
                       version.c_str(), SOFIE_LLVM_VERSION_STRING);
        });
      }
    }
    (*lib)->jit_free(object);
    std::shared_ptr<const CompiledGraph> code = std::move(compiled);
    cache.add_live(key, code);
    result.code = std::move(code);
    result.origin = CodeOrigin::kCompiled;
    return result;
  }

  bool loaded() {
    std::lock_guard<std::mutex> lock(loaded_mu_);
    return loaded_;
  }

 private:
  // A verified entry -> running code: our loader first (no LLVM); if it refuses the object (a relocation
  // it does not know), ORC links the same bytes.
  absl::StatusOr<std::shared_ptr<const CompiledGraph>> load_entry(const cache::Entry& entry, const GeneratedGraph& gen,
                                                                  const Plan& plan,
                                                                  std::vector<Tensor>& packed,
                                                                  const std::vector<HostSymbol>& symbols,
                                                                  const std::string& where,
                                                                  std::chrono::steady_clock::time_point t0) {
    if (entry.source != gen.source) {
      return absl::DataLossError("its generated source differs from this process's (an incomplete key?)");
    }
    absl::StatusOr<std::unique_ptr<LoadedObject>> object =
        load_object(entry.object.data(), entry.object.size(), gen.entry, symbols);
    if (object.ok()) {
      const sofie_graph_fn fn = reinterpret_cast<sofie_graph_fn>((*object)->entry());
      auto compiled = std::make_shared<CachedCompiled>(std::move(*object), std::move(packed));
      compiled->entry = fn;
      fill(compiled.get(), plan, gen, entry.object.size());
      compiled->compile_ms = ms_since(t0);
      return std::shared_ptr<const CompiledGraph>(std::move(compiled));
    }
    if (absl::IsInvalidArgument(object.status())) return object.status();  // malformed: never ORC either
    absl::StatusOr<const CompilerLibrary*> lib = library();
    if (!lib.ok()) return object.status();
    std::vector<sofie_jit_symbol> jit_symbols;
    for (const HostSymbol& s : symbols) jit_symbols.push_back({s.name.c_str(), const_cast<void*>(s.address)});
    sofie_jit_options options{};
    options.opt_level = kOptLevel;
    options.symbols = jit_symbols.data();
    options.num_symbols = jit_symbols.size();
    sofie_jit_module* module = nullptr;
    void* fn = nullptr;
    char* error = nullptr;
    if ((*lib)->jit_load_object(entry.object.data(), entry.object.size(), gen.entry.c_str(), &options, &module, &fn,
                                &error) != 0) {
      std::string message = absl::StrCat(object.status().message(), "; ORC: ", error != nullptr ? error : "failed");
      (*lib)->jit_free(error);
      return absl::DataLossError(message);
    }
    static std::once_flag noted;
    std::call_once(noted, [&] {
      std::fprintf(stderr, "sofie: cache: %s loaded through LLVM (%s)\n", where.c_str(),
                   std::string(object.status().message()).c_str());
    });
    auto compiled = std::make_shared<OrcCompiled>(*lib, module, std::move(packed));
    compiled->entry = reinterpret_cast<sofie_graph_fn>(fn);
    fill(compiled.get(), plan, gen, entry.object.size());
    compiled->compile_ms = ms_since(t0);
    return std::shared_ptr<const CompiledGraph>(std::move(compiled));
  }

  // Loaded once, on the first compile; a failure is remembered and reported each time.
  absl::StatusOr<const CompilerLibrary*> library() {
    std::call_once(once_, [this] {
      std::string errors;
      for (const std::string& path : candidate_paths()) {
        if (!exists(path)) continue;
        std::string error;
        if (LoadCompilerLibrary(path, &lib_, &error)) {
          status_ = absl::OkStatus();
          std::lock_guard<std::mutex> lock(loaded_mu_);
          loaded_ = true;
          return;
        }
        absl::StrAppend(&errors, "; ", path, ": ", error);
      }
      status_ = absl::NotFoundError(absl::StrCat("cannot load the JIT compiler library ", SOFIE_COMPILER_LIBRARY_NAME,
                                                 " (set SOFIE_COMPILER_LIBRARY)", errors));
    });
    if (!status_.ok()) return status_;
    return &lib_;
  }

  std::once_flag once_;
  absl::Status status_ = absl::UnknownError("not loaded");
  CompilerLibrary lib_;
  std::mutex loaded_mu_;
  bool loaded_ = false;
};

ClangJitProvider* provider() {
  static ClangJitProvider* p = new ClangJitProvider();
  return p;
}

const bool registered = [] {
  register_jit_provider(provider());
  return true;
}();

}  // namespace

const char* code_origin_name(CodeOrigin origin) {
  switch (origin) {
    case CodeOrigin::kCompiled: return "compiled";
    case CodeOrigin::kShared: return "shared";
    case CodeOrigin::kMemoryCache: return "memory cache";
    case CodeOrigin::kDiskCache: return "disk cache";
  }
  return "?";
}

absl::StatusOr<JitResult> compile_graph(const Graph& graph, const Plan& plan, const std::string& model_name) {
  return provider()->compile_with_cache(graph, plan, model_name);
}

cache::CompileIdentity host_compile_identity() {
  cache::CompileIdentity id;
  id.codegen_version = kCodegenVersion;
  id.kernel_abi_version = SOFIE_KERNEL_ABI_VERSION;
  id.compiled_abi_version = SOFIE_COMPILED_ABI_VERSION;
  id.compiler = compiler_identity();
  id.cpu = cache::host_cpu_fingerprint();
  id.options = absl::StrCat("opt=", kOptLevel, " cpu=host");
  return id;
}

cache::CacheKey cache_key(const Graph& graph, const Plan& plan) {
  return cache::make_key(graph, plan, host_compile_identity());
}

cache::CodeCache& code_cache() { return cache::CodeCache::process(); }

void set_cache_options(const cache::CacheOptions& options) { cache::CodeCache::configure_process(options); }

bool compiler_loaded() { return provider()->loaded(); }

}  // namespace sofie::jit
