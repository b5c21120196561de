#include "runtime/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sofie {

int64_t num_elements(absl::Span<const int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string dims_string(absl::Span<const int64_t> dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ","), "]");
}

absl::StatusOr<int64_t> checked_num_elements(absl::Span<const int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("shape ", dims_string(dims), " has a negative dimension"));
    }
    if (d != 0 && n > kMaxElements / d) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "shape ", dims_string(dims), " has more than 2^36 elements, the most sofie accepts"));
    }
    n *= d;
  }
  return n;
}

namespace {
void* aligned_alloc_or_throw(size_t bytes) {
  size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded == 0) rounded = kTensorAlignment;
  void* p = std::aligned_alloc(kTensorAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

Tensor Tensor::zeros(DType dtype, Dims shape) {
  Tensor t;
  size_t bytes = static_cast<size_t>(num_elements(shape)) * dtype_size(dtype);
  void* p = aligned_alloc_or_throw(bytes);
  std::memset(p, 0, bytes);
  t.storage_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  t.view_ = TensorView(dtype, std::move(shape), p);
  return t;
}

Tensor Tensor::copy_of(const TensorView& v) {
  Tensor t = zeros(v.dtype, v.shape);
  if (v.nbytes() > 0) std::memcpy(t.view_.data, v.data, v.nbytes());
  return t;
}

Tensor Tensor::reshaped(Dims shape) const {
  Tensor t = *this;
  t.view_.shape = std::move(shape);
  return t;
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

void AlignedBuffer::reserve(size_t bytes) {
  if (bytes <= capacity_ && data_ != nullptr) return;
  std::free(data_);
  data_ = nullptr;
  data_ = aligned_alloc_or_throw(bytes);
  capacity_ = bytes;
}

}  // namespace sofie
