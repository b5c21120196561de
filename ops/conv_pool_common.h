// Shared by the convolution and pooling families (ops/conv.cc, ops/conv_transpose.cc, ops/pool.cc): the
// sliding-window attributes (kernel_shape, strides, dilations, pads, auto_pad), the output-size rules of
// ONNX per spatial axis, and the row loops the kernels are built from.
//
// Kernels see every input as 3-D spatial (D, H, W): 1-D and 2-D inputs get leading axes of size 1, so one
// code path serves all three ranks and the innermost loop always runs along the output width.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ops/kernels/sofie_kernels.h"
#include "ops/vec_loop.h"
#include "runtime/op.h"

namespace sofie::ops {

inline constexpr int kMaxSpatial = 3;

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Floor division for any signs of a (b > 0).
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

// The window attributes as written on the node; lengths are checked against the rank in check().
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape;  // empty: from W (Conv) or required (pools)
  std::vector<int64_t> strides, dilations, pads;

  // Reads auto_pad, kernel_shape, strides, pads and (when `has_dilations`) dilations; Attrs keeps errors.
  static WindowAttrs read(Attrs& a, const Node& node, bool has_dilations, absl::Status* status) {
    WindowAttrs w;
    const std::string ap = a.get_string("auto_pad", "NOTSET");
    if (ap == "NOTSET" || ap.empty()) {
      w.auto_pad = AutoPad::kNotSet;
    } else if (ap == "SAME_UPPER") {
      w.auto_pad = AutoPad::kSameUpper;
    } else if (ap == "SAME_LOWER") {
      w.auto_pad = AutoPad::kSameLower;
    } else if (ap == "VALID") {
      w.auto_pad = AutoPad::kValid;
    } else {
      *status = node_error(node, absl::StrCat("auto_pad is '", ap,
                                              "'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID"));
    }
    w.kernel_shape = a.get_ints("kernel_shape");
    w.strides = a.get_ints("strides");
    if (has_dilations) w.dilations = a.get_ints("dilations");
    w.pads = a.get_ints("pads");
    return w;
  }

  // Attribute lengths and values against `spatial` axes: "<Op> node 'n': strides [1] has 1 values; expected 2".
  absl::Status check(const Node& node, int64_t spatial) const {
    auto bad_len = [&](const char* name, const std::vector<int64_t>& v, int64_t want) {
      return node_error(node, absl::StrCat(name, " [", absl::StrJoin(v, ","), "] has ", v.size(),
                                           " values; expected ", want, " for ", spatial, " spatial axes"));
    };
    if (spatial < 1 || spatial > kMaxSpatial) {
      return ops_unsupported_rank(node, spatial);
    }
    if (!kernel_shape.empty() && static_cast<int64_t>(kernel_shape.size()) != spatial) {
      return bad_len("kernel_shape", kernel_shape, spatial);
    }
    if (!strides.empty() && static_cast<int64_t>(strides.size()) != spatial) return bad_len("strides", strides, spatial);
    if (!dilations.empty() && static_cast<int64_t>(dilations.size()) != spatial) {
      return bad_len("dilations", dilations, spatial);
    }
    if (!pads.empty() && static_cast<int64_t>(pads.size()) != 2 * spatial) return bad_len("pads", pads, 2 * spatial);
    for (int64_t v : kernel_shape) {
      if (v < 1) return node_error(node, absl::StrCat("kernel_shape [", absl::StrJoin(kernel_shape, ","),
                                                      "] must be positive"));
    }
    for (int64_t v : strides) {
      if (v < 1) return node_error(node, absl::StrCat("strides [", absl::StrJoin(strides, ","), "] must be positive"));
    }
    for (int64_t v : dilations) {
      if (v < 1) {
        return node_error(node, absl::StrCat("dilations [", absl::StrJoin(dilations, ","), "] must be positive"));
      }
    }
    for (int64_t v : pads) {
      if (v < 0) return node_error(node, absl::StrCat("pads [", absl::StrJoin(pads, ","), "] must be >= 0"));
    }
    return absl::OkStatus();
  }

  int64_t stride(size_t i) const { return strides.empty() ? 1 : strides[i]; }
  int64_t dilation(size_t i) const { return dilations.empty() ? 1 : dilations[i]; }
  int64_t pad_begin(size_t i) const { return pads.empty() || auto_pad != AutoPad::kNotSet ? 0 : pads[i]; }
  int64_t pad_end(size_t i, size_t spatial) const {
    return pads.empty() || auto_pad != AutoPad::kNotSet ? 0 : pads[i + spatial];
  }

 private:
  static absl::Status ops_unsupported_rank(const Node& node, int64_t spatial) {
    return absl::UnimplementedError(absl::StrCat(node.describe(), ": ", spatial,
                                                 " spatial axes; supported: 1 to 3 (input rank 3 to 5)"));
  }
};

// One spatial axis of a window: input and output extent, kernel, stride, dilation, begin/end padding.
struct WindowAxis {
  int64_t in = 1, out = 1, k = 1, s = 1, d = 1, pb = 0, pe = 0;
};

// Output extent and padding of a forward window (Conv, pools) along one axis, per ONNX's rules; with
// ceil_mode, a last window that would start in the end padding is dropped (as PyTorch and ONNX's
// reference do). Fails when the padded input is smaller than the dilated kernel.
inline absl::StatusOr<WindowAxis> forward_axis(AutoPad ap, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb,
                                               int64_t pe, bool ceil_mode) {
  WindowAxis a{in, 0, k, s, d, pb, pe};
  const int64_t dk = (k - 1) * d + 1;
  if (ap == AutoPad::kSameUpper || ap == AutoPad::kSameLower) {
    a.out = ceil_div(in, s);
    const int64_t total = std::max<int64_t>(0, (a.out - 1) * s + dk - in);
    a.pb = ap == AutoPad::kSameUpper ? total / 2 : total - total / 2;
    a.pe = total - a.pb;
    return a;
  }
  if (ap == AutoPad::kValid) a.pb = a.pe = 0;
  const int64_t span = in + a.pb + a.pe - dk;
  a.out = (ceil_mode ? ceil_div(span, s) : floor_div(span, s)) + 1;
  if (ceil_mode && a.out > 0 && (a.out - 1) * s >= in + a.pb) --a.out;
  if (a.out < 0 || (a.out == 0 && in > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("input extent ", in, " with pads ", a.pb, "+", a.pe,
                                                   " is smaller than the dilated kernel extent ", dk));
  }
  return a;
}

// The output positions o in [0, n) whose input position o * s + off lies in [0, limit): [*lo, *hi).
inline void valid_range(int64_t n, int64_t s, int64_t off, int64_t limit, int64_t* lo, int64_t* hi) {
  *lo = std::max<int64_t>(0, ceil_div(-off, s));
  *hi = std::min<int64_t>(n, ceil_div(limit - off, s));
  if (*hi < *lo) *hi = *lo;
}

// Three axes (D, H, W), leading ones of size 1 for 1-D and 2-D windows.
struct Window3 {
  WindowAxis ax[kMaxSpatial];
  int64_t in_size() const { return ax[0].in * ax[1].in * ax[2].in; }
  int64_t out_size() const { return ax[0].out * ax[1].out * ax[2].out; }
  int64_t kernel_size() const { return ax[0].k * ax[1].k * ax[2].k; }
};

// Places `axes` (1 to 3 of them) at the end of a Window3.
inline Window3 to_window3(const std::vector<WindowAxis>& axes) {
  Window3 w;
  const size_t skip = kMaxSpatial - axes.size();
  for (size_t i = 0; i < axes.size(); ++i) w.ax[skip + i] = axes[i];
  return w;
}

// A plane with its padding materialised, so window kernels index every tap without bounds checks or
// divisions: extent[i] covers the begin padding, the input and whatever the windows reach past it (end
// padding, ceil_mode's last window). Not needed (extent == in) when no window leaves the input.
struct PaddedPlane {
  bool needed = false;
  int64_t extent[kMaxSpatial] = {1, 1, 1};
  int64_t size() const { return extent[0] * extent[1] * extent[2]; }
};

inline PaddedPlane padded_plane(const Window3& w) {
  PaddedPlane p;
  for (int i = 0; i < kMaxSpatial; ++i) {
    const WindowAxis& a = w.ax[i];
    const int64_t reach = a.out > 0 ? (a.out - 1) * a.s + (a.k - 1) * a.d + 1 : 0;
    p.extent[i] = std::max(a.in + a.pb, reach);
    p.needed = p.needed || a.pb > 0 || p.extent[i] > a.in;
  }
  return p;
}

// x (one plane of w's input) placed into buf with `fill` around it; returns the plane to read.
template <typename T>
const T* pad_plane(const T* x, const Window3& w, const PaddedPlane& p, T fill, T* buf) {
  if (!p.needed) return x;
  const WindowAxis& a0 = w.ax[0];
  const WindowAxis& a1 = w.ax[1];
  const WindowAxis& a2 = w.ax[2];
  const int64_t e1 = p.extent[1], e2 = p.extent[2];
  for (int64_t d = 0; d < p.extent[0]; ++d) {
    const int64_t id = d - a0.pb;
    for (int64_t h = 0; h < e1; ++h) {
      const int64_t ih = h - a1.pb;
      T* row = buf + (d * e1 + h) * e2;
      if (id < 0 || id >= a0.in || ih < 0 || ih >= a1.in) {
        std::fill(row, row + e2, fill);
        continue;
      }
      std::fill(row, row + a2.pb, fill);
      std::memcpy(row + a2.pb, x + (id * a1.in + ih) * a2.in, static_cast<size_t>(a2.in) * sizeof(T));
      std::fill(row + a2.pb + a2.in, row + e2, fill);
    }
  }
  return buf;
}

// A vector of the elements x[0], x[s], x[2s], ... for stride S (0: the run-time stride s). Stride 2 takes
// the even lanes of two loads, the second ending at the last element used (nothing past it is read);
// larger strides gather lane by lane.
template <int S, typename T>
inline Vec<T> load_lanes(const T* x, int64_t s) {
  constexpr int V = kVecLanes<T>;
  if constexpr (S == 1) {
    return load_vec(x);
  } else if constexpr (S == 2) {
    using Index = decltype(Vec<T>{} < Vec<T>{});
    Index even = {};
    for (int j = 0; j < V / 2; ++j) {
      even[j] = 2 * j;                  // x[2j] = first[2j]
      even[V / 2 + j] = V + 1 + 2 * j;  // x[V + 2j] = second[1 + 2j]
    }
    return __builtin_shuffle(load_vec(x), load_vec(x + V - 1), even);
  } else {
    Vec<T> v = {};
    for (int j = 0; j < V; ++j) v[j] = x[j * s];
    return v;
  }
}

// NV vectors of output positions [o, o + NV * lanes) of an output row of window_rows, the accumulators in
// registers across the taps.
template <int NV, int S, typename T, typename Step>
inline void window_vectors(const T* xp, int64_t e1, int64_t e2, const Window3& w, T init, int64_t od, int64_t oh,
                           int64_t o, T* yrow, Step& step) {
  constexpr int V = kVecLanes<T>;
  const WindowAxis& a0 = w.ax[0];
  const WindowAxis& a1 = w.ax[1];
  const WindowAxis& a2 = w.ax[2];
  const int64_t s2 = S != 0 ? S : a2.s;
  Vec<T> acc[NV];
  for (int i = 0; i < NV; ++i) acc[i] = splat(init);
  int64_t tap = 0;
  for (int64_t kd = 0; kd < a0.k; ++kd) {
    for (int64_t kh = 0; kh < a1.k; ++kh) {
      const T* xrow = xp + ((od * a0.s + kd * a0.d) * e1 + oh * a1.s + kh * a1.d) * e2 + o * s2;
      for (int64_t kw = 0; kw < a2.k; ++kw, ++tap) {
        const T* src = xrow + kw * a2.d;
        for (int i = 0; i < NV; ++i) acc[i] = step(acc[i], load_lanes<S>(src + i * V * s2, s2), tap);
      }
    }
  }
  for (int i = 0; i < NV; ++i) store_vec(yrow + o + i * V, acc[i]);
}

// Output position o of an output row of window_rows, one lane.
template <typename T, typename Step>
inline T window_point(const T* xp, int64_t e1, int64_t e2, const Window3& w, T init, int64_t od, int64_t oh,
                      int64_t o, Step& step) {
  const WindowAxis& a0 = w.ax[0];
  const WindowAxis& a1 = w.ax[1];
  const WindowAxis& a2 = w.ax[2];
  T acc = init;
  int64_t tap = 0;
  for (int64_t kd = 0; kd < a0.k; ++kd) {
    for (int64_t kh = 0; kh < a1.k; ++kh) {
      const T* xrow = xp + ((od * a0.s + kd * a0.d) * e1 + oh * a1.s + kh * a1.d) * e2 + o * a2.s;
      for (int64_t kw = 0; kw < a2.k; ++kw, ++tap) acc = step(acc, xrow[kw * a2.d], tap);
    }
  }
  return acc;
}

template <int S, typename T, typename Step, typename Finish>
void window_rows_strided(const T* xp, const PaddedPlane& pp, const Window3& w, T init, T* y, Step& step,
                         Finish& finish) {
  constexpr int V = kVecLanes<T>;
  const int64_t e1 = pp.extent[1], e2 = pp.extent[2];
  const int64_t ow = w.ax[2].out;
  for (int64_t od = 0; od < w.ax[0].out; ++od) {
    for (int64_t oh = 0; oh < w.ax[1].out; ++oh) {
      T* yrow = y + (od * w.ax[1].out + oh) * ow;
      int64_t o = 0;
      for (; o + 2 * V <= ow; o += 2 * V) window_vectors<2, S>(xp, e1, e2, w, init, od, oh, o, yrow, step);
      for (; o + V <= ow; o += V) window_vectors<1, S>(xp, e1, e2, w, init, od, oh, o, yrow, step);
      if (o < ow && ow >= V) {
        // The last vector overlaps the one before: its first lanes compute the same values again.
        window_vectors<1, S>(xp, e1, e2, w, init, od, oh, ow - V, yrow, step);
      } else {
        for (; o < ow; ++o) yrow[o] = window_point(xp, e1, e2, w, init, od, oh, o, step);
      }
      finish(yrow, ow, od, oh);
    }
  }
}

// The row epilogue of window_rows that leaves the accumulations as they are.
struct NoFinish {
  template <typename T>
  void operator()(T*, int64_t, int64_t, int64_t) const {}
};

// The window walk shared by the depthwise convolution and the pools, on a padded plane xp (extents e):
// for each output row, vectors of accumulators for output positions stay in registers while every tap
// (kd, kh, kw) is folded in with step(acc, x, tap index), a generic functor called on vectors (Vec<T>) and
// on scalars (a row's last positions when it is shorter than a vector). Width strides 1 and 2 read whole
// vectors (stride 2 keeps the even lanes of two), larger ones gather. Then finish(row, n, od, oh) runs
// over each finished output row y[od, oh, 0:n].
template <typename T, typename Step, typename Finish = NoFinish>
void window_rows(const T* xp, const PaddedPlane& pp, const Window3& w, T init, T* y, Step step,
                 Finish finish = Finish()) {
  switch (w.ax[2].s) {
    case 1:
      return window_rows_strided<1>(xp, pp, w, init, y, step, finish);
    case 2:
      return window_rows_strided<2>(xp, pp, w, init, y, step, finish);
    default:
      return window_rows_strided<0>(xp, pp, w, init, y, step, finish);
  }
}

// y[i] += a * x[i], vectorised in cache-line blocks (x is copied to a local block, so no alias checks).
template <typename T>
inline void axpy_row(int64_t n, T a, const T* x, T* y) {
  constexpr int L = kBlockLanes<T>;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    T b[L];
    for (int j = 0; j < L; ++j) b[j] = x[i + j];
    for (int j = 0; j < L; ++j) y[i + j] += a * b[j];
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

// y[i] += x[i].
template <typename T>
inline void add_row(int64_t n, const T* x, T* y) {
  constexpr int L = kBlockLanes<T>;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    T b[L];
    for (int j = 0; j < L; ++j) b[j] = x[i + j];
    for (int j = 0; j < L; ++j) y[i + j] += b[j];
  }
  for (; i < n; ++i) y[i] += x[i];
}

// C[M,N] = op(A) B (+ C when accumulate), row-major; op(A) is A [M,K] or, with trans_a, A stored [K,M].
// float32 runs on the kernel ABI (BLIS); float64 on a row-axpy loop (no double kernel in the ABI yet).
template <typename T>
inline void gemm_rows(bool trans_a, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B,
                      int64_t ldb, bool accumulate, T* C, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>) {
    sofie_gemm_f32(trans_a ? 1 : 0, 0, M, N, K, 1.0f, A, lda, B, ldb, accumulate ? 1.0f : 0.0f, C, ldc);
  } else {
    for (int64_t m = 0; m < M; ++m) {
      T* c = C + m * ldc;
      if (!accumulate) std::fill(c, c + N, T(0));
      for (int64_t k = 0; k < K; ++k) {
        const T a = trans_a ? A[k * lda + m] : A[m * lda + k];
        axpy_row(N, a, B + k * ldb, c);
      }
    }
  }
}

}  // namespace sofie::ops
