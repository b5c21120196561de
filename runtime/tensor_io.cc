#include "runtime/tensor_io.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h
#include "runtime/status.h"

namespace sofie {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Copies `count` typed-field values into `out` as T.
template <typename T, typename Field>
void copy_field(const Field& field, Tensor* out) {
  T* dst = out->mutable_data_as<T>();
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<T>(field.Get(i));
}

absl::StatusOr<std::string> read_external(const onnx::TensorProto& proto, const std::string& dir,
                                          size_t nbytes, const std::string& what) {
  if (dir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " uses external data, but the model was loaded from memory without LoadOptions::external_data_dir"));
  }
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      int64_t v;
      if (!absl::SimpleAtoi(kv.value(), &v) || v < 0) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": external data ", kv.key(), " '", kv.value(), "' is not a valid size"));
      }
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": external data has no location"));
  fs::path rel(location);
  if (rel.is_absolute()) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, ": external data path '", location, "' is absolute; it must be relative to the model's folder"));
  }
  // Lexical check (as ONNX Runtime does): no absolute path and no ".." that climbs out of the folder.
  // Symlinks inside the folder are the model owner's choice and are followed.
  std::error_code ec;
  fs::path base = fs::absolute(fs::path(dir), ec).lexically_normal();
  if (ec) return absl::NotFoundError(absl::StrCat(what, ": cannot resolve model folder '", dir, "'"));
  fs::path full = (base / rel).lexically_normal();
  fs::path inside = full.lexically_relative(base);
  if (inside.empty() || *inside.begin() == ".." || *inside.begin() == ".") {
    return absl::PermissionDeniedError(
        absl::StrCat(what, ": external data path '", location, "' escapes the model's folder"));
  }
  std::string f = full.string();
  if (length >= 0 && static_cast<size_t>(length) != nbytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": external data length ", length, " does not match the ", nbytes, " bytes its shape needs"));
  }
  std::ifstream in(f, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": cannot open external data file '", location, "'"));
  int64_t file_size = in.tellg();
  if (offset > file_size || static_cast<uint64_t>(file_size - offset) < nbytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": external data file '", location, "' has ", file_size,
                                                   " bytes, needs ", nbytes, " from offset ", offset));
  }
  std::string bytes(nbytes, '\0');
  in.seekg(offset);
  if (nbytes > 0 && !in.read(bytes.data(), static_cast<std::streamsize>(nbytes))) {
    return absl::DataLossError(absl::StrCat(what, ": cannot read external data file '", location, "'"));
  }
  return bytes;
}

}  // namespace

absl::StatusOr<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& external_data_dir,
                                         const std::string& what) {
  DType dtype = dtype_from_onnx(proto.data_type());
  if (dtype == DType::kUndefined) {
    return absl::UnimplementedError(absl::StrCat(what, " has element type ", onnx_type_name(proto.data_type()),
                                                 ", which sofie does not support"));
  }
  if (proto.has_segment()) return absl::UnimplementedError(absl::StrCat(what, " is segmented, which sofie does not support"));
  Dims dims(proto.dims().begin(), proto.dims().end());
  auto n = checked_num_elements(dims);
  if (!n.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", n.status().message()));
  const size_t nbytes = static_cast<size_t>(*n) * dtype_size(dtype);
  if (nbytes > static_cast<size_t>(kMaxBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " of shape ", dims_string(dims), " is too large"));
  }

  auto wrong_count = [&](const char* field, int64_t got) {
    return absl::InvalidArgumentError(absl::StrCat(what, " of shape ", dims_string(dims), " needs ", *n, " ",
                                                   dtype_name(dtype), " values but ", field, " holds ", got));
  };
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    SOFIE_ASSIGN_OR_RETURN(std::string bytes, read_external(proto, external_data_dir, nbytes, what));
    Tensor t = Tensor::zeros(dtype, dims);
    if (nbytes) std::memcpy(t.mutable_data(), bytes.data(), nbytes);
    return t;
  }
  // Validate sizes before allocating anything.
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != nbytes) {
      return absl::InvalidArgumentError(absl::StrCat(what, " of shape ", dims_string(dims), " needs ", nbytes,
                                                     " bytes of raw_data, has ", proto.raw_data().size()));
    }
    Tensor t = Tensor::zeros(dtype, dims);
    if (nbytes) std::memcpy(t.mutable_data(), proto.raw_data().data(), nbytes);  // little-endian host
    return t;
  }
  int64_t got = 0;
  const char* field = "";
  switch (dtype) {
    case DType::kFloat32: got = proto.float_data_size(); field = "float_data"; break;
    case DType::kFloat64: got = proto.double_data_size(); field = "double_data"; break;
    case DType::kInt64: got = proto.int64_data_size(); field = "int64_data"; break;
    default: got = proto.int32_data_size(); field = "int32_data"; break;
  }
  if (got != *n) return wrong_count(field, got);
  Tensor t = Tensor::zeros(dtype, dims);
  switch (dtype) {
    case DType::kFloat32: copy_field<float>(proto.float_data(), &t); break;
    case DType::kFloat64: copy_field<double>(proto.double_data(), &t); break;
    case DType::kInt64: copy_field<int64_t>(proto.int64_data(), &t); break;
    case DType::kInt32: copy_field<int32_t>(proto.int32_data(), &t); break;
    case DType::kInt8: copy_field<int8_t>(proto.int32_data(), &t); break;
    case DType::kUInt8: copy_field<uint8_t>(proto.int32_data(), &t); break;
    case DType::kBool: {
      uint8_t* dst = t.mutable_data_as<uint8_t>();
      for (int i = 0; i < proto.int32_data_size(); ++i) dst[i] = proto.int32_data(i) != 0;
      break;
    }
    case DType::kUndefined: break;
  }
  return t;
}

absl::StatusOr<NamedTensor> parse_tensor_proto_bytes(const std::string& bytes) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return absl::InvalidArgumentError("not a valid TensorProto");
  SOFIE_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(proto, "", absl::StrCat("tensor '", proto.name(), "'")));
  return NamedTensor{proto.name(), std::move(t)};
}

namespace {

absl::StatusOr<NamedTensor> parse_npy(const std::string& bytes, const std::string& path) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a supported .npy file: ", why));
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) return bad("no NUMPY magic");
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return bad("truncated header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return bad(absl::StrCat("version ", major));
  }
  if (header_start + header_len > bytes.size()) return bad("truncated header");
  std::string header = bytes.substr(header_start, header_len);
  auto field = [&](const std::string& key) -> std::string {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) return "";
    size_t colon = header.find(':', k);
    if (colon == std::string::npos) return "";
    size_t start = colon + 1;
    while (start < header.size() && header[start] == ' ') ++start;
    size_t stop = header[start] == '(' ? header.find(')', start) + 1 : header.find_first_of(",}", start);
    return header.substr(start, stop - start);
  };
  std::string descr(absl::StripAsciiWhitespace(field("descr")));
  std::string fortran(absl::StripAsciiWhitespace(field("fortran_order")));
  std::string shape(absl::StripAsciiWhitespace(field("shape")));
  if (fortran != "False") return bad("only C-order arrays are supported");
  static const std::pair<const char*, DType> kTypes[] = {
      {"'<f4'", DType::kFloat32}, {"'<f8'", DType::kFloat64}, {"'<i8'", DType::kInt64}, {"'<i4'", DType::kInt32},
      {"'|i1'", DType::kInt8},    {"'|u1'", DType::kUInt8},   {"'|b1'", DType::kBool}};
  DType dtype = DType::kUndefined;
  for (const auto& [name, t] : kTypes) {
    if (descr == name) dtype = t;
  }
  if (dtype == DType::kUndefined) return bad(absl::StrCat("dtype ", descr));
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') return bad("no shape");
  Dims dims;
  for (absl::string_view part : absl::StrSplit(shape.substr(1, shape.size() - 2), ',', absl::SkipWhitespace())) {
    int64_t d;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &d)) return bad(absl::StrCat("shape ", shape));
    dims.push_back(d);
  }
  auto n = checked_num_elements(dims);
  if (!n.ok()) return bad(n.status().message());
  size_t nbytes = static_cast<size_t>(*n) * dtype_size(dtype);
  size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != nbytes) {
    return bad(absl::StrCat("shape ", dims_string(dims), " needs ", nbytes, " bytes of data, file has ",
                            bytes.size() - data_start));
  }
  Tensor t = Tensor::zeros(dtype, dims);
  if (nbytes) std::memcpy(t.mutable_data(), bytes.data() + data_start, nbytes);
  return NamedTensor{"", std::move(t)};
}

}  // namespace

absl::StatusOr<NamedTensor> read_tensor_file(const std::string& path) {
  SOFIE_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  if (absl::EndsWith(path, ".npy")) return parse_npy(bytes, path);
  auto t = parse_tensor_proto_bytes(bytes);
  if (!t.ok()) return absl::Status(t.status().code(), absl::StrCat("'", path, "': ", t.status().message()));
  return t;
}

absl::Status write_tensor_pb(const std::string& path, const TensorView& tensor, const std::string& name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(dtype_to_onnx(tensor.dtype));
  for (int64_t d : tensor.shape) proto.add_dims(d);
  proto.set_raw_data(tensor.data, tensor.nbytes());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f || !proto.SerializeToOstream(&f)) return absl::InternalError(absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

}  // namespace sofie
