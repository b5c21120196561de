#include "tools/run_command.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "runtime/tensor_io.h"
#include "tools/cli.h"
#include "tools/random_inputs.h"

namespace sofie::tools {

const char kRunUsage[] =
    R"(usage: sofie run MODEL [--input NAME=FILE]... [--dim SYMBOL=N]... [--repeat N] [--profile] [--stats] [--tier T]

Runs MODEL (an .onnx file) once and prints every output (dtype, shape, first values, checksums), then
times --repeat more runs and prints the median time per inference.

  --input NAME=FILE  graph input NAME from FILE, a TensorProto (.pb) or a NumPy array (.npy); "NAME=" may be
                     left out when the model has a single input. Inputs not given are filled with seeded
                     random data (floats uniform in [-1,1), integers in [0,3], bools 0/1), which needs their
                     shape: static, or made so with --dim.
  --dim SYMBOL=N     the value of a symbolic dimension for random inputs, e.g. --dim batch=4.
  --repeat N         timed runs after one warm-up run (default 100; 0 = no timing).
  --profile          per-op-type and per-node times over the timed runs.
  --tier T           interp (interpreter only), jit (compile before the first call and wait for it),
                     auto (default: the interpreter serves until the model is hot, then compiled code)
  --stats            which tier served how many calls, compile time, code size
)";

namespace {

constexpr int kValuesShown = 8;
constexpr int kTopNodes = 10;

// A user-given tensor against the model's declaration: same dtype, rank and known dimensions.
void check_given_input(const ValueInfo& info, const TensorView& t, const std::string& file) {
  if (info.dtype != DType::kUndefined && t.dtype != info.dtype) {
    fail(absl::StrCat("input '", info.name, "': '", file, "' holds ", dtype_name(t.dtype), ", the model expects ",
                      dtype_name(info.dtype)));
  }
  if (!info.shape.rank_known()) return;
  bool ok = info.shape.rank() == t.rank();
  for (int64_t i = 0; ok && i < t.rank(); ++i) {
    if (info.shape[i].is_known() && info.shape[i].value != t.shape[i]) ok = false;
  }
  if (!ok) {
    fail(absl::StrCat("input '", info.name, "': '", file, "' has shape ", dims_string(t.shape),
                      ", the model expects ", info.shape.to_string()));
  }
}

template <typename T>
void values_and_sums(const TensorView& t, std::vector<std::string>* first, double* sum, double* abs_sum) {
  const T* p = t.data_as<T>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = static_cast<double>(p[i]);
    *sum += v;
    *abs_sum += std::fabs(v);
    if (i < kValuesShown) {
      if constexpr (std::is_floating_point_v<T>) {
        first->push_back(absl::StrFormat("%.6g", v));
      } else {
        first->push_back(absl::StrCat(static_cast<int64_t>(p[i])));
      }
    }
  }
}

void print_output(const std::string& name, const TensorView& t) {
  std::vector<std::string> first;
  double sum = 0, abs_sum = 0;
  switch (t.dtype) {
    case DType::kFloat32: values_and_sums<float>(t, &first, &sum, &abs_sum); break;
    case DType::kFloat64: values_and_sums<double>(t, &first, &sum, &abs_sum); break;
    case DType::kInt64: values_and_sums<int64_t>(t, &first, &sum, &abs_sum); break;
    case DType::kInt32: values_and_sums<int32_t>(t, &first, &sum, &abs_sum); break;
    case DType::kInt8: values_and_sums<int8_t>(t, &first, &sum, &abs_sum); break;
    case DType::kUInt8:
    case DType::kBool: values_and_sums<uint8_t>(t, &first, &sum, &abs_sum); break;
    case DType::kUndefined: break;
  }
  std::printf("output '%s': %s %s\n", name.c_str(), dtype_name(t.dtype), dims_string(t.shape).c_str());
  std::printf("  values: %s%s\n", absl::StrJoin(first, " ").c_str(), t.numel() > kValuesShown ? " ..." : "");
  std::printf("  checksum: sum %.9g, sum|x| %.9g (%lld elements)\n", sum, abs_sum,
              static_cast<long long>(t.numel()));
}

void print_profile(const Session& session, int64_t runs) {
  const std::vector<OpProfile> ops = session.op_profile();
  double total = 0;
  for (const OpProfile& op : ops) total += op.total_us;
  const double share_base = total > 0 ? total : 1;
  std::printf("\nprofile over %lld runs, by op type (slowest first):\n", static_cast<long long>(runs));
  std::printf("  %-24s %10s %14s %8s\n", "op type", "calls", "total us", "share");
  for (const OpProfile& op : ops) {
    std::printf("  %-24s %10lld %14.1f %7.1f%%\n", op.op_type.c_str(), static_cast<long long>(op.calls),
                op.total_us, 100.0 * op.total_us / share_base);
  }
  std::printf("  %-24s %10s %14.1f %7.1f%%\n", "(all ops)", "", total, total > 0 ? 100.0 : 0.0);

  std::vector<NodeProfile> nodes = session.node_profile();
  std::stable_sort(nodes.begin(), nodes.end(),
                   [](const NodeProfile& a, const NodeProfile& b) { return a.total_us > b.total_us; });
  if (nodes.size() > kTopNodes) nodes.resize(kTopNodes);
  std::printf("\ntop %zu nodes:\n", nodes.size());
  std::printf("  %-32s %-18s %10s %14s %8s\n", "node", "op type", "calls", "total us", "share");
  for (const NodeProfile& n : nodes) {
    std::printf("  %-32s %-18s %10lld %14.1f %7.1f%%\n", n.node.c_str(), n.op_type.c_str(),
                static_cast<long long>(n.calls), n.total_us, 100.0 * n.total_us / share_base);
  }
}

}  // namespace

int run_command(const std::vector<std::string>& argv) {
  const ParsedArgs args = parse_args(
      argv, {{"input", true}, {"dim", true}, {"repeat", true}, {"profile", false}, {"stats", false}, {"tier", true}}, "sofie run");
  if (args.has("help")) {
    std::fputs(kRunUsage, stdout);
    return kExitOk;
  }
  const Tier tier = tier_flag(args, Tier::kAuto);
  if (args.positional.size() != 1) {
    usage_error(args.positional.empty() ? "run: missing MODEL (see 'sofie run --help')"
                                        : "run: takes exactly one MODEL (see 'sofie run --help')");
  }
  const int64_t repeat = parse_int_flag("repeat", args.last("repeat", "100"));
  if (repeat < 0) usage_error("--repeat must be >= 0");
  const bool profile = args.has("profile");
  if (profile && repeat == 0) usage_error("--profile needs timed runs (--repeat >= 1)");
  const std::map<std::string, int64_t> dims = dim_flags(args);

  const std::string model_path = resolve_user_path(args.positional[0]);
  LoadOptions load_options;
  load_options.tier = tier;
  absl::StatusOr<Model> model = Model::try_load(model_path, load_options);
  if (!model.ok()) fail(absl::StrCat("cannot load '", args.positional[0], "': ", model.status().message()));
  const std::vector<ValueInfo>& declared = model->inputs();

  // --input values by graph input name.
  std::map<std::string, std::string> given;
  for (const std::string& spec : args.all("input")) {
    std::string name, file;
    const size_t eq = spec.find('=');
    if (eq != std::string::npos && eq > 0) {
      name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
    } else if (eq == std::string::npos && declared.size() == 1) {
      name = declared[0].name;
      file = spec;
    } else {
      usage_error(absl::StrCat("--input wants NAME=FILE, got '", spec, "'"));
    }
    if (std::none_of(declared.begin(), declared.end(), [&](const ValueInfo& v) { return v.name == name; })) {
      std::vector<std::string> names;
      for (const ValueInfo& v : declared) names.push_back(absl::StrCat("'", v.name, "'"));
      fail(absl::StrCat("--input ", spec, ": the model has no input '", name, "' (its inputs: ",
                        names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
    }
    if (given.count(name)) usage_error(absl::StrCat("--input given twice for '", name, "'"));
    given[name] = file;
  }

  // Every input is read or made before anything is printed, so a bad one fails cleanly.
  std::vector<Tensor> inputs;
  std::vector<std::string> input_lines;
  for (size_t k = 0; k < declared.size(); ++k) {
    const ValueInfo& info = declared[k];
    auto it = given.find(info.name);
    if (it != given.end()) {
      absl::StatusOr<NamedTensor> t = read_tensor_file(resolve_user_path(it->second));
      if (!t.ok()) fail(absl::StrCat("input '", info.name, "': ", t.status().message()));
      check_given_input(info, t->tensor.view(), it->second);
      input_lines.push_back(absl::StrFormat("input '%s': %s %s from %s", info.name, dtype_name(t->tensor.dtype()),
                                            dims_string(t->tensor.shape()), it->second));
      inputs.push_back(std::move(t->tensor));
      continue;
    }
    Dims shape;
    std::vector<std::string> unset;
    if (!concrete_shape(info.shape, dims, &shape, &unset)) {
      std::string hint;
      for (const std::string& symbol : unset) {
        absl::StrAppend(&hint, hint.empty() ? " or set" : "", " --dim ", symbol, "=N");
      }
      fail(absl::StrCat("input '", info.name, "' has dynamic shape ", info.shape.to_string(), ": give it with --input ",
                        info.name, "=FILE (.pb or .npy)", hint));
    }
    if (info.dtype == DType::kUndefined) fail(absl::StrCat("input '", info.name, "' has no declared dtype"));
    absl::StatusOr<int64_t> n = checked_num_elements(shape);
    if (!n.ok()) fail(absl::StrCat("input '", info.name, "': ", n.status().message()));
    inputs.push_back(random_tensor(info.dtype, shape, kRandomSeed + k));
    input_lines.push_back(absl::StrFormat("input '%s': %s %s random (seed %d)", info.name, dtype_name(info.dtype),
                                          dims_string(shape), kRandomSeed + k));
  }
  std::printf("model: %s (%zu nodes)\n", args.positional[0].c_str(), model->graph().nodes().size());
  for (const std::string& line : input_lines) std::printf("%s\n", line.c_str());
  std::vector<TensorView> views;
  for (const Tensor& t : inputs) views.push_back(t.view());

  Session session = model->new_session();
  // The warm-up run builds the plan for these shapes; its outputs are the ones printed.
  absl::StatusOr<absl::Span<const TensorView>> first = session.run(views);
  if (!first.ok()) fail(absl::StrCat("inference failed: ", first.status().message()));
  const std::vector<ValueInfo>& outputs = model->outputs();
  for (size_t k = 0; k < first->size(); ++k) {
    print_output(k < outputs.size() ? outputs[k].name : absl::StrCat("#", k), (*first)[k]);
  }
  std::fflush(stdout);
  if (repeat == 0) return kExitOk;

  session.set_profiling(profile);
  std::vector<double> times_us;
  times_us.reserve(static_cast<size_t>(std::min<int64_t>(repeat, int64_t{1} << 20)));
  for (int64_t r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<absl::Span<const TensorView>> out = session.run(views);
    const auto stop = std::chrono::steady_clock::now();
    if (!out.ok()) fail(absl::StrCat("inference failed on timed run ", r + 1, ": ", out.status().message()));
    times_us.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
  }
  std::sort(times_us.begin(), times_us.end());
  const size_t n = times_us.size();
  const double median = n % 2 ? times_us[n / 2] : 0.5 * (times_us[n / 2 - 1] + times_us[n / 2]);
  std::printf("time: median %.2f us per inference over %lld runs (min %.2f us, max %.2f us; after 1 warm-up run)\n",
              median, static_cast<long long>(repeat), times_us.front(), times_us.back());
  if (profile) print_profile(session, repeat);
  if (args.has("stats")) {
    const TierStats st = model->tier_stats();
    std::printf("tier: %s; calls: %lld interpreted, %lld compiled; JIT: %s", tier_name(st.tier),
                static_cast<long long>(session.calls_interpreted()), static_cast<long long>(session.calls_compiled()),
                st.state.c_str());
    if (st.from_cache) std::printf(" (loaded from the compiled-code cache, %zu bytes of code)", st.code_bytes);
    if (st.compiles > 0 && st.code_bytes > 0) {
      std::printf(", compile %.1f ms, %zu bytes of code, %d steps generated, %d through the interpreter",
                  st.compile_ms, st.code_bytes, st.emitted_steps, st.fallback_steps);
    }
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace sofie::tools
