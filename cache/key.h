// Cache keys for compiled code: everything the object code of a compiled graph depends on, written as
// canonical bytes and hashed with XXH3-128.
//
// The key bytes are
//   a text header ("sofie-cache-key 1", the codegen, kernel-ABI and compiled-ABI versions, the compiler,
//   the target CPU and the compile options, one "name=value" line each, then a NUL), followed by
//   the canonical graph (opsets, every value with dtype, symbolic shape, role and, for constants, dtype,
//   dims and the XXH3-128 of their bytes; every node with op, domain, opset, name, inputs, outputs and
//   attributes; subgraphs recursively; graph inputs and outputs), followed by
//   the plan structure (steps_hash, the steps' nodes, and per value: dtype, storage, rank, alias and input
//   position, no dims: code generation turns only the graph's static dims and its constants' dims, both in
//   the graph part, into literals; for a plan with a fixed layout, every arena offset, which the code uses
//   as literals too).
// Dims that are symbolic in the graph are NOT in the key: one entry serves every batch size.
// The header is readable (`sofie cache list` shows the CPU of each entry; a foreign CPU is recognised).
// Entries store the full key bytes, so a hit compares them all, not only the 128-bit digest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sofie {
class Graph;
class Plan;
}  // namespace sofie

namespace sofie::cache {

struct Digest128 {
  uint64_t low = 0, high = 0;
  bool operator==(const Digest128& o) const { return low == o.low && high == o.high; }
  bool operator!=(const Digest128& o) const { return !(*this == o); }
  // 32 lowercase hex digits, high word first.
  std::string hex() const;
};

Digest128 hash128(const void* data, size_t size);
inline Digest128 hash128(const std::string& s) { return hash128(s.data(), s.size()); }
uint64_t hash64(const void* data, size_t size);

// What produced the machine code, besides the graph and plan.
struct CompileIdentity {
  int codegen_version = 0;       // jit::kCodegenVersion
  int kernel_abi_version = 0;    // SOFIE_KERNEL_ABI_VERSION
  int compiled_abi_version = 0;  // SOFIE_COMPILED_ABI_VERSION
  std::string compiler;          // "LLVM 16.0.6, compiler ABI 1"
  std::string cpu;               // host_cpu_fingerprint() for host-tuned code, else the named target CPU
  std::string options;           // compile options, canonical text ("opt=2")
};

// The host CPU as the compiler sees it, without asking the compiler (no LLVM mapped): the CPUID vendor,
// family and model, and every feature word LLVM derives its CPU name and feature list from (leaves 1, 7.0,
// 7.1, 0x80000001, and the OS-enabled register state XCR0). Equal fingerprints imply equal
// sys::getHostCPUName/getHostCPUFeatures; the stepping and core ids are left out.
const std::string& host_cpu_fingerprint();

struct CacheKey {
  std::string bytes;
  Digest128 digest;  // hash128(bytes)
  std::string hex() const { return digest.hex(); }
};

// The canonical bytes of a graph (see above); deterministic across processes and machines.
std::string canonical_graph_bytes(const Graph& graph);
// The canonical bytes of a plan's structure.
std::string canonical_plan_bytes(const Plan& plan);
CacheKey make_key(const Graph& graph, const Plan& plan, const CompileIdentity& identity);

// Reads a "name=value" line of a key's text header ("" when absent or malformed).
std::string key_header_field(const std::string& key_bytes, const std::string& name);

// A readable description of the plan's shape class: every graph input with its plan dims, symbolic dims
// by name ("input[batch,7]"), since the code serves every value of those.
std::string shape_class(const Graph& graph, const Plan& plan);

}  // namespace sofie::cache
