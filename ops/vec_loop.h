// Elementwise loops GCC vectorises at -O2. GCC 12's default "very cheap" vectoriser cost model only takes
// loops whose trip count is a known multiple of the vector width and that need no runtime alias checks,
// so these helpers run over blocks of one cache line through local arrays (which cannot alias the output;
// in-place operation stays correct), then finish with a scalar tail.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sofie::ops {

template <typename T>
inline constexpr int kBlockLanes = sizeof(T) >= 4 ? static_cast<int>(64 / sizeof(T)) : 64;

// c ? a : b without a branch (GCC does not if-convert `?:` on floats under -ftrapping-math).
template <typename T>
inline T select(bool c, T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    using Bits = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
    Bits mask = -static_cast<Bits>(c), ab, bb;
    std::memcpy(&ab, &a, sizeof ab);
    std::memcpy(&bb, &b, sizeof bb);
    Bits r = (ab & mask) | (bb & ~mask);
    T out;
    std::memcpy(&out, &r, sizeof out);
    return out;
  } else {
    return c ? a : b;
  }
}

// y[i] = f(x[i])
template <typename T, typename U, typename F>
void map_unary(int64_t n, const T* x, U* y, F f) {
  constexpr int L = kBlockLanes<T>;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    T block[L];
    for (int j = 0; j < L; ++j) block[j] = x[i + j];
    for (int j = 0; j < L; ++j) y[i + j] = f(block[j]);
  }
  for (; i < n; ++i) y[i] = f(x[i]);
}

// y[i] = f(a[i * sa], b[i * sb]) for strides sa, sb in {0, 1} (0 = a broadcast scalar).
template <typename T, typename F>
void map_binary(int64_t n, const T* a, int64_t sa, const T* b, int64_t sb, T* y, F f) {
  constexpr int L = kBlockLanes<T>;
  int64_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + L <= n; i += L) {
      T ta[L], tb[L];
      for (int j = 0; j < L; ++j) ta[j] = a[i + j];
      for (int j = 0; j < L; ++j) tb[j] = b[i + j];
      for (int j = 0; j < L; ++j) y[i + j] = f(ta[j], tb[j]);
    }
    for (; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (sa == 0 && sb == 1) {
    const T av = a[0];
    for (; i + L <= n; i += L) {
      T tb[L];
      for (int j = 0; j < L; ++j) tb[j] = b[i + j];
      for (int j = 0; j < L; ++j) y[i + j] = f(av, tb[j]);
    }
    for (; i < n; ++i) y[i] = f(av, b[i]);
  } else if (sa == 1 && sb == 0) {
    const T bv = b[0];
    for (; i + L <= n; i += L) {
      T ta[L];
      for (int j = 0; j < L; ++j) ta[j] = a[i + j];
      for (int j = 0; j < L; ++j) y[i + j] = f(ta[j], bv);
    }
    for (; i < n; ++i) y[i] = f(a[i], bv);
  } else {
    const T v = f(a[0], b[0]);
    for (; i < n; ++i) y[i] = v;
  }
}

}  // namespace sofie::ops
