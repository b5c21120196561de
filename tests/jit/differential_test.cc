// The differential harness: every test case we have runs through the interpreter (Tier::kInterp) and the
// JIT (Tier::kJit), as ggml's test-backend-ops runs every op on every backend. For each case:
//   (a) when the interpreter matches the case's reference outputs (tools/check.h, `sofie check`'s
//       tolerance rtol 1e-3 / atol 1e-5), the JIT must match them too;
//   (b) the JIT's outputs must equal the interpreter's within rtol 1e-4 / atol 1e-5 (integers exactly).
// The JIT's outputs are taken from a call served by compiled code whenever the plan is compiled: each data
// set is run once, and again after waiting for a compile when that call was not served compiled (Tier::kJit
// compiles before a model's first call; a data set with another plan structure starts its own compile).
//
// Sources, one TEST_CASE each: the ONNX backend node suite, the operator families' cases (tests/ops), the
// project models (tools/models) and, when present, the sofie-suite next to the workspace. Cases the
// interpreter skips (unsupported operators or types, random generators) or cannot run are not compared.
// Each source prints how many cases were compared, how many ran compiled code and which failed.
//
// Bazel sharding: shard k of n takes every n-th case of each source, starting at the k-th.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "runtime/tensor_io.h"
#include "tests/jit/jit_test_util.h"
#include "tools/check.h"

namespace sofie {
namespace {
namespace fs = std::filesystem;
using jit_testing::compare_close;
using jit_testing::now_ms;
using jit_testing::runfile;
using tools::CaseResult;
using tools::CaseStatus;
using tools::CheckOptions;
using tools::FoundCase;

// JIT against the interpreter: both run the same kernels except where the generated code reassociates
// dot products, so tighter than the reference check.
constexpr double kJitRtol = 1e-4;
constexpr double kJitAtol = 1e-5;
// A compile on a loaded 2-core CI machine can take far longer than its usual 50-300 ms.
constexpr double kCompileTimeoutS = 120;

// ---- Data sets ------------------------------------------------------------------------------------------

std::vector<fs::path> data_set_dirs(const fs::path& case_dir) {
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code ec;
  for (fs::directory_iterator it(case_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    absl::string_view rest = name;
    int64_t number = 0;
    if (absl::ConsumePrefix(&rest, "test_data_set_") && absl::SimpleAtoi(rest, &number) && it->is_directory(ec)) {
      found.emplace_back(number, it->path());
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [number, path] : found) out.push_back(path);
  return out;
}

// prefix_0.pb, prefix_1.pb, ... up to the first missing one; false when one cannot be read.
bool read_numbered(const fs::path& dir, const std::string& prefix, std::vector<Tensor>* out, std::string* error) {
  for (int k = 0;; ++k) {
    const fs::path file = dir / absl::StrCat(prefix, "_", k, ".pb");
    std::error_code ec;
    if (!fs::exists(file, ec)) return true;
    absl::StatusOr<NamedTensor> t = read_tensor_file(file.string());
    if (!t.ok()) {
      *error = absl::StrCat(file.filename().string(), ": ", t.status().message());
      return false;
    }
    out->push_back(std::move(t->tensor));
  }
}

std::vector<TensorView> views_of(const std::vector<Tensor>& tensors) {
  std::vector<TensorView> out;
  for (const Tensor& t : tensors) out.push_back(t.view());
  return out;
}

// ---- One case -------------------------------------------------------------------------------------------

struct CaseOutcome {
  bool compared = false;        // the JIT's outputs were compared with the interpreter's
  std::string not_compared;     // why not
  bool interp_passes = false;   // the interpreter matches the reference outputs
  bool compiled = false;        // every data set was served by compiled code
  bool eager = false;           // nothing compiled: the plan runs eagerly (data-dependent shapes)
  std::string tier_note;        // "compiled (3 emitted, 1 fallback steps)", ...
  std::vector<std::string> failures;
};

CaseOutcome diff_case(const FoundCase& c) {
  CaseOutcome out;
  const CaseResult interp = tools::check_case(c.dir, c.name, CheckOptions{});
  out.interp_passes = interp.status == CaseStatus::kPass;
  if (interp.status == CaseStatus::kSkip) {
    out.not_compared = "interpreter SKIP: " + interp.message;
    return out;
  }
  const std::string model_path = (fs::path(c.dir) / "model.onnx").string();
  LoadOptions interp_options;
  interp_options.tier = Tier::kInterp;
  absl::StatusOr<Model> interp_model = Model::try_load(model_path, interp_options);
  if (!interp_model.ok()) {
    out.not_compared = absl::StrCat("interpreter cannot load: ", interp_model.status().message());
    return out;
  }
  LoadOptions jit_options;
  jit_options.tier = Tier::kJit;
  absl::StatusOr<Model> jit_model = Model::try_load(model_path, jit_options);
  if (!jit_model.ok()) {
    out.failures.push_back(absl::StrCat("the JIT tier cannot load what the interpreter loads: ",
                                        jit_model.status().message()));
    return out;
  }
  Session session = jit_model->new_session();
  const CheckOptions reference_options;  // rtol 1e-3, atol 1e-5, as `sofie check`
  int compiled_sets = 0, compared_sets = 0;
  std::string skipped_sets;
  for (const fs::path& data_dir : data_set_dirs(c.dir)) {
    const std::string where = data_dir.filename().string();
    std::vector<Tensor> inputs, expected;
    std::string error;
    if (!read_numbered(data_dir, "input", &inputs, &error) || !read_numbered(data_dir, "output", &expected, &error)) {
      absl::StrAppend(&skipped_sets, " ", where, " (", error, ")");
      continue;
    }
    const std::vector<TensorView> in = views_of(inputs);
    absl::StatusOr<std::vector<Tensor>> want = interp_model->try_infer(in);
    if (!want.ok()) {
      absl::StrAppend(&skipped_sets, " ", where, " (interpreter: ", want.status().message(), ")");
      continue;
    }
    // The JIT: a call served by compiled code when this plan gets compiled at all.
    int64_t compiled_before = session.calls_compiled();
    absl::StatusOr<absl::Span<const TensorView>> run = session.run(in);
    if (run.ok() && session.calls_compiled() == compiled_before) {
      jit_testing::wait_while_compiling(*jit_model, kCompileTimeoutS);
      compiled_before = session.calls_compiled();
      run = session.run(in);
    }
    if (!run.ok()) {
      out.failures.push_back(absl::StrCat(where, ": the JIT tier fails where the interpreter runs: ",
                                          run.status().message()));
      continue;
    }
    const bool served_compiled = session.calls_compiled() > compiled_before;
    std::vector<Tensor> got;
    for (const TensorView& v : *run) got.push_back(Tensor::copy_of(v));
    ++compared_sets;
    compiled_sets += served_compiled;
    const char* by = served_compiled ? "compiled" : "interpreted";
    if (got.size() != want->size()) {
      out.failures.push_back(absl::StrCat(where, ": the JIT returned ", got.size(), " outputs, the interpreter ",
                                          want->size()));
      continue;
    }
    for (size_t k = 0; k < got.size(); ++k) {
      const std::string& name = interp_model->outputs()[k].name;
      const std::string why = compare_close(got[k].view(), (*want)[k].view(), kJitRtol, kJitAtol);
      if (!why.empty()) {
        out.failures.push_back(absl::StrCat(where, " output '", name, "' (", by, "): JIT vs interpreter: ", why));
      }
      if (out.interp_passes && k < expected.size()) {
        const absl::Status same = tools::compare_tensors(name, got[k].view(), expected[k].view(), reference_options);
        if (!same.ok()) {
          out.failures.push_back(absl::StrCat(where, " (", by, "): the interpreter passes the reference but the JIT ",
                                              "does not: ", same.message()));
        }
      }
    }
  }
  const TierStats stats = jit_model->tier_stats();
  if (stats.failures > 0) {
    out.failures.push_back(absl::StrCat("JIT compile failed (", stats.failures, "x): ", stats.state));
  }
  if (compared_sets == 0) {
    out.not_compared = absl::StrCat("no data set the interpreter runs:", skipped_sets);
    return out;
  }
  out.compared = true;
  out.compiled = compiled_sets == compared_sets;
  out.eager = compiled_sets == 0 && stats.compiles == 0 && stats.failures == 0;
  if (out.compiled) {
    out.tier_note = absl::StrCat("compiled (", stats.emitted_steps, " emitted, ", stats.fallback_steps,
                                 " fallback steps; ", absl::StrFormat("%.0f", stats.compile_ms), " ms)");
  } else if (out.eager) {
    out.tier_note = "interpreted (eager plan: data-dependent shapes, not compiled)";
  } else {
    out.tier_note = absl::StrCat("interpreted in ", compared_sets - compiled_sets, " of ", compared_sets,
                                 " data sets (", stats.compiles, " compiles; state ", stats.state, ")");
  }
  return out;
}

CaseOutcome diff_case_guarded(const FoundCase& c) {
  try {
    return diff_case(c);
  } catch (const std::exception& e) {
    CaseOutcome out;
    out.failures.push_back(absl::StrCat("exception: ", e.what()));
    return out;
  }
}

// ---- One source -----------------------------------------------------------------------------------------

// Runs this shard's part of `cases` and reports; fails the test case on any JIT failure.
void run_source(const std::string& source, const std::vector<FoundCase>& cases) {
  const jit_testing::Shard shard = jit_testing::test_shard();
  const double t0 = now_ms();
  int taken = 0, compared = 0, compiled = 0, eager = 0, partly = 0, not_compared = 0;
  int interp_passes = 0, jit_passes_too = 0;
  std::vector<std::string> failures;
  std::map<std::string, int> not_compared_reasons;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!shard.takes(i)) continue;
    ++taken;
    const FoundCase& c = cases[i];
    std::printf("%s/%s ...", source.c_str(), c.name.c_str());
    std::fflush(stdout);  // a crash then names its case
    const double c0 = now_ms();
    const CaseOutcome r = diff_case_guarded(c);
    const std::string ms = absl::StrFormat("%.0f ms", now_ms() - c0);
    for (const std::string& f : r.failures) failures.push_back(absl::StrCat(c.name, ": ", f));
    if (!r.compared) {
      ++not_compared;
      // "interpreter SKIP: unsupported: ..." -> "interpreter SKIP" for the tally.
      const std::string reason = r.not_compared.substr(0, r.not_compared.find(':'));
      ++not_compared_reasons[reason];
      std::printf(" not compared (%s) %s%s\n", r.not_compared.c_str(), ms.c_str(),
                  r.failures.empty() ? "" : " FAIL");
      continue;
    }
    ++compared;
    compiled += r.compiled;
    eager += r.eager;
    partly += !r.compiled && !r.eager;
    if (r.interp_passes) {
      ++interp_passes;
      jit_passes_too += r.failures.empty();
    }
    std::printf(" %s %s %s\n", r.failures.empty() ? "ok" : "FAIL", r.tier_note.c_str(), ms.c_str());
  }
  std::printf("\n== %s (shard %d of %d): %d of %zu cases taken, %.1f s\n", source.c_str(), shard.index + 1,
              shard.total, taken, cases.size(), (now_ms() - t0) / 1000);
  std::printf("   compared %d: JIT-compiled %d, not compiled %d (eager plan %d, other %d)\n", compared, compiled,
              compared - compiled, eager, partly);
  std::printf("   interpreter passes the reference in %d of them; the JIT passes too in %d\n", interp_passes,
              jit_passes_too);
  std::printf("   not compared %d:", not_compared);
  for (const auto& [reason, count] : not_compared_reasons) std::printf(" %s %d;", reason.c_str(), count);
  std::printf("\n   failures %zu\n", failures.size());
  for (const std::string& f : failures) std::printf("   FAIL %s\n", f.c_str());
  std::fflush(stdout);
  INFO(source << ": " << failures.size() << " JIT failures:\n" << absl::StrJoin(failures, "\n"));
  CHECK(failures.empty());
}

// Cases under `path` (recursively), named relative to it.
std::vector<FoundCase> cases_under(const std::string& path) {
  absl::StatusOr<std::vector<FoundCase>> found = tools::find_cases(path);
  INFO("finding cases under " << path);
  REQUIRE(found.ok());
  REQUIRE(!found->empty());
  return *found;
}

void untar(const std::string& tar, const std::string& dest) {
  const std::string command = "tar -xf '" + tar + "' -C '" + dest + "'";
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

// ../shared/conformance/sofie-suite next to the workspace, found through this test's own source file in
// the runfiles (a symlink into the source tree), or $SOFIE_SHARED_DIR/conformance/sofie-suite. Empty
// `*why_not` when found.
std::string sofie_suite_path(std::string* why_not) {
  if (const char* shared = std::getenv("SOFIE_SHARED_DIR"); shared != nullptr && shared[0] != '\0') {
    return (fs::path(shared) / "conformance" / "sofie-suite").string();
  }
  std::error_code ec;
  const fs::path source = fs::canonical(runfile("tests/jit/differential_test.cc"), ec);
  if (ec) {
    *why_not = "workspace not found from the runfiles: " + ec.message();
    return "";
  }
  const fs::path workspace = source.parent_path().parent_path().parent_path();
  return (workspace.parent_path() / "shared" / "conformance" / "sofie-suite").string();
}

// ---- Sources --------------------------------------------------------------------------------------------

TEST_CASE("differential: ONNX backend node suite", "[node]") {
  const std::string dest = jit_testing::fresh_temp_dir("onnx_node_suite");
  untar(runfile("tests/conformance/onnx_node_suite.tar"), dest);
  run_source("node", cases_under(dest + "/node"));
}

TEST_CASE("differential: operator cases of every family", "[ops]") {
  // The families are the *_cases.tar this target has in data (OP_FAMILIES in tests/jit/BUILD.bazel).
  const fs::path dir = runfile("tests/ops");
  std::vector<std::string> families;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    absl::string_view name = file;
    if (absl::ConsumeSuffix(&name, "_cases.tar")) families.emplace_back(name);
  }
  std::sort(families.begin(), families.end());
  INFO("operator case tars under " << dir.string());
  REQUIRE(!families.empty());
  for (const std::string& family : families) {
    const std::string dest = jit_testing::fresh_temp_dir("op_cases_" + family);
    untar((dir / (family + "_cases.tar")).string(), dest);
    run_source("ops/" + family, cases_under(dest + "/cases"));
  }
}

TEST_CASE("differential: project models", "[models]") {
  std::vector<FoundCase> cases;
  for (const std::string name : {"dense_net", "mlp"}) cases.push_back({name, runfile("tools/models/" + name)});
  run_source("models", cases);
}

TEST_CASE("differential: sofie-suite", "[sofie-suite]") {
  std::string why_not;
  const std::string suite = sofie_suite_path(&why_not);
  std::error_code ec;
  if (why_not.empty() && !fs::is_directory(suite, ec)) why_not = suite + " not found";
  if (!why_not.empty()) {
    const std::string line = "SKIP sofie-suite: " + why_not;
    std::printf("%s\n", line.c_str());
    WARN(line);
    return;
  }
  std::printf("sofie-suite: %s\n", suite.c_str());
  run_source("sofie-suite", cases_under(suite));
}

}  // namespace
}  // namespace sofie
