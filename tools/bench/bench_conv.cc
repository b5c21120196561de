// Convolution benchmark: a small image classifier on 1x32x32 inputs, built here as an ONNX model
//   Conv 1->8 3x3 pad 1 -> Relu -> MaxPool 2 -> Conv 8->16 3x3 pad 1 -> Relu -> MaxPool 2 -> Flatten
//   -> Gemm 1024->10
// run single-threaded through sofie at batch 1 and 64 (one model, symbolic batch), against a reference in
// the same run: the same network as straightforward direct-convolution loops (the naive implementation
// sofie's im2col + GEMM, depthwise and pooling kernels replace). Prints the median µs per inference over
// chunks and the ratio naive/sofie, after checking that both agree.
//
//   bazel run //tools/bench:bench_conv -- [--chunks N] [--batch N ...]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "ops/kernels/sofie_kernels.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Weights {
  std::vector<float> w1, b1, w2, b2, w3, b3;  // conv1 [8,1,3,3], conv2 [16,8,3,3], fc [10,1024] (transB)
};

Weights random_weights() {
  std::mt19937 rng(7);
  auto fill = [&](size_t n, float scale) {
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return v;
  };
  return {fill(8 * 9, 0.5f), fill(8, 0.1f), fill(16 * 8 * 9, 0.2f), fill(16, 0.1f), fill(10 * 1024, 0.05f),
          fill(10, 0.1f)};
}

void add_initializer(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<float>& values) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(values.data(), values.size() * sizeof(float));
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& in,
                          const std::string& out) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(out);
  for (const auto& i : in) n->add_input(i);
  n->add_output(out);
  return n;
}

void add_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

std::string build_model(const Weights& w) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("bench_conv");
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("convnet");
  auto set_shape = [](onnx::ValueInfoProto* v, const std::string& name, std::vector<int64_t> dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    shape->add_dim()->set_dim_param("N");
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  };
  set_shape(g->add_input(), "x", {1, 32, 32});
  set_shape(g->add_output(), "y", {10});
  add_initializer(g, "w1", {8, 1, 3, 3}, w.w1);
  add_initializer(g, "b1", {8}, w.b1);
  add_initializer(g, "w2", {16, 8, 3, 3}, w.w2);
  add_initializer(g, "b2", {16}, w.b2);
  add_initializer(g, "w3", {10, 1024}, w.w3);
  add_initializer(g, "b3", {10}, w.b3);
  add_ints(add_node(g, "Conv", {"x", "w1", "b1"}, "c1"), "pads", {1, 1, 1, 1});
  add_node(g, "Relu", {"c1"}, "r1");
  onnx::NodeProto* p1 = add_node(g, "MaxPool", {"r1"}, "p1");
  add_ints(p1, "kernel_shape", {2, 2});
  add_ints(p1, "strides", {2, 2});
  add_ints(add_node(g, "Conv", {"p1", "w2", "b2"}, "c2"), "pads", {1, 1, 1, 1});
  add_node(g, "Relu", {"c2"}, "r2");
  onnx::NodeProto* p2 = add_node(g, "MaxPool", {"r2"}, "p2");
  add_ints(p2, "kernel_shape", {2, 2});
  add_ints(p2, "strides", {2, 2});
  add_node(g, "Flatten", {"p2"}, "f");
  onnx::NodeProto* fc = add_node(g, "Gemm", {"f", "w3", "b3"}, "y");
  onnx::AttributeProto* tb = fc->add_attribute();
  tb->set_name("transB");
  tb->set_type(onnx::AttributeProto::INT);
  tb->set_i(1);
  return m.SerializeAsString();
}

// The naive reference: direct convolution, pooling and dense loops, as one would write them first.
struct NaiveNet {
  const Weights& w;
  int64_t batch;
  std::vector<float> a1, a2, a3, a4, out;

  NaiveNet(const Weights& weights, int64_t n)
      : w(weights), batch(n), a1(n * 8 * 32 * 32), a2(n * 8 * 16 * 16), a3(n * 16 * 16 * 16), a4(n * 1024),
        out(n * 10) {}

  // 3x3 convolution with padding 1 and bias, then ReLU.
  static void conv_relu(const float* x, int64_t c_in, int64_t size, const float* wt, const float* b, int64_t c_out,
                        float* y) {
    for (int64_t m = 0; m < c_out; ++m) {
      for (int64_t i = 0; i < size; ++i) {
        for (int64_t j = 0; j < size; ++j) {
          float s = b[m];
          for (int64_t c = 0; c < c_in; ++c) {
            for (int64_t ki = 0; ki < 3; ++ki) {
              for (int64_t kj = 0; kj < 3; ++kj) {
                const int64_t ii = i + ki - 1, jj = j + kj - 1;
                if (ii < 0 || ii >= size || jj < 0 || jj >= size) continue;
                s += x[(c * size + ii) * size + jj] * wt[((m * c_in + c) * 3 + ki) * 3 + kj];
              }
            }
          }
          y[(m * size + i) * size + j] = s > 0 ? s : 0;
        }
      }
    }
  }

  static void max_pool2(const float* x, int64_t channels, int64_t size, float* y) {
    const int64_t half = size / 2;
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < half; ++i) {
        for (int64_t j = 0; j < half; ++j) {
          const float* p = x + (c * size + 2 * i) * size + 2 * j;
          y[(c * half + i) * half + j] = std::max(std::max(p[0], p[1]), std::max(p[size], p[size + 1]));
        }
      }
    }
  }

  const float* run(const float* x) {
    for (int64_t n = 0; n < batch; ++n) {
      conv_relu(x + n * 1024, 1, 32, w.w1.data(), w.b1.data(), 8, a1.data() + n * 8 * 1024);
      max_pool2(a1.data() + n * 8 * 1024, 8, 32, a2.data() + n * 8 * 256);
      conv_relu(a2.data() + n * 8 * 256, 8, 16, w.w2.data(), w.b2.data(), 16, a3.data() + n * 16 * 256);
      max_pool2(a3.data() + n * 16 * 256, 16, 16, a4.data() + n * 1024);
      for (int64_t o = 0; o < 10; ++o) {
        float s = w.b3[o];
        for (int64_t k = 0; k < 1024; ++k) s += a4[n * 1024 + k] * w.w3[o * 1024 + k];
        out[n * 10 + o] = s;
      }
    }
    return out.data();
  }
};

// Calibrates a chunk to ~10 ms, then times `chunks` chunks; the median per-call time of the chunks.
double median_us(const std::function<void()>& f, int chunks) {
  for (int i = 0; i < 20; ++i) f();
  int per_chunk = 1;
  for (;;) {
    auto t0 = Clock::now();
    for (int i = 0; i < per_chunk; ++i) f();
    if (std::chrono::duration<double, std::milli>(Clock::now() - t0).count() > 10 || per_chunk > (1 << 20)) break;
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

}  // namespace

int main(int argc, char** argv) {
  int chunks = 15;
  std::vector<int64_t> batches;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--chunks" && i + 1 < argc) {
      chunks = std::atoi(argv[++i]);
    } else if (a == "--batch" && i + 1 < argc) {
      batches.push_back(std::atoll(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: bench_conv [--chunks N] [--batch N ...]\n");
      return 2;
    }
  }
  if (batches.empty()) batches = {1, 64};

  const Weights weights = random_weights();
  const std::string bytes = build_model(weights);
  auto model = sofie::Model::try_load_from_buffer(bytes.data(), bytes.size());
  if (!model.ok()) {
    std::fprintf(stderr, "bench_conv: %s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  sofie::Session session = model->new_session();
  std::printf("convnet 1x32x32 -> conv8 -> pool -> conv16 -> pool -> fc10, single thread, GEMM backend %s\n",
              sofie_gemm_backend_f32());
  for (int64_t batch : batches) {
    std::vector<float> x(batch * 1024);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> uni(-1, 1);
    for (float& v : x) v = uni(rng);
    const std::vector<sofie::TensorView> inputs = {sofie::TensorView::of(x.data(), {batch, 1, 32, 32})};
    const float* sofie_out = nullptr;
    auto run_sofie = [&] {
      auto outs = session.run(inputs);
      if (!outs.ok()) {
        std::fprintf(stderr, "bench_conv: %s\n", std::string(outs.status().message()).c_str());
        std::exit(1);
      }
      sofie_out = (*outs)[0].data_as<float>();
    };
    NaiveNet naive(weights, batch);
    const float* naive_out = nullptr;
    auto run_naive = [&] { naive_out = naive.run(x.data()); };
    run_sofie();
    run_naive();
    double worst = 0;
    for (int64_t i = 0; i < batch * 10; ++i) {
      worst = std::max(worst, double(std::fabs(sofie_out[i] - naive_out[i])) / (1.0 + std::fabs(naive_out[i])));
    }
    if (worst > 1e-4) {
      std::fprintf(stderr, "bench_conv: sofie and the naive reference disagree by %g at batch %lld\n", worst,
                   static_cast<long long>(batch));
      return 1;
    }
    // Alternate the two over rounds so machine noise hits both alike.
    std::vector<double> s_us, n_us;
    for (int round = 0; round < 3; ++round) {
      s_us.push_back(median_us(run_sofie, chunks));
      n_us.push_back(median_us(run_naive, chunks));
    }
    std::sort(s_us.begin(), s_us.end());
    std::sort(n_us.begin(), n_us.end());
    const double s = s_us[1], n = n_us[1];
    std::printf("batch %3lld: sofie %10.2f us/inference (%8.2f us/image) | naive direct loops %10.2f us/inference"
                " | naive/sofie %.2fx\n",
                static_cast<long long>(batch), s, s / batch, n, n / s);
  }
  return 0;
}
