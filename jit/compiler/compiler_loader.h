// Loads libsofie_compiler.so at run time (dlopen) and resolves the functions of sofie_compiler.h.
// Links no LLVM: the cost of mapping LLVM and clang is paid on the first LoadCompilerLibrary only.
#ifndef SOFIE_JIT_COMPILER_COMPILER_LOADER_H_
#define SOFIE_JIT_COMPILER_COMPILER_LOADER_H_

#include <string>

#include "jit/compiler/sofie_compiler.h"

namespace sofie::jit {

// The library's functions, named as in sofie_compiler.h without the "sofie_" prefix.
struct CompilerLibrary {
  void* handle = nullptr;  // from dlopen; never closed
  decltype(&::sofie_compiler_abi_version) compiler_abi_version = nullptr;
  decltype(&::sofie_jit_compile) jit_compile = nullptr;
  decltype(&::sofie_jit_load_object) jit_load_object = nullptr;
  decltype(&::sofie_jit_free_module) jit_free_module = nullptr;
  decltype(&::sofie_jit_free) jit_free = nullptr;
  decltype(&::sofie_jit_host_cpu) jit_host_cpu = nullptr;
  decltype(&::sofie_jit_host_features) jit_host_features = nullptr;
  decltype(&::sofie_jit_compiler_version) jit_compiler_version = nullptr;
};

// dlopens `path` (RTLD_NOW | RTLD_LOCAL, so LLVM's symbols stay out of the process's global scope),
// resolves every function and checks that the library's ABI version is SOFIE_COMPILER_ABI_VERSION.
// On failure returns false and says why in *out_error (the dlerror text, the missing symbol, or both
// versions). The library is never unloaded: LLVM keeps static state that does not survive dlclose, and a
// second load of the same path returns the same mapping at no cost.
bool LoadCompilerLibrary(const std::string& path, CompilerLibrary* out_library, std::string* out_error);

}  // namespace sofie::jit

#endif  // SOFIE_JIT_COMPILER_COMPILER_LOADER_H_
