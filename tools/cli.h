// Command-line plumbing shared by the `sofie` subcommands: flag parsing, exit codes and path resolution.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "runtime/tiering.h"

namespace sofie::tools {

// Exit statuses of the `sofie` command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and something failed (a model, a file, a case)
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

// Thrown by subcommands for a message to print as "sofie: <message>" and the exit status to return.
struct CliError {
  int exit_code;
  std::string message;
};
[[noreturn]] void usage_error(const std::string& message);  // exit 2
[[noreturn]] void fail(const std::string& message);         // exit 1

struct FlagSpec {
  std::string name;  // without the dashes: "repeat"
  bool takes_value = false;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;  // name -> value ("" for switches), in command-line order

  bool has(const std::string& name) const { return flags.count(name) > 0; }
  // The last value given for `name`, or `fallback`.
  std::string last(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> all(const std::string& name) const;
};

// Parses `--name value`, `--name=value`, switches, positionals and `--` (everything after it is positional).
// `--help` / `-h` are always accepted (as the switch "help"). Unknown flags and missing values are usage
// errors naming `command` ("sofie run").
ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs,
                      const std::string& command);

// A user-given path, resolved against $BUILD_WORKING_DIRECTORY when set (under `bazel run` the process runs
// in its runfiles tree, while the user meant their own working directory).
std::string resolve_user_path(const std::string& path);

// Numeric flag values; usage errors on anything that is not entirely a number.
int64_t parse_int_flag(const std::string& flag, const std::string& value);
double parse_double_flag(const std::string& flag, const std::string& value);

// Every `--dim SYMBOL=N` (N >= 0), as symbol -> value; usage errors otherwise.
std::map<std::string, int64_t> dim_flags(const ParsedArgs& args);

// `--tier interp|jit|auto` (runtime/tiering.h), or `fallback` when absent.
Tier tier_flag(const ParsedArgs& args, Tier fallback);

}  // namespace sofie::tools
