// What the C++ runners of the benchmark suite share (sofie_runner.cc, libtorch_runner.cc; ort_runner.js does
// the same in JavaScript): the command line, the raw float32 files, the check against the reference output
// and the timing loop. Header-only: each runner is one small binary.
//
//   RUNNER --model FILE --input IN.f32 --shape 1,7 [--reference REF.f32] [--rtol R] [--atol A]
//          [--output OUT.f32] [--seconds S] [--tier interp|jit]
//   RUNNER --baseline
//
// One call on the input, then its first output is compared with the reference (|y - ref| <= atol + rtol|ref|
// elementwise); on a mismatch the runner prints its JSON line with "ok":false and exits 3 without timing.
// Then the timing loop of `sofie bench`: calls doubled until a chunk lasts 5 ms, sized from the fastest of
// three more chunks to ~6 ms, then chunks for about S seconds (at least 3); the figure is the median of the
// chunk means, the spread the fastest and slowest chunk mean. --seconds 0 checks only. The peak RSS is the
// whole process's at the end (VmHWM). --baseline loads no model: the runtime's own resident memory.
#ifndef SOFIE_TOOLS_BENCHSUITE_RUNNER_COMMON_H_
#define SOFIE_TOOLS_BENCHSUITE_RUNNER_COMMON_H_

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace benchsuite {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

[[noreturn]] inline void die(const std::string& message) {
  std::fprintf(stderr, "runner: %s\n", message.c_str());
  std::exit(2);
}

struct Args {
  std::map<std::string, std::string> values;
  bool baseline = false;

  std::string get(const std::string& key, const std::string& fallback = "") const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
  std::string need(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end()) die("missing --" + key);
    return it->second;
  }
};

inline Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--baseline") {
      args.baseline = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) die("bad argument '" + a + "'");
    args.values[a.substr(2)] = argv[++i];
  }
  return args;
}

inline std::vector<int64_t> parse_shape(const std::string& text) {
  std::vector<int64_t> dims;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    dims.push_back(std::stoll(part));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return dims;
}

inline int64_t num_elements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

inline std::vector<float> read_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) die("cannot read " + path);
  const std::streamsize bytes = in.tellg();
  in.seekg(0);
  std::vector<float> data(static_cast<size_t>(bytes) / sizeof(float));
  in.read(reinterpret_cast<char*>(data.data()), bytes);
  return data;
}

inline void write_f32(const std::string& path, const float* data, size_t n) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(float)));
  if (!out) die("cannot write " + path);
}

// The high-water mark of this process's resident memory, VmHWM of /proc/self/status. Not getrusage's
// ru_maxrss: Linux carries that across exec, so a runner started by a large parent (Python) would report the
// parent's peak.
inline double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // "VmHWM:   1234 kB"
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

struct Check {
  bool ok = true;
  double max_abs_err = 0;
  std::string message;
};

inline Check compare(const float* y, size_t n, const std::vector<float>& ref, double rtol, double atol) {
  Check c;
  if (n != ref.size()) {
    c.ok = false;
    c.message = "output has " + std::to_string(n) + " elements, the reference " + std::to_string(ref.size());
    return c;
  }
  for (size_t i = 0; i < n; ++i) {
    const double err = std::fabs(static_cast<double>(y[i]) - ref[i]);
    if (!(err <= atol + rtol * std::fabs(ref[i]))) {  // NaN fails too
      if (c.ok) c.message = "element " + std::to_string(i) + ": " + std::to_string(y[i]) + " vs " + std::to_string(ref[i]);
      c.ok = false;
    }
    if (!(err <= c.max_abs_err)) c.max_abs_err = err;
  }
  return c;
}

struct Timing {
  double median_us = 0, min_us = 0, max_us = 0;
  int64_t chunks = 0, calls_per_chunk = 0;
};

template <typename F>
Timing time_calls(F&& call, double seconds) {
  constexpr double kMinChunkMs = 5, kChunkTargetMs = 6;
  constexpr int64_t kMaxCalls = int64_t{1} << 26;
  auto chunk_ms = [&](int64_t calls) {
    const Clock::time_point t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) call();
    return ms_since(t0);
  };
  Timing t;
  int64_t calls = 1;
  while (chunk_ms(calls) < kMinChunkMs && calls < kMaxCalls) calls *= 2;
  double fastest = 1e300;
  for (int k = 0; k < 3; ++k) fastest = std::min(fastest, chunk_ms(calls) / static_cast<double>(calls));
  t.calls_per_chunk =
      std::clamp<int64_t>(static_cast<int64_t>(std::ceil(kChunkTargetMs / std::max(fastest, 1e-9))), 1, kMaxCalls);
  std::vector<double> us;
  const Clock::time_point start = Clock::now();
  while (us.size() < 3 || ms_since(start) < seconds * 1000) {
    us.push_back(chunk_ms(t.calls_per_chunk) * 1000 / static_cast<double>(t.calls_per_chunk));
  }
  std::sort(us.begin(), us.end());
  const size_t m = us.size();
  t.median_us = m % 2 ? us[m / 2] : 0.5 * (us[m / 2 - 1] + us[m / 2]);
  t.min_us = us.front();
  t.max_us = us.back();
  t.chunks = static_cast<int64_t>(m);
  return t;
}

// The whole protocol, given how to load (returns after the model is ready), how to run once, and where the
// first output of the last run is. `extra`, asked after timing, is appended to the JSON object
// (",\"key\":value..." or empty).
struct Runner {
  const char* runtime;
  std::function<std::string()> extra;
};

template <typename Load, typename Run, typename Output>
int run_protocol(const Args& args, Runner& runner, Load&& load, Run&& run, Output&& output) {
  const std::vector<int64_t> shape = parse_shape(args.need("shape"));
  const std::vector<float> input = read_f32(args.need("input"));
  if (static_cast<int64_t>(input.size()) != num_elements(shape)) die("input size does not match --shape");
  const double seconds = std::stod(args.get("seconds", "1"));
  const double rtol = std::stod(args.get("rtol", "1e-3")), atol = std::stod(args.get("atol", "1e-4"));

  const Clock::time_point load_start = Clock::now();
  load(args.need("model"), input, shape);
  const double load_ms = ms_since(load_start);
  const Clock::time_point first_start = Clock::now();
  run();
  const double first_call_ms = ms_since(first_start);

  Check check;
  auto [y, n] = output();
  if (args.values.count("output")) write_f32(args.get("output"), y, n);
  if (args.values.count("reference")) check = compare(y, n, read_f32(args.get("reference")), rtol, atol);

  Timing t;
  if (check.ok && seconds > 0) t = time_calls(run, seconds);
  std::printf(
      "{\"runtime\":\"%s\",\"ok\":%s,\"max_abs_err\":%.3g,\"median_us\":%.3f,\"min_us\":%.3f,\"max_us\":%.3f,"
      "\"chunks\":%lld,\"calls_per_chunk\":%lld,\"load_ms\":%.3f,\"first_call_ms\":%.3f,\"peak_rss_mb\":%.1f%s}\n",
      runner.runtime, check.ok ? "true" : "false", check.max_abs_err, t.median_us, t.min_us, t.max_us,
      static_cast<long long>(t.chunks), static_cast<long long>(t.calls_per_chunk), load_ms, first_call_ms,
      peak_rss_mb(), runner.extra ? runner.extra().c_str() : "");
  if (!check.ok) {
    std::fprintf(stderr, "runner: %s output does not match the reference: %s\n", runner.runtime, check.message.c_str());
    return 3;
  }
  return 0;
}

inline void print_baseline(const char* runtime) {
  std::printf("{\"runtime\":\"%s\",\"baseline\":true,\"peak_rss_mb\":%.1f}\n", runtime, peak_rss_mb());
}

}  // namespace benchsuite

#endif  // SOFIE_TOOLS_BENCHSUITE_RUNNER_COMMON_H_
