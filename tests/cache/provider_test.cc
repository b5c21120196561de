// The JIT provider with the cache, in fresh processes (tests/cache/cache_helper): cold compiles and
// stores, warm loads without LLVM; damaged entries are never executed and get replaced; eight processes
// compiling one key at once; read-only folders; eviction with real entries.
#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/store.h"
#include "tests/cache/cache_test_util.h"

namespace sofie::cache {
namespace {

using cache_testing::entry_files;
using cache_testing::field;
using cache_testing::fresh_dir;
using cache_testing::helper_path;
using cache_testing::ProcessResult;
using cache_testing::read_bytes;
using cache_testing::run_process;
using cache_testing::write_bytes;

std::string input_of(const std::string& model) {
  const std::string m = cache_testing::model_path(model);
  return m.substr(0, m.find_last_of('/')) + "/test_data_set_1/input_0.pb";
}

std::vector<std::string> helper_args(const std::string& model, const std::string& dir,
                                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--model", cache_testing::model_path(model), "--input", input_of(model),
                                   "--cache", dir};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

ProcessResult helper(const std::string& model, const std::string& dir, std::vector<std::string> extra = {}) {
  ProcessResult r = run_process(helper_path(), helper_args(model, dir, std::move(extra)));
  INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  return r;
}

// The reference output hash of `model`, compiled in a process of its own.
std::string reference_hash(const std::string& model) {
  return field(helper(model, fresh_dir("reference")).out, "hash");
}

TEST_CASE("a warm process loads the stored code without LLVM and computes the same results") {
  for (const std::string model : {"mlp", "dense_net"}) {
    INFO(model);
    const std::string dir = fresh_dir("warm");
    ProcessResult cold = helper(model, dir);
    CHECK(field(cold.out, "origin") == "compiled");
    CHECK(field(cold.out, "llvm") == "1");
    CHECK(field(cold.out, "state") == "compiled");
    REQUIRE(entry_files(dir).size() == 1);
    ProcessResult warm = helper(model, dir);
    CHECK(field(warm.out, "origin") == "disk cache");
    CHECK(field(warm.out, "llvm") == "0");  // no clang, no LLVM mapped
    CHECK(field(warm.out, "state") == "compiled");
    CHECK(field(warm.out, "hash") == field(cold.out, "hash"));
    CHECK(field(warm.out, "key") == field(cold.out, "key"));
    CHECK(warm.err.empty());
    const StoreCounters c = DiskStore(CacheOptions{dir}).counters();
    CHECK(c.hits == 1);
    CHECK(c.stores == 1);
  }
}

TEST_CASE("corrupted or truncated entries are detected, never executed, and replaced") {
  const std::string reference = reference_hash("mlp");
  const std::string dir = fresh_dir("damaged");
  helper("mlp", dir);
  const std::vector<std::string> files = entry_files(dir);
  REQUIRE(files.size() == 1);
  const std::string good = read_bytes(files[0]);
  auto parsed = parse_entry(good);
  REQUIRE(parsed.ok());
  // Offsets: in the object's code, in the middle of the key, in the header, and the file cut short.
  const size_t object_at = good.size() - parsed->object.size() - parsed->source.size() - 200;
  struct Damage {
    std::string what;
    std::string bytes;
  };
  std::vector<Damage> damages;
  for (size_t at : {size_t{20}, size_t{130}, object_at, good.size() - 5}) {
    std::string bad = good;
    bad[at] ^= 0x04;
    damages.push_back({"byte " + std::to_string(at), bad});
  }
  damages.push_back({"truncated", good.substr(0, good.size() / 2)});
  damages.push_back({"empty", ""});
  for (const Damage& d : damages) {
    INFO(d.what);
    write_bytes(files[0], d.bytes);
    ProcessResult r = helper("mlp", dir);
    CHECK(field(r.out, "origin") == "compiled");  // the damaged object was never run
    CHECK(field(r.out, "hash") == reference);
    CHECK(r.err.find("ignoring") != std::string::npos);
    CHECK(field(r.out, "stats").find("rejected 1") != std::string::npos);
    // Replaced by a valid entry: the next process loads it.
    auto again = parse_entry(read_bytes(files[0]));
    REQUIRE(again.ok());
    ProcessResult warm = helper("mlp", dir);
    CHECK(field(warm.out, "origin") == "disk cache");
    CHECK(field(warm.out, "hash") == reference);
  }
}

TEST_CASE("eight processes compiling the same key at once end with one valid entry") {
  const std::string reference = reference_hash("mlp");
  const std::string dir = fresh_dir("concurrent");
  std::vector<cache_testing::Running> running;
  for (int i = 0; i < 8; ++i) {
    running.push_back(cache_testing::start_process(helper_path(), helper_args("mlp", dir), "c" + std::to_string(i)));
  }
  int compiled = 0;
  for (const auto& r : running) {
    ProcessResult p = cache_testing::wait_process(r);
    INFO(p.out << p.err);
    REQUIRE(p.exit_code == 0);
    CHECK(field(p.out, "hash") == reference);
    compiled += field(p.out, "origin") == "compiled" ? 1 : 0;
    CHECK(p.err.find("ignoring") == std::string::npos);  // nobody saw a partial entry
  }
  CHECK(compiled >= 1);
  CHECK(entry_files(dir).size() == 1);
  CHECK(cache_testing::temp_files(dir).empty());
  DiskStore store(CacheOptions{dir});
  for (const EntryInfo& e : store.verify(false)) CHECK(e.problem.empty());
  CHECK(field(helper("mlp", dir).out, "origin") == "disk cache");
}

TEST_CASE("a read-only cache (API option) is read; new code stays in memory") {
  const std::string reference = reference_hash("mlp");
  // Warm folder, read-only: hits, nothing written.
  const std::string warm = fresh_dir("ro_warm");
  helper("mlp", warm);
  ProcessResult r = helper("mlp", warm, {"--read-only"});
  CHECK(field(r.out, "origin") == "disk cache");
  CHECK(field(r.out, "hash") == reference);
  // Cold folder, read-only: compiled, kept in memory for a second model of the process, nothing written.
  const std::string cold = fresh_dir("ro_cold");
  ProcessResult c = helper("mlp", cold, {"--read-only", "--reload"});
  CHECK(field(c.out, "origin") == "compiled");
  CHECK(field(c.out, "origin2") == "memory cache");
  CHECK(field(c.out, "hash2") == reference);
  CHECK(entry_files(cold).empty());
}

// A read-only bind mount in a private mount namespace (root only): the store discovers that it cannot
// write, warns once, and keeps new code in memory.
TEST_CASE("a read-only mounted cache folder") {
  const std::string reference = reference_hash("mlp");
  const std::string warm = fresh_dir("mount_warm");
  helper("mlp", warm);
  const std::string cold = fresh_dir("mount_cold");
  mkdir((cold + "/v1").c_str(), 0755);
  auto run_mounted = [&](const std::string& dir, std::vector<std::string> extra, ProcessResult* out) -> bool {
    const std::string base = fresh_dir("mount_out");
    const std::string out_path = base + "/out", err_path = base + "/err";
    pid_t pid = fork();
    if (pid == 0) {
      if (unshare(CLONE_NEWNS) != 0) _exit(77);
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(77);
      if (mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) _exit(77);
      if (mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) _exit(77);
      freopen(out_path.c_str(), "w", stdout);
      freopen(err_path.c_str(), "w", stderr);
      std::vector<std::string> args = helper_args("mlp", dir, extra);
      args.insert(args.begin(), helper_path());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(&a[0]);
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) return false;
    out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    out->out = read_bytes(out_path);
    out->err = read_bytes(err_path);
    return true;
  };
  ProcessResult r;
  if (!run_mounted(warm, {}, &r)) {
    WARN("cannot make a read-only bind mount here (no mount namespace); read-only mode is covered by the "
         "API option test only");
    return;
  }
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(field(r.out, "origin") == "disk cache");
  CHECK(field(r.out, "hash") == reference);
  ProcessResult c;
  REQUIRE(run_mounted(cold, {"--reload"}, &c));
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(field(c.out, "origin") == "compiled");
  CHECK(field(c.out, "origin2") == "memory cache");
  CHECK(field(c.out, "hash2") == reference);
  size_t warnings = 0;
  for (size_t at = c.err.find("not writable"); at != std::string::npos; at = c.err.find("not writable", at + 1)) {
    ++warnings;
  }
  CHECK(warnings == 1);
  CHECK(entry_files(cold).empty());
}

TEST_CASE("eviction keeps the cache under its cap with real entries") {
  const std::string dir = fresh_dir("evict_real");
  helper("mlp", dir);
  const std::vector<std::string> first = entry_files(dir);
  REQUIRE(first.size() == 1);
  const uint64_t one = read_bytes(first[0]).size();
  // A cap below two entries: storing dense_net's code evicts mlp's (the least recently used).
  helper("dense_net", dir, {"--max-bytes", std::to_string(one + one / 2)});
  const std::vector<std::string> now = entry_files(dir);
  REQUIRE(now.size() == 1);
  CHECK(now[0] != first[0]);
  CHECK(field(helper("mlp", dir).out, "origin") == "compiled");
}

}  // namespace
}  // namespace sofie::cache
