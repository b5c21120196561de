// Spec text → validated ModelImpl: parse (protobuf text format), check every block and field, load each ONNX
// update function once, unroll the composition into stages and check every feature width along the way, so
// that a run never meets a width mismatch.
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <filesystem>
#include <map>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graphnets/graphnets.pb.h"
#include "graphnets/model_impl.h"
#include "runtime/status.h"

namespace sofie::graphnets {
namespace {

namespace fs = std::filesystem;
namespace pb = ::sofie::graphnets::spec;

class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

Reducer to_reducer(pb::Reducer r) {
  switch (r) {
    case pb::SUM: return Reducer::kSum;
    case pb::MEAN: return Reducer::kMean;
    case pb::MAX: return Reducer::kMax;
    case pb::MIN: return Reducer::kMin;
  }
  return Reducer::kSum;
}

// "a + b (c)" descriptions of concatenated inputs, for width errors.
struct WidthSum {
  int64_t total = 0;
  std::vector<std::string> terms;
  void add(bool used, const char* what, int64_t width) {
    if (!used) return;
    total += width;
    terms.push_back(absl::StrCat(what, " ", width));
  }
  std::string describe() const { return terms.empty() ? "no features" : absl::StrJoin(terms, " + "); }
};

class Loader {
 public:
  Loader(std::string folder, const LoadOptions& options, std::string origin)
      : folder_(folder.empty() ? "." : std::move(folder)), options_(options), origin_(std::move(origin)) {}

  absl::StatusOr<std::shared_ptr<ModelImpl>> load(const std::string& text) {
    pb::Model spec;
    google::protobuf::TextFormat::Parser parser;
    ParseErrors errors;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(text, &spec)) {
      return absl::InvalidArgumentError(absl::StrCat(origin_, ":", errors.first()));
    }
    impl_ = std::make_shared<ModelImpl>();
    impl_->name = spec.name();
    if (!spec.has_input()) return model_error("field 'input' is missing: the input graph's feature widths");
    SOFIE_ASSIGN_OR_RETURN(impl_->input, read_widths(spec.input()));

    const bool has_epd = spec.has_encode_process_decode();
    if (has_epd && spec.blocks_size() > 0) {
      return model_error("has both 'blocks' and 'encode_process_decode'; give one of them");
    }
    if (!has_epd && spec.blocks_size() == 0) {
      return model_error("has neither 'blocks' nor 'encode_process_decode': nothing to run");
    }
    Widths widths = impl_->input;
    if (has_epd) {
      SOFIE_RETURN_IF_ERROR(unroll_encode_process_decode(spec.encode_process_decode(), &widths));
    } else {
      int state = 0;
      for (int i = 0; i < spec.blocks_size(); ++i) {
        SOFIE_ASSIGN_OR_RETURN(int b, add_block(spec.blocks(i), absl::StrCat("blocks[", i, "]")));
        SOFIE_RETURN_IF_ERROR(add_stage(b, state, -1, "", &widths));
        state = static_cast<int>(impl_->stages.size());
      }
    }
    impl_->output = widths;
    return std::move(impl_);
  }

 private:
  absl::Status model_error(const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(origin_, ": model ", what));
  }
  absl::Status block_error(const std::string& block, const std::string& field, const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(origin_, ": block '", block, "' field '", field, "': ", what));
  }

  absl::StatusOr<Widths> read_widths(const pb::GraphFeatures& f) const {
    const std::pair<bool, const char*> fields[] = {{f.has_node_features(), "node_features"},
                                                   {f.has_edge_features(), "edge_features"},
                                                   {f.has_global_features(), "global_features"}};
    for (const auto& [present, field] : fields) {
      if (!present) return model_error(absl::StrCat("field 'input.", field, "' is missing"));
    }
    Widths w{f.node_features(), f.edge_features(), f.global_features()};
    for (const auto& [width, field] : {std::pair<int64_t, const char*>{w.nodes, "node_features"},
                                       {w.edges, "edge_features"},
                                       {w.globals, "global_features"}}) {
      if (width < 0 || width > (int64_t{1} << 24)) {
        return model_error(absl::StrCat("field 'input.", field, "' is ", width, "; expected 0 to 16777216"));
      }
    }
    return w;
  }

  absl::Status unroll_encode_process_decode(const pb::EncodeProcessDecode& epd, Widths* widths) {
    if (!epd.has_core()) return model_error("field 'encode_process_decode.core' is missing");
    if (epd.processing_steps() < 1 || epd.processing_steps() > 1000) {
      return model_error(absl::StrCat("field 'encode_process_decode.processing_steps' is ", epd.processing_steps(),
                                      "; expected 1 to 1000"));
    }
    int state = 0;
    if (epd.has_encoder()) {
      SOFIE_ASSIGN_OR_RETURN(int b, add_block(epd.encoder(), "encode_process_decode.encoder"));
      SOFIE_RETURN_IF_ERROR(add_stage(b, state, -1, "", widths));
      state = static_cast<int>(impl_->stages.size());
    }
    const int encoded = state;
    const Widths encoded_widths = *widths;
    SOFIE_ASSIGN_OR_RETURN(int core, add_block(epd.core(), "encode_process_decode.core"));
    for (int step = 1; step <= epd.processing_steps(); ++step) {
      if (epd.concat_encoded()) {
        widths->nodes += encoded_widths.nodes;
        widths->edges += encoded_widths.edges;
        widths->globals += encoded_widths.globals;
      }
      SOFIE_RETURN_IF_ERROR(add_stage(core, epd.concat_encoded() ? encoded : state, epd.concat_encoded() ? state : -1,
                                      absl::StrCat("processing step ", step), widths));
      state = static_cast<int>(impl_->stages.size());
    }
    for (const auto& [present, block, field] :
         {std::tuple<bool, const pb::Block*, const char*>{epd.has_decoder(), &epd.decoder(), "decoder"},
          {epd.has_output_transform(), &epd.output_transform(), "output_transform"}}) {
      if (!present) continue;
      SOFIE_ASSIGN_OR_RETURN(int b, add_block(*block, absl::StrCat("encode_process_decode.", field)));
      SOFIE_RETURN_IF_ERROR(add_stage(b, state, -1, "", widths));
      state = static_cast<int>(impl_->stages.size());
    }
    return absl::OkStatus();
  }

  // Validates a block's fields and loads its update functions; returns its index.
  absl::StatusOr<int> add_block(const pb::Block& spec, const std::string& where) {
    if (spec.name().empty()) return model_error(absl::StrCat("field '", where, ".name' is missing"));
    for (const Block& b : impl_->blocks) {
      if (b.name == spec.name()) return model_error(absl::StrCat("has two blocks named '", spec.name(), "'"));
    }
    Block block;
    block.name = spec.name();
    switch (spec.kind_case()) {
      case pb::Block::kEdgeBlock:
        SOFIE_RETURN_IF_ERROR(read_edge_block(block, spec.edge_block(), "edge_block", &block.edge));
        break;
      case pb::Block::kNodeBlock:
        SOFIE_RETURN_IF_ERROR(read_node_block(block, spec.node_block(), "node_block", &block.node));
        break;
      case pb::Block::kGlobalBlock:
        SOFIE_RETURN_IF_ERROR(read_global_block(block, spec.global_block(), "global_block", &block.global));
        break;
      case pb::Block::kGraphIndependent: {
        const pb::GraphIndependent& gi = spec.graph_independent();
        if (!gi.has_edge_model() && !gi.has_node_model() && !gi.has_global_model()) {
          return block_error(block.name, "graph_independent", "names no model (edge_model, node_model, global_model)");
        }
        if (gi.has_edge_model()) {
          block.edge.use_edges = true;
          block.edge.field = "graph_independent.edge_model";
          SOFIE_ASSIGN_OR_RETURN(block.edge.function, add_function(block.name, block.edge.field, gi.edge_model()));
        }
        if (gi.has_node_model()) {
          block.node.use_nodes = true;
          block.node.field = "graph_independent.node_model";
          SOFIE_ASSIGN_OR_RETURN(block.node.function, add_function(block.name, block.node.field, gi.node_model()));
        }
        if (gi.has_global_model()) {
          block.global.use_globals = true;
          block.global.field = "graph_independent.global_model";
          SOFIE_ASSIGN_OR_RETURN(block.global.function,
                                 add_function(block.name, block.global.field, gi.global_model()));
        }
        break;
      }
      case pb::Block::kGraphNetwork: {
        const pb::GraphNetwork& gn = spec.graph_network();
        const std::pair<bool, const char*> parts[] = {{gn.has_edge_block(), "graph_network.edge_block"},
                                                      {gn.has_node_block(), "graph_network.node_block"},
                                                      {gn.has_global_block(), "graph_network.global_block"}};
        for (const auto& [present, field] : parts) {
          if (!present) return block_error(block.name, field, "is missing (a graph network has all three blocks)");
        }
        SOFIE_RETURN_IF_ERROR(read_edge_block(block, gn.edge_block(), "graph_network.edge_block", &block.edge));
        SOFIE_RETURN_IF_ERROR(read_node_block(block, gn.node_block(), "graph_network.node_block", &block.node));
        SOFIE_RETURN_IF_ERROR(read_global_block(block, gn.global_block(), "graph_network.global_block", &block.global));
        break;
      }
      case pb::Block::KIND_NOT_SET:
        return model_error(absl::StrCat("block '", block.name, "' (", where,
                                        ") has no kind: give edge_block, node_block, global_block, "
                                        "graph_independent or graph_network"));
    }
    impl_->blocks.push_back(std::move(block));
    return static_cast<int>(impl_->blocks.size()) - 1;
  }

  absl::Status read_edge_block(const Block& block, const pb::EdgeBlock& e, const std::string& field, EdgeUpdate* out) {
    out->field = field + ".model";
    out->use_edges = e.use_edges();
    out->use_receiver_nodes = e.use_receiver_nodes();
    out->use_sender_nodes = e.use_sender_nodes();
    out->use_globals = e.use_globals();
    if (!out->use_edges && !out->use_receiver_nodes && !out->use_sender_nodes && !out->use_globals) {
      return block_error(block.name, field, "uses no input (all of use_edges, use_receiver_nodes, "
                                            "use_sender_nodes, use_globals are false)");
    }
    SOFIE_ASSIGN_OR_RETURN(out->function, add_function(block.name, out->field, e.model()));
    return absl::OkStatus();
  }

  absl::Status read_node_block(const Block& block, const pb::NodeBlock& n, const std::string& field, NodeUpdate* out) {
    out->field = field + ".model";
    out->use_received_edges = n.use_received_edges();
    out->use_sent_edges = n.use_sent_edges();
    out->use_nodes = n.use_nodes();
    out->use_globals = n.use_globals();
    out->received_edges_reducer = to_reducer(n.received_edges_reducer());
    out->sent_edges_reducer = to_reducer(n.sent_edges_reducer());
    if (!out->use_received_edges && !out->use_sent_edges && !out->use_nodes && !out->use_globals) {
      return block_error(block.name, field, "uses no input (all of use_received_edges, use_sent_edges, "
                                            "use_nodes, use_globals are false)");
    }
    SOFIE_ASSIGN_OR_RETURN(out->function, add_function(block.name, out->field, n.model()));
    return absl::OkStatus();
  }

  absl::Status read_global_block(const Block& block, const pb::GlobalBlock& g, const std::string& field,
                                 GlobalUpdate* out) {
    out->field = field + ".model";
    out->use_edges = g.use_edges();
    out->use_nodes = g.use_nodes();
    out->use_globals = g.use_globals();
    out->edges_reducer = to_reducer(g.edges_reducer());
    out->nodes_reducer = to_reducer(g.nodes_reducer());
    if (!out->use_edges && !out->use_nodes && !out->use_globals) {
      return block_error(block.name, field, "uses no input (all of use_edges, use_nodes, use_globals are false)");
    }
    SOFIE_ASSIGN_OR_RETURN(out->function, add_function(block.name, out->field, g.model()));
    return absl::OkStatus();
  }

  // The file `relative` inside the spec's folder; an absolute path, a path escaping the folder or a missing
  // file is an error. Symbolic links inside the folder are the model owner's choice and are followed (as for
  // ONNX external data, runtime/tensor_io.cc; Bazel's runfiles are links too).
  absl::StatusOr<fs::path> resolve(const std::string& block, const std::string& field, const std::string& relative) {
    if (relative.empty()) return block_error(block, field, "is missing: the ONNX file of the update function");
    const fs::path p(relative);
    if (p.is_absolute()) {
      return block_error(block, field, absl::StrCat("'", relative, "' is absolute; give a path relative to the "
                                                    "spec's folder"));
    }
    const fs::path normal = p.lexically_normal();
    if (normal.empty() || *normal.begin() == ".." || normal == ".") {
      return block_error(block, field, absl::StrCat("'", relative, "' is outside the spec's folder"));
    }
    const fs::path full = fs::path(folder_) / normal;
    std::error_code ec;
    if (!fs::is_regular_file(full, ec)) {
      return block_error(block, field, absl::StrCat("'", relative, "' is not a file in the spec's folder"));
    }
    return full;
  }

  // Loads an update function once per file; checks its signature ([rows, features] float32 in and out).
  absl::StatusOr<int> add_function(const std::string& block, const std::string& field, const std::string& relative) {
    SOFIE_ASSIGN_OR_RETURN(fs::path path, resolve(block, field, relative));
    const std::string key = fs::path(relative).lexically_normal().string();
    if (auto it = loaded_.find(key); it != loaded_.end()) return it->second;
    auto model = sofie::Model::try_load(path.string(), options_);
    if (!model.ok()) return block_error(block, field, absl::StrCat("'", relative, "': ", model.status().message()));
    const auto signature_error = [&](const std::string& what) {
      return block_error(block, field, absl::StrCat("'", relative, "' ", what,
                                                    "; an update function takes one float32 input [rows, features] "
                                                    "and gives one float32 output [rows, features]"));
    };
    if (model->inputs().size() != 1 || model->outputs().size() != 1) {
      return signature_error(absl::StrCat("has ", model->inputs().size(), " inputs and ", model->outputs().size(),
                                          " outputs"));
    }
    int64_t widths[2];
    const ValueInfo* infos[2] = {&model->inputs()[0], &model->outputs()[0]};
    for (int k = 0; k < 2; ++k) {
      const ValueInfo& v = *infos[k];
      const char* what = k == 0 ? "input" : "output";
      if (v.dtype != DType::kFloat32 || !v.shape.rank_known() || v.shape.rank() != 2 || !v.shape[1].is_known()) {
        return signature_error(absl::StrCat("has ", what, " '", v.name, "' ", dtype_name(v.dtype), " ",
                                            v.shape.to_string()));
      }
      widths[k] = v.shape[1].value;
    }
    // Rows must follow the graph (edges, nodes), so a static row count other than 1 cannot serve.
    const Dim& rows = model->inputs()[0].shape[0];
    if (rows.is_known() && rows.value != 1) {
      return signature_error(absl::StrCat("has input '", model->inputs()[0].name, "' with a static row count ",
                                          model->inputs()[0].shape.to_string()));
    }
    FunctionInfo info;
    info.block = block;
    info.field = field;
    info.path = relative;
    info.in_features = widths[0];
    info.out_features = widths[1];
    Function f{std::move(info), *std::move(model)};
    impl_->functions.push_back(std::move(f));
    const int index = static_cast<int>(impl_->functions.size()) - 1;
    loaded_.emplace(key, index);
    return index;
  }

  // Checks that the function of an update takes the block's concatenated input width; returns its output width.
  absl::StatusOr<int64_t> check_width(const Block& block, const std::string& field, int function, const WidthSum& sum,
                                      const std::string& where, bool rows_are_graph) {
    const Function& f = impl_->functions[function];
    const std::string at = where.empty() ? "" : absl::StrCat(" (", where, ")");
    if (f.info.in_features != sum.total) {
      return block_error(block.name, field,
                         absl::StrCat("'", f.info.path, "' takes ", f.info.in_features, " input features but the block",
                                      at, " gives ", sum.total, " (", sum.describe(), ")"));
    }
    const Dim& rows = f.model.inputs()[0].shape[0];
    if (rows_are_graph && rows.is_known()) {
      return block_error(block.name, field,
                         absl::StrCat("'", f.info.path, "' has a static row count ",
                                      f.model.inputs()[0].shape.to_string(), "; edge and node models need dynamic rows"));
    }
    return f.info.out_features;
  }

  absl::Status add_stage(int b, int input, int concat_with, const std::string& where, Widths* widths) {
    const Block& block = impl_->blocks[b];
    Widths w = *widths;
    if (block.edge.function >= 0) {
      const EdgeUpdate& e = block.edge;
      WidthSum sum;
      sum.add(e.use_edges, "edges", w.edges);
      sum.add(e.use_receiver_nodes, "receiver nodes", w.nodes);
      sum.add(e.use_sender_nodes, "sender nodes", w.nodes);
      sum.add(e.use_globals, "globals", w.globals);
      SOFIE_ASSIGN_OR_RETURN(w.edges, check_width(block, e.field, e.function, sum, where, true));
    }
    if (block.node.function >= 0) {
      const NodeUpdate& n = block.node;
      WidthSum sum;
      sum.add(n.use_received_edges, "received edges", w.edges);
      sum.add(n.use_sent_edges, "sent edges", w.edges);
      sum.add(n.use_nodes, "nodes", w.nodes);
      sum.add(n.use_globals, "globals", w.globals);
      SOFIE_ASSIGN_OR_RETURN(w.nodes, check_width(block, n.field, n.function, sum, where, true));
    }
    if (block.global.function >= 0) {
      const GlobalUpdate& g = block.global;
      WidthSum sum;
      sum.add(g.use_edges, "edges", w.edges);
      sum.add(g.use_nodes, "nodes", w.nodes);
      sum.add(g.use_globals, "globals", w.globals);
      SOFIE_ASSIGN_OR_RETURN(w.globals, check_width(block, g.field, g.function, sum, where, false));
    }
    impl_->stages.push_back(Stage{b, input, concat_with, where});
    *widths = w;
    return absl::OkStatus();
  }

  std::string folder_;
  LoadOptions options_;
  std::string origin_;
  std::shared_ptr<ModelImpl> impl_;
  std::map<std::string, int> loaded_;  // normalised relative path -> function
};

}  // namespace

absl::StatusOr<std::shared_ptr<ModelImpl>> load_model_impl(const std::string& spec_text, const std::string& folder,
                                                           const LoadOptions& options, const std::string& origin) {
  return Loader(folder, options, origin).load(spec_text);
}

}  // namespace sofie::graphnets
