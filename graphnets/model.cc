#include "graphnets/model.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "graphnets/model_impl.h"
#include "graphnets/segment.h"
#include "runtime/session.h"
#include "runtime/status.h"

namespace sofie::graphnets {
namespace {

// Rows per update-function call (see Session::State::call).
constexpr int64_t kTileRows = 512;

// A component of a graph state: the column-wise concatenation of parts, each [rows, width] row-major. A
// state is mostly views: of the input graph, of a stage's output buffers, or (after the skip
// concatenation of encode-process-decode) of two of them side by side, never copied.
struct Part {
  const float* data = nullptr;
  int64_t width = 0;
};
struct Component {
  absl::InlinedVector<Part, 2> parts;
  int64_t width = 0;
  void append(const Component& other) {
    parts.insert(parts.end(), other.parts.begin(), other.parts.end());
    width += other.width;
  }
  static Component of(const float* data, int64_t width) {
    Component c;
    c.parts.push_back(Part{data, width});
    c.width = width;
    return c;
  }
};
struct GraphState {
  Component nodes, edges, globals;
};

float* grow(AlignedBuffer& buffer, int64_t floats) {
  buffer.reserve(std::max<size_t>(static_cast<size_t>(floats) * sizeof(float), kTensorAlignment));
  return static_cast<float*>(buffer.data());
}

// Copies row `row` of every part side by side into `dst`; returns the end.
float* copy_row(const Component& c, int64_t row, float* dst) {
  for (const Part& p : c.parts) {
    std::memcpy(dst, p.data + row * p.width, static_cast<size_t>(p.width) * sizeof(float));
    dst += p.width;
  }
  return dst;
}

// All rows of a component into columns [col, col + c.width) of `dst` (row stride `stride`).
void copy_columns(const Component& c, int64_t rows, float* dst, int64_t col, int64_t stride) {
  for (int64_t r = 0; r < rows; ++r) copy_row(c, r, dst + r * stride + col);
}

absl::Status check_float_matrix(const TensorView& t, const char* field, int64_t width, const char* rows_name) {
  if (t.dtype != DType::kFloat32 || t.rank() != 2 || t.shape[1] != width) {
    return absl::InvalidArgumentError(absl::StrCat("graph field '", field, "' is ", dtype_name(t.dtype), " ",
                                                   dims_string(t.shape), "; the model takes float32 [", rows_name,
                                                   ",", width, "]"));
  }
  if (t.data == nullptr && t.numel() > 0) {
    return absl::InvalidArgumentError(absl::StrCat("graph field '", field, "' has no data"));
  }
  return absl::OkStatus();
}

absl::Status check_indices(const TensorView& t, const char* field, int64_t edges, int64_t nodes) {
  if (t.dtype != DType::kInt64 || t.rank() != 1 || t.shape[0] != edges) {
    return absl::InvalidArgumentError(absl::StrCat("graph field '", field, "' is ", dtype_name(t.dtype), " ",
                                                   dims_string(t.shape), "; expected int64 [", edges,
                                                   "] (one index per edge)"));
  }
  const int64_t* p = t.data_as<int64_t>();
  for (int64_t i = 0; i < edges; ++i) {
    if (p[i] < 0 || p[i] >= nodes) {
      return absl::InvalidArgumentError(absl::StrCat("graph field '", field, "': ", field, "[", i, "] = ", p[i],
                                                     " is not a node index in [0, ", nodes, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

GraphView Graph::view() const {
  return GraphView{nodes.view(), edges.view(), globals.view(), senders.view(), receivers.view()};
}

struct Session::State {
  std::shared_ptr<const ModelImpl> owner;
  const ModelImpl* model = nullptr;
  std::vector<sofie::Session> functions;  // one per update function
  struct StageBuffers {
    AlignedBuffer edges, nodes, globals;
  };
  std::vector<StageBuffers> stages;
  std::vector<GraphState> states;  // 0: the input; s + 1: stage s's output
  AlignedBuffer scratch;           // an update function's input
  AlignedBuffer out_nodes, out_edges, out_globals;  // outputs of more than one part, side by side
  std::vector<int32_t> received_counts, sent_counts;
  int32_t edge_count = 0, node_count = 0;  // as counts of the one graph-level segment
  bool counted_received = false, counted_sent = false;
  GraphView input;
  int64_t num_nodes = 0, num_edges = 0;

  explicit State(const ModelImpl* m) : model(m), stages(m->stages.size()), states(m->stages.size() + 1) {
    for (const Function& f : m->functions) functions.emplace_back(f.model);
  }

  const int32_t* counts(bool received) {
    std::vector<int32_t>& c = received ? received_counts : sent_counts;
    bool& done = received ? counted_received : counted_sent;
    if (!done) {
      c.resize(static_cast<size_t>(num_nodes));
      segment_counts((received ? input.receivers : input.senders).data_as<int64_t>(), num_edges, num_nodes, c.data());
      done = true;
    }
    return c.data();
  }

  // Runs function `f` over `rows` rows, kTileRows at a time: `input(begin, count)` gives the function's input
  // rows [begin, begin + count) ([count, in_features], valid until the next call of `input`). The outputs go
  // side by side into `out`, returned as a component. Tiles keep an edge update's gathered input and the
  // function's activations in cache however large the graph, and bound the scratch memory; a graph of at
  // most kTileRows edges (or nodes) is one call. Zero rows are one call with zero rows.
  template <typename Input>
  absl::StatusOr<Component> call(const Block& block, const std::string& field, const Stage& stage, int f,
                                 int64_t rows, Input input, AlignedBuffer& out) {
    const Function& fn = model->functions[f];
    float* dst = grow(out, rows * fn.info.out_features);
    for (int64_t begin = 0; begin < rows || begin == 0; begin += kTileRows) {
      const int64_t count = std::min(kTileRows, rows - begin);
      const TensorView in(DType::kFloat32, Dims{count, fn.info.in_features}, input(begin, count));
      auto result = functions[f].run(absl::MakeConstSpan(&in, 1));
      const auto fail = [&](absl::string_view what) {
        return absl::Status(
            result.ok() ? absl::StatusCode::kInvalidArgument : result.status().code(),
            absl::StrCat("block '", block.name, "'", stage.where.empty() ? "" : " (" + stage.where + ")", " field '",
                         field, "' ('", fn.info.path, "'): ", what));
      };
      if (!result.ok()) return fail(result.status().message());
      const TensorView& y = (*result)[0];
      if (y.dtype != DType::kFloat32 || y.rank() != 2 || y.shape[0] != count || y.shape[1] != fn.info.out_features) {
        return fail(absl::StrCat("gave ", dtype_name(y.dtype), " ", dims_string(y.shape), " for ", count,
                                 " rows; expected float32 [", count, ",", fn.info.out_features, "]"));
      }
      if (y.numel() > 0) std::memcpy(dst + begin * fn.info.out_features, y.data, y.nbytes());
      if (rows == 0) break;
    }
    return Component::of(dst, fn.info.out_features);
  }

  absl::Status run_stage(size_t s) {
    const Stage& stage = model->stages[s];
    const Block& block = model->blocks[stage.block];
    GraphState cur = states[stage.input];
    if (stage.concat_with >= 0) {
      const GraphState& other = states[stage.concat_with];
      cur.nodes.append(other.nodes);
      cur.edges.append(other.edges);
      cur.globals.append(other.globals);
    }
    StageBuffers& buffers = stages[s];
    const int64_t n = num_nodes, e = num_edges;
    if (const EdgeUpdate& u = block.edge; u.function >= 0) {
      const int64_t width = model->functions[u.function].info.in_features;
      float* x = grow(scratch, std::min(e, kTileRows) * width);
      const int64_t* senders = input.senders.data_as<int64_t>();
      const int64_t* receivers = input.receivers.data_as<int64_t>();
      // Gathered one tile at a time, just before the function reads it.
      const auto gather = [&](int64_t begin, int64_t count) {
        for (int64_t i = begin; i < begin + count; ++i) {
          float* d = x + (i - begin) * width;
          if (u.use_edges) d = copy_row(cur.edges, i, d);
          if (u.use_receiver_nodes) d = copy_row(cur.nodes, receivers[i], d);
          if (u.use_sender_nodes) d = copy_row(cur.nodes, senders[i], d);
          if (u.use_globals) d = copy_row(cur.globals, 0, d);
        }
        return x;
      };
      SOFIE_ASSIGN_OR_RETURN(cur.edges, call(block, u.field, stage, u.function, e, gather, buffers.edges));
    }
    if (const NodeUpdate& u = block.node; u.function >= 0) {
      const int64_t width = model->functions[u.function].info.in_features;
      float* x = grow(scratch, n * width);
      int64_t col = 0;
      const auto aggregate = [&](bool received, Reducer reducer) {
        const int64_t* index = (received ? input.receivers : input.senders).data_as<int64_t>();
        const int32_t* c = counts(received);
        for (const Part& p : cur.edges.parts) {
          segment_reduce_f32(reducer, p.data, e, p.width, index, n, c, x + col, width);
          col += p.width;
        }
      };
      if (u.use_received_edges) aggregate(true, u.received_edges_reducer);
      if (u.use_sent_edges) aggregate(false, u.sent_edges_reducer);
      if (u.use_nodes) {
        copy_columns(cur.nodes, n, x, col, width);
        col += cur.nodes.width;
      }
      if (u.use_globals) {
        for (int64_t r = 0; r < n; ++r) copy_row(cur.globals, 0, x + r * width + col);
      }
      const auto rows = [&](int64_t begin, int64_t) { return x + begin * width; };
      SOFIE_ASSIGN_OR_RETURN(cur.nodes, call(block, u.field, stage, u.function, n, rows, buffers.nodes));
    }
    if (const GlobalUpdate& u = block.global; u.function >= 0) {
      const int64_t width = model->functions[u.function].info.in_features;
      float* x = grow(scratch, width);
      float* d = x;
      const auto aggregate = [&](const Component& c, int64_t rows, const int32_t* count, Reducer reducer) {
        for (const Part& p : c.parts) {
          segment_reduce_f32(reducer, p.data, rows, p.width, nullptr, 1, count, d, width);
          d += p.width;
        }
      };
      if (u.use_edges) aggregate(cur.edges, e, &edge_count, u.edges_reducer);
      if (u.use_nodes) aggregate(cur.nodes, n, &node_count, u.nodes_reducer);
      if (u.use_globals) d = copy_row(cur.globals, 0, d);
      const auto row = [&](int64_t, int64_t) { return x; };
      SOFIE_ASSIGN_OR_RETURN(cur.globals, call(block, u.field, stage, u.function, 1, row, buffers.globals));
    }
    states[s + 1] = std::move(cur);
    return absl::OkStatus();
  }

  absl::Status check_input(const GraphView& g) {
    const Widths& w = model->input;
    SOFIE_RETURN_IF_ERROR(check_float_matrix(g.nodes, "nodes", w.nodes, "nodes"));
    SOFIE_RETURN_IF_ERROR(check_float_matrix(g.edges, "edges", w.edges, "edges"));
    SOFIE_RETURN_IF_ERROR(check_float_matrix(g.globals, "globals", w.globals, "1"));
    if (g.globals.shape[0] != 1) {
      return absl::InvalidArgumentError(absl::StrCat("graph field 'globals' is ", dims_string(g.globals.shape),
                                                     "; expected one row [1,", w.globals, "]"));
    }
    const int64_t n = g.nodes.shape[0], e = g.edges.shape[0];
    if (n > INT32_MAX || e > INT32_MAX) {
      return absl::InvalidArgumentError(absl::StrCat("graph of ", n, " nodes and ", e, " edges is too large"));
    }
    SOFIE_RETURN_IF_ERROR(check_indices(g.senders, "senders", e, n));
    SOFIE_RETURN_IF_ERROR(check_indices(g.receivers, "receivers", e, n));
    return absl::OkStatus();
  }

  // The component as one tensor view: itself when it has one part, else its parts side by side in `buffer`.
  TensorView materialise(const Component& c, int64_t rows, AlignedBuffer& buffer) {
    if (c.parts.size() == 1) return TensorView(DType::kFloat32, Dims{rows, c.width}, c.parts[0].data);
    float* dst = grow(buffer, rows * c.width);
    copy_columns(c, rows, dst, 0, c.width);
    return TensorView(DType::kFloat32, Dims{rows, c.width}, dst);
  }

  absl::StatusOr<GraphView> run(const GraphView& g) {
    SOFIE_RETURN_IF_ERROR(check_input(g));
    input = g;
    num_nodes = g.nodes.shape[0];
    num_edges = g.edges.shape[0];
    node_count = static_cast<int32_t>(num_nodes);
    edge_count = static_cast<int32_t>(num_edges);
    counted_received = counted_sent = false;
    states[0].nodes = Component::of(g.nodes.data_as<float>(), model->input.nodes);
    states[0].edges = Component::of(g.edges.data_as<float>(), model->input.edges);
    states[0].globals = Component::of(g.globals.data_as<float>(), model->input.globals);
    for (size_t s = 0; s < model->stages.size(); ++s) SOFIE_RETURN_IF_ERROR(run_stage(s));
    const GraphState& last = states.back();
    GraphView out;
    out.nodes = materialise(last.nodes, num_nodes, out_nodes);
    out.edges = materialise(last.edges, num_edges, out_edges);
    out.globals = materialise(last.globals, 1, out_globals);
    out.senders = g.senders;
    out.receivers = g.receivers;
    return out;
  }
};

Session::Session(const Model& model) : Session(model.impl_.get(), model.impl_) {}
Session::Session(const ModelImpl* model, std::shared_ptr<const ModelImpl> owner)
    : state_(std::make_unique<State>(model)) {
  state_->owner = std::move(owner);
}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

absl::StatusOr<GraphView> Session::run(const GraphView& graph) { return state_->run(graph); }

int64_t Session::calls_interpreted() const {
  int64_t n = 0;
  for (const sofie::Session& s : state_->functions) n += s.calls_interpreted();
  return n;
}

int64_t Session::calls_compiled() const {
  int64_t n = 0;
  for (const sofie::Session& s : state_->functions) n += s.calls_compiled();
  return n;
}

std::unique_ptr<Session> ModelImpl::borrow_session() const {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!pool_.empty()) {
      std::unique_ptr<Session> s = std::move(pool_.back());
      pool_.pop_back();
      return s;
    }
  }
  return std::unique_ptr<Session>(new Session(this, nullptr));
}

void ModelImpl::return_session(std::unique_ptr<Session> session) const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(std::move(session));
}

absl::StatusOr<Model> Model::try_load_from_text(const std::string& spec_text, const std::string& folder,
                                                const LoadOptions& options, const std::string& origin) {
  SOFIE_ASSIGN_OR_RETURN(std::shared_ptr<ModelImpl> impl, load_model_impl(spec_text, folder, options, origin));
  return Model(std::move(impl));
}

absl::StatusOr<Model> Model::try_load(const std::string& spec_path, const LoadOptions& options) {
  std::ifstream in(spec_path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the GraphNets spec '", spec_path, "'"));
  std::ostringstream text;
  text << in.rdbuf();
  const std::string::size_type slash = spec_path.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "." : spec_path.substr(0, slash + 1);
  return try_load_from_text(text.str(), folder, options, spec_path);
}

Model Model::load(const std::string& spec_path, const LoadOptions& options) {
  return value_or_throw(try_load(spec_path, options));
}

absl::StatusOr<Graph> Model::try_infer(const GraphView& graph) const {
  std::unique_ptr<Session> session = impl_->borrow_session();
  auto out = session->run(graph);
  absl::StatusOr<Graph> result;
  if (out.ok()) {
    result = Graph{Tensor::copy_of(out->nodes), Tensor::copy_of(out->edges), Tensor::copy_of(out->globals),
                   Tensor::copy_of(out->senders), Tensor::copy_of(out->receivers)};
  } else {
    result = out.status();
  }
  impl_->return_session(std::move(session));
  return result;
}

Graph Model::infer(const GraphView& graph) const { return value_or_throw(try_infer(graph)); }

const std::string& Model::name() const { return impl_->name; }

std::vector<int64_t> Model::input_features() const {
  return {impl_->input.nodes, impl_->input.edges, impl_->input.globals};
}

std::vector<int64_t> Model::output_features() const {
  return {impl_->output.nodes, impl_->output.edges, impl_->output.globals};
}

std::vector<FunctionInfo> Model::functions() const {
  std::vector<FunctionInfo> out;
  for (const Function& f : impl_->functions) {
    FunctionInfo info = f.info;
    info.tier = f.model.tier_stats();
    out.push_back(std::move(info));
  }
  return out;
}

Session Model::new_session() const { return Session(*this); }

}  // namespace sofie::graphnets
