// Branch-free float32 log, log1p and erf for the activation and normalisation families, in the style of
// ops/kernels/math_f32.h (no calls, bit casts through memcpy, blends instead of branches) so that loops
// calling them vectorise at -O2. Plus typed wrappers that pick these for float and <cmath> for double.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ops/kernels/math_f32.h"

namespace sofie::ops {

// Natural log of a positive normal float (Cephes' logf: mantissa in [sqrt(1/2), sqrt(2)), degree-9
// polynomial, relative error ~1e-7). Zero, negative, denormal, inf and NaN inputs give meaningless results:
// callers only pass values known to be positive and finite (1 + exp(..), bias + alpha * sum of squares).
inline float log_f32(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int32_t e = ((bits >> 23) & 0xff) - 126;
  const int32_t m_bits = (bits & 0x007fffff) | 0x3f000000;  // mantissa as a float in [0.5, 1)
  float m;
  std::memcpy(&m, &m_bits, sizeof m);
  const bool small = m < 0.707106781186547524f;
  e -= static_cast<int32_t>(small);
  m = m + kernels::select_f32(small, m, 0.0f) - 1.0f;
  const float fe = static_cast<float>(e);
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  return m + y + 0.693359375f * fe;
}

// log(1 + t) for t >= 0, accurate also for tiny t: log(u) corrected by the rounding error of u = 1 + t.
inline float log1p_f32(float t) {
  const float u = 1.0f + t;
  const float d = u - 1.0f;
  // d == 0: u rounded to 1 and log1p(t) ~ t; else log(u) * t / d fixes the rounding of u.
  const float safe_d = kernels::select_f32(d == 0.0f, 1.0f, d);
  return kernels::select_f32(d == 0.0f, t, log_f32(u) * (t / safe_d));
}

// erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), odd symmetry by copysign.
inline float erf_f32(float x) {
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float r = 1.0f - p * t * kernels::exp_f32(-ax * ax);
  return std::copysign(r, x);
}

template <typename T>
inline T exp_t(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return kernels::exp_f32(v);
  } else {
    return std::exp(v);
  }
}

template <typename T>
inline T log_t(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return log_f32(v);
  } else {
    return std::log(v);
  }
}

template <typename T>
inline T tanh_t(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return kernels::tanh_f32(v);
  } else {
    return std::tanh(v);
  }
}

template <typename T>
inline T erf_t(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return erf_f32(v);
  } else {
    return std::erf(v);
  }
}

// exp(x) - 1: float through exp_f32 (absolute error ~1e-7 near 0, enough next to the other terms of the
// activations that use it), double through std::expm1.
template <typename T>
inline T expm1_t(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return kernels::exp_f32(v) - 1.0f;
  } else {
    return std::expm1(v);
  }
}

// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
template <typename T>
inline T softplus_t(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return kernels::select_f32(v > 0.0f, v, 0.0f) + log1p_f32(kernels::exp_f32(-std::fabs(v)));
  } else {
    return (v > 0.0 ? v : 0.0) + std::log1p(std::exp(-std::fabs(v)));
  }
}

}  // namespace sofie::ops
