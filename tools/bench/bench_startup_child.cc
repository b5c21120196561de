// The measured process of //tools/bench:bench_startup: loads one model, runs its first inference (and a
// second one), and prints, as "name=value" lines, CLOCK_MONOTONIC after each (the parent took it before
// fork), the peak RSS at the first inference, where the code came from, and whether LLVM got mapped.
//
//   bench_startup_child MODEL INPUT.pb CACHE_DIR TIER     (TIER: jit or interp)
#include <time.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "jit/jit_provider.h"
#include "runtime/model.h"
#include "runtime/tensor_io.h"

namespace {

long long monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string status_field(const char* name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) == 0) {
      std::istringstream s(line.substr(std::strlen(name) + 1));
      std::string kb;
      s >> kb;
      return kb;
    }
  }
  return "0";
}

bool llvm_mapped() {
  std::ifstream in("/proc/self/maps");
  std::stringstream s;
  s << in.rdbuf();
  const std::string maps = s.str();
  return maps.find("libLLVM") != std::string::npos || maps.find("libclang") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: bench_startup_child MODEL INPUT.pb CACHE_DIR jit|interp\n");
    return 2;
  }
  sofie::cache::CacheOptions cache;
  cache.dir = argv[3];
  sofie::jit::set_cache_options(cache);
  sofie::LoadOptions options;
  options.tier = std::strcmp(argv[4], "interp") == 0 ? sofie::Tier::kInterp : sofie::Tier::kJit;
  auto model = sofie::Model::try_load(argv[1], options);
  auto input = sofie::read_tensor_file(argv[2]);
  if (!model.ok() || !input.ok()) {
    std::fprintf(stderr, "cannot load the model or its input\n");
    return 1;
  }
  std::vector<sofie::TensorView> inputs = {input->tensor.view()};
  auto first = model->try_infer(inputs);
  const long long t_first = monotonic_ns();
  const std::string hwm_first = status_field("VmHWM:");
  auto second = model->try_infer(inputs);
  const long long t_second = monotonic_ns();
  if (!first.ok() || !second.ok()) {
    std::fprintf(stderr, "inference failed\n");
    return 1;
  }
  const auto stats = sofie::jit::code_cache().stats();
  const char* origin = stats.disk_hits > 0 ? "disk" : stats.misses > 0 ? "compiled" : "none";
  std::printf("first_ns=%lld\nsecond_ns=%lld\nhwm_kb=%s\nhwm_end_kb=%s\norigin=%s\nllvm=%d\nstate=%s\n", t_first,
              t_second, hwm_first.c_str(), status_field("VmHWM:").c_str(), origin, llvm_mapped() ? 1 : 0,
              model->tier_stats().state.c_str());
  return 0;
}
