// `sofie emit MODEL -o DIR`: writes the C++ the JIT generates for a model, for reading and debugging.
#pragma once

#include <string>
#include <vector>

namespace sofie::tools {

int emit_command(const std::vector<std::string>& argv);

}  // namespace sofie::tools
