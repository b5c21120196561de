/* sofie's JIT compiler: C++ source in, callable native code out.
 *
 * This is the whole interface of libsofie_compiler.so, the shared object that holds clang and LLVM. The
 * `sofie` binary and its libraries do not link it: mapping libLLVM + libclang-cpp costs ~110 ms and ~100 MB,
 * so a process that never compiles must never pay that. Whoever needs a compile dlopens the library and
 * looks up these functions by name (dlsym), after checking sofie_compiler_abi_version().
 *
 * Rules of the interface:
 *   - C linkage, no LLVM or clang types; this header includes only <stddef.h>.
 *   - Every function returns errors as values: an int status (SOFIE_JIT_OK == 0 on success) plus a message
 *     the caller frees with sofie_jit_free. Nothing aborts or throws across this boundary on bad input.
 *   - Everything returned is owned by the caller: modules are freed with sofie_jit_free_module, strings and
 *     object bytes with sofie_jit_free.
 *   - Any change to a signature or to the meaning of an argument bumps SOFIE_COMPILER_ABI_VERSION.
 *
 * Thread safety: all functions may be called from any number of threads at once. Each compile uses its own
 * clang instance, LLVMContext and JIT session; modules are independent of each other.
 *
 * What the compiled source may use: one translation unit, C++17, no headers at all (there is no include
 * path: -nostdsysteminc -nobuiltininc), compiled with -fno-exceptions -fno-rtti -ffp-contract=fast and
 * without math errno. Use __builtin_* (e.g. __builtin_expf, which becomes a call to libm's expf) and
 * extern "C" prototypes of host functions, which are resolved first from sofie_jit_options::symbols and
 * then from the libraries already loaded into the process (libc, libm). Static constructors (a global
 * initialised by running code) are rejected: an object loaded from the cache could not run them.
 */
#ifndef SOFIE_JIT_COMPILER_SOFIE_COMPILER_H_
#define SOFIE_JIT_COMPILER_SOFIE_COMPILER_H_

#include <stddef.h>

#define SOFIE_COMPILER_ABI_VERSION 1

/* Name of the shared object, for dlopen. */
#define SOFIE_COMPILER_LIBRARY_NAME "libsofie_compiler.so"

/* Status codes. A caller that tiers code may treat SOFIE_JIT_COMPILE_ERROR as "this source will never
 * compile" (blacklist it) and the others as failures of this attempt. */
#define SOFIE_JIT_OK 0
#define SOFIE_JIT_INVALID_ARGUMENT 1 /* a NULL pointer, an unknown opt_level, ... */
#define SOFIE_JIT_COMPILE_ERROR 2    /* clang rejected the source (the message holds its diagnostics), or
                                        code generation refused it (e.g. static constructors) */
#define SOFIE_JIT_LINK_ERROR 3       /* linking (e.g. an unresolved symbol, a malformed object) or the lookup
                                        of the entry point failed; also out of memory */

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque: owns JIT-linked code (its own ORC session and memory). The code stays valid until
 * sofie_jit_free_module. */
typedef struct sofie_jit_module sofie_jit_module;

/* A host function (or variable) the generated code may reference by `name` (its unmangled, extern "C"
 * symbol name). */
typedef struct {
  const char* name;
  void* address;
} sofie_jit_symbol;

typedef struct {
  /* 2 or 3 (normally): the clang -O level and the code generator's level (Default / Aggressive). 0 and 1
   * are accepted too; 0 means no optimisation and no vectorisation (for tests and reference timings). */
  int opt_level;
  /* Target CPU name as LLVM spells it ("znver4", "x86-64-v3", ...). NULL targets the host: the CPU named by
   * sofie_jit_host_cpu() with the features of sofie_jit_host_features(). A non-NULL name targets that CPU
   * with its default features only, e.g. to make objects that run on any x86-64-v3 machine. */
  const char* cpu;
  /* Host symbols, looked up before the process's libraries. May be NULL when num_symbols == 0. The array
   * and the names need only live during the call. */
  const sofie_jit_symbol* symbols;
  size_t num_symbols;
} sofie_jit_options;

/* SOFIE_COMPILER_ABI_VERSION as the library was built; a caller refuses a library that differs. */
int sofie_compiler_abi_version(void);

/* Compiles `source` (source_size bytes, need not be NUL-terminated) as one C++ translation unit, JIT-links
 * it and looks up `entry` (an extern "C" function name).
 * On success returns SOFIE_JIT_OK and sets *out_module, *out_entry (the function's address) and, when
 * out_object is not NULL, *out_object / *out_object_size to a malloc'd copy of the compiled object file
 * (ELF, relocatable) for a cache; the bytes can be given to sofie_jit_load_object later.
 * On failure returns a nonzero status, sets the outputs to NULL / 0 and, when out_error is not NULL,
 * *out_error to a malloc'd, NUL-terminated message; for SOFIE_JIT_COMPILE_ERROR it holds clang's
 * diagnostics ("<jit-source>:LINE:COL: error: ..."). On success *out_error is set to NULL.
 * `options` may be NULL: opt_level 2, host CPU, no host symbols. */
int sofie_jit_compile(const char* source, size_t source_size, const char* entry, const sofie_jit_options* options,
                      sofie_jit_module** out_module, void** out_entry, void** out_object, size_t* out_object_size,
                      char** out_error);

/* Links an object file returned by sofie_jit_compile (e.g. read back from a cache) without clang and looks
 * up `entry`. options->opt_level and options->cpu are ignored (the object fixed them); options->symbols
 * are used as in sofie_jit_compile. Outputs and errors as for sofie_jit_compile. The object bytes are
 * copied: the caller may free them as soon as this returns. The caller must only load objects built for a
 * CPU the host supports (the cache key holds the CPU name and features). */
int sofie_jit_load_object(const void* object, size_t object_size, const char* entry, const sofie_jit_options* options,
                          sofie_jit_module** out_module, void** out_entry, char** out_error);

/* Frees the module's code and memory; its entry points must no longer be running or called. NULL is a
 * no-op. */
void sofie_jit_free_module(sofie_jit_module* module);

/* Frees a string or object buffer returned above. NULL is a no-op. */
void sofie_jit_free(void* p);

/* The CPU name and the feature string ("+avx2,+fma,-avx512fp16,...", sorted) that compiles with cpu == NULL
 * target; static storage, for cache keys. */
const char* sofie_jit_host_cpu(void);
const char* sofie_jit_host_features(void);

/* The compiler's identity for cache keys, e.g. "LLVM 16.0.6": object code differs between versions.
 * Static storage. */
const char* sofie_jit_compiler_version(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SOFIE_JIT_COMPILER_SOFIE_COMPILER_H_ */
