// The JIT tier's entry points beyond the runtime's JitProvider interface: compiling a graph for a plan
// through the compiled-code cache (cache/), with where the code came from, for the warmup tool, tests
// and benchmarks. The provider that the runtime calls (registered when //jit is linked) goes through
// the same path.
//
// Where code comes from, cheapest first:
//   shared     the same key is already loaded in this process (another model or session): no work;
//   memory     an entry kept in memory (the disk could not be written): loaded by jit/object_loader;
//   disk       an entry of the on-disk cache, verified (full key, checksums, same generated source) and
//              loaded by jit/object_loader, without LLVM or clang in the process;
//   compiled   generated, compiled by clang in libsofie_compiler.so (dlopened on first use), stored.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cache/code_cache.h"
#include "cache/key.h"
#include "runtime/graph.h"
#include "runtime/plan.h"
#include "runtime/tiering.h"

namespace sofie::jit {

enum class CodeOrigin { kCompiled, kShared, kMemoryCache, kDiskCache };
const char* code_origin_name(CodeOrigin origin);  // "compiled", "shared", "memory cache", "disk cache"

struct JitResult {
  std::shared_ptr<const CompiledGraph> code;
  CodeOrigin origin = CodeOrigin::kCompiled;
  std::string key;  // the cache key digest, hex
};

// Code for plans shaped like `plan`, from the process's cache or compiled (and then stored). `model_name`
// labels a new cache entry (default: the graph's name).
absl::StatusOr<JitResult> compile_graph(const Graph& graph, const Plan& plan, const std::string& model_name = "");

// What the code of this process would be compiled for (versions, compiler, host CPU, options).
cache::CompileIdentity host_compile_identity();
// The cache key compile_graph uses.
cache::CacheKey cache_key(const Graph& graph, const Plan& plan);

// The process's cache (cache::CodeCache::process()) and the API override of its options (directory,
// read-only, size cap); call before the first compile.
cache::CodeCache& code_cache();
void set_cache_options(const cache::CacheOptions& options);

// True when LLVM or clang are mapped into this process (the compiler library was loaded).
bool compiler_loaded();

}  // namespace sofie::jit
