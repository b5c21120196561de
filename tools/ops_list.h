// The operators sofie supports, from the registry (what //ops registered), for `sofie ops` and the README.
#pragma once

#include <string>

namespace sofie::tools {

// One line per (domain, op type): "Softmax 1-12, 13-21" (domain-qualified when not the default one).
std::string format_ops_plain();
// The README's paragraph: "Abs, Acos, Add, ..., Scan (9+), ..."; opset ranges shown unless they cover
// every opset sofie accepts (7-21).
std::string format_ops_markdown();

}  // namespace sofie::tools
