#include "runtime/onnx_loader.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "runtime/op.h"
#include "runtime/tensor_io.h"

namespace sofie {
namespace {

constexpr int kMaxSubgraphDepth = 16;

struct LoadContext {
  std::map<std::string, int> opsets;
  std::string external_data_dir;
};

std::string normalize_domain(const std::string& domain) { return domain == "ai.onnx" ? "" : domain; }

absl::StatusOr<SymShape> shape_from_proto(const onnx::TensorShapeProto& shape, const std::string& what) {
  std::vector<Dim> dims;
  for (const auto& d : shape.dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0) {
        return absl::InvalidArgumentError(absl::StrCat(what, " has a negative dimension ", d.dim_value()));
      }
      if (d.dim_value() > kMaxElements) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " has dimension ", d.dim_value(), ", more than the 2^36 elements sofie accepts"));
      }
      dims.push_back(Dim::known(d.dim_value()));
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      dims.push_back(Dim::named(d.dim_param()));
    } else {
      dims.push_back(Dim::unknown());
    }
  }
  return SymShape(std::move(dims));
}

// dtype and shape of a graph input/output/value_info. Unknown element type is allowed for value_info
// only (`required` false).
absl::StatusOr<std::pair<DType, SymShape>> type_from_proto(const onnx::ValueInfoProto& info, const std::string& what,
                                                           bool required) {
  if (!info.has_type() || !info.type().has_tensor_type()) {
    if (!required) return std::make_pair(DType::kUndefined, SymShape());
    return absl::UnimplementedError(absl::StrCat(what, " is not a tensor (sequences, maps and optionals are not supported)"));
  }
  const auto& tt = info.type().tensor_type();
  DType dtype = dtype_from_onnx(tt.elem_type());
  if (dtype == DType::kUndefined && required) {
    return absl::UnimplementedError(
        absl::StrCat(what, " has element type ", onnx_type_name(tt.elem_type()), ", which sofie does not support"));
  }
  SymShape shape;
  if (tt.has_shape()) {
    SOFIE_ASSIGN_OR_RETURN(shape, shape_from_proto(tt.shape(), what));
  }
  return std::make_pair(dtype, std::move(shape));
}

// The conversion consumes the proto: each tensor's payload is freed once it has been copied into a
// Tensor, so a model's weights are held about once, not twice, while it loads.
absl::StatusOr<std::shared_ptr<const Graph>> convert_graph(onnx::GraphProto& gp, const LoadContext& lc,
                                                           bool subgraph, int depth);

absl::StatusOr<Tensor> consume_tensor(onnx::TensorProto& proto, const LoadContext& lc, const std::string& what) {
  absl::StatusOr<Tensor> tensor = tensor_from_proto(proto, lc.external_data_dir, what);
  if (tensor.ok()) {
    std::string().swap(*proto.mutable_raw_data());
    google::protobuf::RepeatedField<float>().Swap(proto.mutable_float_data());
    google::protobuf::RepeatedField<double>().Swap(proto.mutable_double_data());
    google::protobuf::RepeatedField<int32_t>().Swap(proto.mutable_int32_data());
    google::protobuf::RepeatedField<int64_t>().Swap(proto.mutable_int64_data());
    google::protobuf::RepeatedField<uint64_t>().Swap(proto.mutable_uint64_data());
  }
  return tensor;
}

absl::StatusOr<Attribute> convert_attribute(onnx::AttributeProto& ap, const Node& node, const LoadContext& lc,
                                            int depth) {
  Attribute a;
  a.name = ap.name();
  auto where = [&]() { return absl::StrCat(node.describe(), ": attribute '", ap.name(), "'"); };
  int type = ap.type();
  if (type == onnx::AttributeProto::UNDEFINED) {  // very old models: infer the type from the field set
    if (ap.has_f()) type = onnx::AttributeProto::FLOAT;
    else if (ap.has_i()) type = onnx::AttributeProto::INT;
    else if (ap.has_s()) type = onnx::AttributeProto::STRING;
    else if (ap.has_t()) type = onnx::AttributeProto::TENSOR;
    else if (ap.has_g()) type = onnx::AttributeProto::GRAPH;
    else if (ap.floats_size()) type = onnx::AttributeProto::FLOATS;
    else if (ap.ints_size()) type = onnx::AttributeProto::INTS;
    else if (ap.strings_size()) type = onnx::AttributeProto::STRINGS;
  }
  switch (type) {
    case onnx::AttributeProto::FLOAT: a.type = Attribute::Type::kFloat; a.f = ap.f(); break;
    case onnx::AttributeProto::INT: a.type = Attribute::Type::kInt; a.i = ap.i(); break;
    case onnx::AttributeProto::STRING: a.type = Attribute::Type::kString; a.s = ap.s(); break;
    case onnx::AttributeProto::FLOATS:
      a.type = Attribute::Type::kFloats;
      a.floats.assign(ap.floats().begin(), ap.floats().end());
      break;
    case onnx::AttributeProto::INTS:
      a.type = Attribute::Type::kInts;
      a.ints.assign(ap.ints().begin(), ap.ints().end());
      break;
    case onnx::AttributeProto::STRINGS:
      a.type = Attribute::Type::kStrings;
      a.strings.assign(ap.strings().begin(), ap.strings().end());
      break;
    case onnx::AttributeProto::TENSOR: {
      a.type = Attribute::Type::kTensor;
      SOFIE_ASSIGN_OR_RETURN(a.t, consume_tensor(*ap.mutable_t(), lc, where()));
      break;
    }
    case onnx::AttributeProto::TENSORS:
      a.type = Attribute::Type::kTensors;
      for (auto& t : *ap.mutable_tensors()) {
        SOFIE_ASSIGN_OR_RETURN(Tensor tensor, consume_tensor(t, lc, where()));
        a.tensors.push_back(std::move(tensor));
      }
      break;
    case onnx::AttributeProto::GRAPH: {
      a.type = Attribute::Type::kGraph;
      SOFIE_ASSIGN_OR_RETURN(a.g, convert_graph(*ap.mutable_g(), lc, /*subgraph=*/true, depth + 1));
      break;
    }
    case onnx::AttributeProto::GRAPHS:
      a.type = Attribute::Type::kGraphs;
      for (auto& g : *ap.mutable_graphs()) {
        SOFIE_ASSIGN_OR_RETURN(std::shared_ptr<const Graph> sub, convert_graph(g, lc, true, depth + 1));
        a.graphs.push_back(std::move(sub));
      }
      break;
    default:
      return absl::UnimplementedError(absl::StrCat(where(), " has an unsupported type (", type, ")"));
  }
  return a;
}

absl::StatusOr<std::shared_ptr<const Graph>> convert_graph(onnx::GraphProto& gp, const LoadContext& lc,
                                                           bool subgraph, int depth) {
  if (depth > kMaxSubgraphDepth) {
    return absl::InvalidArgumentError(absl::StrCat("subgraphs nested deeper than ", kMaxSubgraphDepth, " levels"));
  }
  GraphBuilder b(gp.name(), lc.opsets);
  if (subgraph) b.mark_subgraph({});
  if (gp.sparse_initializer_size() > 0) {
    return absl::UnimplementedError(absl::StrCat("graph '", gp.name(), "' has sparse initializers, which sofie does not support"));
  }
  for (auto& t : *gp.mutable_initializer()) {
    std::string what = absl::StrCat("initializer '", t.name(), "'");
    SOFIE_ASSIGN_OR_RETURN(Tensor tensor, consume_tensor(t, lc, what));
    SOFIE_RETURN_IF_ERROR(b.add_initializer(t.name(), std::move(tensor)));
  }
  for (const auto& in : gp.input()) {
    std::string what = absl::StrCat("graph input '", in.name(), "'");
    bool is_initializer = false;
    for (const auto& t : gp.initializer()) is_initializer |= t.name() == in.name();
    if (is_initializer) continue;  // IR < 4: initializers listed as inputs too
    SOFIE_ASSIGN_OR_RETURN(auto type, type_from_proto(in, what, /*required=*/true));
    SOFIE_RETURN_IF_ERROR(b.add_input(in.name(), type.first, std::move(type.second)));
  }
  for (const auto& vi : gp.value_info()) {
    auto type = type_from_proto(vi, absl::StrCat("value_info '", vi.name(), "'"), /*required=*/false);
    if (type.ok() && type->first != DType::kUndefined) b.add_value_info(vi.name(), type->first, std::move(type->second));
  }
  for (int i = 0; i < gp.node_size(); ++i) {
    auto& np = *gp.mutable_node(i);
    Node node;
    node.name = np.name();
    node.op_type = np.op_type();
    node.domain = normalize_domain(np.domain());
    auto opset = lc.opsets.find(node.domain);
    if (node.name.empty()) node.name = absl::StrCat(node.op_type, "_", i);
    if (opset == lc.opsets.end()) {
      return absl::InvalidArgumentError(absl::StrCat(node.describe(), ": domain '", np.domain(),
                                                     "' is not among the model's opset imports"));
    }
    node.opset = opset->second;
    for (auto& ap : *np.mutable_attribute()) {
      SOFIE_ASSIGN_OR_RETURN(Attribute a, convert_attribute(ap, node, lc, depth));
      if (node.find_attribute(a.name) != nullptr) {
        return node_error(node, absl::StrCat("attribute '", a.name, "' is given twice"));
      }
      node.attributes.push_back(std::move(a));
    }
    std::vector<std::string> inputs(np.input().begin(), np.input().end());
    std::vector<std::string> outputs(np.output().begin(), np.output().end());
    SOFIE_RETURN_IF_ERROR(b.add_node(std::move(node), inputs, outputs));
  }
  for (const auto& out : gp.output()) {
    if (out.name().empty()) return absl::InvalidArgumentError("a graph output has an empty name");
    SOFIE_RETURN_IF_ERROR(b.add_output(out.name()));
  }
  return std::move(b).finish();
}

absl::StatusOr<std::shared_ptr<const Graph>> convert_model(onnx::ModelProto& mp, const LoadOptions& options,
                                                           const std::string& external_dir) {
  LoadContext lc;
  lc.external_data_dir = external_dir;
  for (const auto& os : mp.opset_import()) lc.opsets[normalize_domain(os.domain())] = static_cast<int>(os.version());
  auto def = lc.opsets.find("");
  if (def == lc.opsets.end()) {
    if (mp.opset_import_size() == 0 && mp.ir_version() < 3) {
      lc.opsets[""] = 1;  // IR < 3 models predate opset imports
      def = lc.opsets.find("");
    } else {
      return absl::InvalidArgumentError("the model imports no opset of the default ONNX domain");
    }
  }
  if (def->second < kMinOpset || def->second > kMaxOpset) {
    return absl::UnimplementedError(absl::StrCat("the model uses opset ", def->second,
                                                 " of the default ONNX domain; sofie supports opsets ", kMinOpset,
                                                 " to ", kMaxOpset));
  }
  if (!mp.has_graph()) return absl::InvalidArgumentError("the model has no graph");
  (void)options;
  return convert_graph(*mp.mutable_graph(), lc, /*subgraph=*/false, 0);
}

absl::Status not_a_model(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " is not a valid ONNX model (protobuf parse failed)"));
}

absl::StatusOr<std::shared_ptr<const Graph>> convert_parsed(onnx::ModelProto& mp, const LoadOptions& options,
                                                            const std::string& external_dir, const std::string& what);

absl::StatusOr<std::shared_ptr<const Graph>> parse_and_convert(const void* data, size_t size,
                                                               const LoadOptions& options,
                                                               const std::string& external_dir,
                                                               const std::string& what) {
  if (size > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is ", size, " bytes; ONNX models are limited to 2 GB"));
  }
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  onnx::ModelProto mp;
  if (!mp.ParseFromArray(data, static_cast<int>(size))) return not_a_model(what);
  return convert_parsed(mp, options, external_dir, what);
}

absl::StatusOr<std::shared_ptr<const Graph>> convert_parsed(onnx::ModelProto& mp, const LoadOptions& options,
                                                            const std::string& external_dir, const std::string& what) {
  auto graph = convert_model(mp, options, external_dir);
  if (!graph.ok()) {
    return absl::Status(graph.status().code(), absl::StrCat(what, ": ", graph.status().message()));
  }
  return graph;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Graph>> load_onnx_file(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("model '", path, "' is a folder, not a model file"));
  }
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot open model '", path, "': ", std::strerror(errno)));
  std::streamoff size = f.tellg();
  if (size < 0) return absl::InvalidArgumentError(absl::StrCat("cannot read model '", path, "'"));
  if (size > INT_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("model '", path, "' is ", size, " bytes; ONNX models are limited to 2 GB"));
  }
  std::string dir = options.external_data_dir;
  if (dir.empty()) {
    size_t slash = path.find_last_of('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  }
  const std::string what = absl::StrCat("model '", path, "'");
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  // Parsed from the stream, so the file's bytes are never held next to the parsed model.
  f.seekg(0);
  onnx::ModelProto mp;
  if (!mp.ParseFromIstream(&f)) return not_a_model(what);
  return convert_parsed(mp, options, dir, what);
}

absl::StatusOr<std::shared_ptr<const Graph>> load_onnx_buffer(const void* data, size_t size,
                                                              const LoadOptions& options) {
  return parse_and_convert(data, size, options, options.external_data_dir, "model buffer");
}

}  // namespace sofie
