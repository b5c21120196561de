// Recurrent operator benchmark: ONNX LSTM and GRU (linear_before_reset 0, the ONNX default) with sequence
// 20, input 16, hidden 8/32/64, batch 1 and 64, built here as ONNX protos and run through a sofie Session.
//
// Measures, single-threaded, in one run:
//   sofie   Session::run of the one-node model (batched input GEMM + per-step GEMM/GEMV + fused gates)
//   naive   a straightforward per-step implementation: for every step, batch row and gate unit, two dot
//           products (W x, R h), std::exp / std::tanh activations
// and prints the median µs per inference over chunks (median of interleaved rounds) and naive/sofie.
// Both produce Y and Y_h; their results are compared before timing. Also counts heap allocations per
// Session::run in steady state (expected 0).
//
//   bazel run //tools/bench:bench_rnn -- [--chunks N] [--cell lstm|gru] [--hidden N] [--batch N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "ops/kernels/sofie_kernels.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "tools/bench/alloc_counter.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kSeq = 20;
constexpr int64_t kInput = 16;

// Calibrates a chunk to ~10 ms, then times `chunks` chunks; the median per-call time of the chunks.
double median_us(const std::function<void()>& f, int chunks) {
  for (int i = 0; i < 20; ++i) f();  // warm-up
  int per_chunk = 1;
  for (;;) {
    auto t0 = Clock::now();
    for (int i = 0; i < per_chunk; ++i) f();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (ms > 10 || per_chunk > (1 << 24)) break;
    per_chunk *= 2;
  }
  std::vector<double> us;
  for (int c = 0; c < chunks; ++c) {
    auto t0 = Clock::now();
    for (int i = 0; i < per_chunk; ++i) f();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / per_chunk);
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Config {
  bool lstm;
  int64_t hidden, batch;
};

struct Weights {
  std::vector<float> w, r, b;  // ONNX layout, one direction
};

void add_initializer(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<float>& data) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float)));
}

void set_type(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& dims) {
  info->set_name(name);
  auto* tt = info->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

std::string make_model(const Config& c, const Weights& wts) {
  const int64_t gates = c.lstm ? 4 : 3;
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("bench_rnn");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(14);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("rnn");
  set_type(g->add_input(), "X", {kSeq, c.batch, kInput});
  add_initializer(g, "W", {1, gates * c.hidden, kInput}, wts.w);
  add_initializer(g, "R", {1, gates * c.hidden, c.hidden}, wts.r);
  add_initializer(g, "B", {1, 2 * gates * c.hidden}, wts.b);
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(c.lstm ? "LSTM" : "GRU");
  n->set_name("cell");
  for (const char* in : {"X", "W", "R", "B"}) n->add_input(in);
  n->add_output("Y");
  n->add_output("Y_h");
  auto* hs = n->add_attribute();
  hs->set_name("hidden_size");
  hs->set_type(onnx::AttributeProto::INT);
  hs->set_i(c.hidden);
  set_type(g->add_output(), "Y", {kSeq, 1, c.batch, c.hidden});
  set_type(g->add_output(), "Y_h", {1, c.batch, c.hidden});
  return model.SerializeAsString();
}

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

// The per-step reference: Y [seq, 1, batch, hidden] and Y_h [1, batch, hidden].
struct Naive {
  Config c;
  const Weights* wts;
  std::vector<float> h, cell, gates, hprev, y;

  Naive(const Config& config, const Weights& weights) : c(config), wts(&weights) {
    const int64_t gh = (c.lstm ? 4 : 3) * c.hidden;
    h.resize(c.batch * c.hidden);
    cell.resize(c.batch * c.hidden);
    hprev.resize(c.hidden);
    gates.resize(2 * gh);
    y.resize(kSeq * c.batch * c.hidden);
  }

  static float dot(const float* a, const float* b, int64_t n) {
    float s = 0;
    for (int64_t k = 0; k < n; ++k) s += a[k] * b[k];
    return s;
  }

  void run(const float* x) {
    const int64_t H = c.hidden, gh = (c.lstm ? 4 : 3) * H;
    const float* W = wts->w.data();
    const float* R = wts->r.data();
    const float* Wb = wts->b.data();
    const float* Rb = Wb + gh;
    std::fill(h.begin(), h.end(), 0.0f);
    std::fill(cell.begin(), cell.end(), 0.0f);
    for (int64_t t = 0; t < kSeq; ++t) {
      for (int64_t b = 0; b < c.batch; ++b) {
        const float* xt = x + (t * c.batch + b) * kInput;
        float* hb = h.data() + b * H;
        float* xg = gates.data();  // X W^T + Wb
        float* hg = xg + gh;       // H R^T + Rb
        // GRU's candidate row block of R is applied to r . H below, not to H.
        const int64_t recurrent_rows = c.lstm ? gh : 2 * H;
        for (int64_t j = 0; j < gh; ++j) xg[j] = dot(W + j * kInput, xt, kInput) + Wb[j];
        for (int64_t j = 0; j < recurrent_rows; ++j) hg[j] = dot(R + j * H, hb, H) + Rb[j];
        if (c.lstm) {
          float* cb = cell.data() + b * H;
          for (int64_t j = 0; j < H; ++j) {
            const float i = sigmoid(xg[j] + hg[j]);
            const float o = sigmoid(xg[H + j] + hg[H + j]);
            const float f = sigmoid(xg[2 * H + j] + hg[2 * H + j]);
            const float g = std::tanh(xg[3 * H + j] + hg[3 * H + j]);
            cb[j] = f * cb[j] + i * g;
            hb[j] = o * std::tanh(cb[j]);
          }
        } else {
          // linear_before_reset = 0: the candidate uses (r . H) R_h^T.
          std::copy(hb, hb + H, hprev.begin());
          float* rh = hg + 2 * H;  // reused for r . Hprev
          float z[256], r[256];
          for (int64_t j = 0; j < H; ++j) {
            z[j] = sigmoid(xg[j] + hg[j]);
            r[j] = sigmoid(xg[H + j] + hg[H + j]);
          }
          for (int64_t j = 0; j < H; ++j) rh[j] = r[j] * hprev[j];
          for (int64_t j = 0; j < H; ++j) {
            const float cand = std::tanh(xg[2 * H + j] + dot(R + (2 * H + j) * H, rh, H) + Rb[2 * H + j]);
            hb[j] = (1 - z[j]) * cand + z[j] * hprev[j];
          }
        }
        std::copy(hb, hb + H, y.data() + (t * c.batch + b) * H);
      }
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  int chunks = 15;
  std::string only_cell;               // "lstm" or "gru": only that cell
  int64_t only_hidden = 0, only_batch = 0;  // non-zero: only that size
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--chunks" && i + 1 < argc) {
      chunks = std::atoi(argv[++i]);
    } else if (a == "--cell" && i + 1 < argc) {
      only_cell = argv[++i];
    } else if (a == "--hidden" && i + 1 < argc) {
      only_hidden = std::atoll(argv[++i]);
    } else if (a == "--batch" && i + 1 < argc) {
      only_batch = std::atoll(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_rnn [--chunks N] [--cell lstm|gru] [--hidden N] [--batch N]\n");
      return 2;
    }
  }
  std::printf("sequence %lld, input %lld, single thread, GEMM backend %s; median us per inference\n",
              (long long)kSeq, (long long)kInput, sofie_gemm_backend_f32());
  std::printf("%-5s %6s %5s %12s %12s %12s %8s\n", "cell", "hidden", "batch", "sofie_us", "naive_us", "naive/sofie",
              "allocs");
  std::mt19937 rng(7);
  for (bool lstm : {true, false}) {
    for (int64_t hidden : {8, 32, 64}) {
      for (int64_t batch : {1, 64}) {
        if (!only_cell.empty() && only_cell != (lstm ? "lstm" : "gru")) continue;
        if ((only_hidden != 0 && hidden != only_hidden) || (only_batch != 0 && batch != only_batch)) continue;
        const Config c{lstm, hidden, batch};
        const int64_t gh = (lstm ? 4 : 3) * hidden;
        const float scale = 1.0f / std::sqrt(float(hidden));
        std::uniform_real_distribution<float> uw(-scale, scale), ux(-1, 1);
        Weights wts;
        wts.w.resize(gh * kInput);
        wts.r.resize(gh * hidden);
        wts.b.resize(2 * gh);
        for (auto* v : {&wts.w, &wts.r, &wts.b}) {
          for (float& e : *v) e = uw(rng);
        }
        std::vector<float> x(kSeq * batch * kInput);
        for (float& e : x) e = ux(rng);

        const std::string bytes = make_model(c, wts);
        auto model = sofie::Model::try_load_from_buffer(bytes.data(), bytes.size());
        if (!model.ok()) {
          std::fprintf(stderr, "bench_rnn: %s\n", std::string(model.status().message()).c_str());
          return 1;
        }
        sofie::Session session = model->new_session();
        std::vector<sofie::TensorView> inputs = {sofie::TensorView::of(x.data(), {kSeq, batch, kInput})};
        const float* sofie_y = nullptr;
        auto run_sofie = [&] {
          auto outs = session.run(inputs);
          if (!outs.ok()) {
            std::fprintf(stderr, "bench_rnn: %s\n", std::string(outs.status().message()).c_str());
            std::exit(1);
          }
          sofie_y = (*outs)[0].data_as<float>();
        };
        Naive naive(c, wts);
        auto run_naive = [&] { naive.run(x.data()); };

        run_sofie();
        run_naive();
        double worst = 0;
        for (size_t i = 0; i < naive.y.size(); ++i) worst = std::max(worst, double(std::fabs(sofie_y[i] - naive.y[i])));
        if (worst > 1e-4) {
          std::fprintf(stderr, "bench_rnn: sofie and naive disagree by %g\n", worst);
          return 1;
        }
        for (int i = 0; i < 10; ++i) run_sofie();
        const uint64_t a0 = sofie::bench::allocation_count();
        for (int i = 0; i < 100; ++i) run_sofie();
        const double allocs = double(sofie::bench::allocation_count() - a0) / 100;
        std::vector<double> s_med, n_med, ratio;
        for (int round = 0; round < 3; ++round) {
          const double s = median_us(run_sofie, chunks);
          const double n = median_us(run_naive, chunks);
          s_med.push_back(s);
          n_med.push_back(n);
          ratio.push_back(n / s);
        }
        std::printf("%-5s %6lld %5lld %12.2f %12.2f %12.2f %8.2f\n", lstm ? "LSTM" : "GRU", (long long)hidden,
                    (long long)batch, median(s_med), median(n_med), median(ratio), allocs);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
