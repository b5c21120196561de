#include "runtime/tiering.h"

#include <atomic>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sofie {

namespace {
std::atomic<JitProvider*> g_provider{nullptr};
}  // namespace

const char* tier_name(Tier tier) {
  switch (tier) {
    case Tier::kInterp: return "interp";
    case Tier::kAuto: return "auto";
    case Tier::kJit: return "jit";
  }
  return "interp";
}

absl::StatusOr<Tier> parse_tier(const std::string& name) {
  if (name == "interp") return Tier::kInterp;
  if (name == "auto") return Tier::kAuto;
  if (name == "jit") return Tier::kJit;
  return absl::InvalidArgumentError(absl::StrCat("unknown tier '", name, "' (expected interp, jit or auto)"));
}

void register_jit_provider(JitProvider* provider) { g_provider.store(provider, std::memory_order_release); }
JitProvider* jit_provider() { return g_provider.load(std::memory_order_acquire); }

}  // namespace sofie
