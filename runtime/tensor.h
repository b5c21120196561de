// Tensors: row-major, dense. `TensorView` is a non-owning (dtype, shape, pointer) triple, cheap to copy
// and allocation-free for ranks up to 6; `Tensor` owns 64-byte aligned storage (shared between copies).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/dtype.h"

namespace sofie {

// Concrete dimensions of a tensor. Inline up to rank 6: no heap allocation on the hot path.
using Dims = absl::InlinedVector<int64_t, 6>;

// Number of elements; 1 for a scalar (rank 0).
int64_t num_elements(absl::Span<const int64_t> dims);
// "[2,3,4]"
std::string dims_string(absl::Span<const int64_t> dims);

// The largest tensor sofie accepts, in elements and bytes, whatever the source (model or input).
inline constexpr int64_t kMaxElements = int64_t{1} << 36;
inline constexpr int64_t kMaxBytes = int64_t{1} << 38;
// Element count of `dims` checked against negative values, overflow and kMaxElements.
absl::StatusOr<int64_t> checked_num_elements(absl::Span<const int64_t> dims);

inline constexpr size_t kTensorAlignment = 64;

struct TensorView {
  DType dtype = DType::kUndefined;
  Dims shape;
  void* data = nullptr;

  TensorView() = default;
  TensorView(DType t, Dims s, void* d) : dtype(t), shape(std::move(s)), data(d) {}
  TensorView(DType t, Dims s, const void* d) : dtype(t), shape(std::move(s)), data(const_cast<void*>(d)) {}

  // A view of typed data, e.g. TensorView::of(ptr, {1, 7}).
  template <typename T>
  static TensorView of(const T* ptr, Dims s) {
    return TensorView(DTypeOf<T>::value, std::move(s), static_cast<const void*>(ptr));
  }

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return num_elements(shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }

  template <typename T>
  T* data_as() { return static_cast<T*>(data); }
  template <typename T>
  const T* data_as() const { return static_cast<const T*>(data); }
};

class Tensor {
 public:
  Tensor() = default;
  // Owning, zero-filled, 64-byte aligned.
  static Tensor zeros(DType dtype, Dims shape);
  // Owning copy of a view's data.
  static Tensor copy_of(const TensorView& v);

  DType dtype() const { return view_.dtype; }
  const Dims& shape() const { return view_.shape; }
  int64_t rank() const { return view_.rank(); }
  int64_t numel() const { return view_.numel(); }
  size_t nbytes() const { return view_.nbytes(); }
  const void* data() const { return view_.data; }
  void* mutable_data() { return view_.data; }
  template <typename T>
  const T* data_as() const { return static_cast<const T*>(view_.data); }
  template <typename T>
  T* mutable_data_as() { return static_cast<T*>(view_.data); }
  template <typename T>
  std::vector<T> to_vector() const {
    const T* p = data_as<T>();
    return std::vector<T>(p, p + numel());
  }

  // A non-owning view of this tensor (valid while the tensor or a copy of it lives).
  const TensorView& view() const { return view_; }
  TensorView& mutable_view() { return view_; }
  // Same storage, new shape with the same element count (checked by the caller).
  Tensor reshaped(Dims shape) const;

 private:
  std::shared_ptr<void> storage_;
  TensorView view_;
};

// 64-byte aligned byte buffer that never shrinks; contents are not preserved on growth.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  ~AlignedBuffer();
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  void reserve(size_t bytes);
  void* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace sofie
