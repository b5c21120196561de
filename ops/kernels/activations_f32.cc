// Array versions of the vectorisable float32 maths in math_f32.h. Loops run over blocks of kLanes
// elements (GCC's -O2 vectoriser only takes loops whose trip count is a multiple of the vector width).
#include "ops/kernels/math_f32.h"
#include "ops/kernels/sofie_kernels.h"

namespace {

constexpr int kLanes = 16;

template <float (*F)(float)>
void map_f32(const float* x, float* y, sofie_dim_t n) {
  sofie_dim_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    // Through a local block: x and y may be the same array, and the block makes that visible.
    float block[kLanes];
    for (int j = 0; j < kLanes; ++j) block[j] = x[i + j];
    for (int j = 0; j < kLanes; ++j) y[i + j] = F(block[j]);
  }
  for (; i < n; ++i) y[i] = F(x[i]);
}

}  // namespace

extern "C" void sofie_exp_f32(const float* x, float* y, sofie_dim_t n) {
  map_f32<sofie::kernels::exp_f32>(x, y, n);
}

extern "C" void sofie_sigmoid_f32(const float* x, float* y, sofie_dim_t n) {
  map_f32<sofie::kernels::sigmoid_f32>(x, y, n);
}

extern "C" void sofie_tanh_f32(const float* x, float* y, sofie_dim_t n) {
  map_f32<sofie::kernels::tanh_f32>(x, y, n);
}
