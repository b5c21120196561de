#include "tools/cache_command.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cache/code_cache.h"
#include "cache/key.h"
#include "cache/store.h"
#include "jit/jit_provider.h"
#include "runtime/model.h"
#include "runtime/plan.h"
#include "tools/cli.h"

namespace sofie::tools {
namespace {

const char kWarmupUsage[] = R"(usage: sofie warmup MODEL... [--shape NAME=DIMS]... [--cache DIR] [--jobs N]
       (also: sofie-warmup MODEL... [options])

Compiles each MODEL (an .onnx file) ahead of time into the compiled-code cache, so that later processes
start with compiled code, loaded without clang. One progress line per model and shape class, then a
summary: compiled, already cached, failed (with the reasons). Idempotent: a second run finds everything
cached. Exit status 1 if anything failed.

  --shape NAME=DIMS  the shape of input NAME (--shape input=64,7). Symbolic dims (batch, nodes, ...) may be
                     left out: compiled code serves every value of them. Give the same NAME again for
                     another shape class (the i-th --shape of each name forms class i). Inputs of unknown
                     static dims need a --shape.
  --cache DIR        the cache folder (default: $SOFIE_CACHE_DIR, else $XDG_CACHE_HOME/sofie, else
                     ~/.cache/sofie)
  --jobs N           models compiled in parallel (default: the number of CPUs)

Batch farm: warm once into a shared folder, then run every job against it read-only:
  sofie warmup model.onnx --cache /shared/sofie-cache
  SOFIE_CACHE_DIR=/shared/sofie-cache SOFIE_CACHE=readonly my_job ...
)";

const char kCacheUsage[] = R"(usage: sofie cache list|stats|verify|clear [--cache DIR] [--remove]

Looks after the compiled-code cache (default folder: $SOFIE_CACHE_DIR, else $XDG_CACHE_HOME/sofie, else
~/.cache/sofie).

  list     every entry: key, size, last use, model, shape class, target CPU, state ("ok", "foreign CPU":
           compiled on another kind of machine, or what is damaged)
  stats    entries, total size against the cap, and the hit/miss/store/reject/evict counters of every
           process that used the folder
  verify   a full integrity check of every entry (header, sizes, checksums of key, object, source and
           metadata, key digest against the file name); exit status 1 if anything is damaged; --remove
           deletes the damaged entries
  clear    removes every entry
)";

cache::CacheOptions cache_options(const ParsedArgs& args) {
  cache::CacheOptions o = cache::options_from_environment();
  if (args.has("cache")) o.dir = resolve_user_path(args.last("cache", ""));
  return o;
}

std::string short_path(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return path;
  const size_t prev = path.find_last_of('/', slash - 1);
  return prev == std::string::npos ? path : path.substr(prev + 1);
}

// --shape NAME=DIMS values grouped by name, in order.
std::map<std::string, std::vector<Dims>> parse_shapes(const std::vector<std::string>& values) {
  std::map<std::string, std::vector<Dims>> out;
  for (const std::string& v : values) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) usage_error(absl::StrCat("--shape wants NAME=DIMS, got '", v, "'"));
    Dims dims;
    const std::string list = v.substr(eq + 1);
    if (!list.empty()) {
      for (absl::string_view d : absl::StrSplit(list, ',')) {
        int64_t n;
        if (!absl::SimpleAtoi(d, &n) || n < 0) usage_error(absl::StrCat("--shape ", v, ": bad dimension '", d, "'"));
        dims.push_back(n);
      }
    }
    out[v.substr(0, eq)].push_back(dims);
  }
  return out;
}

struct Outcome {
  enum Kind { kCompiled, kCached, kFailed } kind = kFailed;
  std::string line;
};

// Plans `model` for shape class `k` and compiles (or finds) its code.
Outcome warm_one(const std::string& path, const Model& model, const std::map<std::string, std::vector<Dims>>& shapes,
                 size_t k, std::set<std::string>* seen, std::mutex* seen_mu) {
  Outcome out;
  std::vector<Tensor> tensors;
  std::vector<TensorView> views;
  for (const ValueInfo& info : model.inputs()) {
    Dims dims;
    auto it = shapes.find(info.name);
    if (it != shapes.end()) {
      dims = it->second[std::min(k, it->second.size() - 1)];
    } else if (info.shape.rank_known()) {
      for (const Dim& d : info.shape.dims()) {
        if (d.is_known()) {
          dims.push_back(d.value);
        } else if (d.is_symbol()) {
          dims.push_back(1);  // symbolic dims are not part of the compiled code
        } else {
          out.line = absl::StrCat("input '", info.name, "' has unknown dims ", info.shape.to_string(),
                                  ": give them with --shape ", info.name, "=DIMS");
          return out;
        }
      }
    } else {
      out.line = absl::StrCat("input '", info.name, "' has unknown rank: give its shape with --shape ", info.name,
                              "=DIMS");
      return out;
    }
    absl::StatusOr<int64_t> n = checked_num_elements(dims);
    if (!n.ok()) {
      out.line = absl::StrCat("input '", info.name, "': ", n.status().message());
      return out;
    }
    tensors.push_back(Tensor::zeros(info.dtype, dims));
  }
  for (const Tensor& t : tensors) views.push_back(t.view());
  std::shared_ptr<const Graph> graph(std::shared_ptr<const Graph>(), &model.graph());  // model outlives it
  uint64_t valued = 0;
  absl::StatusOr<std::shared_ptr<const Plan>> plan = absl::UnknownError("no plan");
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint64_t wanted = 0;
    plan = Plan::build(graph, views, valued, &wanted);
    if (plan.ok() || wanted == 0 || (valued | wanted) == valued) break;
    valued |= wanted;
  }
  if (!plan.ok()) {
    out.line = absl::StrCat("cannot plan: ", plan.status().message());
    return out;
  }
  const std::string klass = cache::shape_class(model.graph(), **plan);
  if ((*plan)->eager()) {
    out.line = absl::StrCat(klass, ": shapes depend on data (eager plan), nothing to compile");
    out.kind = Outcome::kCached;  // not a failure: the interpreter serves such models
    return out;
  }
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<jit::JitResult> result = jit::compile_graph(model.graph(), **plan, short_path(path));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!result.ok()) {
    out.line = absl::StrCat(klass, ": ", result.status().message());
    return out;
  }
  {
    std::lock_guard<std::mutex> lock(*seen_mu);
    if (!seen->insert(result->key).second) {
      out.kind = Outcome::kCached;
      out.line = absl::StrCat(klass, ": same code as an earlier shape class (key ", result->key.substr(0, 12), ")");
      return out;
    }
  }
  if (result->origin == jit::CodeOrigin::kCompiled) {
    cache::DiskStore& disk = jit::code_cache().disk();
    struct stat st;
    const std::string entry = absl::StrCat(disk.dir(), "/", result->key, ".entry");
    if (!disk.enabled() || stat(entry.c_str(), &st) != 0) {
      out.line = absl::StrCat(klass, ": compiled, but not stored (cache ", disk.enabled() ? disk.dir() : "disabled",
                              disk.writable() ? "" : " is read-only", ")");
      return out;
    }
    out.kind = Outcome::kCompiled;
    out.line = absl::StrCat(klass, ": compiled in ", static_cast<int64_t>(ms), " ms (",
                            result->code->emitted_steps, " steps emitted, ", result->code->fallback_steps,
                            " through the interpreter; key ", result->key.substr(0, 12), ")");
  } else {
    out.kind = Outcome::kCached;
    out.line = absl::StrCat(klass, ": already cached (", jit::code_origin_name(result->origin), ", key ",
                            result->key.substr(0, 12), ")");
  }
  return out;
}

std::string format_time(int64_t t) {
  if (t <= 0) return "-";
  const time_t tt = static_cast<time_t>(t);
  struct tm tm;
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string format_bytes(uint64_t b) {
  char buf[32];
  if (b >= (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / 1048576.0);
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  }
  return buf;
}

std::string entry_state(const cache::EntryInfo& e) {
  if (!e.problem.empty()) return "DAMAGED: " + e.problem;
  if (e.cpu != cache::host_cpu_fingerprint()) return "foreign CPU";
  return "ok";
}

}  // namespace

int warmup_command(const std::vector<std::string>& argv) {
  const ParsedArgs args =
      parse_args(argv, {{"shape", true}, {"cache", true}, {"jobs", true}}, "sofie warmup");
  if (args.has("help")) {
    std::fputs(kWarmupUsage, stdout);
    return kExitOk;
  }
  if (args.positional.empty()) usage_error("warmup: missing MODEL (see 'sofie warmup --help')");
  const std::map<std::string, std::vector<Dims>> shapes = parse_shapes(args.all("shape"));
  size_t classes = 1;
  for (const auto& [name, list] : shapes) classes = std::max(classes, list.size());
  int64_t jobs = std::max<int64_t>(1, std::thread::hardware_concurrency());
  if (args.has("jobs")) {
    jobs = parse_int_flag("jobs", args.last("jobs", "1"));
    if (jobs < 1) usage_error("--jobs must be at least 1");
  }
  const cache::CacheOptions options = cache_options(args);
  jit::set_cache_options(options);
  cache::DiskStore& disk = jit::code_cache().disk();
  if (!disk.enabled()) fail("warmup: no cache folder (SOFIE_CACHE=off, or no --cache, $SOFIE_CACHE_DIR or $HOME)");
  std::printf("warmup: cache %s%s\n", disk.dir().c_str(), disk.writable() ? "" : " (read-only)");

  const size_t n = args.positional.size();
  std::vector<std::string> paths;
  for (const std::string& p : args.positional) paths.push_back(resolve_user_path(p));
  std::mutex print_mu, seen_mu;
  std::set<std::string> seen;
  std::atomic<size_t> next{0};
  int compiled = 0, cached = 0, failed = 0;
  std::vector<std::string> failures;
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) {
      LoadOptions load;
      load.tier = Tier::kInterp;  // nothing compiles behind our back
      absl::StatusOr<Model> model = Model::try_load(paths[i], load);
      std::vector<Outcome> outcomes;
      if (!model.ok()) {
        outcomes.push_back({Outcome::kFailed, absl::StrCat("cannot load: ", model.status().message())});
      } else {
        for (size_t k = 0; k < classes; ++k) outcomes.push_back(warm_one(paths[i], *model, shapes, k, &seen, &seen_mu));
      }
      std::lock_guard<std::mutex> lock(print_mu);
      for (const Outcome& o : outcomes) {
        const char* tag = o.kind == Outcome::kFailed ? "FAILED " : "";
        std::printf("[%zu/%zu] %s: %s%s\n", i + 1, n, args.positional[i].c_str(), tag, o.line.c_str());
        switch (o.kind) {
          case Outcome::kCompiled: ++compiled; break;
          case Outcome::kCached: ++cached; break;
          case Outcome::kFailed:
            ++failed;
            failures.push_back(absl::StrCat(args.positional[i], ": ", o.line));
            break;
        }
      }
      std::fflush(stdout);
    }
  };
  std::vector<std::thread> threads;
  for (int64_t j = 1; j < std::min<int64_t>(jobs, static_cast<int64_t>(n)); ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  std::printf("warmup: %d compiled, %d already cached, %d failed\n", compiled, cached, failed);
  for (const std::string& f : failures) std::printf("  failed: %s\n", f.c_str());
  return failed == 0 ? kExitOk : kExitFailure;
}

int cache_command(const std::vector<std::string>& argv) {
  const ParsedArgs args = parse_args(argv, {{"cache", true}, {"remove", false}}, "sofie cache");
  if (args.has("help")) {
    std::fputs(kCacheUsage, stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1) usage_error("cache: wants one of list, stats, verify, clear (see 'sofie cache --help')");
  const std::string& what = args.positional[0];
  cache::CacheOptions options = cache_options(args);
  options.disabled = false;
  cache::DiskStore store(options);
  if (!store.enabled()) fail("cache: no cache folder (no --cache, $SOFIE_CACHE_DIR or $HOME)");

  if (what == "list") {
    const std::vector<cache::EntryInfo> entries = store.list();
    std::printf("cache %s: %zu entries\n", store.dir().c_str(), entries.size());
    if (entries.empty()) return kExitOk;
    std::printf("%-12s %10s  %-16s  %-24s %-24s %-10s %s\n", "key", "size", "last use", "model", "shape class", "cpu",
                "state");
    for (const cache::EntryInfo& e : entries) {
      std::string target = e.meta.get("target_cpu");
      std::printf("%-12s %10s  %-16s  %-24s %-24s %-10s %s\n", e.name.substr(0, 12).c_str(),
                  format_bytes(e.size).c_str(), format_time(e.last_use).c_str(),
                  (e.meta.get("model").empty() ? "-" : e.meta.get("model")).c_str(),
                  (e.meta.get("shape_class").empty() ? "-" : e.meta.get("shape_class")).c_str(),
                  (target.empty() ? "-" : target).c_str(), entry_state(e).c_str());
    }
    return kExitOk;
  }
  if (what == "stats") {
    const std::vector<cache::EntryInfo> entries = store.list();
    uint64_t total = 0;
    int damaged = 0, foreign = 0;
    for (const cache::EntryInfo& e : entries) {
      total += e.size;
      damaged += e.problem.empty() ? 0 : 1;
      foreign += e.problem.empty() && e.cpu != cache::host_cpu_fingerprint() ? 1 : 0;
    }
    const cache::StoreCounters c = store.counters();
    std::printf("cache:    %s%s\n", store.dir().c_str(), store.writable() ? "" : " (read-only)");
    std::printf("entries:  %zu (%d damaged, %d for another CPU)\n", entries.size(), damaged, foreign);
    std::printf("size:     %s of %s\n", format_bytes(total).c_str(), format_bytes(store.max_bytes()).c_str());
    const uint64_t lookups = c.hits + c.misses + c.rejected;
    std::printf("lookups:  %llu: %llu hits, %llu misses, %llu rejected (hit rate %.0f%%)\n",
                static_cast<unsigned long long>(lookups), static_cast<unsigned long long>(c.hits),
                static_cast<unsigned long long>(c.misses), static_cast<unsigned long long>(c.rejected),
                lookups == 0 ? 0.0 : 100.0 * static_cast<double>(c.hits) / static_cast<double>(lookups));
    std::printf("stores:   %llu, evicted %llu\n", static_cast<unsigned long long>(c.stores),
                static_cast<unsigned long long>(c.evicted));
    return kExitOk;
  }
  if (what == "verify") {
    const std::vector<cache::EntryInfo> entries = store.verify(args.has("remove"));
    int damaged = 0;
    for (const cache::EntryInfo& e : entries) {
      if (e.problem.empty()) continue;
      ++damaged;
      std::printf("DAMAGED %s: %s%s\n", e.path.c_str(), e.problem.c_str(),
                  args.has("remove") && store.writable() ? " (removed)" : "");
    }
    std::printf("verify: %zu entries, %zu intact, %d damaged\n", entries.size(), entries.size() - damaged, damaged);
    return damaged == 0 ? kExitOk : kExitFailure;
  }
  if (what == "clear") {
    absl::StatusOr<int> removed = store.clear();
    if (!removed.ok()) fail(std::string(removed.status().message()));
    std::printf("cache %s: removed %d entries\n", store.dir().c_str(), *removed);
    return kExitOk;
  }
  usage_error(absl::StrCat("cache: unknown action '", what, "' (list, stats, verify, clear)"));
}

}  // namespace sofie::tools
