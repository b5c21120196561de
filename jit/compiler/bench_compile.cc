// What the JIT compiler costs: mapping the library (LLVM + clang), memory, compiling a generated-style
// 4-layer MLP, and reloading its object from bytes (the cache path).
//
//   bazel run //jit/compiler:bench_compile [-- path/to/libsofie_compiler.so]
//
// Without an argument the library is looked up next to this executable, where Bazel puts both.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "jit/compiler/compiler_loader.h"
#include "jit/compiler/sofie_compiler.h"

namespace {

constexpr int kWidth = 64;
constexpr int kLayers = 4;
constexpr int kRepeats = 5;

double NowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// VmRSS or VmHWM (peak) of this process, in MiB.
double StatusMiB(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::atof(line.c_str() + std::string(field).size() + 1) / 1024.0;
  }
  return -1.0;
}

std::string DefaultLibraryPath() {
  std::vector<char> exe(4096);
  ssize_t size = readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  if (size <= 0) return SOFIE_COMPILER_LIBRARY_NAME;
  std::string path(exe.data(), static_cast<size_t>(size));
  return path.substr(0, path.rfind('/') + 1) + SOFIE_COMPILER_LIBRARY_NAME;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The host kernel the generated code calls for its last layer, as it would call the kernel ABI.
extern "C" void bench_softmax_f32(float* x, long n) {
  float max = x[0];
  for (long i = 1; i < n; ++i) max = std::max(max, x[i]);
  float sum = 0.0f;
  for (long i = 0; i < n; ++i) sum += (x[i] = std::exp(x[i] - max));
  for (long i = 0; i < n; ++i) x[i] /= sum;
}

// Source in the shape the code generator will emit: constant sizes, one block per node, loops over rows,
// weights at constant offsets of one buffer, a host kernel for the tail. Layer l: Gemm (+ bias), then an
// activation; layers 1 and 3 add a LayerNorm, layer 2 a residual connection.
std::string MlpSource(int* out_lines) {
  const char* activations[kLayers] = {"relu", "sigmoid", "tanh_f", "relu"};
  std::string w = std::to_string(kWidth);
  std::string s;
  s += "// generated: 4 x Gemm[" + w + "x" + w + "] MLP with LayerNorm and a residual, softmax on the host\n";
  s += "extern \"C\" void bench_softmax_f32(float* x, long n);\n\n";
  s += "namespace {\n";
  s += "inline float relu(float v) { return v > 0.0f ? v : 0.0f; }\n";
  s += "inline float sigmoid(float v) { return 1.0f / (1.0f + __builtin_expf(-v)); }\n";
  s += "inline float tanh_f(float v) {\n";
  s += "  float e = __builtin_expf(-2.0f * __builtin_fabsf(v));\n";
  s += "  float t = (1.0f - e) / (1.0f + e);\n";
  s += "  return v < 0.0f ? -t : t;\n";
  s += "}\n";
  s += "}  // namespace\n\n";
  s += "// w: per layer [" + w + "][" + w + "] weights (k-major) then [" + w + "] bias; then LayerNorm gamma/beta\n";
  s += "// of layers 1 and 3; then the input's mean and 1/std.\n";
  s += "extern \"C\" void mlp_forward(const float* __restrict x, float* __restrict y, long rows,\n";
  s += "                             const float* __restrict w) {\n";
  s += "  float buf_a[" + w + "], buf_b[" + w + "];\n";
  s += "  for (long r = 0; r < rows; ++r) {\n";
  s += "    const float* in = x + r * " + w + ";\n";
  s += "    float* out = y + r * " + w + ";\n";
  size_t scaler = static_cast<size_t>(kLayers) * (kWidth * kWidth + kWidth) + 4 * kWidth;
  s += "    // node standardize: (x - mean) * inv_std per feature, then Clip(-5, 5)\n";
  s += "    float buf_in[" + w + "];\n";
  s += "    {\n";
  s += "      const float* mean = w + " + std::to_string(scaler) + ";\n";
  s += "      const float* inv_std = mean + " + w + ";\n";
  s += "      for (int j = 0; j < " + w + "; ++j) {\n";
  s += "        const float v = (in[j] - mean[j]) * inv_std[j];\n";
  s += "        buf_in[j] = v < -5.0f ? -5.0f : (v > 5.0f ? 5.0f : v);\n";
  s += "      }\n";
  s += "    }\n";
  std::string src = "buf_in";
  for (int layer = 0; layer < kLayers; ++layer) {
    std::string dst = layer % 2 == 0 ? "buf_a" : "buf_b";
    if (layer == kLayers - 1) dst = "out";
    size_t weights = static_cast<size_t>(layer) * (kWidth * kWidth + kWidth);
    std::string l = std::to_string(layer);
    s += "    // node gemm_" + l + ": Gemm(" + src + ", W" + l + ", b" + l + ") -> " + dst + "\n";
    s += "    {\n";
    s += "      const float* W = w + " + std::to_string(weights) + ";\n";
    s += "      const float* bias = W + " + std::to_string(kWidth * kWidth) + ";\n";
    s += "      for (int j = 0; j < " + w + "; ++j) " + dst + "[j] = bias[j];\n";
    s += "      for (int k = 0; k < " + w + "; ++k) {\n";
    s += "        const float v = " + src + "[k];\n";
    s += "        const float* row = W + k * " + w + ";\n";
    s += "        for (int j = 0; j < " + w + "; ++j) " + dst + "[j] += v * row[j];\n";
    s += "      }\n";
    s += "    }\n";
    s += "    // node act_" + l + ": " + activations[layer] + "\n";
    s += "    for (int j = 0; j < " + w + "; ++j) " + dst + "[j] = " + activations[layer] + "(" + dst + "[j]);\n";
    if (layer == 1 || layer == 3) {
      size_t norm = static_cast<size_t>(kLayers) * (kWidth * kWidth + kWidth) + (layer == 1 ? 0 : 2 * kWidth);
      s += "    // node norm_" + l + ": LayerNorm(axis=-1, epsilon=1e-5)\n";
      s += "    {\n";
      s += "      const float* gamma = w + " + std::to_string(norm) + ";\n";
      s += "      const float* beta = gamma + " + w + ";\n";
      s += "      float mean = 0.0f, var = 0.0f;\n";
      s += "#pragma clang loop vectorize(enable)\n";
      s += "      for (int j = 0; j < " + w + "; ++j) mean += " + dst + "[j];\n";
      s += "      mean *= 1.0f / " + w + ";\n";
      s += "#pragma clang loop vectorize(enable)\n";
      s += "      for (int j = 0; j < " + w + "; ++j) {\n";
      s += "        const float d = " + dst + "[j] - mean;\n";
      s += "        var += d * d;\n";
      s += "      }\n";
      s += "      const float inv = 1.0f / __builtin_sqrtf(var * (1.0f / " + w + ") + 1e-5f);\n";
      s += "      for (int j = 0; j < " + w + "; ++j) " + dst + "[j] = (" + dst +
           "[j] - mean) * inv * gamma[j] + beta[j];\n";
      s += "    }\n";
    }
    if (layer == 2) {
      s += "    // node residual_" + l + ": Add(" + dst + ", " + src + ")\n";
      s += "    for (int j = 0; j < " + w + "; ++j) " + dst + "[j] += " + src + "[j];\n";
    }
    src = dst;
  }
  s += "    // node softmax: host kernel\n";
  s += "    bench_softmax_f32(out, " + w + ");\n";
  s += "  }\n";
  s += "}\n";
  *out_lines = static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : DefaultLibraryPath();

  double rss_before = StatusMiB("VmRSS:");
  double peak_before = StatusMiB("VmHWM:");
  double start = NowMs();
  sofie::jit::CompilerLibrary lib;
  std::string error;
  if (!sofie::jit::LoadCompilerLibrary(path, &lib, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  double dlopen_ms = NowMs() - start;
  double rss_after = StatusMiB("VmRSS:");
  double peak_after = StatusMiB("VmHWM:");
  std::printf("compiler: %s, target %s, %s\n", path.c_str(), lib.jit_host_cpu(), lib.jit_compiler_version());
  std::printf("dlopen (maps LLVM + clang):  %.1f ms\n", dlopen_ms);
  std::printf("RSS before / after dlopen:   %.1f / %.1f MiB (peak %.1f / %.1f MiB)\n", rss_before, rss_after,
              peak_before, peak_after);

  int lines = 0;
  std::string source = MlpSource(&lines);
  sofie_jit_symbol symbols[] = {{"bench_softmax_f32", reinterpret_cast<void*>(&bench_softmax_f32)}};

  std::vector<float> weights(static_cast<size_t>(kLayers) * (kWidth * kWidth + kWidth) + 6 * kWidth);
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = 0.05f * std::sin(0.37f * static_cast<float>(i));
  const long rows = 16;
  std::vector<float> x(rows * kWidth), y(rows * kWidth);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * static_cast<float>(i));
  using MlpFn = void (*)(const float*, float*, long, const float*);

  for (int opt_level : {2, 3}) {
    sofie_jit_options options{opt_level, nullptr, symbols, 1};
    std::vector<double> compile_ms, reload_ms;
    std::vector<char> object;
    float checksum = 0.0f;
    double first_ms = 0.0;
    for (int repeat = 0; repeat <= kRepeats; ++repeat) {  // repeat 0: first compile, reported apart
      sofie_jit_module* module = nullptr;
      void* entry = nullptr;
      void* object_bytes = nullptr;
      size_t object_size = 0;
      char* compile_error = nullptr;
      double t0 = NowMs();
      int status = lib.jit_compile(source.data(), source.size(), "mlp_forward", &options, &module, &entry,
                                   &object_bytes, &object_size, &compile_error);
      double elapsed = NowMs() - t0;
      if (status != SOFIE_JIT_OK) {
        std::fprintf(stderr, "compile failed (%d): %s\n", status, compile_error);
        lib.jit_free(compile_error);
        return 1;
      }
      if (repeat == 0) {
        first_ms = elapsed;
      } else {
        compile_ms.push_back(elapsed);
      }
      object.assign(static_cast<char*>(object_bytes), static_cast<char*>(object_bytes) + object_size);
      lib.jit_free(object_bytes);
      reinterpret_cast<MlpFn>(entry)(x.data(), y.data(), rows, weights.data());
      checksum = 0.0f;
      for (float v : y) checksum += v;
      lib.jit_free_module(module);
    }
    for (int repeat = 0; repeat < kRepeats; ++repeat) {
      sofie_jit_module* module = nullptr;
      void* entry = nullptr;
      char* load_error = nullptr;
      double t0 = NowMs();
      int status = lib.jit_load_object(object.data(), object.size(), "mlp_forward", &options, &module, &entry,
                                       &load_error);
      reload_ms.push_back(NowMs() - t0);
      if (status != SOFIE_JIT_OK) {
        std::fprintf(stderr, "reload failed (%d): %s\n", status, load_error);
        lib.jit_free(load_error);
        return 1;
      }
      std::fill(y.begin(), y.end(), 0.0f);
      reinterpret_cast<MlpFn>(entry)(x.data(), y.data(), rows, weights.data());
      float reloaded = 0.0f;
      for (float v : y) reloaded += v;
      if (reloaded != checksum) {
        std::fprintf(stderr, "reloaded code computes %g, compiled code %g\n", reloaded, checksum);
        return 1;
      }
      lib.jit_free_module(module);
    }
    std::printf("-O%d, %d-line MLP source: first compile %.1f ms, median of %d compiles %.1f ms, object %zu bytes, "
                "reload (no clang) median %.2f ms; softmax rows sum to %.3f (expect %ld)\n",
                opt_level, lines, first_ms, kRepeats, Median(compile_ms), object.size(), Median(reload_ms),
                checksum, rows);
  }
  std::printf("RSS after compiling:         %.1f MiB (peak %.1f MiB)\n", StatusMiB("VmRSS:"), StatusMiB("VmHWM:"));
  return 0;
}
