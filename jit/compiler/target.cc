#include "jit/compiler/target.h"

#include <algorithm>
#include <mutex>

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

namespace sofie::jit {

void InitializeLlvmOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

namespace {

JitTarget DetectHost() {
  JitTarget target;
  target.triple = llvm::sys::getProcessTriple();

  llvm::StringMap<bool> host_features;
  if (llvm::sys::getHostCPUFeatures(host_features)) {
    for (const auto& feature : host_features) {
      target.features.push_back((feature.getValue() ? "+" : "-") + feature.getKey().str());
    }
    // StringMap order is a hash order; sorting makes the feature string usable as a cache key.
    std::sort(target.features.begin(), target.features.end(),
              [](const std::string& a, const std::string& b) { return a.substr(1) < b.substr(1); });
  }
  auto has = [&](const char* name) {
    auto it = host_features.find(name);
    return it != host_features.end() && it->getValue();
  };

  target.cpu = llvm::sys::getHostCPUName().str();
  if (target.cpu.empty() || target.cpu == "generic") {
    // A CPU newer than this LLVM. znver4 gave the fastest generated loops on Zen 5 (see TOOLCHAIN.md).
    if (has("avx512f")) {
      target.cpu = "znver4";
    } else if (has("avx2") && has("fma")) {
      target.cpu = "x86-64-v3";
    } else {
      target.cpu = "x86-64";
    }
  }
  return target;
}

}  // namespace

const JitTarget& HostTarget() {
  static const JitTarget host = DetectHost();
  return host;
}

std::string JoinFeatures(const std::vector<std::string>& features) {
  std::string joined;
  for (const std::string& feature : features) {
    if (!joined.empty()) joined += ',';
    joined += feature;
  }
  return joined;
}

}  // namespace sofie::jit
