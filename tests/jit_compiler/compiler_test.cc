// Tests of libsofie_compiler.so through its C interface. This binary links no LLVM: it dlopens the library
// from its runfiles, exactly as the runtime will.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "jit/compiler/compiler_loader.h"
#include "jit/compiler/sofie_compiler.h"

namespace {

using sofie::jit::CompilerLibrary;

std::string LibraryPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  REQUIRE(srcdir != nullptr);
  REQUIRE(workspace != nullptr);
  return std::string(srcdir) + "/" + workspace + "/jit/compiler/" + SOFIE_COMPILER_LIBRARY_NAME;
}

const CompilerLibrary& Lib() {
  static const CompilerLibrary library = [] {
    CompilerLibrary loaded;
    std::string error;
    bool ok = sofie::jit::LoadCompilerLibrary(LibraryPath(), &loaded, &error);
    INFO(error);
    REQUIRE(ok);
    return loaded;
  }();
  return library;
}

// Owns what the library hands out.
struct ModuleDeleter {
  void operator()(sofie_jit_module* module) const { Lib().jit_free_module(module); }
};
using ModulePtr = std::unique_ptr<sofie_jit_module, ModuleDeleter>;
struct MallocDeleter {
  void operator()(void* p) const { Lib().jit_free(p); }
};
using MallocPtr = std::unique_ptr<void, MallocDeleter>;

struct CompileResult {
  int status = -1;
  ModulePtr module;
  void* entry = nullptr;
  MallocPtr object;
  size_t object_size = 0;
  std::string error;
};

CompileResult Compile(const std::string& source, const char* entry, const sofie_jit_options* options = nullptr,
                      bool want_object = false) {
  CompileResult result;
  sofie_jit_module* module = nullptr;
  void* object = nullptr;
  char* error = nullptr;
  result.status = Lib().jit_compile(source.data(), source.size(), entry, options, &module, &result.entry,
                                    want_object ? &object : nullptr, want_object ? &result.object_size : nullptr,
                                    &error);
  result.module.reset(module);
  result.object.reset(object);
  if (error != nullptr) {
    result.error = error;
    Lib().jit_free(error);
  }
  return result;
}

CompileResult LoadObject(const void* object, size_t size, const char* entry,
                         const sofie_jit_options* options = nullptr) {
  CompileResult result;
  sofie_jit_module* module = nullptr;
  char* error = nullptr;
  result.status = Lib().jit_load_object(object, size, entry, options, &module, &result.entry, &error);
  result.module.reset(module);
  if (error != nullptr) {
    result.error = error;
    Lib().jit_free(error);
  }
  return result;
}

sofie_jit_options Options(int opt_level, const sofie_jit_symbol* symbols = nullptr, size_t num_symbols = 0) {
  sofie_jit_options options;
  options.opt_level = opt_level;
  options.cpu = nullptr;
  options.symbols = symbols;
  options.num_symbols = num_symbols;
  return options;
}

using DotFn = float (*)(const float*, const float*, long);

const char kDotSource[] = R"(
extern "C" float dot_f32(const float* a, const float* b, long n) {
  float sum = 0.0f;
  for (long i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}
)";

// Small integers: every partial sum is exact in float, whatever the summation order.
void FillDotInputs(std::vector<float>* a, std::vector<float>* b) {
  for (size_t i = 0; i < a->size(); ++i) {
    (*a)[i] = static_cast<float>(i % 7);
    (*b)[i] = static_cast<float>(i % 5) - 2.0f;
  }
}

float ReferenceDot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

extern "C" float host_scale(float x) { return 3.0f * x + 1.0f; }
extern "C" float host_offset(float x) { return x - 0.5f; }

const char kHostCallSource[] = R"(
extern "C" float host_scale(float x);
extern "C" float apply(float x) { return host_scale(x) + __builtin_expf(0.0f) + __builtin_sqrtf(x * x); }
)";

double BestNanoseconds(DotFn dot, const std::vector<float>& a, const std::vector<float>& b, float* out_result) {
  double best = 1e30;
  for (int repeat = 0; repeat < 20; ++repeat) {
    constexpr int kCalls = 2000;
    float sink = 0.0f;
    auto start = std::chrono::steady_clock::now();
    for (int call = 0; call < kCalls; ++call) sink += dot(a.data(), b.data(), static_cast<long>(a.size()));
    auto end = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::nano>(end - start).count() / kCalls);
    *out_result = sink / kCalls;
  }
  return best;
}

}  // namespace

TEST_CASE("the library reports its ABI version, target and compiler", "[jit_compiler]") {
  CHECK(Lib().compiler_abi_version() == SOFIE_COMPILER_ABI_VERSION);
  std::string cpu = Lib().jit_host_cpu();
  std::string features = Lib().jit_host_features();
  std::string version = Lib().jit_compiler_version();
  CHECK_FALSE(cpu.empty());
  CHECK(cpu != "generic");
  CHECK(features.find("+sse2") != std::string::npos);
  CHECK(version.rfind("LLVM ", 0) == 0);
  std::printf("JIT target: %s (%zu bytes of features), %s\n", cpu.c_str(), features.size(), version.c_str());
}

TEST_CASE("the loader explains a missing library", "[jit_compiler]") {
  CompilerLibrary library;
  std::string error;
  CHECK_FALSE(sofie::jit::LoadCompilerLibrary("/nonexistent/libsofie_compiler.so", &library, &error));
  CHECK(error.find("/nonexistent/libsofie_compiler.so") != std::string::npos);
}

TEST_CASE("a dot product compiles and runs", "[jit_compiler]") {
  sofie_jit_options options = Options(3);
  CompileResult compiled = Compile(kDotSource, "dot_f32", &options);
  INFO(compiled.error);
  REQUIRE(compiled.status == SOFIE_JIT_OK);
  REQUIRE(compiled.module != nullptr);
  REQUIRE(compiled.entry != nullptr);
  CHECK(compiled.error.empty());

  for (size_t n : {0, 1, 7, 16, 1000, 1027}) {
    std::vector<float> a(n), b(n);
    FillDotInputs(&a, &b);
    auto dot = reinterpret_cast<DotFn>(compiled.entry);
    CHECK(dot(a.data(), b.data(), static_cast<long>(n)) == ReferenceDot(a, b));
  }
}

TEST_CASE("generated code calls host symbols and libm", "[jit_compiler]") {
  sofie_jit_symbol symbols[] = {{"host_scale", reinterpret_cast<void*>(&host_scale)}};
  sofie_jit_options options = Options(2, symbols, 1);
  CompileResult compiled = Compile(kHostCallSource, "apply", &options);
  INFO(compiled.error);
  REQUIRE(compiled.status == SOFIE_JIT_OK);
  auto apply = reinterpret_cast<float (*)(float)>(compiled.entry);
  CHECK(apply(2.0f) == Approx(3.0f * 2.0f + 1.0f + 1.0f + 2.0f));
  CHECK(apply(-1.0f) == Approx(-3.0f + 1.0f + 1.0f + 1.0f));
}

TEST_CASE("an explicit CPU compiles for that CPU", "[jit_compiler]") {
  sofie_jit_options options = Options(2);
  options.cpu = "x86-64-v3";
  CompileResult compiled = Compile(kDotSource, "dot_f32", &options);
  INFO(compiled.error);
  REQUIRE(compiled.status == SOFIE_JIT_OK);
  std::vector<float> a(100), b(100);
  FillDotInputs(&a, &b);
  CHECK(reinterpret_cast<DotFn>(compiled.entry)(a.data(), b.data(), 100) == ReferenceDot(a, b));

  options.cpu = "no-such-cpu";
  CompileResult rejected = Compile(kDotSource, "dot_f32", &options);
  CHECK(rejected.status == SOFIE_JIT_COMPILE_ERROR);
  CHECK(rejected.error.find("no-such-cpu") != std::string::npos);
}

TEST_CASE("a syntax error returns clang's diagnostic with its line", "[jit_compiler]") {
  const std::string source =
      "extern \"C\" int broken(int x) {\n"
      "  int y = x * 2;\n"
      "  return y +* ;\n"
      "}\n";
  CompileResult compiled = Compile(source, "broken");
  INFO(compiled.error);
  CHECK(compiled.status == SOFIE_JIT_COMPILE_ERROR);
  CHECK(compiled.module == nullptr);
  CHECK(compiled.entry == nullptr);
  CHECK(compiled.error.find("<jit-source>:3:") != std::string::npos);
  CHECK(compiled.error.find("error: expected expression") != std::string::npos);
  CHECK(compiled.error.find("return y +* ;") != std::string::npos);  // the source line, with its caret
}

TEST_CASE("no headers are available to generated code", "[jit_compiler]") {
  CompileResult compiled = Compile("#include <cmath>\nextern \"C\" float f(float x) { return x; }\n", "f");
  INFO(compiled.error);
  CHECK(compiled.status == SOFIE_JIT_COMPILE_ERROR);
  CHECK(compiled.error.find("'cmath' file not found") != std::string::npos);
}

TEST_CASE("static constructors are refused", "[jit_compiler]") {
  CompileResult compiled = Compile(
      "extern \"C\" float host_scale(float);\n"
      "static float table = host_scale(1.0f);\n"
      "extern \"C\" float f() { return table; }\n",
      "f");
  INFO(compiled.error);
  CHECK(compiled.status == SOFIE_JIT_COMPILE_ERROR);
  CHECK(compiled.error.find("static constructors") != std::string::npos);
}

TEST_CASE("link errors name the missing symbol or entry point", "[jit_compiler]") {
  CompileResult unresolved = Compile(
      "extern \"C\" float sofie_test_not_defined_anywhere(float);\n"
      "extern \"C\" float f(float x) { return sofie_test_not_defined_anywhere(x); }\n",
      "f");
  INFO(unresolved.error);
  CHECK(unresolved.status == SOFIE_JIT_LINK_ERROR);
  CHECK(unresolved.error.find("sofie_test_not_defined_anywhere") != std::string::npos);

  CompileResult no_entry = Compile(kDotSource, "no_such_entry");
  INFO(no_entry.error);
  CHECK(no_entry.status == SOFIE_JIT_LINK_ERROR);
  CHECK(no_entry.error.find("no_such_entry") != std::string::npos);
}

TEST_CASE("invalid arguments are errors, not crashes", "[jit_compiler]") {
  sofie_jit_module* module = nullptr;
  void* entry = nullptr;
  char* error = nullptr;
  CHECK(Lib().jit_compile(kDotSource, sizeof(kDotSource) - 1, nullptr, nullptr, &module, &entry, nullptr, nullptr,
                          &error) == SOFIE_JIT_INVALID_ARGUMENT);
  REQUIRE(error != nullptr);
  Lib().jit_free(error);

  sofie_jit_options options = Options(7);
  CHECK(Lib().jit_compile(kDotSource, sizeof(kDotSource) - 1, "dot_f32", &options, &module, &entry, nullptr, nullptr,
                          &error) == SOFIE_JIT_INVALID_ARGUMENT);
  REQUIRE(error != nullptr);
  CHECK(std::string(error).find("opt_level") != std::string::npos);
  Lib().jit_free(error);

  sofie_jit_symbol unnamed[] = {{nullptr, nullptr}};
  options = Options(2, unnamed, 1);
  CHECK(Lib().jit_compile(kDotSource, sizeof(kDotSource) - 1, "dot_f32", &options, &module, &entry, nullptr, nullptr,
                          nullptr) == SOFIE_JIT_INVALID_ARGUMENT);
  CHECK(module == nullptr);
  CHECK(entry == nullptr);

  CHECK(Lib().jit_load_object(nullptr, 0, "f", nullptr, &module, &entry, nullptr) == SOFIE_JIT_INVALID_ARGUMENT);
  Lib().jit_free_module(nullptr);
  Lib().jit_free(nullptr);
}

TEST_CASE("four threads compile at once", "[jit_compiler]") {
  constexpr int kThreads = 4;
  std::vector<CompileResult> results(kThreads);
  sofie_jit_symbol symbols[] = {{"host_scale", reinterpret_cast<void*>(&host_scale)},
                                {"host_offset", reinterpret_cast<void*>(&host_offset)}};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      sofie_jit_options options = Options(t % 2 == 0 ? 2 : 3, symbols, 2);
      std::string source = "extern \"C\" float host_scale(float);\nextern \"C\" float host_offset(float);\n"
                           "extern \"C\" float thread_fn(const float* x, long n) {\n"
                           "  float sum = 0.0f;\n"
                           "  for (long i = 0; i < n; ++i) sum += x[i] * " +
                           std::to_string(t + 1) +
                           ".0f;\n"
                           "  return host_offset(host_scale(sum));\n"
                           "}\n";
      results[t] = Compile(source, "thread_fn", &options, /*want_object=*/true);
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<float> x(100, 1.0f);
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t << ": " << results[t].error);
    REQUIRE(results[t].status == SOFIE_JIT_OK);
    CHECK(results[t].object_size > 0);
    auto fn = reinterpret_cast<float (*)(const float*, long)>(results[t].entry);
    float sum = 100.0f * static_cast<float>(t + 1);
    CHECK(fn(x.data(), 100) == Approx(3.0f * sum + 1.0f - 0.5f));
  }
}

TEST_CASE("object bytes load back into a fresh module without clang", "[jit_compiler]") {
  sofie_jit_symbol symbols[] = {{"host_scale", reinterpret_cast<void*>(&host_scale)}};
  sofie_jit_options options = Options(2, symbols, 1);
  CompileResult compiled = Compile(kHostCallSource, "apply", &options, /*want_object=*/true);
  INFO(compiled.error);
  REQUIRE(compiled.status == SOFIE_JIT_OK);
  REQUIRE(compiled.object != nullptr);
  REQUIRE(compiled.object_size > 4);
  // An ELF relocatable object.
  CHECK(std::memcmp(compiled.object.get(), "\x7f" "ELF", 4) == 0);

  // Keep a copy, as a cache would, and drop the compiled module first.
  std::vector<unsigned char> cached(static_cast<unsigned char*>(compiled.object.get()),
                                    static_cast<unsigned char*>(compiled.object.get()) + compiled.object_size);
  compiled = CompileResult();

  for (int reload = 0; reload < 3; ++reload) {
    CompileResult loaded = LoadObject(cached.data(), cached.size(), "apply", &options);
    INFO(loaded.error);
    REQUIRE(loaded.status == SOFIE_JIT_OK);
    auto apply = reinterpret_cast<float (*)(float)>(loaded.entry);
    CHECK(apply(2.0f) == Approx(3.0f * 2.0f + 1.0f + 1.0f + 2.0f));
  }

  SECTION("without its host symbols the object does not link") {
    CompileResult loaded = LoadObject(cached.data(), cached.size(), "apply");
    INFO(loaded.error);
    CHECK(loaded.status == SOFIE_JIT_LINK_ERROR);
    CHECK(loaded.error.find("host_scale") != std::string::npos);
  }
  SECTION("a corrupted object is an error") {
    std::vector<unsigned char> corrupted(cached.begin(), cached.begin() + cached.size() / 3);
    CompileResult loaded = LoadObject(corrupted.data(), corrupted.size(), "apply", &options);
    INFO(loaded.error);
    CHECK(loaded.status == SOFIE_JIT_LINK_ERROR);
    CHECK_FALSE(loaded.error.empty());
    CHECK(loaded.module == nullptr);
  }
  SECTION("bytes that are no object at all are an error") {
    const char junk[] = "not an object file";
    CompileResult loaded = LoadObject(junk, sizeof(junk), "apply", &options);
    INFO(loaded.error);
    CHECK(loaded.status == SOFIE_JIT_LINK_ERROR);
    CHECK(loaded.module == nullptr);
  }
}

// VmSize of this process in KiB: the address space mapped, which a leaked code page grows.
long VirtualKiB() {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  REQUIRE(status != nullptr);
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof(line), status) != nullptr) {
    if (std::strncmp(line, "VmSize:", 7) == 0) kib = std::atol(line + 7);
  }
  std::fclose(status);
  return kib;
}

// LLVM 16 leaves the pages of a removed object mapped unless the object has a deallocation action
// (orc_jit.cc works around it): 200 loads would leak at least 800 KiB of address space.
TEST_CASE("freeing a module unmaps its code", "[jit_compiler]") {
  sofie_jit_symbol symbols[] = {{"host_scale", reinterpret_cast<void*>(&host_scale)}};
  sofie_jit_options options = Options(2, symbols, 1);
  CompileResult compiled = Compile(kHostCallSource, "apply", &options, /*want_object=*/true);
  INFO(compiled.error);
  REQUIRE(compiled.status == SOFIE_JIT_OK);
  compiled.module.reset();
  for (int i = 0; i < 10; ++i) LoadObject(compiled.object.get(), compiled.object_size, "apply", &options);
  long before = VirtualKiB();
  for (int i = 0; i < 200; ++i) {
    CompileResult loaded = LoadObject(compiled.object.get(), compiled.object_size, "apply", &options);
    REQUIRE(loaded.status == SOFIE_JIT_OK);
  }
  long after = VirtualKiB();
  INFO("VmSize before " << before << " KiB, after " << after << " KiB");
  CHECK(after - before < 256);
}

// A float reduction may only be vectorised when its additions may be reordered: plain C++ semantics keep
// dot_f32 above scalar even at -O3 (no -ffast-math here). `#pragma clang loop vectorize(enable)` grants the
// reordering for one loop; elementwise loops need nothing.
const char kVectorDotSource[] = R"(
extern "C" float dot_f32(const float* a, const float* b, long n) {
  float sum = 0.0f;
#pragma clang loop vectorize(enable) interleave(enable)
  for (long i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}
)";

// Returns a[0] + ... so that every variant has the DotFn signature.
const char kMulAddSource[] = R"(
extern "C" float dot_f32(const float* a, const float* b, long n) {
  float* out = const_cast<float*>(b) + n;  // the caller passes b with 2n elements
  for (long i = 0; i < n; ++i) out[i] = a[i] * b[i] + out[i];
  return out[n - 1];
}
)";

TEST_CASE("simple loops are vectorised at -O2 (timing against -O0)", "[jit_compiler]") {
  struct Variant {
    const char* name;
    const char* source;
  };
  const Variant variants[] = {
      {"dot product, vectorize(enable) pragma", kVectorDotSource},
      {"dot product, plain (strict FP order)", kDotSource},
      {"elementwise multiply-add", kMulAddSource},
  };
  for (const Variant& variant : variants) {
    sofie_jit_options optimised_options = Options(2);
    sofie_jit_options scalar_options = Options(0);
    CompileResult optimised = Compile(variant.source, "dot_f32", &optimised_options);
    CompileResult scalar = Compile(variant.source, "dot_f32", &scalar_options);
    INFO(variant.name << ": " << optimised.error << scalar.error);
    REQUIRE(optimised.status == SOFIE_JIT_OK);
    REQUIRE(scalar.status == SOFIE_JIT_OK);

    std::vector<float> a(1024), b(1024);
    FillDotInputs(&a, &b);
    b.resize(2048, 0.0f);  // the multiply-add's accumulator; it grows on every call, identically for both
    std::vector<float> b_copy = b;
    float optimised_result = 0.0f, scalar_result = 0.0f;
    double optimised_ns = BestNanoseconds(reinterpret_cast<DotFn>(optimised.entry), a, b, &optimised_result);
    double scalar_ns = BestNanoseconds(reinterpret_cast<DotFn>(scalar.entry), a, b_copy, &scalar_result);
    CHECK(optimised_result == scalar_result);
    std::printf("1024 elements, %-40s -O2 %7.1f ns, -O0 %7.1f ns (%.1fx)\n", variant.name, optimised_ns,
                scalar_ns, scalar_ns / optimised_ns);
  }
}
