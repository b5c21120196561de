// The machine a compile targets (triple, CPU, features, optimisation level), and LLVM's one-time
// initialisation. Internal to jit/compiler/.
#ifndef SOFIE_JIT_COMPILER_TARGET_H_
#define SOFIE_JIT_COMPILER_TARGET_H_

#include <string>
#include <vector>

namespace sofie::jit {

struct JitTarget {
  std::string triple;                 // e.g. "x86_64-pc-linux-gnu"
  std::string cpu;                    // an LLVM CPU name clang accepts, e.g. "znver4"
  std::vector<std::string> features;  // "+avx2", "-avx512fp16", ...; empty = the CPU's defaults
  int opt_level = 2;                  // 0, 2 or 3
};

// Registers the native target, its asm printer and asm parser with LLVM. Idempotent and thread-safe;
// every entry point calls it first (without it clang builds no TargetMachine and the loop vectoriser has
// no cost model).
void InitializeLlvmOnce();

// The host as LLVM sees it, computed once. LLVM 16 does not know every CPU (Zen 5 reads as "generic",
// which clang rejects): an unknown host maps to "znver4" when AVX-512 is present, else "x86-64-v3"
// (or "x86-64" without AVX2); the host's real feature list is kept either way.
const JitTarget& HostTarget();

// The features joined with ',' in their (sorted) order, e.g. "+avx,+avx2,-avx512fp16".
std::string JoinFeatures(const std::vector<std::string>& features);

}  // namespace sofie::jit

#endif  // SOFIE_JIT_COMPILER_TARGET_H_
