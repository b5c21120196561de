// `sofie warmup` (also the `sofie-warmup` binary) and `sofie cache`: compiling models ahead of time into the
// compiled-code cache (cache/), and looking after that cache.
#pragma once

#include <string>
#include <vector>

namespace sofie::tools {

// sofie warmup MODEL... [--shape NAME=DIMS]... [--cache DIR] [--jobs N]
int warmup_command(const std::vector<std::string>& argv);
// sofie cache list|stats|verify|clear [--cache DIR]
int cache_command(const std::vector<std::string>& argv);

}  // namespace sofie::tools
