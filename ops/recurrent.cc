// RNN, GRU and LSTM (every opset; `layout` from opset 14), float32 and float64.
//
// Per direction, one GEMM projects the inputs of all time steps at once (X[seq*batch, input] x W^T), then
// each step runs one GEMM of the hidden state with R^T (GRU without linear_before_reset needs a second,
// smaller one for the reset-gated state) and the gate arithmetic, all through sofie_gemm_f32 (which runs
// small products, batch 1 or small batches and states, as one GEMV per row). The step's gate
// pre-activations are gathered into planes [gate][batch][hidden], so every activation is one call over all
// batch rows (the kernel ABI's sigmoid and tanh for the defaults) instead of one per row.
// sequence_lens: rows past their length keep their state and produce zeros in Y; the reverse direction
// walks each row from its own last valid step. A row of length 0 gives zeros in Y_h and Y_c (as ONNX
// Runtime does).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ops/kernels/math_f32.h"
#include "ops/kernels/sofie_kernels.h"
#include "ops/op_util.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Cell { kRnn, kGru, kLstm };

// Gates stacked in W and R: RNN i; GRU z, r, h; LSTM i, o, f, c.
int gate_count(Cell c) { return c == Cell::kRnn ? 1 : c == Cell::kGru ? 3 : 4; }
// Activations per direction: RNN f; GRU f, g; LSTM f, g, h.
int activation_count(Cell c) { return c == Cell::kRnn ? 1 : c == Cell::kGru ? 2 : 3; }

// ---------------------------------------------------------------------------------------------------
// Activations

enum class Act {
  kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu,
  kSoftsign, kSoftplus
};

struct Activation {
  Act kind = Act::kTanh;
  float alpha = 0, beta = 0;
};

struct ActivationInfo {
  const char* name;  // lower case; names match case-insensitively
  Act kind;
  bool uses_alpha, uses_beta;
  float alpha, beta;  // defaults: those of the ONNX operator of the same name
};

constexpr ActivationInfo kActivations[] = {
    {"relu", Act::kRelu, false, false, 0, 0},
    {"tanh", Act::kTanh, false, false, 0, 0},
    {"sigmoid", Act::kSigmoid, false, false, 0, 0},
    {"affine", Act::kAffine, true, true, 1.0f, 0.0f},
    {"leakyrelu", Act::kLeakyRelu, true, false, 0.01f, 0},
    {"thresholdedrelu", Act::kThresholdedRelu, true, false, 1.0f, 0},
    {"scaledtanh", Act::kScaledTanh, true, true, 1.0f, 1.0f},
    {"hardsigmoid", Act::kHardSigmoid, true, true, 0.2f, 0.5f},
    {"elu", Act::kElu, true, false, 1.0f, 0},
    {"softsign", Act::kSoftsign, false, false, 0, 0},
    {"softplus", Act::kSoftplus, false, false, 0, 0},
};

// Elementwise loops of the gate arithmetic on GCC vector types (vec_loop.h), one AVX register per
// iteration, so hidden sizes as small as 8 vectorise. The functors are generic lambdas: called on vectors,
// then on scalars for the tail.

// y[i] = f(a[i], b[i]); y may alias an input.
template <typename T, typename F>
void map2(int64_t n, const T* a, const T* b, T* y, F f) {
  int64_t i = 0;
  for (; i + kVecLanes<T> <= n; i += kVecLanes<T>) store_vec(y + i, f(load_vec(a + i), load_vec(b + i)));
  for (; i < n; ++i) y[i] = f(a[i], b[i]);
}

// y[i] = f(a[i], b[i], c[i]); y may alias an input.
template <typename T, typename F>
void map3(int64_t n, const T* a, const T* b, const T* c, T* y, F f) {
  int64_t i = 0;
  for (; i + kVecLanes<T> <= n; i += kVecLanes<T>) {
    store_vec(y + i, f(load_vec(a + i), load_vec(b + i), load_vec(c + i)));
  }
  for (; i < n; ++i) y[i] = f(a[i], b[i], c[i]);
}

// y[i] = f(a[i], b[i], c[i], d[i]); y may alias an input.
template <typename T, typename F>
void map4(int64_t n, const T* a, const T* b, const T* c, const T* d, T* y, F f) {
  int64_t i = 0;
  for (; i + kVecLanes<T> <= n; i += kVecLanes<T>) {
    store_vec(y + i, f(load_vec(a + i), load_vec(b + i), load_vec(c + i), load_vec(d + i)));
  }
  for (; i < n; ++i) y[i] = f(a[i], b[i], c[i], d[i]);
}

constexpr auto kAdd2 = [](auto u, auto v) { return u + v; };
constexpr auto kMul2 = [](auto u, auto v) { return u * v; };
constexpr auto kAdd3 = [](auto u, auto v, auto w) { return u + v + w; };
constexpr auto kPeephole = [](auto pre, auto weight, auto c) { return pre + weight * c; };

template <typename T>
T exp_of(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return kernels::exp_f32(v);
  } else {
    return std::exp(v);
  }
}

// y = act(x) over n elements; x == y allowed.
template <typename T>
void activate(const Activation& a, const T* x, T* y, int64_t n) {
  const T alpha = a.alpha, beta = a.beta;
  switch (a.kind) {
    case Act::kSigmoid:
      if constexpr (std::is_same_v<T, float>) {
        sofie_sigmoid_f32(x, y, n);
      } else {
        map_unary(n, x, y, [](T v) { return T(1) / (T(1) + std::exp(-v)); });
      }
      return;
    case Act::kTanh:
      if constexpr (std::is_same_v<T, float>) {
        sofie_tanh_f32(x, y, n);
      } else {
        for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
      }
      return;
    case Act::kRelu:
      map_unary(n, x, y, [](T v) { return select(v > T(0), v, T(0)); });
      return;
    case Act::kAffine:
      map_unary(n, x, y, [alpha, beta](T v) { return alpha * v + beta; });
      return;
    case Act::kLeakyRelu:
      map_unary(n, x, y, [alpha](T v) { return select(v >= T(0), v, alpha * v); });
      return;
    case Act::kThresholdedRelu:
      map_unary(n, x, y, [alpha](T v) { return select(v > alpha, v, T(0)); });
      return;
    case Act::kScaledTanh:
      map_unary(n, x, y, [beta](T v) { return beta * v; });
      activate(Activation{Act::kTanh, 0, 0}, y, y, n);
      map_unary(n, y, y, [alpha](T v) { return alpha * v; });
      return;
    case Act::kHardSigmoid:
      map_unary(n, x, y, [alpha, beta](T v) {
        const T s = alpha * v + beta;
        return select(s > T(1), T(1), select(s < T(0), T(0), s));
      });
      return;
    case Act::kElu:
      map_unary(n, x, y, [alpha](T v) { return select(v >= T(0), v, alpha * (exp_of(v) - T(1))); });
      return;
    case Act::kSoftsign:
      map_unary(n, x, y, [](T v) { return v / (T(1) + std::fabs(v)); });
      return;
    case Act::kSoftplus:
      // log(1 + e^v) without overflow for large v.
      for (int64_t i = 0; i < n; ++i) {
        const T v = x[i];
        y[i] = std::max(v, T(0)) + std::log1p(std::exp(-std::fabs(v)));
      }
      return;
  }
}

// Clip: bounds the input of every gate activation to [-c, c].
template <typename T>
void clip_to(T c, T* x, int64_t n) {
  map_unary(n, x, x, [c](T v) { return select(v > c, c, select(v < -c, -c, v)); });
}

// ---------------------------------------------------------------------------------------------------
// GEMM: C[M,N] = A[M,K] x B^T with B stored [N,K]; rows lda, ldb, ldc apart.

// sofie_gemm_f32 routes the small per-step products (few batch rows, R within L1) to one GEMV per row and
// larger ones, like the input projection of all steps, to BLIS (ops/kernels/gemm_f32.cc).
void gemm_abt(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
              int64_t ldc) {
  sofie_gemm_f32(0, 1, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
}

// float64 has no ABI kernel: dot products with lane-wise partial sums (vectorised without reassociation).
void gemm_abt(int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B, int64_t ldb,
              double* C, int64_t ldc) {
  constexpr int L = kVecLanes<double>;
  for (int64_t m = 0; m < M; ++m) {
    const double* a = A + m * lda;
    for (int64_t n = 0; n < N; ++n) {
      const double* b = B + n * ldb;
      double lanes[L] = {};
      int64_t k = 0;
      for (; k + L <= K; k += L) {
        for (int j = 0; j < L; ++j) lanes[j] += a[k + j] * b[k + j];
      }
      double s = 0;
      for (int j = 0; j < L; ++j) s += lanes[j];
      for (; k < K; ++k) s += a[k] * b[k];
      C[m * ldc + n] = s;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The operator

// Shapes, and the workspace regions as byte offsets (each 64-byte aligned).
struct RecurrentParams : OpParams {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
  // Elements per gate plane: batch * hidden rounded up to the ABI activations' block of 16, so activations
  // run whole blocks (the padding holds zeros or stale values of no consequence) instead of scalar tails.
  int64_t plane = 0;
  size_t lens_at = 0, bias_at = 0, xw_at = 0, gemm_at = 0, planes_at = 0, h_at = 0, c_at = 0, tmp_at = 0;
};

// One direction's inputs and state while it runs.
template <typename T>
struct Direction {
  const T* x = nullptr;    // X
  const T* w = nullptr;    // W[d]: [gates*hidden, input]
  const T* r = nullptr;    // R[d]: [gates*hidden, hidden]
  const T* peep = nullptr;  // P[d]: [3*hidden] (i, o, f) or null
  const int64_t* lens = nullptr;
  T* bias = nullptr;     // [gates*hidden] added to X W^T; GRU linear_before_reset: + [hidden] Rb[h]
  T* xw = nullptr;       // [seq*batch, gates*hidden], rows in X's order
  T* gemm = nullptr;     // [batch, gates*hidden]: H R^T of the step
  T* planes = nullptr;   // [gates][plane]: each plane [batch, hidden] plus padding
  T* h = nullptr;        // [batch, hidden]
  T* c = nullptr;        // [plane] (LSTM)
  T* tmp = nullptr;      // [plane]
  T* y = nullptr;        // Y or null
  int64_t d = 0;
  bool forward = true;
};

class RecurrentOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create_rnn(const Node& node) { return create(node, Cell::kRnn); }
  static absl::StatusOr<std::unique_ptr<Op>> create_gru(const Node& node) { return create(node, Cell::kGru); }
  static absl::StatusOr<std::unique_ptr<Op>> create_lstm(const Node& node) { return create(node, Cell::kLstm); }

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node, Cell cell) {
    Attrs a(node);
    auto op = std::make_unique<RecurrentOp>();
    op->cell_ = cell;
    const std::string direction = a.get_string("direction", "forward");
    op->hidden_ = a.get_int("hidden_size", -1);
    const bool has_clip = a.has("clip");
    const float clip = a.get_float("clip", 0.0f);
    const std::vector<float> alphas = a.get_floats("activation_alpha");
    const std::vector<float> betas = a.get_floats("activation_beta");
    const Attribute* names = a.get("activations", Attribute::Type::kStrings);
    int64_t layout = 0;
    if (node.opset >= 14) {
      layout = a.get_int("layout", 0);
    } else if (a.has("layout")) {
      return node_error(node, absl::StrCat("attribute 'layout' exists from opset 14; the model's opset is ",
                                           node.opset));
    }
    const int64_t input_forget = cell == Cell::kLstm ? a.get_int("input_forget", 0) : 0;
    const int64_t lbr = cell == Cell::kGru ? a.get_int("linear_before_reset", 0) : 0;
    SOFIE_RETURN_IF_ERROR(a.status());

    if (direction == "forward" || direction == "reverse") {
      op->dirs_ = 1;
      op->reverse_ = direction == "reverse";
    } else if (direction == "bidirectional") {
      op->dirs_ = 2;
    } else {
      return node_error(node, absl::StrCat("direction is '", direction,
                                           "'; expected 'forward', 'reverse' or 'bidirectional'"));
    }
    if (a.has("hidden_size") && op->hidden_ <= 0) {
      return node_error(node, absl::StrCat("hidden_size is ", op->hidden_, "; expected a positive value"));
    }
    // clip = 0 (written by ROOT's SOFIE test models) clamps every gate input to 0, as ONNX Runtime runs
    // it; only a negative or NaN threshold is an error.
    if (has_clip && !(clip >= 0.0f)) {
      return node_error(node, absl::StrCat("clip is ", clip, "; expected a positive threshold"));
    }
    op->has_clip_ = has_clip;
    op->clip_ = has_clip ? clip : 0.0f;
    if (layout != 0 && layout != 1) {
      return node_error(node, absl::StrCat("layout is ", layout, "; expected 0 or 1"));
    }
    op->batch_major_ = layout == 1;
    if (input_forget != 0 && input_forget != 1) {
      return node_error(node, absl::StrCat("input_forget is ", input_forget, "; expected 0 or 1"));
    }
    op->input_forget_ = input_forget == 1;
    if (lbr != 0 && lbr != 1) {
      return node_error(node, absl::StrCat("linear_before_reset is ", lbr, "; expected 0 or 1"));
    }
    op->linear_before_reset_ = lbr == 1;
    SOFIE_RETURN_IF_ERROR(op->parse_activations(node, names, alphas, betas));
    return std::unique_ptr<Op>(std::move(op));
  }

  absl::Status infer(InferContext& ctx) override {
    const bool lstm = cell_ == Cell::kLstm;
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, lstm ? 8 : 6));
    if (ctx.num_outputs() > (lstm ? 3 : 2)) {
      return ctx.error(absl::StrCat("has ", ctx.num_outputs(), " outputs; expected at most ", lstm ? 3 : 2,
                                    lstm ? " (Y, Y_h, Y_c)" : " (Y, Y_h)"));
    }
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64}));
    for (int i : {1, 2, 3, 5, 6, 7}) {
      if (!ctx.has_input(i)) continue;
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, i, {DType::kFloat32, DType::kFloat64}));
      SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, i));
    }
    if (ctx.has_input(4)) SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 4, {DType::kInt32, DType::kInt64}));
    const SymShape& x = ctx.input_shape(0);
    const SymShape& w = ctx.input_shape(1);
    const SymShape& r = ctx.input_shape(2);
    const char* names[] = {"X", "W", "R"};
    const SymShape* shapes[] = {&x, &w, &r};
    for (int i = 0; i < 3; ++i) {
      if (shapes[i]->rank_known() && shapes[i]->rank() != 3) {
        return ctx.error(absl::StrCat(names[i], " must be 3-D, got ", shapes[i]->to_string()));
      }
    }
    Dim hidden = hidden_ > 0 ? Dim::known(hidden_) : Dim::unknown();
    if (!hidden.is_known() && r.rank_known()) hidden = r[2];
    if (hidden.is_known()) {
      const int64_t gh = gate_count(cell_) * hidden.value;
      auto mismatch = [&](const char* what, const SymShape& s, int axis, int64_t want) -> absl::Status {
        if (s.rank_known() && axis < s.rank() && s[axis].is_known() && s[axis].value != want) {
          return ctx.error(absl::StrCat(what, " is ", s.to_string(), ": dimension ", axis, " should be ", want,
                                        " (", dirs_, " direction(s), hidden_size ", hidden.value, ")"));
        }
        return absl::OkStatus();
      };
      SOFIE_RETURN_IF_ERROR(mismatch("W", w, 0, dirs_));
      SOFIE_RETURN_IF_ERROR(mismatch("W", w, 1, gh));
      SOFIE_RETURN_IF_ERROR(mismatch("R", r, 0, dirs_));
      SOFIE_RETURN_IF_ERROR(mismatch("R", r, 1, gh));
      SOFIE_RETURN_IF_ERROR(mismatch("R", r, 2, hidden.value));
      if (ctx.has_input(3)) SOFIE_RETURN_IF_ERROR(mismatch("B", ctx.input_shape(3), 1, 2 * gh));
      if (lstm && ctx.has_input(7)) SOFIE_RETURN_IF_ERROR(mismatch("P", ctx.input_shape(7), 1, 3 * hidden.value));
    }
    Dim seq = Dim::unknown(), batch = Dim::unknown();
    if (x.rank_known()) {
      seq = x[batch_major_ ? 1 : 0];
      batch = x[batch_major_ ? 0 : 1];
    }
    const Dim dirs = Dim::known(dirs_);
    const DType t = ctx.input_dtype(0);
    if (batch_major_) {
      ctx.set_output(0, t, SymShape({batch, seq, dirs, hidden}));
      for (int i = 1; i < 3; ++i) ctx.set_output(i, t, SymShape({batch, dirs, hidden}));
    } else {
      ctx.set_output(0, t, SymShape({seq, dirs, batch, hidden}));
      for (int i = 1; i < 3; ++i) ctx.set_output(i, t, SymShape({dirs, batch, hidden}));
    }
    return absl::OkStatus();
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    const Dims& x = ctx.input_shape(0);
    const Dims& w = ctx.input_shape(1);
    const Dims& r = ctx.input_shape(2);
    if (x.size() != 3 || w.size() != 3 || r.size() != 3) {
      return ctx.error(absl::StrCat("X, W and R must be 3-D, got ", dims_string(x), ", ", dims_string(w), " and ",
                                    dims_string(r)));
    }
    auto& p = ctx.make_params<RecurrentParams>();
    p.seq = x[batch_major_ ? 1 : 0];
    p.batch = x[batch_major_ ? 0 : 1];
    p.input = x[2];
    p.hidden = hidden_ > 0 ? hidden_ : r[2];
    p.dirs = dirs_;
    const int64_t g = gate_count(cell_), h = p.hidden, gh = g * h;
    auto expect = [&](int i, const char* what, Dims want) -> absl::Status {
      if (!ctx.has_input(i) || ctx.input_shape(i) == want) return absl::OkStatus();
      return ctx.error(absl::StrCat(what, " is ", dims_string(ctx.input_shape(i)), "; expected ", dims_string(want),
                                    " (", dirs_, " direction(s), hidden_size ", h, ", batch ", p.batch, ", input ",
                                    p.input, ", layout ", batch_major_ ? 1 : 0, ")"));
    };
    SOFIE_RETURN_IF_ERROR(expect(1, "W", {p.dirs, gh, p.input}));
    SOFIE_RETURN_IF_ERROR(expect(2, "R", {p.dirs, gh, h}));
    SOFIE_RETURN_IF_ERROR(expect(3, "B", {p.dirs, 2 * gh}));
    SOFIE_RETURN_IF_ERROR(expect(4, "sequence_lens", {p.batch}));
    const Dims state = batch_major_ ? Dims{p.batch, p.dirs, h} : Dims{p.dirs, p.batch, h};
    SOFIE_RETURN_IF_ERROR(expect(5, "initial_h", state));
    if (cell_ == Cell::kLstm) {
      SOFIE_RETURN_IF_ERROR(expect(6, "initial_c", state));
      SOFIE_RETURN_IF_ERROR(expect(7, "P", {p.dirs, 3 * h}));
    }
    if (ctx.has_output(0)) {
      ctx.set_output_shape(0, batch_major_ ? Dims{p.batch, p.seq, p.dirs, h} : Dims{p.seq, p.dirs, p.batch, h});
    }
    for (int i = 1; i < 3; ++i) {
      if (ctx.has_output(i)) ctx.set_output_shape(i, state);
    }

    const size_t elem = dtype_size(ctx.input_dtype(0));
    size_t at = 0;
    auto region = [&](int64_t elements, size_t bytes_each) {
      const size_t start = at;
      at += (static_cast<size_t>(elements) * bytes_each + 63) / 64 * 64;
      return start;
    };
    p.lens_at = region(p.batch, sizeof(int64_t));
    p.bias_at = region(gh + h, elem);
    p.xw_at = region(p.seq * p.batch * gh, elem);
    p.plane = (p.batch * h + 15) / 16 * 16;
    p.gemm_at = region(std::max(p.batch * gh, p.plane), elem);
    p.planes_at = region(g * p.plane, elem);
    p.h_at = region(p.batch * h, elem);
    p.c_at = region(cell_ == Cell::kLstm ? p.plane : 0, elem);
    p.tmp_at = region(p.plane, elem);
    ctx.set_workspace(at);
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    if (ctx.input(0).dtype == DType::kFloat64) return run_typed<double>(ctx);
    return run_typed<float>(ctx);
  }

 private:
  absl::Status parse_activations(const Node& node, const Attribute* names, const std::vector<float>& alphas,
                                 const std::vector<float>& betas) {
    const int per_dir = activation_count(cell_);
    std::vector<std::string> list;
    if (names == nullptr) {
      static const char* kDefaults[] = {"sigmoid", "tanh", "tanh"};
      for (int d = 0; d < dirs_; ++d) {
        if (cell_ == Cell::kRnn) {
          list.push_back("tanh");
        } else {
          for (int k = 0; k < per_dir; ++k) list.push_back(kDefaults[k]);
        }
      }
    } else {
      list = names->strings;
      // One direction's list for a bidirectional node serves both directions (with the same alpha/beta).
      const bool shared = dirs_ == 2 && static_cast<int>(list.size()) == per_dir;
      if (!shared && static_cast<int>(list.size()) != per_dir * dirs_) {
        return node_error(node, absl::StrCat("activations has ", names->strings.size(), " entries; expected ",
                                             per_dir * dirs_, " (", per_dir, " per direction, ", dirs_,
                                             " direction(s))"));
      }
    }
    // activation_alpha/beta are consumed in order by the activations that take them (as ONNX Runtime).
    size_t next_alpha = 0, next_beta = 0;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string name = absl::AsciiStrToLower(list[i]);
      const ActivationInfo* info = nullptr;
      for (const ActivationInfo& candidate : kActivations) {
        if (name == candidate.name) info = &candidate;
      }
      if (info == nullptr) {
        return node_error(node, absl::StrCat("activation '", list[i], "' is not supported; expected one of Relu, "
                                             "Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, "
                                             "HardSigmoid, Elu, Softsign, Softplus"));
      }
      Activation act{info->kind, info->alpha, info->beta};
      if (info->uses_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
      if (info->uses_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
      acts_[i] = act;
    }
    if (dirs_ == 2 && static_cast<int>(list.size()) == per_dir) std::copy(acts_, acts_ + per_dir, acts_ + per_dir);
    return absl::OkStatus();
  }

  const Activation& act(int64_t d, int k) const { return acts_[d * activation_count(cell_) + k]; }

  template <typename T>
  absl::Status run_typed(const RunContext& ctx) const {
    const auto& p = ctx.params_as<RecurrentParams>();
    char* ws = static_cast<char*>(ctx.workspace);
    int64_t* lens = reinterpret_cast<int64_t*>(ws + p.lens_at);
    for (int64_t b = 0; b < p.batch; ++b) {
      int64_t len = p.seq;
      if (ctx.has_input(4)) {
        const TensorView& v = ctx.input(4);
        len = v.dtype == DType::kInt32 ? v.data_as<int32_t>()[b] : v.data_as<int64_t>()[b];
        if (len < 0 || len > p.seq) {
          return ctx.error(absl::StrCat("sequence_lens[", b, "] is ", len, "; expected a value in [0, ", p.seq,
                                        "]"));
        }
      }
      lens[b] = len;
    }
    const int64_t h = p.hidden;
    if (p.batch == 0 || h == 0) return absl::OkStatus();
    const int64_t gh = gate_count(cell_) * h;
    for (int64_t d = 0; d < p.dirs; ++d) {
      Direction<T> s;
      s.d = d;
      s.forward = dirs_ == 2 ? d == 0 : !reverse_;
      s.x = ctx.input(0).data_as<T>();
      s.w = ctx.input(1).data_as<T>() + d * gh * p.input;
      s.r = ctx.input(2).data_as<T>() + d * gh * h;
      s.peep = ctx.has_input(7) ? ctx.input(7).data_as<T>() + d * 3 * h : nullptr;
      s.lens = lens;
      s.bias = reinterpret_cast<T*>(ws + p.bias_at);
      s.xw = reinterpret_cast<T*>(ws + p.xw_at);
      s.gemm = reinterpret_cast<T*>(ws + p.gemm_at);
      s.planes = reinterpret_cast<T*>(ws + p.planes_at);
      s.h = reinterpret_cast<T*>(ws + p.h_at);
      s.c = reinterpret_cast<T*>(ws + p.c_at);
      s.tmp = reinterpret_cast<T*>(ws + p.tmp_at);
      s.y = ctx.has_output(0) ? ctx.output(0).data_as<T>() : nullptr;

      // Bias: Wb + Rb, except GRU with linear_before_reset, whose Rb[h] goes inside the reset product.
      std::fill(s.bias, s.bias + gh + h, T(0));
      if (ctx.has_input(3)) {
        const T* wb = ctx.input(3).data_as<T>() + d * 2 * gh;
        const T* rb = wb + gh;
        const int64_t summed = cell_ == Cell::kGru && linear_before_reset_ ? 2 * h : gh;
        for (int64_t j = 0; j < summed; ++j) s.bias[j] = wb[j] + rb[j];
        for (int64_t j = summed; j < gh; ++j) s.bias[j] = wb[j];
        for (int64_t j = summed; j < gh; ++j) s.bias[gh + j - summed] = rb[j];
      }
      // Initial state; planes and padding zeroed so rows that never run see finite values.
      for (int64_t b = 0; b < p.batch; ++b) {
        const int64_t at = state_offset(p, d, b);
        if (ctx.has_input(5)) {
          std::memcpy(s.h + b * h, ctx.input(5).data_as<T>() + at, h * sizeof(T));
        } else {
          std::fill(s.h + b * h, s.h + (b + 1) * h, T(0));
        }
        if (cell_ != Cell::kLstm) continue;
        if (ctx.has_input(6)) {
          std::memcpy(s.c + b * h, ctx.input(6).data_as<T>() + at, h * sizeof(T));
        } else {
          std::fill(s.c + b * h, s.c + (b + 1) * h, T(0));
        }
      }
      std::fill(s.planes, s.planes + gate_count(cell_) * p.plane, T(0));
      std::fill(s.gemm, s.gemm + std::max(p.batch * gh, p.plane), T(0));
      if (cell_ == Cell::kLstm) std::fill(s.c + p.batch * h, s.c + p.plane, T(0));

      // All inputs of the sequence through W at once.
      gemm_abt(p.seq * p.batch, gh, p.input, s.x, p.input, s.w, p.input, s.xw, gh);
      for (int64_t step = 0; step < p.seq; ++step) {
        if (cell_ == Cell::kLstm) {
          lstm_step(p, s, step);
        } else if (cell_ == Cell::kGru) {
          gru_step(p, s, step);
        } else {
          rnn_step(p, s, step);
        }
        if (s.y == nullptr) continue;
        for (int64_t b = 0; b < p.batch; ++b) {
          if (step >= lens[b]) {
            T* y = s.y + y_offset(p, d, step, b);
            std::fill(y, y + h, T(0));
          } else {
            std::memcpy(s.y + y_offset(p, d, time_of(p, s, step, b), b), s.h + b * h, h * sizeof(T));
          }
        }
      }
      for (int o = 1; o < 3; ++o) {
        if (!ctx.has_output(o)) continue;
        const T* state = o == 1 ? s.h : s.c;
        T* out = ctx.output(o).data_as<T>();
        for (int64_t b = 0; b < p.batch; ++b) {
          T* dst = out + state_offset(p, d, b);
          if (lens[b] == 0) {
            std::fill(dst, dst + h, T(0));
          } else {
            std::memcpy(dst, state + b * h, h * sizeof(T));
          }
        }
      }
    }
    return absl::OkStatus();
  }

  // Offsets (elements) of row b of direction d in initial_h / Y_h and of Y[t].
  int64_t state_offset(const RecurrentParams& p, int64_t d, int64_t b) const {
    return (batch_major_ ? b * p.dirs + d : d * p.batch + b) * p.hidden;
  }
  int64_t y_offset(const RecurrentParams& p, int64_t d, int64_t t, int64_t b) const {
    return (batch_major_ ? (b * p.seq + t) * p.dirs + d : (t * p.dirs + d) * p.batch + b) * p.hidden;
  }
  // The time index row b processes at `step` (only for step < lens[b]), and its row in X and XW.
  template <typename T>
  int64_t time_of(const RecurrentParams&, const Direction<T>& s, int64_t step, int64_t b) const {
    return s.forward ? step : s.lens[b] - 1 - step;
  }
  template <typename T>
  const T* xw_row(const RecurrentParams& p, const Direction<T>& s, int64_t step, int64_t b) const {
    const int64_t t = time_of(p, s, step, b);
    const int64_t row = batch_major_ ? b * p.seq + t : t * p.batch + b;
    return s.xw + row * gate_count(cell_) * p.hidden;
  }

  // Ht = f(Xt W^T + Ht-1 R^T + Wb + Rb)
  template <typename T>
  void rnn_step(const RecurrentParams& p, Direction<T>& s, int64_t step) const {
    const int64_t h = p.hidden, ps = p.plane;
    T* g = s.gemm;
    gemm_abt(p.batch, h, h, s.h, h, s.r, h, g, h);
    for (int64_t b = 0; b < p.batch; ++b) {
      if (step >= s.lens[b]) continue;
      map3(h, g + b * h, xw_row(p, s, step, b), s.bias, g + b * h, kAdd3);
    }
    if (has_clip_) clip_to(T(clip_), g, ps);
    activate(act(s.d, 0), g, g, ps);
    for (int64_t b = 0; b < p.batch; ++b) {
      if (step < s.lens[b]) std::memcpy(s.h + b * h, g + b * h, h * sizeof(T));
    }
  }

  // zt = f(Xt Wz + Ht-1 Rz + Wbz + Rbz), rt = f(... r ...)
  // ht = g(Xt Wh + (rt . Ht-1) Rh + Rbh + Wbh)       linear_before_reset = 0
  // ht = g(Xt Wh + rt . (Ht-1 Rh + Rbh) + Wbh)       linear_before_reset = 1
  // Ht = (1 - zt) . ht + zt . Ht-1
  template <typename T>
  void gru_step(const RecurrentParams& p, Direction<T>& s, int64_t step) const {
    const int64_t h = p.hidden, bh = p.batch * h, ps = p.plane, gh = 3 * h;
    T* z = s.planes;
    T* r = z + ps;
    T* hh = r + ps;
    T* g = s.gemm;
    gemm_abt(p.batch, linear_before_reset_ ? gh : 2 * h, h, s.h, h, s.r, h, g, gh);
    for (int64_t b = 0; b < p.batch; ++b) {
      if (step >= s.lens[b]) continue;
      const T* xr = xw_row(p, s, step, b);
      map3(h, g + b * gh, xr, s.bias, z + b * h, kAdd3);
      map3(h, g + b * gh + h, xr + h, s.bias + h, r + b * h, kAdd3);
    }
    if (has_clip_) clip_to(T(clip_), z, 2 * ps);
    activate(act(s.d, 0), z, z, 2 * ps);  // z and r planes are adjacent
    if (linear_before_reset_) {
      const T* rbh = s.bias + gh;
      for (int64_t b = 0; b < p.batch; ++b) {
        if (step >= s.lens[b]) continue;
        const T* xh = xw_row(p, s, step, b) + 2 * h;
        T* hb = hh + b * h;
        map4(h, g + b * gh + 2 * h, rbh, r + b * h, xh, hb, [](auto hr, auto rb, auto rt, auto xv) {
          return xv + rt * (hr + rb);
        });
        map2(h, hb, s.bias + 2 * h, hb, kAdd2);
      }
    } else {
      map2(bh, r, s.h, s.tmp, kMul2);
      gemm_abt(p.batch, h, h, s.tmp, h, s.r + 2 * h * h, h, hh, h);
      for (int64_t b = 0; b < p.batch; ++b) {
        if (step >= s.lens[b]) continue;
        map3(h, hh + b * h, xw_row(p, s, step, b) + 2 * h, s.bias + 2 * h, hh + b * h, kAdd3);
      }
    }
    if (has_clip_) clip_to(T(clip_), hh, ps);
    activate(act(s.d, 1), hh, hh, ps);
    for (int64_t b = 0; b < p.batch; ++b) {
      if (step >= s.lens[b]) continue;
      map3(h, z + b * h, hh + b * h, s.h + b * h, s.h + b * h, [](auto zt, auto ht, auto hp) {
        return ht + zt * (hp - ht);
      });
    }
  }

  // it = f(Xt Wi + Ht-1 Ri + Pi . Ct-1 + Wbi + Rbi), ft likewise (or 1 - it with input_forget),
  // ct = g(Xt Wc + Ht-1 Rc + Wbc + Rbc), Ct = ft . Ct-1 + it . ct,
  // ot = f(Xt Wo + Ht-1 Ro + Po . Ct + Wbo + Rbo), Ht = ot . h(Ct)
  template <typename T>
  void lstm_step(const RecurrentParams& p, Direction<T>& s, int64_t step) const {
    const int64_t h = p.hidden, ps = p.plane, gh = 4 * h;
    T* in = s.planes;
    T* out = in + ps;
    T* forget = out + ps;
    T* cell = forget + ps;
    T* g = s.gemm;
    const T clip = T(clip_);
    gemm_abt(p.batch, gh, h, s.h, h, s.r, h, g, gh);
    for (int64_t b = 0; b < p.batch; ++b) {
      if (step >= s.lens[b]) continue;
      const T* xr = xw_row(p, s, step, b);
      const T* gb = g + b * gh;
      T* plane = in + b * h;
      for (int k = 0; k < 4; ++k) map3(h, gb + k * h, xr + k * h, s.bias + k * h, plane + k * ps, kAdd3);
      if (s.peep != nullptr) {
        map3(h, in + b * h, s.peep, s.c + b * h, in + b * h, kPeephole);
        map3(h, forget + b * h, s.peep + 2 * h, s.c + b * h, forget + b * h, kPeephole);
      }
    }
    const Activation& f = act(s.d, 0);
    if (has_clip_) clip_to(clip, in, s.peep != nullptr ? ps : 4 * ps);
    if (has_clip_ && s.peep != nullptr) clip_to(clip, forget, 2 * ps);
    if (s.peep == nullptr && !input_forget_) {
      activate(f, in, in, 3 * ps);  // i, o, f planes are adjacent
    } else {
      activate(f, in, in, ps);
      if (!input_forget_) activate(f, forget, forget, ps);
      if (s.peep == nullptr) activate(f, out, out, ps);
    }
    activate(act(s.d, 1), cell, cell, ps);
    for (int64_t b = 0; b < p.batch; ++b) {
      if (step >= s.lens[b]) continue;
      T* cb = s.c + b * h;
      const T* ib = in + b * h;
      if (input_forget_) {
        map3(h, ib, cell + b * h, cb, cb, [](auto it, auto ct, auto cp) { return (T(1) - it) * cp + it * ct; });
      } else {
        map4(h, forget + b * h, cb, ib, cell + b * h, cb, [](auto ft, auto cp, auto it, auto ct) {
          return ft * cp + it * ct;
        });
      }
      if (s.peep != nullptr) {
        map3(h, out + b * h, s.peep + h, cb, out + b * h, kPeephole);
        if (has_clip_) clip_to(clip, out + b * h, h);
      }
    }
    if (s.peep != nullptr) activate(f, out, out, ps);
    activate(act(s.d, 2), s.c, s.tmp, ps);
    for (int64_t b = 0; b < p.batch; ++b) {
      if (step >= s.lens[b]) continue;
      map2(h, out + b * h, s.tmp + b * h, s.h + b * h, kMul2);
    }
  }

  Cell cell_ = Cell::kRnn;
  int64_t hidden_ = -1;  // -1: from R's shape
  int dirs_ = 1;
  bool reverse_ = false;
  bool batch_major_ = false;  // layout = 1
  bool input_forget_ = false;
  bool linear_before_reset_ = false;
  bool has_clip_ = false;
  float clip_ = 0;
  Activation acts_[6];
};

SOFIE_REGISTER_OP("", "RNN", 1, 13, &RecurrentOp::create_rnn);
SOFIE_REGISTER_OP("", "RNN", 14, kMaxOpset, &RecurrentOp::create_rnn);
SOFIE_REGISTER_OP("", "GRU", 1, 13, &RecurrentOp::create_gru);
SOFIE_REGISTER_OP("", "GRU", 14, kMaxOpset, &RecurrentOp::create_gru);
SOFIE_REGISTER_OP("", "LSTM", 1, 13, &RecurrentOp::create_lstm);
SOFIE_REGISTER_OP("", "LSTM", 14, kMaxOpset, &RecurrentOp::create_lstm);

}  // namespace
}  // namespace sofie::ops
