// Seeded random inputs for `sofie run` and `sofie bench` (both see the same data for the same model).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/shape.h"
#include "runtime/tensor.h"

namespace sofie::tools {

inline constexpr uint64_t kRandomSeed = 20240601;

// Uniform [-1, 1) for floats, small non-negative values for integers, 0/1 for bools; deterministic per seed.
Tensor random_tensor(DType dtype, const Dims& shape, uint64_t seed);

// The declared shape made concrete by --dim values (symbol -> value). False when the rank or a dimension
// stays unknown; the named dimensions without a value are then appended to `unset`.
bool concrete_shape(const SymShape& shape, const std::map<std::string, int64_t>& dims, Dims* out,
                    std::vector<std::string>* unset);

}  // namespace sofie::tools
