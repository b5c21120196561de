#include "tools/inspect.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "runtime/dtype.h"
#include "runtime/op.h"

namespace sofie::tools {
namespace {

std::string normalize_domain(const std::string& domain) { return domain == "ai.onnx" ? "" : domain; }

std::string shape_string(const onnx::TypeProto_Tensor& tensor_type) {
  if (!tensor_type.has_shape()) return "[*]";
  std::vector<std::string> dims;
  for (const auto& dim : tensor_type.shape().dim()) {
    if (dim.has_dim_value()) {
      dims.push_back(absl::StrCat(dim.dim_value()));
    } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
      dims.push_back(dim.dim_param());
    } else {
      dims.push_back("?");
    }
  }
  return absl::StrCat("[", absl::StrJoin(dims, ","), "]");
}

DeclaredValue declared_value(const onnx::ValueInfoProto& info) {
  DeclaredValue v;
  v.name = info.name();
  v.type = "?";
  v.shape = "[*]";
  if (!info.has_type()) return v;
  const onnx::TypeProto& type = info.type();
  if (type.has_tensor_type()) {
    v.type = onnx_type_name(type.tensor_type().elem_type());
    v.shape = shape_string(type.tensor_type());
  } else if (type.has_sequence_type()) {
    v.type = "sequence";
  } else if (type.has_map_type()) {
    v.type = "map";
  } else if (type.has_optional_type()) {
    v.type = "optional";
  } else if (type.has_sparse_tensor_type()) {
    v.type = "sparse_tensor";
  }
  return v;
}

// Counts the nodes of `graph` and of every subgraph attribute (If branches, Loop and Scan bodies).
void count_ops(const onnx::GraphProto& graph, std::map<std::pair<std::string, std::string>, int64_t>& counts,
               int64_t& num_nodes) {
  for (const onnx::NodeProto& node : graph.node()) {
    ++counts[{normalize_domain(node.domain()), node.op_type()}];
    ++num_nodes;
    for (const onnx::AttributeProto& attr : node.attribute()) {
      if (attr.has_g()) count_ops(attr.g(), counts, num_nodes);
      for (const onnx::GraphProto& g : attr.graphs()) count_ops(g, counts, num_nodes);
    }
  }
}

void note_type(int onnx_type, std::set<std::string>& unsupported) {
  if (onnx_type != onnx::TensorProto::UNDEFINED && dtype_from_onnx(onnx_type) == DType::kUndefined) {
    unsupported.insert(onnx_type_name(onnx_type));
  }
}

void note_value_type(const onnx::ValueInfoProto& info, std::set<std::string>& unsupported) {
  if (!info.has_type()) return;
  const onnx::TypeProto& type = info.type();
  if (type.has_tensor_type()) {
    note_type(type.tensor_type().elem_type(), unsupported);
  } else {
    unsupported.insert(declared_value(info).type);  // "sequence", "map", ...
  }
}

// Element types sofie has no DType for, anywhere in `graph` and its subgraphs.
void collect_unsupported_types(const onnx::GraphProto& graph, std::set<std::string>& unsupported) {
  for (const auto& v : graph.input()) note_value_type(v, unsupported);
  for (const auto& v : graph.output()) note_value_type(v, unsupported);
  for (const auto& v : graph.value_info()) note_value_type(v, unsupported);
  for (const auto& t : graph.initializer()) note_type(t.data_type(), unsupported);
  if (graph.sparse_initializer_size() > 0) unsupported.insert("sparse_tensor");
  for (const onnx::NodeProto& node : graph.node()) {
    for (const onnx::AttributeProto& attr : node.attribute()) {
      if (attr.has_t()) note_type(attr.t().data_type(), unsupported);
      for (const onnx::TensorProto& t : attr.tensors()) note_type(t.data_type(), unsupported);
      if (attr.has_sparse_tensor()) unsupported.insert("sparse_tensor");
      // Target types of Cast (`to`) and of generators such as EyeLike or RandomNormal (`dtype`).
      if (attr.type() == onnx::AttributeProto::INT && (attr.name() == "to" || attr.name() == "dtype")) {
        note_type(static_cast<int>(attr.i()), unsupported);
      }
      if (attr.has_g()) collect_unsupported_types(attr.g(), unsupported);
      for (const onnx::GraphProto& g : attr.graphs()) collect_unsupported_types(g, unsupported);
    }
  }
}

}  // namespace

std::string OpUse::qualified_name() const { return domain.empty() ? op_type : absl::StrCat(domain, ".", op_type); }

std::vector<OpUse> ModelSummary::unsupported_ops() const {
  std::vector<OpUse> out;
  for (const OpUse& op : ops) {
    if (!op.supported) out.push_back(op);
  }
  std::sort(out.begin(), out.end(), [](const OpUse& a, const OpUse& b) {
    return std::tie(a.domain, a.op_type) < std::tie(b.domain, b.op_type);
  });
  return out;
}

ModelSummary inspect_model(const onnx::ModelProto& model) {
  ModelSummary s;
  s.ir_version = model.ir_version();
  if (!model.producer_name().empty()) {
    s.producer = model.producer_version().empty()
                     ? model.producer_name()
                     : absl::StrCat(model.producer_name(), " ", model.producer_version());
  }
  std::map<std::string, int> opset_of;
  for (const onnx::OperatorSetIdProto& id : model.opset_import()) {
    const std::string domain = normalize_domain(id.domain());
    s.opsets.emplace_back(domain, static_cast<int>(id.version()));
    opset_of[domain] = static_cast<int>(id.version());
  }

  const onnx::GraphProto& graph = model.graph();
  std::set<std::string> initializer_names;
  for (const onnx::TensorProto& init : graph.initializer()) {
    initializer_names.insert(init.name());
    int64_t n = 1;
    for (int64_t d : init.dims()) n *= d;
    s.initializer_elements += n;
  }
  s.num_initializers = graph.initializer_size();
  for (const onnx::ValueInfoProto& input : graph.input()) {
    // Before IR version 4 initializers were also listed as inputs; they are weights, not inputs.
    if (initializer_names.count(input.name()) == 0) s.inputs.push_back(declared_value(input));
  }
  for (const onnx::ValueInfoProto& output : graph.output()) s.outputs.push_back(declared_value(output));

  std::map<std::pair<std::string, std::string>, int64_t> counts;
  count_ops(graph, counts, s.num_nodes);
  const OpRegistry& registry = OpRegistry::global();
  for (const auto& [key, count] : counts) {
    OpUse op;
    op.domain = key.first;
    op.op_type = key.second;
    auto it = opset_of.find(op.domain);
    op.opset = it == opset_of.end() ? 0 : it->second;
    op.count = count;
    op.supported = op.opset > 0 && registry.find(op.domain, op.op_type, op.opset) != nullptr;
    s.ops.push_back(op);
  }
  std::stable_sort(s.ops.begin(), s.ops.end(), [](const OpUse& a, const OpUse& b) { return a.count > b.count; });

  std::set<std::string> unsupported_types;
  collect_unsupported_types(graph, unsupported_types);
  s.unsupported_types.assign(unsupported_types.begin(), unsupported_types.end());
  return s;
}

absl::StatusOr<ModelSummary> inspect_model_bytes(const std::string& bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return absl::InvalidArgumentError("not an ONNX model (ModelProto parse failed)");
  if (!model.has_graph()) return absl::InvalidArgumentError("not an ONNX model (no graph)");
  return inspect_model(model);
}

absl::StatusOr<ModelSummary> inspect_model_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is a folder, not a model file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read '", path, "'"));
  const std::string bytes = buffer.str();
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat("'", path, "' is empty"));
  auto summary = inspect_model_bytes(bytes);
  if (!summary.ok()) return absl::InvalidArgumentError(absl::StrCat("'", path, "': ", summary.status().message()));
  return summary;
}

std::string unsupported_reason(const ModelSummary& summary) {
  std::vector<std::string> ops;
  for (const OpUse& op : summary.unsupported_ops()) {
    ops.push_back(op.opset > 0 ? absl::StrCat(op.qualified_name(), " (opset ", op.opset, ")")
                               : absl::StrCat(op.qualified_name(), " (no opset imported for its domain)"));
  }
  std::vector<std::string> parts;
  if (!ops.empty()) parts.push_back(absl::StrCat("unsupported ops: ", absl::StrJoin(ops, ", ")));
  if (!summary.unsupported_types.empty()) {
    parts.push_back(absl::StrCat("unsupported element types: ", absl::StrJoin(summary.unsupported_types, ", ")));
  }
  return absl::StrJoin(parts, "; ");
}

std::string format_model_summary(const ModelSummary& s) {
  std::string out;
  absl::StrAppend(&out, "ir_version ", s.ir_version);
  if (!s.producer.empty()) absl::StrAppend(&out, ", producer ", s.producer);
  absl::StrAppend(&out, "\n");

  std::vector<std::string> opsets;
  for (const auto& [domain, version] : s.opsets) {
    opsets.push_back(absl::StrCat(domain.empty() ? "ai.onnx" : domain, " ", version));
  }
  absl::StrAppend(&out, "opsets: ", opsets.empty() ? "(none)" : absl::StrJoin(opsets, ", "), "\n");

  size_t name_width = 4;
  for (const auto& v : s.inputs) name_width = std::max(name_width, v.name.size());
  for (const auto& v : s.outputs) name_width = std::max(name_width, v.name.size());
  auto append_values = [&](const char* title, const std::vector<DeclaredValue>& values) {
    absl::StrAppend(&out, title, " (", values.size(), "):\n");
    for (const DeclaredValue& v : values) {
      absl::StrAppend(&out, absl::StrFormat("  %-*s  %-8s %s\n", static_cast<int>(name_width), v.name, v.type,
                                            v.shape));
    }
  };
  append_values("inputs", s.inputs);
  append_values("outputs", s.outputs);

  absl::StrAppend(&out, "nodes: ", s.num_nodes, ", initializers: ", s.num_initializers, " (",
                  s.initializer_elements, " elements)\n");
  size_t op_width = 7;
  for (const OpUse& op : s.ops) op_width = std::max(op_width, op.qualified_name().size());
  absl::StrAppend(&out, "operators (", s.ops.size(), " types):\n");
  for (const OpUse& op : s.ops) {
    absl::StrAppend(&out, absl::StrFormat("  %6d  %-*s  opset %d%s\n", op.count, static_cast<int>(op_width),
                                          op.qualified_name(), op.opset, op.supported ? "" : "  UNSUPPORTED"));
  }
  const std::vector<OpUse> unsupported = s.unsupported_ops();
  if (unsupported.empty()) {
    absl::StrAppend(&out, "unsupported ops: none\n");
  } else {
    absl::StrAppend(&out, "unsupported ops (", unsupported.size(), "):\n");
    for (const OpUse& op : unsupported) {
      absl::StrAppend(&out, "  ", op.qualified_name(), " (opset ", op.opset, ")");
      std::vector<const OpSchema*> versions = OpRegistry::global().versions(op.domain, op.op_type);
      if (!versions.empty()) {
        std::vector<std::string> ranges;
        for (const OpSchema* v : versions) ranges.push_back(absl::StrCat(v->since_version, "-", v->until_version));
        absl::StrAppend(&out, ": sofie has opsets ", absl::StrJoin(ranges, ", "));
      }
      absl::StrAppend(&out, "\n");
    }
  }
  if (!s.unsupported_types.empty()) {
    absl::StrAppend(&out, "unsupported element types: ", absl::StrJoin(s.unsupported_types, ", "), "\n");
  }
  return out;
}

}  // namespace sofie::tools
