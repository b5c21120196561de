// TfIdfVectorizer (opset 9) on int32/int64 token ids (pool_strings and string inputs are not supported).
// The n-gram pool becomes a trie at load: each node maps a token to a child, and a node that ends a pool
// n-gram carries that n-gram's 1-based id. Counting follows ONNX Runtime and the ONNX reference: for each
// skip distance 1 .. max_skip_count + 1 and each start position, walk the trie along tokens `distance`
// apart and count every n-gram of length [min_gram_length, max_gram_length] found; unigrams are counted
// on the first pass only. Counts go to output column ngram_indexes[id - 1]; the modes then give TF (the
// counts), IDF (weights[column] or 1 where the count is > 0) or TFIDF (count * (weights[column] or 1)).
#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Weighting { kTf, kIdf, kTfIdf };

struct TrieNode {
  int64_t id = 0;  // 0: no pool n-gram ends here
  std::unordered_map<int64_t, int32_t> children;
};

class TfIdfVectorizerOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    auto op = std::make_unique<TfIdfVectorizerOp>();
    const std::string mode = a.get_string("mode", "");
    op->min_gram_ = a.get_int("min_gram_length", 0);
    op->max_gram_ = a.get_int("max_gram_length", 0);
    op->max_skip_ = a.get_int("max_skip_count", 0);
    const std::vector<int64_t> counts = a.get_ints("ngram_counts");
    op->ngram_indexes_ = a.get_ints("ngram_indexes");
    const std::vector<int64_t> pool = a.get_ints("pool_int64s");
    const std::vector<float> weights = a.get_floats("weights");
    const bool strings = a.has("pool_strings");
    SOFIE_RETURN_IF_ERROR(a.status());
    if (strings) return unsupported(node, "pool_strings (string n-grams) are not supported; only pool_int64s");
    for (const char* required : {"mode", "min_gram_length", "max_gram_length", "max_skip_count", "ngram_counts",
                                 "ngram_indexes", "pool_int64s"}) {
      if (!a.has(required)) return node_error(node, absl::StrCat("the '", required, "' attribute is required"));
    }
    if (mode == "TF") {
      op->weighting_ = Weighting::kTf;
    } else if (mode == "IDF") {
      op->weighting_ = Weighting::kIdf;
    } else if (mode == "TFIDF") {
      op->weighting_ = Weighting::kTfIdf;
    } else {
      return node_error(node, absl::StrCat("mode '", mode, "' is not one of TF, IDF, TFIDF"));
    }
    if (op->min_gram_ < 1 || op->max_gram_ < op->min_gram_ || op->max_skip_ < 0) {
      return node_error(node, absl::StrCat("min_gram_length ", op->min_gram_, ", max_gram_length ", op->max_gram_,
                                           " and max_skip_count ", op->max_skip_,
                                           " must satisfy 1 <= min <= max and max_skip_count >= 0"));
    }
    SOFIE_RETURN_IF_ERROR(op->build_trie(node, counts, pool));
    for (int64_t i : op->ngram_indexes_) {
      if (i < 0) return node_error(node, absl::StrCat("ngram_indexes has a negative value ", i));
      op->output_size_ = std::max(op->output_size_, i + 1);
    }
    if (!weights.empty() && static_cast<int64_t>(weights.size()) < op->output_size_) {
      return node_error(node, absl::StrCat("weights has ", weights.size(), " values; expected one per output ",
                                           "column (", op->output_size_, ")"));
    }
    op->weights_.assign(weights.begin(), weights.end());
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 1, 1));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kInt64, DType::kInt32}));
    const SymShape& x = ctx.input_shape(0);
    if (!x.rank_known()) {
      ctx.set_output(0, DType::kFloat32, SymShape::unknown_rank());
      return absl::OkStatus();
    }
    if (x.rank() != 1 && x.rank() != 2) {
      return ctx.error(absl::StrCat("input has shape ", x.to_string(), "; expected [C] or [B, C]"));
    }
    std::vector<Dim> out;
    if (x.rank() == 2) out.push_back(x[0]);
    out.push_back(Dim::known(output_size_));
    ctx.set_output(0, DType::kFloat32, SymShape(std::move(out)));
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    if (x.size() != 1 && x.size() != 2) {
      return ctx.error(absl::StrCat("input has shape ", dims_string(x), "; expected [C] or [B, C]"));
    }
    ctx.set_output_shape(0, x.size() == 2 ? Dims{x[0], output_size_} : Dims{output_size_});
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const TensorView& x = ctx.input(0);
    const int64_t rows = x.rank() == 2 ? x.shape[0] : 1;
    const int64_t row_size = x.shape[x.rank() - 1];
    float* y = ctx.output(0).data_as<float>();
    std::fill(y, y + rows * output_size_, 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      if (x.dtype == DType::kInt64) {
        count_row(x.data_as<int64_t>() + r * row_size, row_size, y + r * output_size_);
      } else {
        count_row(x.data_as<int32_t>() + r * row_size, row_size, y + r * output_size_);
      }
      weigh_row(y + r * output_size_);
    }
    return absl::OkStatus();
  }

 private:
  // Pool n-grams of length n start at ngram_counts[n - 1]; lengths outside [min, max] only take ids.
  absl::Status build_trie(const Node& node, const std::vector<int64_t>& counts, const std::vector<int64_t>& pool) {
    nodes_.emplace_back();
    const int64_t total = static_cast<int64_t>(pool.size());
    int64_t next_id = 1;
    for (size_t i = 0; i < counts.size(); ++i) {
      const int64_t n = static_cast<int64_t>(i) + 1;
      const int64_t begin = counts[i], end = i + 1 < counts.size() ? counts[i + 1] : total;
      if (begin < 0 || end < begin || end > total || (end - begin) % n != 0) {
        return node_error(node, absl::StrCat("ngram_counts [", absl::StrJoin(counts, ","), "] do not split the ",
                                             total, " pool values into whole n-grams (length ", n, " spans [",
                                             begin, ", ", end, "))"));
      }
      const int64_t ngrams = (end - begin) / n;
      if (n < min_gram_ || n > max_gram_) {
        next_id += ngrams;
        continue;
      }
      for (int64_t g = 0; g < ngrams; ++g) {
        int32_t at = 0;
        for (int64_t k = 0; k < n; ++k) {
          const int64_t token = pool[begin + g * n + k];
          auto it = nodes_[at].children.find(token);
          if (it == nodes_[at].children.end()) {
            nodes_.emplace_back();
            it = nodes_[at].children.emplace(token, static_cast<int32_t>(nodes_.size() - 1)).first;
          }
          at = it->second;
        }
        nodes_[at].id = next_id++;
      }
    }
    if (next_id - 1 > static_cast<int64_t>(ngram_indexes_.size())) {
      return node_error(node, absl::StrCat("ngram_indexes has ", ngram_indexes_.size(), " values; the pool holds ",
                                           next_id - 1, " n-grams"));
    }
    return absl::OkStatus();
  }

  template <typename I>
  void count_row(const I* x, int64_t size, float* counts) const {
    int64_t start_gram = min_gram_;
    for (int64_t distance = 1; distance <= max_skip_ + 1; ++distance) {
      for (int64_t start = 0; start < size; ++start) {
        if (start + distance * (start_gram - 1) >= size) break;
        int32_t at = 0;
        int64_t item = start;
        for (int64_t n = 1; n <= max_gram_ && item < size && !nodes_[at].children.empty(); ++n, item += distance) {
          const auto it = nodes_[at].children.find(static_cast<int64_t>(x[item]));
          if (it == nodes_[at].children.end()) break;
          at = it->second;
          if (n >= start_gram && nodes_[at].id != 0) counts[ngram_indexes_[nodes_[at].id - 1]] += 1.0f;
        }
      }
      if (start_gram == 1 && ++start_gram > max_gram_) break;  // unigrams do not depend on the distance
    }
  }

  void weigh_row(float* y) const {
    if (weighting_ == Weighting::kTf) return;
    for (int64_t i = 0; i < output_size_; ++i) {
      const float w = weights_.empty() ? 1.0f : weights_[i];
      y[i] = weighting_ == Weighting::kIdf ? (y[i] > 0 ? w : 0.0f) : y[i] * w;
    }
  }

  Weighting weighting_ = Weighting::kTf;
  int64_t min_gram_ = 1, max_gram_ = 1, max_skip_ = 0, output_size_ = 0;
  std::vector<int64_t> ngram_indexes_;
  std::vector<float> weights_;
  std::vector<TrieNode> nodes_;  // nodes_[0] is the root
};

SOFIE_REGISTER_OP("", "TfIdfVectorizer", 9, kMaxOpset, &TfIdfVectorizerOp::create);

}  // namespace
}  // namespace sofie::ops
