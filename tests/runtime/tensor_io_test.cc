// Tensor files: NumPy .npy and ONNX TensorProto .pb read with their dtypes, shapes and values; unsupported
// variants are errors naming the file and the reason; truncated or corrupted files are errors, never crashes;
// write_tensor_pb round-trips.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "runtime/tensor.h"
#include "runtime/tensor_io.h"
#include "tests/runtime/test_util.h"

namespace sofie {
namespace {

using Catch::Matchers::Contains;
using testing::message;

std::string file(const std::string& name) { return testing::runfile("tests/runtime/tensor_files/" + name); }

Tensor read_ok(const std::string& name) {
  auto t = read_tensor_file(file(name));
  INFO(name << ": " << (t.ok() ? "" : message(t.status())));
  REQUIRE(t.ok());
  return t->tensor;
}

TEST_CASE(".npy files of every supported dtype") {
  Tensor f32 = read_ok("f32_2x3.npy");
  CHECK(f32.dtype() == DType::kFloat32);
  CHECK(f32.shape() == Dims{2, 3});
  CHECK(f32.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});

  Tensor v2 = read_ok("f32_2x3_v2.npy");
  CHECK(v2.shape() == Dims{2, 3});
  CHECK(v2.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});

  Tensor f64 = read_ok("f64_scalar.npy");
  CHECK(f64.dtype() == DType::kFloat64);
  CHECK(f64.rank() == 0);
  CHECK(f64.to_vector<double>() == std::vector<double>{2.5});

  Tensor i64 = read_ok("i64_4.npy");
  CHECK(i64.dtype() == DType::kInt64);
  CHECK(i64.to_vector<int64_t>() == std::vector<int64_t>{-2, -1, 0, 1});

  Tensor i32 = read_ok("i32_2x2.npy");
  CHECK(i32.dtype() == DType::kInt32);
  CHECK(i32.to_vector<int32_t>() == std::vector<int32_t>{0, 1, 2, 3});

  Tensor i8 = read_ok("i8_3.npy");
  CHECK(i8.dtype() == DType::kInt8);
  CHECK(i8.to_vector<int8_t>() == std::vector<int8_t>{-1, 0, 1});

  Tensor u8 = read_ok("u8_3.npy");
  CHECK(u8.dtype() == DType::kUInt8);
  CHECK(u8.to_vector<uint8_t>() == std::vector<uint8_t>{0, 128, 255});

  Tensor b = read_ok("bool_3.npy");
  CHECK(b.dtype() == DType::kBool);
  CHECK(b.to_vector<uint8_t>() == std::vector<uint8_t>{1, 0, 1});

  Tensor empty = read_ok("f32_0x3.npy");
  CHECK(empty.shape() == Dims{0, 3});
  CHECK(empty.numel() == 0);
}

TEST_CASE("unsupported .npy variants are errors naming the file and the reason") {
  for (const char* name : {"f32_fortran.npy", "f32_big_endian.npy", "f16.npy"}) {
    auto t = read_tensor_file(file(name));
    INFO(name);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(message(t.status()), Contains(name));
  }
  CHECK_THAT(message(read_tensor_file(file("f32_fortran.npy")).status()), Contains("order"));
}

TEST_CASE(".pb files (TensorProto)") {
  auto values = read_tensor_file(file("f32_2x3.pb"));
  REQUIRE(values.ok());
  CHECK(values->name == "values");
  CHECK(values->tensor.shape() == Dims{2, 3});
  CHECK(values->tensor.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});

  auto indices = read_tensor_file(file("i64_4.pb"));
  REQUIRE(indices.ok());
  CHECK(indices->name == "indices");
  CHECK(indices->tensor.to_vector<int64_t>() == std::vector<int64_t>{-2, -1, 0, 1});

  auto mask = read_tensor_file(file("bool_3.pb"));
  REQUIRE(mask.ok());
  CHECK(mask->tensor.dtype() == DType::kBool);
  CHECK(mask->tensor.to_vector<uint8_t>() == std::vector<uint8_t>{1, 0, 1});

  auto half = read_tensor_file(file("f16.pb"));
  REQUIRE_FALSE(half.ok());
  CHECK_THAT(message(half.status()), Contains("float16") && Contains("half"));
}

TEST_CASE("a missing file is an error naming it") {
  for (const std::string path : {"no/such/tensor.pb", "no/such/tensor.npy"}) {
    auto t = read_tensor_file(path);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(message(t.status()), Contains(path));
  }
}

TEST_CASE("write_tensor_pb round-trips") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = tmp != nullptr ? tmp : ".";
  std::vector<float> f = {1.5f, -2.25f, 0.0f, 1e30f, -1e-30f, 7.0f};
  std::vector<int64_t> i = {int64_t{1} << 40, -3, 0};
  REQUIRE(write_tensor_pb(dir + "/f.pb", TensorView::of(f.data(), {3, 2}), "floats").ok());
  REQUIRE(write_tensor_pb(dir + "/i.pb", TensorView::of(i.data(), {3}), "ints").ok());
  REQUIRE(write_tensor_pb(dir + "/empty.pb", TensorView::of(f.data(), {0, 2}), "none").ok());

  auto rf = read_tensor_file(dir + "/f.pb");
  REQUIRE(rf.ok());
  CHECK(rf->name == "floats");
  CHECK(rf->tensor.shape() == Dims{3, 2});
  CHECK(rf->tensor.to_vector<float>() == f);
  auto ri = read_tensor_file(dir + "/i.pb");
  REQUIRE(ri.ok());
  CHECK(ri->tensor.to_vector<int64_t>() == i);
  auto re = read_tensor_file(dir + "/empty.pb");
  REQUIRE(re.ok());
  CHECK(re->tensor.shape() == Dims{0, 2});

  CHECK_FALSE(write_tensor_pb("no/such/folder/x.pb", TensorView::of(f.data(), {6}), "x").ok());
}

// Writes `bytes` to a fresh file with the given extension and reads it back.
absl::Status read_bytes_as(const std::string& bytes, const std::string& extension) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = std::string(tmp != nullptr ? tmp : ".") + "/fuzz" + extension;
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    if (!bytes.empty()) REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    std::fclose(f);
  }
  return read_tensor_file(path).status();
}

TEST_CASE("truncated tensor files are errors at every length") {
  for (const char* name : {"f32_2x3.npy", "f32_2x3_v2.npy", "bool_3.npy", "f32_2x3.pb", "i64_4.pb"}) {
    std::string bytes = testing::read_file(file(name));
    std::string extension = std::string(name).substr(std::string(name).rfind('.'));
    for (size_t n = 0; n < bytes.size(); ++n) {
      INFO(name << " cut to " << n << " of " << bytes.size() << " bytes");
      CHECK_FALSE(read_bytes_as(bytes.substr(0, n), extension).ok());
    }
  }
}

TEST_CASE("corrupted tensor files are errors or tensors, never crashes") {
  std::mt19937 gen(99);
  for (const char* name : {"f32_2x3.npy", "f32_2x3_v2.npy", "f32_2x3.pb", "i64_4.pb"}) {
    std::string bytes = testing::read_file(file(name));
    std::string extension = std::string(name).substr(std::string(name).rfind('.'));
    int ok = 0;
    for (size_t pos = 0; pos < bytes.size(); ++pos) {
      for (int variant = 0; variant < 3; ++variant) {
        std::string corrupt = bytes;
        corrupt[pos] = static_cast<char>(variant == 0 ? corrupt[pos] ^ 0xFF
                                         : variant == 1 ? corrupt[pos] ^ 0x01
                                                        : static_cast<char>(gen()));
        if (read_bytes_as(corrupt, extension).ok()) ++ok;
      }
    }
    INFO(name << ": " << ok << " corruptions still read");
    CHECK(ok > 0);  // flipping a value byte leaves a valid file
  }
}

}  // namespace
}  // namespace sofie
