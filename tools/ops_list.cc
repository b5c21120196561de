#include "tools/ops_list.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/op.h"

namespace sofie::tools {
namespace {

// (qualified name) -> sorted opset ranges.
std::map<std::string, std::vector<std::pair<int, int>>> registered() {
  std::map<std::string, std::vector<std::pair<int, int>>> ops;
  for (const OpSchema* s : OpRegistry::global().all()) {
    std::string name = s->domain.empty() ? s->op_type : absl::StrCat(s->domain, ".", s->op_type);
    ops[name].push_back({s->since_version, s->until_version});
  }
  for (auto& [name, ranges] : ops) std::sort(ranges.begin(), ranges.end());
  return ops;
}

}  // namespace

std::string format_ops_plain() {
  std::string out;
  for (const auto& [name, ranges] : registered()) {
    absl::StrAppend(&out, name, " ",
                    absl::StrJoin(ranges, ", ",
                                  [](std::string* o, const std::pair<int, int>& r) {
                                    absl::StrAppend(o, r.first, "-", r.second);
                                  }),
                    "\n");
  }
  return out;
}

std::string format_ops_markdown() {
  std::vector<std::string> items;
  for (const auto& [name, ranges] : registered()) {
    int since = ranges.front().first;
    int until = ranges.back().second;
    if (since <= kMinOpset && until >= kMaxOpset) {
      items.push_back(name);
    } else if (until >= kMaxOpset) {
      items.push_back(absl::StrCat(name, " (", since, "+)"));
    } else {
      items.push_back(absl::StrCat(name, " (", std::max(since, kMinOpset), "-", until, ")"));
    }
  }
  return absl::StrCat(absl::StrJoin(items, ", "), ".\n");
}

}  // namespace sofie::tools
