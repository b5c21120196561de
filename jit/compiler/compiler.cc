// The C interface of libsofie_compiler.so (sofie_compiler.h) over clang_frontend and OrcJit.
// Built with -fvisibility=hidden: the functions of the header are the only symbols the library exports.

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#pragma GCC visibility push(default)
#include "jit/compiler/sofie_compiler.h"
#pragma GCC visibility pop

#include "jit/compiler/clang_frontend.h"
#include "jit/compiler/orc_jit.h"
#include "jit/compiler/target.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

struct sofie_jit_module {
  std::unique_ptr<sofie::jit::OrcJit> jit;
};

namespace {

using sofie::jit::HostSymbol;
using sofie::jit::JitTarget;
using sofie::jit::OrcJit;

char* MallocString(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy != nullptr) std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

int Fail(int status, const std::string& message, char** out_error) {
  if (out_error != nullptr) *out_error = MallocString(message);
  return status;
}

int Fail(int status, const std::string& context, llvm::Error error, char** out_error) {
  return Fail(status, context + ": " + llvm::toString(std::move(error)), out_error);
}

// The target of a compile: the host when options->cpu is NULL, else that CPU with its default features.
bool ResolveTarget(const sofie_jit_options* options, JitTarget* out_target, std::string* out_error) {
  const JitTarget& host = sofie::jit::HostTarget();
  *out_target = host;
  out_target->opt_level = 2;
  if (options == nullptr) return true;
  if (options->opt_level < 0 || options->opt_level > 3) {
    *out_error = "opt_level must be 0, 1, 2 or 3, not " + std::to_string(options->opt_level);
    return false;
  }
  out_target->opt_level = options->opt_level;
  if (options->cpu != nullptr) {
    if (options->cpu[0] == '\0') {
      *out_error = "cpu is an empty string (NULL selects the host CPU)";
      return false;
    }
    out_target->cpu = options->cpu;
    out_target->features.clear();
  }
  return true;
}

bool ResolveSymbols(const sofie_jit_options* options, std::vector<HostSymbol>* out_symbols, std::string* out_error) {
  if (options == nullptr || options->num_symbols == 0) return true;
  if (options->symbols == nullptr) {
    *out_error = "symbols is NULL but num_symbols is " + std::to_string(options->num_symbols);
    return false;
  }
  for (size_t i = 0; i < options->num_symbols; ++i) {
    const sofie_jit_symbol& symbol = options->symbols[i];
    if (symbol.name == nullptr || symbol.name[0] == '\0') {
      *out_error = "symbols[" + std::to_string(i) + "] has no name";
      return false;
    }
    out_symbols->push_back({symbol.name, symbol.address});
  }
  return true;
}

// Creates the JIT, lets `add` put code into it, looks up `entry` and hands both out.
template <typename AddFn>
int LinkAndLookup(const JitTarget& target, const std::vector<HostSymbol>& symbols, const char* entry, int add_status,
                  AddFn add, sofie_jit_module** out_module, void** out_entry, char** out_error) {
  auto jit = OrcJit::Create(target, symbols);
  if (!jit) return Fail(SOFIE_JIT_LINK_ERROR, "cannot create the JIT", jit.takeError(), out_error);
  if (llvm::Error error = add(**jit)) {
    return Fail(add_status, add_status == SOFIE_JIT_COMPILE_ERROR ? "code generation failed" : "cannot add the object",
                std::move(error), out_error);
  }
  auto address = (*jit)->Lookup(entry);
  if (!address) {
    return Fail(SOFIE_JIT_LINK_ERROR, std::string("cannot link entry point '") + entry + "'", address.takeError(),
                out_error);
  }
  auto module = std::make_unique<sofie_jit_module>();
  module->jit = std::move(*jit);
  *out_module = module.release();
  *out_entry = *address;
  return SOFIE_JIT_OK;
}

int Compile(const char* source, size_t source_size, const char* entry, const sofie_jit_options* options,
            sofie_jit_module** out_module, void** out_entry, void** out_object, size_t* out_object_size,
            char** out_error) {
  if (source == nullptr && source_size != 0) return Fail(SOFIE_JIT_INVALID_ARGUMENT, "source is NULL", out_error);
  if (entry == nullptr || entry[0] == '\0') return Fail(SOFIE_JIT_INVALID_ARGUMENT, "entry is empty", out_error);
  if (out_module == nullptr || out_entry == nullptr) {
    return Fail(SOFIE_JIT_INVALID_ARGUMENT, "out_module and out_entry must not be NULL", out_error);
  }
  if (out_object != nullptr && out_object_size == nullptr) {
    return Fail(SOFIE_JIT_INVALID_ARGUMENT, "out_object is given without out_object_size", out_error);
  }
  JitTarget target;
  std::vector<HostSymbol> symbols;
  std::string invalid;
  if (!ResolveTarget(options, &target, &invalid) || !ResolveSymbols(options, &symbols, &invalid)) {
    return Fail(SOFIE_JIT_INVALID_ARGUMENT, invalid, out_error);
  }
  sofie::jit::InitializeLlvmOnce();

  llvm::LLVMContext context;
  auto module = sofie::jit::CompileCxxToModule(context, llvm::StringRef(source, source_size), target);
  if (!module) return Fail(SOFIE_JIT_COMPILE_ERROR, llvm::toString(module.takeError()), out_error);

  std::string object;
  int status = LinkAndLookup(
      target, symbols, entry, SOFIE_JIT_COMPILE_ERROR,
      [&](OrcJit& jit) { return jit.AddModule(**module, out_object != nullptr ? &object : nullptr); }, out_module,
      out_entry, out_error);
  if (status != SOFIE_JIT_OK || out_object == nullptr) return status;

  void* bytes = std::malloc(object.size());
  if (bytes == nullptr) {
    sofie_jit_free_module(*out_module);
    *out_module = nullptr;
    *out_entry = nullptr;
    return Fail(SOFIE_JIT_LINK_ERROR, "out of memory copying the object file", out_error);
  }
  std::memcpy(bytes, object.data(), object.size());
  *out_object = bytes;
  *out_object_size = object.size();
  return SOFIE_JIT_OK;
}

int LoadObject(const void* object, size_t object_size, const char* entry, const sofie_jit_options* options,
               sofie_jit_module** out_module, void** out_entry, char** out_error) {
  if (object == nullptr || object_size == 0) return Fail(SOFIE_JIT_INVALID_ARGUMENT, "object is empty", out_error);
  if (entry == nullptr || entry[0] == '\0') return Fail(SOFIE_JIT_INVALID_ARGUMENT, "entry is empty", out_error);
  if (out_module == nullptr || out_entry == nullptr) {
    return Fail(SOFIE_JIT_INVALID_ARGUMENT, "out_module and out_entry must not be NULL", out_error);
  }
  std::vector<HostSymbol> symbols;
  std::string invalid;
  if (!ResolveSymbols(options, &symbols, &invalid)) return Fail(SOFIE_JIT_INVALID_ARGUMENT, invalid, out_error);

  // The object's own code fixed CPU and optimisation; the target machine of this JIT generates nothing.
  const JitTarget& target = sofie::jit::HostTarget();
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(static_cast<const char*>(object), object_size), "<jit-object>");
  return LinkAndLookup(
      target, symbols, entry, SOFIE_JIT_LINK_ERROR, [&](OrcJit& jit) { return jit.AddObject(std::move(buffer)); },
      out_module, out_entry, out_error);
}

void ClearOutputs(sofie_jit_module** out_module, void** out_entry, void** out_object, size_t* out_object_size,
                  char** out_error) {
  if (out_module != nullptr) *out_module = nullptr;
  if (out_entry != nullptr) *out_entry = nullptr;
  if (out_object != nullptr) *out_object = nullptr;
  if (out_object_size != nullptr) *out_object_size = 0;
  if (out_error != nullptr) *out_error = nullptr;
}

// Nothing may unwind out of the C interface (std::bad_alloc from a huge source, say).
template <typename Fn>
int Guarded(char** out_error, Fn fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Fail(SOFIE_JIT_LINK_ERROR, std::string("internal error: ") + e.what(), out_error);
  } catch (...) {
    return Fail(SOFIE_JIT_LINK_ERROR, "internal error: unknown exception", out_error);
  }
}

}  // namespace

extern "C" {

int sofie_compiler_abi_version(void) { return SOFIE_COMPILER_ABI_VERSION; }

int sofie_jit_compile(const char* source, size_t source_size, const char* entry, const sofie_jit_options* options,
                      sofie_jit_module** out_module, void** out_entry, void** out_object, size_t* out_object_size,
                      char** out_error) {
  ClearOutputs(out_module, out_entry, out_object, out_object_size, out_error);
  return Guarded(out_error, [&] {
    return Compile(source, source_size, entry, options, out_module, out_entry, out_object, out_object_size,
                   out_error);
  });
}

int sofie_jit_load_object(const void* object, size_t object_size, const char* entry, const sofie_jit_options* options,
                          sofie_jit_module** out_module, void** out_entry, char** out_error) {
  ClearOutputs(out_module, out_entry, nullptr, nullptr, out_error);
  return Guarded(out_error,
                 [&] { return LoadObject(object, object_size, entry, options, out_module, out_entry, out_error); });
}

void sofie_jit_free_module(sofie_jit_module* module) { delete module; }

void sofie_jit_free(void* p) { std::free(p); }

const char* sofie_jit_host_cpu(void) { return sofie::jit::HostTarget().cpu.c_str(); }

const char* sofie_jit_host_features(void) {
  static const std::string features = sofie::jit::JoinFeatures(sofie::jit::HostTarget().features);
  return features.c_str();
}

const char* sofie_jit_compiler_version(void) { return "LLVM " LLVM_VERSION_STRING; }

}  // extern "C"
