// `sofie-warmup`: the same as `sofie warmup` (tools/cache_command.h), as a binary of its own for farm
// setup scripts.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "tools/cache_command.h"
#include "tools/cli.h"

int main(int argc, char** argv) {
  using sofie::tools::CliError;
  try {
    return sofie::tools::warmup_command(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const CliError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "sofie-warmup: %s\n", e.message.c_str());
    return e.exit_code;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "sofie-warmup: internal error: %s\n", e.what());
    return sofie::tools::kExitFailure;
  }
}
