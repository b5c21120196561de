// `sofie bench`: the steady-state time per inference of one model on seeded random inputs, through one
// Session on the calling thread, with the tier that served, the JIT's compile time and the peak RSS.
#pragma once

#include <string>
#include <vector>

namespace sofie::tools {

extern const char kBenchUsage[];

// `args` are the arguments after "bench". Returns the exit status; throws CliError for failures.
int bench_command(const std::vector<std::string>& args);

}  // namespace sofie::tools
