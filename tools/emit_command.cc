#include "tools/emit_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "jit/codegen.h"
#include "runtime/compiled_abi.h"
#include "runtime/onnx_loader.h"
#include "runtime/plan.h"
#include "tools/cli.h"
#include "tools/random_inputs.h"

namespace sofie::tools {
namespace {

const char kEmitUsage[] = R"(usage: sofie emit MODEL -o DIR (or --out DIR) [--dim SYMBOL=N]...

Writes what the JIT tier would compile for MODEL:
  DIR/graph.cc       the generated translation unit (no #include: it declares what it uses)
  DIR/manifest.txt   the ABI it implements, the host functions it calls, the weights it expects packed
                     (transposed) and every value's slot in the values/dims arrays
The code is generated for the plan of the given dims (--dim, default 1 for every symbolic dimension); it
serves every plan with the same structure, whatever the values of the symbolic dims.
)";

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  if (!(f << text)) fail(absl::StrCat("cannot write '", path.string(), "'"));
}

}  // namespace

int emit_command(const std::vector<std::string>& argv) {
  // `-o DIR` is the conventional spelling; the parser knows long flags only.
  std::vector<std::string> args_in = argv;
  for (std::string& a : args_in) {
    if (a == "-o") a = "--out";
  }
  const ParsedArgs args = parse_args(args_in, {{"out", true}, {"dim", true}}, "sofie emit");
  if (args.has("help")) {
    std::fputs(kEmitUsage, stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1) usage_error("emit: takes exactly one MODEL (see 'sofie emit --help')");
  if (!args.has("out")) usage_error("emit: missing -o DIR (see 'sofie emit --help')");
  const std::map<std::string, int64_t> dims = dim_flags(args);

  const std::string model_path = resolve_user_path(args.positional[0]);
  absl::StatusOr<std::shared_ptr<const Graph>> graph = load_onnx_file(model_path, {});
  if (!graph.ok()) fail(absl::StrCat("cannot load '", args.positional[0], "': ", graph.status().message()));
  // Inputs of the planned shapes (values only matter for inputs that key plans).
  std::vector<Tensor> inputs;
  std::vector<TensorView> views;
  for (ValueId v : (*graph)->inputs()) {
    const Value& value = (*graph)->value(v);
    std::map<std::string, int64_t> with_defaults = dims;
    if (value.shape.rank_known()) {
      for (const Dim& d : value.shape.dims()) {
        if (d.is_symbol() && !with_defaults.count(d.symbol)) with_defaults[d.symbol] = 1;
      }
    }
    Dims shape;
    std::vector<std::string> unset;
    if (!concrete_shape(value.shape, with_defaults, &shape, &unset)) {
      fail(absl::StrCat("input '", value.name, "' has shape ", value.shape.to_string(), ": give its dims with --dim"));
    }
    inputs.push_back(random_tensor(value.dtype, shape, kRandomSeed));
    views.push_back(inputs.back().view());
  }
  uint64_t wanted = 0;
  absl::StatusOr<std::shared_ptr<const Plan>> plan = Plan::build(*graph, views, 0, &wanted);
  if (!plan.ok()) fail(absl::StrCat("cannot plan: ", plan.status().message()));
  absl::StatusOr<jit::GeneratedGraph> gen = jit::generate(**graph, **plan);
  if (!gen.ok()) fail(absl::StrCat("cannot generate code: ", gen.status().message()));

  const std::filesystem::path dir = resolve_user_path(args.last("out", ""));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(absl::StrCat("cannot create '", dir.string(), "': ", ec.message()));
  write_file(dir / "graph.cc", gen->source);

  std::string manifest = absl::StrCat(
      "model: ", args.positional[0], "\n", "entry: int ", gen->entry, SOFIE_GRAPH_PARAMS "\n",
      "compiled ABI version: ", SOFIE_COMPILED_ABI_VERSION, " (runtime/compiled_abi.h)\n", "arena buffers: ",
      (*plan)->fixed_layout() ? "constant offsets (every shape static)" : "read from values (symbolic dims)", "\n",
      "codegen version: ", jit::kCodegenVersion, "\n", "steps: ", gen->emitted_steps, " generated, ",
      gen->fallback_steps, " through the interpreter (run_step)\n", "host functions: ",
      gen->host_symbols.empty() ? "none" : absl::StrJoin(gen->host_symbols, ", "),
      " (ops/kernels/sofie_kernels.h)\n", "packed constants:\n");
  for (const jit::PackedConstant& pc : gen->packed) {
    absl::StrAppend(&manifest, "  ", pc.symbol, " = transpose of value ", pc.value, " '", (*graph)->value(pc.value).name,
                    "' [", pc.rows, ",", pc.cols, "]\n");
  }
  absl::StrAppend(&manifest, "values (index: name, dtype, shape in this plan, dims offset):\n");
  int64_t offset = 0;
  for (size_t v = 0; v < (*plan)->slots().size(); ++v) {
    const Plan::Slot& s = (*plan)->slots()[v];
    absl::StrAppend(&manifest, "  ", v, ": '", (*graph)->value(static_cast<ValueId>(v)).name, "' ", dtype_name(s.dtype),
                    " ", dims_string(s.shape), " @", offset, "\n");
    offset += static_cast<int64_t>(s.shape.size());
  }
  write_file(dir / "manifest.txt", manifest);
  std::printf("wrote %s and %s (%d steps generated, %d through the interpreter)\n", (dir / "graph.cc").c_str(),
              (dir / "manifest.txt").c_str(), gen->emitted_steps, gen->fallback_steps);
  return kExitOk;
}

}  // namespace sofie::tools
