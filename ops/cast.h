// The element conversion of Cast, shared with CastLike.
#pragma once

#include <cstdint>

#include "runtime/dtype.h"

namespace sofie::ops {

// Converts n elements from dtype `from` at `in` to dtype `to` at `out` (in == out allowed when the dtypes
// have the same size): float to integer truncates toward zero after saturating to the target's range (NaN
// becomes 0), anything to bool is `!= 0`, integer narrowing wraps.
void cast_elements(DType from, const void* in, DType to, void* out, int64_t n);

}  // namespace sofie::ops
