// A JIT that cannot compile must cost nothing but the attempt: the interpreter keeps serving correct
// results, failed compiles back off and stop after 3 (blacklisted), one message is logged, nothing crashes.
//
// Making the compile fail: the provider (jit/jit_provider.cc) loads libsofie_compiler.so once per process
// from the first of $SOFIE_COMPILER_LIBRARY, $RUNFILES_DIR/sofie/..., $TEST_SRCDIR/sofie/...,
// <program>.runfiles/sofie/..., <program dir>/../jit/compiler/ and <program dir>/../../jit/compiler/ that
// loads. A missing $SOFIE_COMPILER_LIBRARY does not stop the search, and this test's own runfiles hold the
// library (//jit's data), so setting the variable alone cannot make it fail. The test therefore copies
// its own (statically linked) program into $TEST_TMPDIR, away from any runfiles tree and Bazel output
// folder, as a program deployed without the compiler library would be, and runs the hidden child test
// cases there with SOFIE_COMPILER_LIBRARY naming a missing file, without the runfiles variables and with
// the on-disk code cache off (SOFIE_CACHE=off: cached code would need no compiler). The parent checks the
// child's exit status and counts the messages on its stderr.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/model.h"
#include "runtime/session.h"
#include "tests/jit/jit_test_util.h"

extern char** environ;

namespace sofie {
namespace {
namespace fs = std::filesystem;
using jit_testing::compare_close;

constexpr char kModelVar[] = "SOFIE_JIT_TEST_MODEL";
constexpr char kLogLine[] = "sofie: JIT compile failed";
constexpr double kCompileTimeoutS = 120;

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int count_lines_containing(const std::string& text, const std::string& needle) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

// ---- The parent: relocate, run a child test case, collect its output ------------------------------------

struct ChildRun {
  int exit_status = -1;  // -1: killed by a signal or not started
  std::string out, err;
};

ChildRun run_relocated_child(const std::string& test_name) {
  // <tmp>/relocated/bin/tests/<program>: neither <dir>/../jit nor <dir>/../../jit exists, and there is no
  // <program>.runfiles next to it.
  const std::string root = jit_testing::fresh_temp_dir("relocated_" + std::to_string(::getpid()));
  const fs::path dir = fs::path(root) / "bin" / "tests";
  fs::create_directories(dir);
  const fs::path program = dir / "compile_failure_test";
  fs::copy_file(self_exe(), program, fs::copy_options::overwrite_existing);
  fs::permissions(program, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  const std::string missing = (fs::path(root) / "no_such_dir" / "libsofie_compiler.so").string();
  const std::string model = jit_testing::runfile("tools/models/mlp/model.onnx");

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string var(*e);
    const std::string name = var.substr(0, var.find('='));
    if (name == "RUNFILES_DIR" || name == "TEST_SRCDIR" || name == "RUNFILES_MANIFEST_FILE" ||
        name == "RUNFILES_MANIFEST_ONLY" || name == "JAVA_RUNFILES" || name == "PYTHON_RUNFILES" ||
        name == "SOFIE_COMPILER_LIBRARY" || name == "SOFIE_CACHE" || name == kModelVar ||
        name == "TEST_SHARD_STATUS_FILE") {
      continue;
    }
    env.push_back(var);
  }
  env.push_back("SOFIE_COMPILER_LIBRARY=" + missing);
  env.push_back("SOFIE_CACHE=off");  // no compiled code from an on-disk cache either
  env.push_back(std::string(kModelVar) + "=" + model);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string program_str = program.string();
  std::string name = test_name;
  char* argv[] = {program_str.data(), name.data(), nullptr};

  const std::string out_path = root + "/stdout.txt", err_path = root + "/stderr.txt";
  ChildRun result;
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
    ::execve(program_str.c_str(), argv, envp.data());
    ::_exit(127);
  }
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (WIFSIGNALED(status)) result.err += "(killed by signal " + std::to_string(WTERMSIG(status)) + ")\n";
  result.out = read_file(out_path);
  result.err = read_file(err_path) + result.err;
  return result;
}

void check_child(const std::string& test_name) {
  const ChildRun child = run_relocated_child(test_name);
  std::printf("---- child '%s': exit %d\n%s%s", test_name.c_str(), child.exit_status, child.out.c_str(),
              child.err.c_str());
  INFO("child stdout:\n" << child.out << "\nchild stderr:\n" << child.err);
  CHECK(child.exit_status == 0);  // passed, and did not crash
  // One message for the model's failures, not one per failed compile or per call.
  CHECK(count_lines_containing(child.err, kLogLine) == 1);
}

TEST_CASE("compile failure: Tier::kAuto backs off, is blacklisted after 3 failures and keeps serving") {
  check_child("child: Tier::kAuto without the compiler library");
}

TEST_CASE("compile failure: Tier::kJit waits once for a failing compile and keeps serving") {
  check_child("child: Tier::kJit without the compiler library");
}

// ---- The children: run only by name, in the relocated copy ----------------------------------------------

// The preconditions of a child run: the compiler library cannot be found anywhere.
std::string child_model_path() {
  const char* model = std::getenv(kModelVar);
  REQUIRE(model != nullptr);
  const char* lib = std::getenv("SOFIE_COMPILER_LIBRARY");
  REQUIRE(lib != nullptr);
  REQUIRE(!fs::exists(lib));
  REQUIRE(std::getenv("RUNFILES_DIR") == nullptr);
  REQUIRE(std::string(std::getenv("SOFIE_CACHE") ? std::getenv("SOFIE_CACHE") : "") == "off");
  REQUIRE(std::getenv("TEST_SRCDIR") == nullptr);
  const fs::path exe = self_exe();
  REQUIRE(!fs::exists(exe.string() + ".runfiles"));
  REQUIRE(!fs::exists(exe.parent_path().parent_path() / "jit"));
  REQUIRE(!fs::exists(exe.parent_path().parent_path().parent_path() / "jit"));
  return model;
}

Model load(const std::string& path, Tier tier, int64_t threshold) {
  LoadOptions options;
  options.tier = tier;
  options.jit_threshold = threshold;
  absl::StatusOr<Model> model = Model::try_load(path, options);
  INFO(path << ": " << (model.ok() ? "" : std::string(model.status().message())));
  REQUIRE(model.ok());
  return *model;
}

// Runs batch `batch` on `session` and compares with the interpreter-only model's result. Both run the same
// interpreter kernels: equal up to the last bit, but allow a rounding step.
void check_call(Session& session, const Model& interp, int64_t batch, uint64_t seed) {
  const std::vector<float> x = jit_testing::random_floats(static_cast<size_t>(batch * 7), seed);
  const TensorView in = TensorView::of(x.data(), {batch, 7});
  absl::StatusOr<std::vector<Tensor>> want = interp.try_infer({in});
  REQUIRE(want.ok());
  absl::StatusOr<absl::Span<const TensorView>> got = session.run(absl::MakeConstSpan(&in, 1));
  INFO("batch " << batch << ": " << (got.ok() ? "" : std::string(got.status().message())));
  REQUIRE(got.ok());
  CHECK(compare_close((*got)[0], (*want)[0].view(), 1e-6, 0) == "");
}

TEST_CASE("child: Tier::kAuto without the compiler library", "[.]") {
  const std::string path = child_model_path();
  const Model interp = load(path, Tier::kInterp, 0);
  const Model model = load(path, Tier::kAuto, /*threshold=*/1);
  Session session = model.new_session();

  // The call numbers after which the failure count went up.
  std::vector<int> failed_after;
  int64_t failures = 0;
  constexpr int kCalls = 300;
  for (int call = 1; call <= kCalls; ++call) {
    check_call(session, interp, 1 + call % 13, static_cast<uint64_t>(call));
    // Let a compile the call started finish before the next call, so the schedule is deterministic.
    const TierStats stats = jit_testing::wait_while_compiling(model, kCompileTimeoutS);
    REQUIRE(stats.state != "compiling");
    REQUIRE(stats.failures >= failures);
    if (stats.failures > failures) failed_after.push_back(call);
    failures = stats.failures;
  }
  const TierStats stats = model.tier_stats();
  std::printf("failures after calls:");
  for (int c : failed_after) std::printf(" %d", c);
  std::printf("; final state: %s\n", stats.state.c_str());

  CHECK(session.calls_compiled() == 0);
  CHECK(session.calls_interpreted() == kCalls);
  CHECK(stats.failures == 3);
  CHECK(stats.compiles == 3);
  CHECK(stats.state.rfind("failed: ", 0) == 0);
  CHECK(stats.state.find("cannot load the JIT compiler library") != std::string::npos);
  REQUIRE(failed_after.size() == 3);
  CHECK(failed_after[0] == 1);  // threshold 1: the first call is hot
  // Back-off: not retried on the next call, and each wait longer than the one before.
  CHECK(failed_after[1] - failed_after[0] > 1);
  CHECK(failed_after[2] - failed_after[1] > failed_after[1] - failed_after[0]);
  CHECK(failed_after[2] < kCalls / 2);  // blacklisted early; the rest of the calls tried nothing
}

TEST_CASE("child: Tier::kJit without the compiler library", "[.]") {
  const std::string path = child_model_path();
  const Model interp = load(path, Tier::kInterp, 0);
  const Model model = load(path, Tier::kJit, 100);
  Session session = model.new_session();

  check_call(session, interp, 4, 1);
  // The first call waited for the (failed) compile.
  const TierStats after_first = model.tier_stats();
  std::printf("state after the first call: %s\n", after_first.state.c_str());
  CHECK(after_first.failures == 1);
  CHECK(after_first.compiles == 1);
  CHECK(after_first.state.find("compile failed") != std::string::npos);
  CHECK(after_first.state.find("cannot load the JIT compiler library") != std::string::npos);
  for (int call = 2; call <= 50; ++call) {
    check_call(session, interp, 1 + call % 5, static_cast<uint64_t>(call));
    jit_testing::wait_while_compiling(model, kCompileTimeoutS);
  }
  const TierStats stats = model.tier_stats();
  std::printf("final state: %s (%lld failures)\n", stats.state.c_str(), static_cast<long long>(stats.failures));
  CHECK(session.calls_compiled() == 0);
  CHECK(session.calls_interpreted() == 50);
  // The same back-off as Tier::kAuto once the first compile failed: blacklisted after 3.
  CHECK(stats.failures == 3);
  CHECK(stats.state.rfind("failed: ", 0) == 0);
}

}  // namespace
}  // namespace sofie
