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
    // x and y are the same array or do not overlap: no dependence between elements (no alias check, and no
    // copy through a local block, whose 16-byte stores the vector loads could not forward from).
#pragma GCC ivdep
    for (int j = 0; j < kLanes; ++j) y[i + j] = F(x[i + j]);
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
