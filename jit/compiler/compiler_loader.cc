#include "jit/compiler/compiler_loader.h"

#include <dlfcn.h>

namespace sofie::jit {
namespace {

template <typename Fn>
bool Resolve(void* handle, const char* name, Fn* out_fn, std::string* out_error) {
  void* address = dlsym(handle, name);
  if (address == nullptr) {
    *out_error = std::string("libsofie_compiler.so has no symbol ") + name;
    return false;
  }
  *out_fn = reinterpret_cast<Fn>(address);
  return true;
}

}  // namespace

bool LoadCompilerLibrary(const std::string& path, CompilerLibrary* out_library, std::string* out_error) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = dlerror();
    *out_error = "cannot load the JIT compiler " + path + ": " + (reason != nullptr ? reason : "unknown error");
    return false;
  }
  CompilerLibrary library;
  library.handle = handle;
  if (!Resolve(handle, "sofie_compiler_abi_version", &library.compiler_abi_version, out_error) ||
      !Resolve(handle, "sofie_jit_compile", &library.jit_compile, out_error) ||
      !Resolve(handle, "sofie_jit_load_object", &library.jit_load_object, out_error) ||
      !Resolve(handle, "sofie_jit_free_module", &library.jit_free_module, out_error) ||
      !Resolve(handle, "sofie_jit_free", &library.jit_free, out_error) ||
      !Resolve(handle, "sofie_jit_host_cpu", &library.jit_host_cpu, out_error) ||
      !Resolve(handle, "sofie_jit_host_features", &library.jit_host_features, out_error) ||
      !Resolve(handle, "sofie_jit_compiler_version", &library.jit_compiler_version, out_error)) {
    return false;
  }
  int version = library.compiler_abi_version();
  if (version != SOFIE_COMPILER_ABI_VERSION) {
    *out_error = path + " implements compiler ABI version " + std::to_string(version) + ", this program needs " +
                 std::to_string(SOFIE_COMPILER_ABI_VERSION);
    return false;
  }
  *out_library = library;
  return true;
}

}  // namespace sofie::jit
