#include "tools/bench_command.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "tools/cli.h"
#include "tools/random_inputs.h"

namespace sofie::tools {

const char kBenchUsage[] =
    R"(usage: sofie bench MODEL [--shape NAME=DIMS]... [--dim SYMBOL=N]... [--tier T] [--seconds S] [--json]

Times MODEL (an .onnx file) on seeded random inputs through one Session on this thread: a warm-up, then
chunks of back-to-back calls (each chunk at least 5 ms, so the clock's resolution does not matter) for about
S seconds. Prints the median time per inference over the chunk means, the fastest and the slowest chunk mean
(the spread), the tier that served the timed calls, the JIT's compile time and the peak resident memory.

  --shape NAME=DIMS  the shape of input NAME, dimensions comma-separated (--shape input=1,7); it must agree
                     with the model's known dimensions, and its symbolic ones also size the other inputs.
                     "NAME=" may be left out when the model has a single input.
  --dim SYMBOL=N     the value of a symbolic dimension for inputs without --shape (--dim batch=64)
  --tier T           interp (the default here: the interpreter alone), jit (compiled before the first call,
                     which waits for it), or auto (interpreter until the model is hot, then compiled code;
                     the warm-up then lasts until the background compile has finished)
  --seconds S        how long to time, about (default 2; at least 3 chunks are timed)
  --json             print exactly one JSON object on one line instead of text: median_us, min_us, max_us,
                     peak_rss_mb, tier ("interp" or "jit": what served the timed calls), compile_ms (0 when
                     nothing was compiled), and model, shapes, tier_requested, jit_state, calls, chunks,
                     calls_per_chunk, seconds, first_call_ms, interpreted_calls, compiled_calls, code_bytes,
                     emitted_steps, fallback_steps

Random inputs are those of 'sofie run' (floats uniform in [-1,1), integers in [0,3], bools 0/1; the same on
every run). The peak RSS is the whole process's (getrusage): with the JIT it includes the compiler (LLVM and
clang, ~100 MB) mapped to compile.
)";

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kMinChunkMs = 5;
constexpr double kChunkTargetMs = 6;  // at the fastest rate seen: chunks stay above kMinChunkMs
constexpr int64_t kMaxCallsPerChunk = int64_t{1} << 26;
constexpr int kMinChunks = 3;
constexpr double kAutoWarmupCapSeconds = 60;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// JSON has no NaN or infinity; a time or size is never either, but the output must parse regardless.
std::string json_number(double v, int decimals) {
  return std::isfinite(v) ? absl::StrFormat("%.*f", decimals, v) : "null";
}

// This process's own peak (VmHWM): getrusage's ru_maxrss starts from the parent's peak after a fork, so a
// bench launched from a large process would report that instead.
double peak_rss_mb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f != nullptr) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      long long kb = 0;
      if (std::sscanf(line, "VmHWM: %lld kB", &kb) == 1) {
        std::fclose(f);
        return static_cast<double>(kb) / 1024.0;
      }
    }
    std::fclose(f);
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports kilobytes
}

// --shape NAME=DIMS, with "NAME=" optional for a single-input model. "input=" is a scalar.
std::pair<std::string, Dims> parse_shape_flag(const std::string& spec, const std::vector<ValueInfo>& declared) {
  std::string name, dims_text;
  const size_t eq = spec.find('=');
  if (eq != std::string::npos && eq > 0) {
    name = spec.substr(0, eq);
    dims_text = spec.substr(eq + 1);
  } else if (eq == std::string::npos && declared.size() == 1) {
    name = declared[0].name;
    dims_text = spec;
  } else {
    usage_error(absl::StrCat("--shape wants NAME=DIMS (e.g. input=1,7), got '", spec, "'"));
  }
  Dims dims;
  if (!dims_text.empty()) {
    for (absl::string_view part : absl::StrSplit(dims_text, ',')) {
      const int64_t d = parse_int_flag("shape", std::string(part));
      if (d < 0) usage_error(absl::StrCat("--shape ", spec, ": a dimension must be >= 0"));
      dims.push_back(d);
    }
  }
  return {name, dims};
}

// A --shape against the model's declaration: same rank, same known dimensions.
void check_shape(const ValueInfo& info, const Dims& dims) {
  if (!info.shape.rank_known()) return;
  bool ok = info.shape.rank() == static_cast<int64_t>(dims.size());
  for (size_t i = 0; ok && i < dims.size(); ++i) {
    if (info.shape[i].is_known() && info.shape[i].value != dims[i]) ok = false;
  }
  if (!ok) {
    fail(absl::StrCat("--shape ", info.name, "=", absl::StrJoin(dims, ","), ": the model declares input '",
                      info.name, "' as ", info.shape.to_string()));
  }
}

struct ChunkStats {
  double median_us = 0, min_us = 0, max_us = 0;
  int64_t chunks = 0, calls_per_chunk = 0;
  double seconds = 0;
};

}  // namespace

int bench_command(const std::vector<std::string>& argv) {
  const ParsedArgs args = parse_args(
      argv, {{"shape", true}, {"dim", true}, {"tier", true}, {"seconds", true}, {"json", false}}, "sofie bench");
  if (args.has("help")) {
    std::fputs(kBenchUsage, stdout);
    return kExitOk;
  }
  const Tier tier = tier_flag(args, Tier::kInterp);
  if (args.positional.size() != 1) {
    usage_error(args.positional.empty() ? "bench: missing MODEL (see 'sofie bench --help')"
                                        : "bench: takes exactly one MODEL (see 'sofie bench --help')");
  }
  const double seconds = parse_double_flag("seconds", args.last("seconds", "2"));
  if (!(seconds > 0) || !std::isfinite(seconds)) usage_error("--seconds must be a positive number");
  const bool json = args.has("json");
  std::map<std::string, int64_t> dims = dim_flags(args);  // --shape adds the symbols it fixes

  LoadOptions load_options;
  load_options.tier = tier;
  absl::StatusOr<Model> model = Model::try_load(resolve_user_path(args.positional[0]), load_options);
  if (!model.ok()) fail(absl::StrCat("cannot load '", args.positional[0], "': ", model.status().message()));
  const std::vector<ValueInfo>& declared = model->inputs();

  // --shape per input; a symbol it fixes sizes the other inputs too, unless --dim says otherwise.
  std::map<std::string, Dims> shapes;
  std::map<std::string, int64_t> shape_symbols;
  for (const std::string& spec : args.all("shape")) {
    auto [name, shape] = parse_shape_flag(spec, declared);
    auto info = std::find_if(declared.begin(), declared.end(), [&](const ValueInfo& v) { return v.name == name; });
    if (info == declared.end()) {
      std::vector<std::string> names;
      for (const ValueInfo& v : declared) names.push_back(absl::StrCat("'", v.name, "'"));
      fail(absl::StrCat("--shape ", spec, ": the model has no input '", name, "' (its inputs: ",
                        names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
    }
    if (shapes.count(name)) usage_error(absl::StrCat("--shape given twice for '", name, "'"));
    check_shape(*info, shape);
    if (info->shape.rank_known()) {
      for (size_t i = 0; i < shape.size(); ++i) {
        if (info->shape[i].is_symbol()) shape_symbols.emplace(info->shape[i].symbol, shape[i]);
      }
    }
    shapes[name] = shape;
  }
  for (const auto& [symbol, value] : shape_symbols) dims.emplace(symbol, value);

  std::vector<Tensor> inputs;
  std::vector<std::string> input_lines, json_shapes;
  for (size_t k = 0; k < declared.size(); ++k) {
    const ValueInfo& info = declared[k];
    Dims shape;
    if (auto it = shapes.find(info.name); it != shapes.end()) {
      shape = it->second;
    } else {
      std::vector<std::string> unset;
      bool complete = info.shape.rank_known();
      for (size_t i = 0; complete && i < info.shape.dims().size(); ++i) {
        const Dim& d = info.shape[i];
        if (d.is_known()) {
          shape.push_back(d.value);
        } else if (d.is_symbol() && dims.count(d.symbol)) {
          shape.push_back(dims.at(d.symbol));
        } else {
          if (d.is_symbol()) unset.push_back(d.symbol);
          complete = false;
        }
      }
      if (!complete) {
        std::string hint;
        for (const std::string& symbol : unset) absl::StrAppend(&hint, " or --dim ", symbol, "=N");
        fail(absl::StrCat("input '", info.name, "' has dynamic shape ", info.shape.to_string(), ": set it with --shape ",
                          info.name, "=DIMS", hint));
      }
    }
    if (info.dtype == DType::kUndefined) fail(absl::StrCat("input '", info.name, "' has no declared dtype"));
    absl::StatusOr<int64_t> n = checked_num_elements(shape);
    if (!n.ok()) fail(absl::StrCat("input '", info.name, "': ", n.status().message()));
    inputs.push_back(random_tensor(info.dtype, shape, kRandomSeed + k));
    input_lines.push_back(absl::StrFormat("input '%s': %s %s random (seed %d)", info.name, dtype_name(info.dtype),
                                          dims_string(shape), kRandomSeed + k));
    json_shapes.push_back(absl::StrCat(json_string(info.name), ":[", absl::StrJoin(shape, ","), "]"));
  }
  std::vector<TensorView> views;
  for (const Tensor& t : inputs) views.push_back(t.view());

  Session session = model->new_session();
  auto run_once = [&] {
    absl::StatusOr<absl::Span<const TensorView>> out = session.run(views);
    if (!out.ok()) fail(absl::StrCat("inference failed: ", out.status().message()));
  };

  // Warm-up. The first call builds the plan and, for --tier jit, waits for the compile.
  const Clock::time_point first_start = Clock::now();
  run_once();
  const double first_call_ms = ms_since(first_start);
  if (tier == Tier::kAuto) {
    // Until compiled code serves, or the model stays with the interpreter (a failed compile, a plan the
    // JIT never takes): what a long-running process would see.
    const Clock::time_point start = Clock::now();
    int64_t calls = 1;
    while (session.calls_compiled() == 0 && ms_since(start) < kAutoWarmupCapSeconds * 1000) {
      run_once();
      if (++calls > load_options.jit_threshold && model->tier_stats().state != "compiling") {
        run_once();  // the first call after the compile finished is compiled, if anything is
        break;
      }
    }
  }

  // Calibration, which also warms caches and branch predictors: double the chunk until it lasts 5 ms, then
  // size it from the fastest of three more chunks (a slow calibration chunk would leave the timed chunks short).
  ChunkStats stats;
  stats.calls_per_chunk = 1;
  for (;;) {
    const Clock::time_point t0 = Clock::now();
    for (int64_t i = 0; i < stats.calls_per_chunk; ++i) run_once();
    if (ms_since(t0) >= kMinChunkMs || stats.calls_per_chunk >= kMaxCallsPerChunk) break;
    stats.calls_per_chunk *= 2;
  }
  double fastest_call_ms = 1e300;
  for (int k = 0; k < 3; ++k) {
    const Clock::time_point t0 = Clock::now();
    for (int64_t i = 0; i < stats.calls_per_chunk; ++i) run_once();
    fastest_call_ms = std::min(fastest_call_ms, ms_since(t0) / static_cast<double>(stats.calls_per_chunk));
  }
  stats.calls_per_chunk = std::clamp<int64_t>(
      static_cast<int64_t>(std::ceil(kChunkTargetMs / std::max(fastest_call_ms, 1e-9))), 1, kMaxCallsPerChunk);

  const int64_t interpreted_before = session.calls_interpreted();
  const int64_t compiled_before = session.calls_compiled();
  std::vector<double> chunk_us;
  const Clock::time_point timed_start = Clock::now();
  while (static_cast<int64_t>(chunk_us.size()) < kMinChunks || ms_since(timed_start) < seconds * 1000) {
    const Clock::time_point t0 = Clock::now();
    for (int64_t i = 0; i < stats.calls_per_chunk; ++i) run_once();
    chunk_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() /
                       static_cast<double>(stats.calls_per_chunk));
  }
  stats.seconds = ms_since(timed_start) / 1000;
  const int64_t interpreted = session.calls_interpreted() - interpreted_before;
  const int64_t compiled = session.calls_compiled() - compiled_before;
  stats.chunks = static_cast<int64_t>(chunk_us.size());
  std::sort(chunk_us.begin(), chunk_us.end());
  const size_t m = chunk_us.size();
  stats.median_us = m % 2 ? chunk_us[m / 2] : 0.5 * (chunk_us[m / 2 - 1] + chunk_us[m / 2]);
  stats.min_us = chunk_us.front();
  stats.max_us = chunk_us.back();

  const TierStats tier_stats = model->tier_stats();
  const char* served = compiled > 0 ? "jit" : "interp";
  const bool has_code = tier_stats.code_bytes > 0;
  const double rss_mb = peak_rss_mb();
  if (tier != Tier::kInterp && compiled == 0) {
    std::fprintf(stderr, "sofie: warning: --tier %s asked for compiled code, but the interpreter served (JIT: %s)\n",
                 tier_name(tier), tier_stats.state.c_str());
  }

  if (json) {
    absl::PrintF(
        "{\"model\":%s,\"shapes\":{%s},\"tier_requested\":%s,\"tier\":\"%s\",\"median_us\":%s,\"min_us\":%s,"
        "\"max_us\":%s,\"peak_rss_mb\":%s,\"compile_ms\":%s,\"jit_state\":%s,\"calls\":%lld,\"chunks\":%lld,"
        "\"calls_per_chunk\":%lld,\"seconds\":%s,\"first_call_ms\":%s,\"interpreted_calls\":%lld,"
        "\"compiled_calls\":%lld,\"code_bytes\":%zu,\"emitted_steps\":%d,\"fallback_steps\":%d}\n",
        json_string(args.positional[0]), absl::StrJoin(json_shapes, ","), json_string(tier_name(tier)), served,
        json_number(stats.median_us, 3), json_number(stats.min_us, 3), json_number(stats.max_us, 3),
        json_number(rss_mb, 1), json_number(has_code ? tier_stats.compile_ms : 0, 3), json_string(tier_stats.state),
        static_cast<long long>(interpreted + compiled), static_cast<long long>(stats.chunks),
        static_cast<long long>(stats.calls_per_chunk), json_number(stats.seconds, 3), json_number(first_call_ms, 3),
        static_cast<long long>(interpreted), static_cast<long long>(compiled), tier_stats.code_bytes,
        tier_stats.emitted_steps, tier_stats.fallback_steps);
    return kExitOk;
  }

  std::printf("model: %s (%zu nodes)\n", args.positional[0].c_str(), model->graph().nodes().size());
  for (const std::string& line : input_lines) std::printf("%s\n", line.c_str());
  std::printf("tier: %s requested, %s served the timed calls (%lld interpreted, %lld compiled)\n", tier_name(tier),
              served, static_cast<long long>(interpreted), static_cast<long long>(compiled));
  if (has_code) {
    std::printf("JIT: %s, compile %.1f ms, %zu bytes of code, %d steps generated, %d through the interpreter\n",
                tier_stats.state.c_str(), tier_stats.compile_ms, tier_stats.code_bytes, tier_stats.emitted_steps,
                tier_stats.fallback_steps);
  } else if (tier != Tier::kInterp) {
    std::printf("JIT: %s\n", tier_stats.state.c_str());
  }
  std::printf("first call: %.3f ms%s\n", first_call_ms,
              tier == Tier::kJit ? " (builds the plan and waits for the compile)" : " (builds the plan)");
  std::printf("time: median %.3f us per inference; chunk means %.3f to %.3f us (%lld chunks of %lld calls, %.2f s)\n",
              stats.median_us, stats.min_us, stats.max_us, static_cast<long long>(stats.chunks),
              static_cast<long long>(stats.calls_per_chunk), stats.seconds);
  std::printf("peak RSS: %.1f MB\n", rss_mb);
  return kExitOk;
}

}  // namespace sofie::tools
