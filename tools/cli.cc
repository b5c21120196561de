#include "tools/cli.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sofie::tools {

void usage_error(const std::string& message) { throw CliError{kExitUsage, message}; }
void fail(const std::string& message) { throw CliError{kExitFailure, message}; }

std::string ParsedArgs::last(const std::string& name, const std::string& fallback) const {
  std::string value = fallback;
  auto range = flags.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) value = it->second;
  return value;
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
  std::vector<std::string> out;
  auto range = flags.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs,
                      const std::string& command) {
  ParsedArgs parsed;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg == "-" || !absl::StartsWith(arg, "-")) {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.flags.emplace("help", "");
      continue;
    }
    if (!absl::StartsWith(arg, "--")) usage_error(absl::StrCat("unknown option '", arg, "' for '", command, "'"));
    std::string name = arg.substr(2);
    std::string value;
    bool has_inline_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) usage_error(absl::StrCat("unknown flag '--", name, "' for '", command, "'"));
    if (spec->takes_value) {
      if (!has_inline_value) {
        if (i + 1 >= args.size()) usage_error(absl::StrCat("flag '--", name, "' needs a value"));
        value = args[++i];
      }
    } else if (has_inline_value) {
      usage_error(absl::StrCat("flag '--", name, "' takes no value"));
    }
    parsed.flags.emplace(name, value);
  }
  return parsed;
}

std::string resolve_user_path(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* base = std::getenv("BUILD_WORKING_DIRECTORY");
  if (base == nullptr || base[0] == '\0') return path;
  return absl::StrCat(base, "/", path);
}

int64_t parse_int_flag(const std::string& flag, const std::string& value) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(value, &v)) usage_error(absl::StrCat("--", flag, " wants an integer, got '", value, "'"));
  return v;
}

double parse_double_flag(const std::string& flag, const std::string& value) {
  double v = 0;
  if (!absl::SimpleAtod(value, &v)) usage_error(absl::StrCat("--", flag, " wants a number, got '", value, "'"));
  return v;
}

std::map<std::string, int64_t> dim_flags(const ParsedArgs& args) {
  std::map<std::string, int64_t> dims;
  for (const std::string& d : args.all("dim")) {
    const size_t eq = d.find('=');
    if (eq == std::string::npos || eq == 0) usage_error(absl::StrCat("--dim wants SYMBOL=N, got '", d, "'"));
    const int64_t v = parse_int_flag("dim", d.substr(eq + 1));
    if (v < 0) usage_error(absl::StrCat("--dim ", d, ": a dimension must be >= 0"));
    dims[d.substr(0, eq)] = v;
  }
  return dims;
}

Tier tier_flag(const ParsedArgs& args, Tier fallback) {
  if (!args.has("tier")) return fallback;
  absl::StatusOr<Tier> tier = parse_tier(args.last("tier", ""));
  if (!tier.ok()) usage_error(std::string(tier.status().message()));
  return *tier;
}

}  // namespace sofie::tools
