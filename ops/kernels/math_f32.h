// Branch-free float32 exp, sigmoid and tanh, written so that GCC vectorises loops calling them at -O2
// (x86-64-v3): no calls, bit casts through memcpy, and no `c ? a : b` on floats (under the default
// -ftrapping-math GCC does not reliably if-convert those; the integer-mask select_f32 always becomes a
// blend).
// C++ only and header-only, for kernels that fuse them into their own loops (Softmax); the C ABI in
// sofie_kernels.h exposes array versions.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace sofie::kernels {

// c ? a : b without a branch.
inline float select_f32(bool c, float a, float b) {
  int32_t mask = -static_cast<int32_t>(c);
  int32_t a_bits, b_bits;
  std::memcpy(&a_bits, &a, sizeof a_bits);
  std::memcpy(&b_bits, &b, sizeof b_bits);
  int32_t bits = (a_bits & mask) | (b_bits & ~mask);
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

// exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln2 / 2; exp(r) by Cephes' expf polynomial
// (relative error ~1e-7). The clamp keeps 2^n a normal float (n in [-126, 127]).
inline float exp_f32(float x) {
  constexpr float kHi = 88.3762626647949f;
  constexpr float kLo = -87.3365447505531f;
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  // Adding 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
  constexpr float kRoundMagic = 12582912.0f;
  x = select_f32(x < kLo, kLo, x);
  x = select_f32(x > kHi, kHi, x);
  float t = x * kLog2e + kRoundMagic;
  int32_t t_bits;
  std::memcpy(&t_bits, &t, sizeof t_bits);
  float n = t - kRoundMagic;
  float r = x - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  // t_bits - bits(kRoundMagic) is n; 2^n has exponent field n + 127.
  // In uint32: a NaN input reaches here unclamped, and a signed shift would overflow.
  uint32_t scale_bits = (static_cast<uint32_t>(t_bits) - 0x4B400000u + 127u) << 23;
  float scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  return p * scale;
}

inline float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

// Small |x|: Cephes' tanhf odd polynomial (no cancellation); otherwise 1 - 2 / (exp(2|x|) + 1), whose
// cancellation is harmless for |x| >= 0.625. Both are computed and one is selected (a blend).
inline float tanh_f32(float x) {
  float ax = std::fabs(x);
  float z = x * x;
  float poly = -5.70498872745e-3f;
  poly = poly * z + 2.06390887954e-2f;
  poly = poly * z - 5.37397155531e-2f;
  poly = poly * z + 1.33314422036e-1f;
  poly = poly * z - 3.33332819422e-1f;
  float small = poly * z * x + x;
  float big = 1.0f - 2.0f / (exp_f32(2.0f * ax) + 1.0f);
  big = std::copysign(big, x);
  return select_f32(ax < 0.625f, small, big);
}

}  // namespace sofie::kernels
