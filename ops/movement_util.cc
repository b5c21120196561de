#include "ops/movement_util.h"

#include <algorithm>
#include <cstring>

namespace sofie::ops {

bool plan_strided_copy(absl::Span<const int64_t> dims, absl::Span<const int64_t> in_strides, int64_t in_offset,
                       size_t element_size, StridedCopy& out) {
  out.total = num_elements(dims);
  out.in_offset = in_offset;
  out.element_size = element_size;
  out.dims.clear();
  out.in_strides.clear();
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    // Stepping the previous loop once == walking this one fully: one longer loop.
    if (!out.dims.empty() && out.in_strides.back() == in_strides[d] * dims[d]) {
      out.dims.back() *= dims[d];
      out.in_strides.back() = in_strides[d];
      continue;
    }
    out.dims.push_back(dims[d]);
    out.in_strides.push_back(in_strides[d]);
  }
  if (out.dims.empty()) {
    out.dims.push_back(1);
    out.in_strides.push_back(1);
  }
  return out.dims.size() <= static_cast<size_t>(kMaxStridedLoops);
}

namespace {

template <typename T>
void copy_loops(const StridedCopy& p, const T* in, T* out) {
  const int rank = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims[rank - 1];
  const int64_t stride = p.in_strides[rank - 1];
  int64_t index[kMaxStridedLoops] = {};
  int64_t off = p.in_offset;
  for (int64_t done = 0; done < p.total; done += inner) {
    const T* src = in + off;
    T* dst = out + done;
    if (stride == 1) {
      std::memcpy(dst, src, static_cast<size_t>(inner) * sizeof(T));
    } else if (stride == 0) {
      std::fill(dst, dst + inner, *src);
    } else {
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * stride];
    }
    for (int d = rank - 2; d >= 0; --d) {
      off += p.in_strides[d];
      if (++index[d] < p.dims[d]) break;
      off -= p.in_strides[d] * p.dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace

void run_strided_copy(const StridedCopy& p, const void* in, void* out) {
  if (p.total == 0) return;
  switch (p.element_size) {
    case 1: copy_loops(p, static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out)); break;
    case 2: copy_loops(p, static_cast<const uint16_t*>(in), static_cast<uint16_t*>(out)); break;
    case 4: copy_loops(p, static_cast<const uint32_t*>(in), static_cast<uint32_t*>(out)); break;
    default: copy_loops(p, static_cast<const uint64_t*>(in), static_cast<uint64_t*>(out)); break;
  }
}

}  // namespace sofie::ops
