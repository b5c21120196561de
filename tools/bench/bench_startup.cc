// Start-up with and without a warm compiled-code cache: for each model, fresh processes
// (bench_startup_child, fork + exec per measurement) run the first inference with
//   interp  the interpreter only (no JIT),
//   cold    the JIT tier and an empty cache (clang compiles, then stores),
//   warm    the JIT tier and a cache warmed by an earlier process (the object is loaded, no LLVM);
// and report the medians of the time from fork to the end of the first inference and to the end of the
// second (the first call served by compiled code under the JIT tier), and the peak RSS.
//
//   bazel run -c opt //tools/bench:bench_startup -- [--repeat N] [MODEL_DIR...]
// MODEL_DIR holds model.onnx and test_data_set_0/input_0.pb (default: the MLP and the VAE decoder).
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

long long monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string self_dir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string exe = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  return exe.substr(0, exe.find_last_of('/'));
}

std::string field(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

struct Sample {
  double first_ms = 0, second_ms = 0, hwm_mb = 0;
  std::string origin, llvm;
  bool ok = false;
};

Sample run_child(const std::string& child, const std::string& model_dir, const std::string& cache,
                 const std::string& tier) {
  Sample s;
  const std::string out_path = cache + ".out";
  const std::string model = model_dir + "/model.onnx", input = model_dir + "/test_data_set_0/input_0.pb";
  std::fflush(stdout);  // or the child inherits (and prints) unflushed output
  const long long t0 = monotonic_ns();
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(out_path.c_str(), "w", stdout)) _exit(127);
    execl(child.c_str(), child.c_str(), model.c_str(), input.c_str(), cache.c_str(), tier.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(out_path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string out = ss.str();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || field(out, "first_ns").empty()) return s;
  s.first_ms = (std::stoll(field(out, "first_ns")) - t0) / 1e6;
  s.second_ms = (std::stoll(field(out, "second_ns")) - t0) / 1e6;
  s.hwm_mb = std::stod(field(out, "hwm_end_kb")) / 1024.0;
  s.origin = field(out, "origin");
  s.llvm = field(out, "llvm");
  s.ok = true;
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 9;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      models.push_back(a);
    }
  }
  if (models.empty()) models = {"tools/models/mlp", "tools/bench/models/vae_decoder"};
  const std::string child = self_dir() + "/bench_startup_child";
  char tmpl[] = "/tmp/sofie_bench_startup.XXXXXX";
  const char* tmp = mkdtemp(tmpl);
  if (tmp == nullptr) return 1;
  std::printf("fresh process per measurement, median of %d; times from fork to the end of the call\n", repeat);
  std::printf("%-34s %-7s %12s %13s %10s  %s\n", "model", "cache", "1st call ms", "2nd call ms", "peak RSS",
              "code / LLVM mapped");
  int run = 0;
  for (const std::string& m : models) {
    for (const std::string mode : {"interp", "cold", "warm"}) {
      std::vector<double> first, second, hwm;
      std::string origin, llvm;
      const std::string warm_dir = std::string(tmp) + "/warm_" + std::to_string(run);
      if (mode == "warm") run_child(child, m, warm_dir, "jit");  // warms the folder once
      for (int r = 0; r < repeat; ++r) {
        const std::string dir =
            mode == "warm" ? warm_dir : std::string(tmp) + "/" + mode + "_" + std::to_string(run) + "_" + std::to_string(r);
        Sample s = run_child(child, m, dir, mode == "interp" ? "interp" : "jit");
        if (!s.ok) {
          std::fprintf(stderr, "%s (%s): the child failed\n", m.c_str(), mode.c_str());
          return 1;
        }
        first.push_back(s.first_ms);
        second.push_back(s.second_ms);
        hwm.push_back(s.hwm_mb);
        origin = mode == "interp" ? "interpreter" : s.origin;
        llvm = s.llvm;
      }
      std::printf("%-34s %-7s %12.1f %13.1f %7.1f MB  %s / %s\n", m.c_str(), mode.c_str(), median(first),
                  median(second), median(hwm), origin.c_str(), llvm == "1" ? "yes" : "no");
      std::fflush(stdout);
      ++run;
    }
  }
  const std::string cleanup = std::string("rm -rf '") + tmp + "'";
  return std::system(cleanup.c_str()) == 0 ? 0 : 1;
}
