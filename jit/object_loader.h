// A small loader for x86-64 ELF relocatable objects (the `.o` files libsofie_compiler.so produces), so a
// process can run code from the compiled-code cache without mapping LLVM or clang.
//
// The object bytes are treated as untrusted: every header, offset, size, index and string is
// bounds-checked, and anything malformed or unsupported is an error value, never a crash or a write
// outside the loader's own mapping. What is supported is what clang emits for generated graphs
// (-fPIC, small code model): sections .text*, .rodata*, .data*, .bss* (.eh_frame and other
// non-allocated or unwind sections are skipped), local and global symbols, and the relocations
// R_X86_64_64, PC32, PC64, PLT32, GOTPCREL, GOTPCRELX, REX_GOTPCRELX, 32 and 32S. A GOT and call stubs
// are placed in the same mapping as the code, so 32-bit displacements to host functions always fit.
// Everything else (TLS, COMDAT-only tricks, constructors, other relocation types) is refused: the caller
// then falls back to linking with LLVM (or compiling again).
//
// External symbols resolve first from the caller's table (kernel-ABI functions, packed constants), then
// from the process (dlsym(RTLD_DEFAULT)) but only for a fixed allow-list of libc/libm functions (memcpy,
// memset, expf, ...): a cache entry can never make generated code call an arbitrary library function.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace sofie::jit {

struct HostSymbol {
  std::string name;
  const void* address = nullptr;
};

// Code and data of one loaded object; unmapped when destroyed (its functions must no longer run).
class LoadedObject {
 public:
  ~LoadedObject();
  LoadedObject(const LoadedObject&) = delete;
  LoadedObject& operator=(const LoadedObject&) = delete;

  void* entry() const { return entry_; }
  // Bytes mapped for code, data, GOT and stubs (page-rounded).
  size_t mapped_bytes() const { return size_; }

 private:
  friend absl::StatusOr<std::unique_ptr<LoadedObject>> load_object(const void*, size_t, const std::string&,
                                                                    absl::Span<const HostSymbol>);
  LoadedObject() = default;
  void* base_ = nullptr;
  size_t size_ = 0;
  void* entry_ = nullptr;
};

// Loads `object` (size bytes; copied, the caller keeps ownership), applies its relocations against
// `symbols` (then the allowed process functions), makes code read+execute and read-only data read-only,
// and looks up the global function `entry`.
absl::StatusOr<std::unique_ptr<LoadedObject>> load_object(const void* object, size_t size, const std::string& entry,
                                                          absl::Span<const HostSymbol> symbols);

// The libc/libm functions generated code may reference besides the caller's symbols.
bool is_allowed_process_symbol(const std::string& name);

}  // namespace sofie::jit
