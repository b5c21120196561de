// The `sofie` command: run, inspect and check ONNX models with the sofie runtime.
//
//   bazel run //tools:sofie -- run model.onnx --input x=x.npy --repeat 1000 --profile
//   bazel-bin/tools/sofie inspect model.onnx
//   bazel-bin/tools/sofie check path/to/cases --rtol 1e-4
//   bazel-bin/tools/sofie bench model.onnx --shape input=1,7 --tier jit
//
// Exit status: 0 success, 1 a failure (model, file, failing case), 2 a wrong command line.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/bench_command.h"
#include "tools/cache_command.h"
#include "tools/emit_command.h"
#include "tools/check.h"
#include "tools/cli.h"
#include "tools/inspect.h"
#include "tools/ops_list.h"
#include "tools/run_command.h"

namespace sofie::tools {
namespace {

const char kUsage[] = R"(usage: sofie <command> [arguments]

commands:
  run MODEL [--input NAME=FILE]... [--dim SYMBOL=N]... [--repeat N] [--profile] [--stats] [--tier T]
        run a model on given or random inputs; print outputs, checksums and the median time
  inspect MODEL
        inputs and outputs with symbolic shapes, opsets, operator histogram, unsupported operators
  check PATH... [--rtol R] [--atol A] [--tier T]
        run ONNX backend-layout test cases (model.onnx + test_data_set_N/) and compare the outputs
  bench MODEL [--shape NAME=DIMS]... [--dim SYMBOL=N]... [--tier T] [--seconds S] [--json]
        time a model on random inputs: median us per inference, spread, tier, compile time, peak RSS
  emit MODEL -o DIR [--dim SYMBOL=N]...
        write the C++ the JIT generates for the model (graph.cc) and its manifest
  ops [--markdown]
        the operators sofie supports, with their opset ranges
  warmup MODEL... [--shape NAME=DIMS]... [--cache DIR] [--jobs N]
        compile models ahead of time into the compiled-code cache (also: sofie-warmup)
  cache list|stats|verify|clear [--cache DIR]
        what the compiled-code cache holds, its hit/miss counters, an integrity check, removal

'sofie <command> --help' describes a command. Relative paths are taken from $BUILD_WORKING_DIRECTORY
when set (as under 'bazel run').
)";

const char kInspectUsage[] = R"(usage: sofie inspect MODEL

Reads MODEL (an .onnx file) without running it and prints its inputs and outputs with their symbolic
shapes ('batch' for a named dimension, '?' for an unknown one), the opsets it imports, how many nodes use
each operator (subgraphs of If/Loop/Scan included), and every operator sofie does not support at the
model's opset. Works on models sofie cannot load.
)";

const char kCheckUsage[] = R"(usage: sofie check PATH... [--rtol R] [--atol A] [--tier T]

Each PATH is a test case in the ONNX backend layout (a folder with model.onnx and test_data_set_N/ holding
input_K.pb and output_K.pb) or a folder searched recursively for such cases. Every data set of every case
is run and each output compared with the expected one: floats within atol + rtol * |expected| (NaN
matches NaN), integers and bools exactly, dtypes and shapes exactly.

Prints one line per case (PASS, FAIL with the worst element, or SKIP with the reason, e.g. the operators
sofie lacks) and then "N passed, N failed, N skipped". Exit status 0 only if no case failed.

  --rtol R        relative tolerance (default 1e-3)
  --atol A        absolute tolerance (default 1e-5)
  --tier T        interp (default), jit (each model compiled before its first inference), or auto
)";

int inspect_command(const std::vector<std::string>& argv) {
  const ParsedArgs args = parse_args(argv, {}, "sofie inspect");
  if (args.has("help")) {
    std::fputs(kInspectUsage, stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1) {
    usage_error(args.positional.empty() ? "inspect: missing MODEL (see 'sofie inspect --help')"
                                        : "inspect: takes exactly one MODEL (see 'sofie inspect --help')");
  }
  absl::StatusOr<ModelSummary> summary = inspect_model_file(resolve_user_path(args.positional[0]));
  if (!summary.ok()) fail(std::string(summary.status().message()));
  std::printf("model: %s\n%s", args.positional[0].c_str(), format_model_summary(*summary).c_str());
  return kExitOk;
}

int check_command(const std::vector<std::string>& argv) {
  const ParsedArgs args = parse_args(argv, {{"rtol", true}, {"atol", true}, {"tier", true}}, "sofie check");
  if (args.has("help")) {
    std::fputs(kCheckUsage, stdout);
    return kExitOk;
  }
  const Tier tier = tier_flag(args, Tier::kInterp);
  if (args.positional.empty()) usage_error("check: missing PATH (see 'sofie check --help')");
  CheckOptions options;
  options.rtol = parse_double_flag("rtol", args.last("rtol", "1e-3"));
  options.atol = parse_double_flag("atol", args.last("atol", "1e-5"));
  if (!(options.rtol >= 0) || !(options.atol >= 0)) usage_error("--rtol and --atol must be >= 0");
  options.tier = tier;

  std::vector<std::string> paths;
  for (const std::string& p : args.positional) paths.push_back(resolve_user_path(p));
  absl::StatusOr<CheckSummary> summary = check_paths(paths, options, [](const CaseResult& r) {
    std::printf("%s\n", format_case_line(r).c_str());
    std::fflush(stdout);
  });
  if (!summary.ok()) fail(std::string(summary.status().message()));
  std::printf("%s\n", format_summary(*summary).c_str());
  return summary->failed == 0 ? kExitOk : kExitFailure;
}

const char kOpsUsage[] = R"(usage: sofie ops [--markdown]

Lists the operators sofie supports, one per line with the opset ranges each implementation covers
("Softmax 1-12, 13-21"). --markdown prints the README's paragraph instead.
)";

int ops_command(const std::vector<std::string>& argv) {
  const ParsedArgs args = parse_args(argv, {{"markdown", false}}, "sofie ops");
  if (args.has("help")) {
    std::fputs(kOpsUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty()) usage_error("ops: takes no arguments (see 'sofie ops --help')");
  std::fputs((args.has("markdown") ? format_ops_markdown() : format_ops_plain()).c_str(), stdout);
  return kExitOk;
}

int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (command == "help") {
    if (rest.empty()) {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    return dispatch({rest[0], "--help"});
  }
  if (command == "run") return run_command(rest);
  if (command == "inspect") return inspect_command(rest);
  if (command == "check") return check_command(rest);
  if (command == "bench") return bench_command(rest);
  if (command == "emit") return emit_command(rest);
  if (command == "ops") return ops_command(rest);
  if (command == "warmup") return warmup_command(rest);
  if (command == "cache") return cache_command(rest);
  usage_error(
      absl::StrCat("unknown command '", command, "' (commands: run, inspect, check, bench, emit, ops, warmup, cache; see 'sofie --help')"));
}

}  // namespace
}  // namespace sofie::tools

int main(int argc, char** argv) {
  using sofie::tools::CliError;
  try {
    return sofie::tools::dispatch(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const CliError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "sofie: %s\n", e.message.c_str());
    return e.exit_code;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "sofie: internal error: %s\n", e.what());
    return sofie::tools::kExitFailure;
  }
}
