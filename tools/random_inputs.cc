#include "tools/random_inputs.h"

#include <random>

namespace sofie::tools {
namespace {
template <typename T, typename Fill>
void fill_all(Tensor& t, Fill fill) {
  T* p = t.mutable_data_as<T>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = fill();
}
}  // namespace

Tensor random_tensor(DType dtype, const Dims& shape, uint64_t seed) {
  Tensor t = Tensor::zeros(dtype, shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 3);
  switch (dtype) {
    case DType::kFloat32: fill_all<float>(t, [&] { return static_cast<float>(real(rng)); }); break;
    case DType::kFloat64: fill_all<double>(t, [&] { return real(rng); }); break;
    case DType::kInt64: fill_all<int64_t>(t, [&] { return small(rng); }); break;
    case DType::kInt32: fill_all<int32_t>(t, [&] { return small(rng); }); break;
    case DType::kInt8: fill_all<int8_t>(t, [&] { return static_cast<int8_t>(small(rng)); }); break;
    case DType::kUInt8: fill_all<uint8_t>(t, [&] { return static_cast<uint8_t>(small(rng)); }); break;
    case DType::kBool: fill_all<uint8_t>(t, [&] { return static_cast<uint8_t>(small(rng) & 1); }); break;
    case DType::kUndefined: break;
  }
  return t;
}

bool concrete_shape(const SymShape& shape, const std::map<std::string, int64_t>& dims, Dims* out,
                    std::vector<std::string>* unset) {
  if (!shape.rank_known()) return false;
  out->clear();
  bool complete = true;
  for (const Dim& d : shape.dims()) {
    if (d.is_known()) {
      out->push_back(d.value);
    } else if (d.is_symbol() && dims.count(d.symbol)) {
      out->push_back(dims.at(d.symbol));
    } else {
      if (d.is_symbol()) unset->push_back(d.symbol);
      complete = false;
    }
  }
  return complete;
}

}  // namespace sofie::tools
