// `sofie run`: runs a model on given or random inputs, prints its outputs, times it, optionally profiles it.
#pragma once

#include <string>
#include <vector>

namespace sofie::tools {

extern const char kRunUsage[];

// `args` are the arguments after "run". Returns the exit status; throws CliError for failures.
int run_command(const std::vector<std::string>& args);

}  // namespace sofie::tools
