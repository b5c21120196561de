#include "ops/op_util.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sofie::ops {

absl::Status unsupported(const Node& node, absl::string_view message) {
  return absl::UnimplementedError(absl::StrCat(node.describe(), ": ", message));
}

absl::Status check_input_count(const InferContext& ctx, int min, int max) {
  const int n = ctx.num_inputs();
  if (n < min || n > max) {
    return ctx.error(min == max ? absl::StrCat("expects ", min, " inputs, got ", n)
                                : absl::StrCat("expects ", min, " to ", max, " inputs, got ", n));
  }
  for (int i = 0; i < min; ++i) {
    if (!ctx.has_input(i)) return ctx.error(absl::StrCat("required input ", i, " is missing"));
  }
  return absl::OkStatus();
}

absl::Status check_input_dtype(const InferContext& ctx, int i, std::initializer_list<DType> allowed) {
  const DType t = ctx.input_dtype(i);
  for (DType a : allowed) {
    if (a == t) return absl::OkStatus();
  }
  return unsupported(ctx.node(), absl::StrCat("input ", i, " has dtype ", dtype_name(t), "; supported: ",
                                absl::StrJoin(allowed, ", ", [](std::string* out, DType d) {
                                  absl::StrAppend(out, dtype_name(d));
                                })));
}

absl::Status check_same_dtype(const InferContext& ctx, int a, int b) {
  if (ctx.input_dtype(a) == ctx.input_dtype(b)) return absl::OkStatus();
  return ctx.error(absl::StrCat("inputs ", a, " and ", b, " must have the same dtype, got ",
                                dtype_name(ctx.input_dtype(a)), " and ", dtype_name(ctx.input_dtype(b))));
}

absl::StatusOr<std::vector<int64_t>> read_int_values(const TensorView& v, absl::string_view what) {
  const int64_t n = v.numel();
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (v.dtype == DType::kInt64) {
    for (int64_t i = 0; i < n; ++i) out[i] = v.data_as<int64_t>()[i];
  } else if (v.dtype == DType::kInt32) {
    for (int64_t i = 0; i < n; ++i) out[i] = v.data_as<int32_t>()[i];
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has dtype ", dtype_name(v.dtype), "; expected int64 or int32"));
  }
  return out;
}

Dim product_of(const std::vector<Dim>& dims, size_t begin, size_t end) {
  int64_t known = 1;
  const Dim* symbol = nullptr;
  for (size_t i = begin; i < end; ++i) {
    const Dim& d = dims[i];
    if (d.is_known()) {
      known *= d.value;
    } else if (d.is_symbol() && symbol == nullptr) {
      symbol = &d;
    } else {
      return Dim::unknown();
    }
  }
  if (symbol == nullptr || known == 0) return Dim::known(known);
  if (known == 1) return *symbol;
  return Dim::unknown();
}

Dims row_major_strides(absl::Span<const int64_t> dims) {
  Dims strides(dims.size());
  int64_t s = 1;
  for (size_t i = dims.size(); i-- > 0;) {
    strides[i] = s;
    s *= dims[i];
  }
  return strides;
}

}  // namespace sofie::ops
