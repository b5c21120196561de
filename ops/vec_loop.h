// Elementwise loops GCC vectorises at -O2. GCC 12's default "very cheap" vectoriser cost model only takes
// loops whose trip count is a known multiple of the vector width and that need no runtime alias checks,
// so these helpers run over blocks of one cache line (a fixed trip count) marked `GCC ivdep` (no alias
// check), then finish with a scalar tail. ivdep is sound because an output either is exactly one of the
// inputs (in place: each element is read before it is written, in the same iteration) or overlaps none.
// (Copying each block into a local array first, as these loops once did, also avoids the check, but with
// -mtune=generic the copy is split into 16-byte stores that the 32-byte loads after it cannot forward from:
// a store-forwarding stall per vector, ~6x slower.)
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

// The loop after it has no loop-carried dependence GCC must assume (see above).
#define SOFIE_IVDEP _Pragma("GCC ivdep")

namespace sofie::ops {

template <typename T>
inline constexpr int kBlockLanes = sizeof(T) >= 4 ? static_cast<int>(64 / sizeof(T)) : 64;

// GCC vector types: one AVX register (an SSE register without AVX: wider vectors would change the calling
// convention), for kernels whose accumulators must stay in registers across an inner loop (a local array of
// accumulators goes through memory) or that rearrange lanes. Operators mix vectors with scalars (v * 2.0f,
// c ? a : b lane by lane on a vector condition), so generic lambdas serve both a block and its scalar tail.
#ifdef __AVX__
inline constexpr int kVecBytes = 32;
#else
inline constexpr int kVecBytes = 16;
#endif
template <typename T>
struct VecOf {
  typedef T type __attribute__((vector_size(kVecBytes)));
};
template <typename T>
using Vec = typename VecOf<T>::type;
template <typename T>
inline constexpr int kVecLanes = static_cast<int>(kVecBytes / sizeof(T));

template <typename T>
inline Vec<T> load_vec(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
inline void store_vec(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename T>
inline Vec<T> splat(T x) {
  Vec<T> v = {};
  for (int j = 0; j < kVecLanes<T>; ++j) v[j] = x;
  return v;
}

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

// Calls body(i) for every i < n: blocks of L iterations vectorised as one, then a scalar tail. body must
// only touch element i of its operands (and values read before the loop).
template <int L, typename Body>
inline void for_lanes(int64_t n, Body body) {
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    SOFIE_IVDEP
    for (int j = 0; j < L; ++j) body(i + j);
  }
  for (; i < n; ++i) body(i);
}

// An operand of an elementwise loop with stride kUnit ? 1 : 0: element i, or its one value (read once).
template <typename T, bool kUnit>
struct Lane {
  const T* p;
  T v;
  explicit Lane(const T* x) : p(x), v(kUnit ? T() : x[0]) {}
  T operator[](int64_t i) const {
    if constexpr (kUnit) {
      return p[i];
    } else {
      (void)i;
      return v;
    }
  }
};

// f(std::true_type) for stride 1, f(std::false_type) for stride 0.
template <typename F>
inline void with_unit_stride(int64_t stride, F f) {
  if (stride != 0) {
    f(std::true_type{});
  } else {
    f(std::false_type{});
  }
}

// y[i] = v for i < n, in vector blocks (std::fill's loop stays scalar at -O2: its trip count is unknown).
template <typename T>
void fill_row(int64_t n, T v, T* y) {
  for_lanes<kBlockLanes<T>>(n, [&](int64_t i) { y[i] = v; });
}

// y[i] = f(x[i])
template <typename T, typename U, typename F>
void map_unary(int64_t n, const T* x, U* y, F f) {
  for_lanes<kBlockLanes<T>>(n, [&](int64_t i) { y[i] = f(x[i]); });
}

// Lanes of a block over several element types: enough that the narrowest fills a cache line (a block of
// 8 doubles compared into 8 bools is too short for GCC to vectorise; 64 of them are not).
template <typename... Ts>
inline constexpr int kMixedLanes = std::max({kBlockLanes<Ts>...});

// y[i] = f(a[i * sa], b[i * sb]) for strides sa, sb in {0, 1} (0 = a broadcast scalar); element types may
// differ (comparisons: float in, bool out).
template <typename A, typename B, typename Y, typename F>
void map_binary(int64_t n, const A* a, int64_t sa, const B* b, int64_t sb, Y* y, F f) {
  if (n <= 0) return;
  with_unit_stride(sa, [&](auto ua) {
    with_unit_stride(sb, [&](auto ub) {
      const Lane<A, decltype(ua)::value> la(a);
      const Lane<B, decltype(ub)::value> lb(b);
      for_lanes<kMixedLanes<A, B, Y>>(n, [&](int64_t i) { y[i] = f(la[i], lb[i]); });
    });
  });
}

}  // namespace sofie::ops
