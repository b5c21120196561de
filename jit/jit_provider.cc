// The JIT tier's provider: generated C++ (jit/codegen.h) compiled by libsofie_compiler.so, which is
// dlopened on the first compile only (a process that never compiles never maps LLVM or clang).
// Linking //jit registers it with the runtime (runtime/tiering.h).
#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "jit/codegen.h"
#include "jit/compiler/compiler_loader.h"
#include "ops/kernels/sofie_kernels.h"
#include "runtime/graph.h"
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
  if (const char* env = std::getenv("SOFIE_COMPILER_LIBRARY")) out.push_back(env);
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

class Compiled : public CompiledGraph {
 public:
  Compiled(const CompilerLibrary* lib, sofie_jit_module* module, std::vector<std::vector<float>> packed)
      : lib_(lib), module_(module), packed_(std::move(packed)) {}
  ~Compiled() override { lib_->jit_free_module(module_); }

 private:
  const CompilerLibrary* lib_;
  sofie_jit_module* module_;
  std::vector<std::vector<float>> packed_;  // read by the code: freed after it
};

class ClangJitProvider : public JitProvider {
 public:
  absl::StatusOr<std::shared_ptr<const CompiledGraph>> compile(const Graph& graph, const Plan& plan) override {
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<GeneratedGraph> gen = generate(graph, plan);
    if (!gen.ok()) return gen.status();
    absl::StatusOr<const CompilerLibrary*> lib = library();
    if (!lib.ok()) return lib.status();

    // Constants the code wants transposed: made once here, owned by the compiled graph.
    std::vector<std::vector<float>> packed;
    std::vector<sofie_jit_symbol> symbols;
    for (const PackedConstant& pc : gen->packed) {
      const Value& value = graph.value(pc.value);
      if (!value.constant || value.constant->dtype() != DType::kFloat32 ||
          value.constant->numel() != pc.rows * pc.cols) {
        return absl::InternalError(absl::StrCat("packed constant ", pc.symbol, " does not match value ", pc.value));
      }
      const float* src = value.constant->data_as<float>();
      std::vector<float> t(static_cast<size_t>(pc.rows * pc.cols));
      for (int64_t r = 0; r < pc.rows; ++r) {
        for (int64_t c = 0; c < pc.cols; ++c) t[c * pc.rows + r] = src[r * pc.cols + c];
      }
      packed.push_back(std::move(t));
      symbols.push_back({pc.symbol.c_str(), packed.back().data()});
    }
    for (const std::string& name : gen->host_symbols) {
      void* address = kernel_symbol(name);
      if (address == nullptr) return absl::InternalError(absl::StrCat("generated code calls unknown '", name, "'"));
      symbols.push_back({name.c_str(), address});
    }
    sofie_jit_options options{};
    options.opt_level = 2;
    options.symbols = symbols.data();
    options.num_symbols = symbols.size();
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
    (*lib)->jit_free(object);
    auto compiled = std::make_shared<Compiled>(*lib, module, std::move(packed));
    compiled->entry = reinterpret_cast<sofie_graph_fn>(entry);
    compiled->steps_hash = plan.steps_hash();
    compiled->code_bytes = object_size;
    compiled->emitted_steps = gen->emitted_steps;
    compiled->fallback_steps = gen->fallback_steps;
    compiled->compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return std::shared_ptr<const CompiledGraph>(std::move(compiled));
  }

 private:
  static void* kernel_symbol(const std::string& name) {
    if (name == "sofie_gemm_f32") return reinterpret_cast<void*>(&sofie_gemm_f32);
    if (name == "sofie_gemv_f32") return reinterpret_cast<void*>(&sofie_gemv_f32);
    if (name == "sofie_sigmoid_f32") return reinterpret_cast<void*>(&sofie_sigmoid_f32);
    if (name == "sofie_tanh_f32") return reinterpret_cast<void*>(&sofie_tanh_f32);
    if (name == "sofie_exp_f32") return reinterpret_cast<void*>(&sofie_exp_f32);
    return nullptr;
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
}  // namespace sofie::jit
