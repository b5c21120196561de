"""Operator cases of the misc_b family: DFT, STFT, the window generators, MelWeightMatrix (ops/signal.cc,
ops/signal_windows.cc), GridSample, AffineGrid, RoiAlign (ops/sampling.cc), MaxUnpool, Col2Im, CenterCropPad,
TfIdfVectorizer and Bernoulli's deterministic facts (ops/misc_b.cc, ops/tfidf.cc, ops/bernoulli.cc).
References from numpy and PyTorch; RoiAlign's and TfIdfVectorizer's from numpy loops written here after the
ONNX specification (ONNX Runtime's semantics). See opcase.py for the layout."""

import numpy as np
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper

from opcase import case, error_case, node, rand, randint


def err(name, op, nodes, inputs, outputs, expected, **kw):
    error_case(name, nodes, inputs, outputs, [f"{op} node '{nodes[-1].name}'"] + expected, **kw)


def as_pairs(c, dtype):
    """complex array -> real array with a trailing (real, imag) axis."""
    return np.stack([c.real, c.imag], axis=-1).astype(dtype)


def to_complex(x):
    return x[..., 0].astype(np.float64) + (1j * x[..., 1].astype(np.float64) if x.shape[-1] == 2 else 0)


# ------------------------------------------------------------------------------------------------------
# DFT and STFT

def dft_ref(x, axis, n=None, inverse=False, onesided=False):
    c = to_complex(x)
    y = np.fft.ifft(c, n=n, axis=axis) if inverse else np.fft.fft(c, n=n, axis=axis)
    if onesided:
        y = np.take(y, range(y.shape[axis] // 2 + 1), axis=axis)
    return as_pairs(y, x.dtype)


def dft_cases():
    # opset 17: axis attribute (default 1), dft_length input, inverse, onesided; powers of two (radix-2) and
    # other lengths (Bluestein), real and complex inputs, inner axes, both dtypes.
    shapes = {"pow2": (2, 8, 1), "odd": (2, 9, 1), "len12": (3, 12, 1), "complex": (2, 10, 2), "len1": (2, 1, 1),
              "complex_pow2": (1, 16, 2)}
    for name, shape in shapes.items():
        x = rand(*shape)
        case(f"dft_{name}", [node("DFT", ["x"], ["y"])], [("x", x)], [("y", dft_ref(x, 1))], opset=17)
        case(f"dft_{name}_inverse", [node("DFT", ["x"], ["y"], inverse=1)], [("x", x)],
             [("y", dft_ref(x, 1, inverse=True))], opset=17)
    for n in (8, 9, 6):
        x = rand(2, n, 1)
        case(f"dft_onesided_{n}", [node("DFT", ["x"], ["y"], onesided=1)], [("x", x)],
             [("y", dft_ref(x, 1, onesided=True))], opset=17)
    x = rand(2, 3, 7, 1)
    case("dft_axis1_inner", [node("DFT", ["x"], ["y"], axis=1)], [("x", x)], [("y", dft_ref(x, 1))], opset=17)
    case("dft_axis2", [node("DFT", ["x"], ["y"], axis=2)], [("x", x)], [("y", dft_ref(x, 2))], opset=17)
    case("dft_axis_negative", [node("DFT", ["x"], ["y"], axis=-3)], [("x", x)], [("y", dft_ref(x, 1))], opset=17)
    x = rand(2, 10, 2)
    for n in (16, 6, 13):
        case(f"dft_length_{n}", [node("DFT", ["x", "n"], ["y"])], [("x", x)], [("y", dft_ref(x, 1, n=n))], opset=17,
             initializers={"n": np.array(n, np.int64)})
    case("dft_length_input_inverse", [node("DFT", ["x", "n"], ["y"], inverse=1)],
         [("x", x), ("n", np.array(12, np.int32))], [("y", dft_ref(x, 1, n=12, inverse=True))], opset=17)
    for n in (1024, 1000, 97):
        x = rand(2, n, 2, dtype=np.float64)
        case(f"dft_f64_{n}", [node("DFT", ["x"], ["y"])], [("x", x)], [("y", dft_ref(x, 1))], opset=17)
    x = rand(3, 20, 1)
    case("dft_symbolic_batch", [node("DFT", ["x"], ["y"], onesided=1)], [("x", x)],
         [("y", dft_ref(x, 1, onesided=True))], opset=17, input_shapes={"x": ["batch", 20, 1]},
         expect_shape="[batch,11,2]")
    case("dft_zero_batch", [node("DFT", ["x"], ["y"])], [("x", rand(0, 8, 1))], [("y", np.zeros((0, 8, 2), np.float32))],
         opset=17)
    # opset 20: axis is an input (default -2).
    x = rand(2, 6, 5, 1)
    case("dft_opset20_default_axis", [node("DFT", ["x"], ["y"])], [("x", x)], [("y", dft_ref(x, 2))], opset=20)
    case("dft_opset20_axis_input", [node("DFT", ["x", "", "axis"], ["y"])], [("x", x)], [("y", dft_ref(x, 1))],
         opset=20, initializers={"axis": np.array(1, np.int64)})
    case("dft_opset20_length_axis", [node("DFT", ["x", "n", "axis"], ["y"], inverse=1)], [("x", x)],
         [("y", dft_ref(x, 1, n=4, inverse=True))], opset=21,
         initializers={"axis": np.array(-3, np.int64), "n": np.array(4, np.int64)})

    e = lambda name, *a, **kw: err(name, "DFT", *a, **kw)
    e("dft_bad_last_dim", [node("DFT", ["x"], ["y"])], [("x", rand(2, 4, 3))], [("y", rand(1))],
      ["the last input dimension is 3", "code=INVALID_ARGUMENT"], opset=17)
    e("dft_onesided_complex", [node("DFT", ["x"], ["y"], onesided=1)], [("x", rand(2, 4, 2))], [("y", rand(1))],
      ["onesided=1 needs a real input"], opset=17)
    e("dft_bad_axis", [node("DFT", ["x"], ["y"], axis=2)], [("x", rand(2, 4, 1))], [("y", rand(1))],
      ["axis 2 is out of range", "code=INVALID_ARGUMENT"], opset=17)
    e("dft_int_input", [node("DFT", ["x"], ["y"])], [("x", randint(2, 4, 1, dtype=np.int32))],
      [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=17)
    e("dft_inverse_onesided", [node("DFT", ["x"], ["y"], inverse=1, onesided=1)], [("x", rand(2, 4, 1))],
      [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=17)
    e("dft_bad_length", [node("DFT", ["x", "n"], ["y"])], [("x", rand(2, 4, 1))], [("y", rand(1))],
      ["dft_length is 0"], opset=17, initializers={"n": np.array(0, np.int64)})


def stft_ref(x, step, length, window=None, onesided=True):
    sig = torch.from_numpy(to_complex(x) if x.shape[-1] == 2 else x[..., 0].astype(np.float64))
    w = torch.from_numpy(window.astype(np.float64)) if window is not None else None
    if w is None:
        w = torch.ones(length, dtype=torch.float64)
    y = torch.stft(sig, n_fft=length, hop_length=step, win_length=length, window=w, center=False,
                   onesided=onesided, return_complex=True)
    return as_pairs(y.transpose(1, 2).numpy(), x.dtype)


def stft_cases():
    x = rand(2, 64, 1)
    w = torch.hann_window(16).numpy().astype(np.float32)
    case("stft_window", [node("STFT", ["x", "step", "w"], ["y"])], [("x", x), ("w", w)],
         [("y", stft_ref(x, 8, 16, w))], opset=17, initializers={"step": np.array(8, np.int64)})
    case("stft_frame_length", [node("STFT", ["x", "step", "", "len"], ["y"])], [("x", x)],
         [("y", stft_ref(x, 5, 12))], opset=17,
         initializers={"step": np.array(5, np.int64), "len": np.array(12, np.int32)})
    case("stft_window_and_length", [node("STFT", ["x", "step", "w", "len"], ["y"], onesided=0)], [("x", x), ("w", w)],
         [("y", stft_ref(x, 16, 16, w, onesided=False))], opset=18,
         initializers={"step": np.array(16, np.int64), "len": np.array(16, np.int64)})
    xc = rand(1, 40, 2)
    wc = rand(10)
    case("stft_complex_twosided", [node("STFT", ["x", "step", "w"], ["y"], onesided=0)], [("x", xc), ("w", wc)],
         [("y", stft_ref(xc, 3, 10, wc, onesided=False))], opset=17, initializers={"step": np.array(3, np.int64)})
    x64 = rand(3, 50, 1, dtype=np.float64)
    w64 = rand(7, dtype=np.float64)
    case("stft_f64_step_input", [node("STFT", ["x", "step", "w"], ["y"])], [("x", x64), ("step", np.array(4, np.int64)),
                                                                             ("w", w64)],
         [("y", stft_ref(x64, 4, 7, w64))], opset=17)
    case("stft_symbolic_batch", [node("STFT", ["x", "step", "w"], ["y"])], [("x", x), ("w", w)],
         [("y", stft_ref(x, 8, 16, w))], opset=17, initializers={"step": np.array(8, np.int64)},
         input_shapes={"x": ["batch", 64, 1]}, expect_shape="[batch,?,?,2]")
    case("stft_zero_batch", [node("STFT", ["x", "step", "w"], ["y"])], [("x", rand(0, 64, 1)), ("w", w)],
         [("y", np.zeros((0, 7, 9, 2), np.float32))], opset=17, initializers={"step": np.array(8, np.int64)})

    e = lambda name, *a, **kw: err(name, "STFT", *a, **kw)
    e("stft_no_length", [node("STFT", ["x", "step"], ["y"])], [("x", rand(1, 16, 1))], [("y", rand(1))],
      ["needs a window or a frame_length"], opset=17, initializers={"step": np.array(4, np.int64)})
    e("stft_window_mismatch", [node("STFT", ["x", "step", "w", "len"], ["y"])], [("x", rand(1, 32, 1))],
      [("y", rand(1))], ["window has shape [8]", "expected [frame_length] = [16]"], opset=17,
      initializers={"step": np.array(4, np.int64), "len": np.array(16, np.int64), "w": rand(8)})
    e("stft_frame_too_long", [node("STFT", ["x", "step", "", "len"], ["y"])], [("x", rand(1, 8, 1))],
      [("y", rand(1))], ["frame_length 16 exceeds the signal length 8"], opset=17,
      initializers={"step": np.array(4, np.int64), "len": np.array(16, np.int64)})


# ------------------------------------------------------------------------------------------------------
# Windows and MelWeightMatrix

def window_ref(kind, size, periodic):
    if size == 1:
        return np.ones(1)
    n = size if periodic else size - 1
    k = np.arange(size, dtype=np.float64)
    if kind == "HannWindow":
        return torch.hann_window(size, periodic=bool(periodic), dtype=torch.float64).numpy()
    if kind == "HammingWindow":
        return torch.hamming_window(size, periodic=bool(periodic), alpha=25 / 46, beta=21 / 46,
                                    dtype=torch.float64).numpy()
    return 0.42 - 0.5 * np.cos(2 * np.pi * k / n) + 0.08 * np.cos(4 * np.pi * k / n)


def window_cases():
    for kind in ("HannWindow", "HammingWindow", "BlackmanWindow"):
        short = kind[:-6].lower()
        for size in (10, 7, 1):
            for periodic in (1, 0):
                y = window_ref(kind, size, periodic)
                case(f"{short}_window_{size}_p{periodic}",
                     [node("Constant", [], ["size"], value=helper.make_tensor("v", TensorProto.INT32, [], [size])),
                      node(kind, ["size"], ["y"], periodic=periodic)], [],
                     [("y", y.astype(np.float32))], opset=17)
        y = window_ref(kind, 16, 1)
        case(f"{short}_window_f64_size_input", [node(kind, ["size"], ["y"], output_datatype=TensorProto.DOUBLE)],
             [("size", np.array(16, np.int64))], [("y", y)], opset=17)
        case(f"{short}_window_empty", [node(kind, ["size"], ["y"])], [("size", np.array(0, np.int64))],
             [("y", np.zeros(0, np.float32))], opset=17)
    k = np.arange(5, dtype=np.float64)
    hann5 = (0.5 - 0.5 * np.cos(2 * np.pi * k / 4)).astype(np.int32)
    case("hann_window_int32", [node("HannWindow", ["size"], ["y"], periodic=0, output_datatype=TensorProto.INT32)],
         [("size", np.array(5, np.int32))], [("y", hann5)], opset=17)
    err("hann_window_bad_dtype", "HannWindow",
        [node("HannWindow", ["size"], ["y"], output_datatype=TensorProto.FLOAT16)], [("size", np.array(4, np.int64))],
        [("y", rand(1))], ["output dtype float16", "code=UNIMPLEMENTED"], opset=17)
    err("blackman_window_float_size", "BlackmanWindow", [node("BlackmanWindow", ["size"], ["y"])],
        [("size", np.array(4, np.float32))], [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=17)
    err("hamming_window_negative", "HammingWindow", [node("HammingWindow", ["size"], ["y"])],
        [("size", np.array(-3, np.int64))], [("y", rand(1))], ["size is -3"], opset=17)


def mel_ref(mel_bins, dft_length, rate, lower, upper):
    bins = dft_length // 2 + 1
    to_mel = lambda hz: 2595 * np.log10(1 + hz / 700)
    low = to_mel(np.float64(lower))
    step = (to_mel(np.float64(upper)) - low) / (mel_bins + 2)
    hz = 700 * (np.power(10, (np.arange(mel_bins + 2) * step + low) / 2595) - 1)
    edges = np.floor((dft_length + 1) * hz / rate).astype(np.int64)
    out = np.zeros((bins, mel_bins))
    for i in range(mel_bins):
        left, center, right = edges[i], edges[i + 1], edges[i + 2]
        if center == left:
            out[center, i] = 1
        else:
            for j in range(left, center + 1):
                out[j, i] = (j - left) / (center - left)
        for j in range(center, right):
            out[j, i] = (right - j) / (right - center)
    return out


def mel_cases():
    names = ["num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"]

    def inputs(m, n, rate, lo, hi, idt=np.int64, fdt=np.float32):
        return [np.array(m, idt), np.array(n, idt), np.array(rate, idt), np.array(lo, fdt), np.array(hi, fdt)]

    for (m, n, rate, lo, hi) in [(8, 16, 8192, 0, 4096), (10, 64, 16000, 20, 8000), (20, 256, 22050, 50, 11025),
                                 (4, 31, 1000, 100, 450)]:
        vals = inputs(m, n, rate, lo, hi)
        case(f"mel_{m}_{n}_{rate}", [node("MelWeightMatrix", names, ["y"])], list(zip(names, vals)),
             [("y", mel_ref(m, n, rate, lo, hi).astype(np.float32))], opset=17)
    vals = inputs(6, 32, 8000, 0, 4000, idt=np.int32, fdt=np.float64)
    case("mel_f64_output", [node("MelWeightMatrix", names, ["y"], output_datatype=TensorProto.DOUBLE)], [],
         [("y", mel_ref(6, 32, 8000, 0, 4000))], opset=17, initializers=dict(zip(names, vals)))
    vals = inputs(6, 32, 8000, 0, 20000)
    err("mel_upper_too_high", "MelWeightMatrix", [node("MelWeightMatrix", names, ["y"])], list(zip(names, vals)),
        [("y", rand(1))], ["upper_edge_hertz 20000", "must be at most sample_rate / 2"], opset=17)
    vals = inputs(0, 32, 8000, 0, 4000)
    err("mel_zero_bins", "MelWeightMatrix", [node("MelWeightMatrix", names, ["y"])], list(zip(names, vals)),
        [("y", rand(1))], ["num_mel_bins is 0"], opset=17)


# ------------------------------------------------------------------------------------------------------
# GridSample, AffineGrid, RoiAlign

def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def grid_sample_ref(x, grid, mode, padding, align):
    y = F.grid_sample(t64(x), t64(grid), mode=mode, padding_mode=padding, align_corners=bool(align))
    return y.numpy().astype(x.dtype)


def grid_sample_cases():
    x = rand(2, 3, 5, 6)
    grid = rand(2, 4, 7, 2, low=-1.3, high=1.3)
    for mode in ("bilinear", "nearest", "bicubic"):
        for padding in ("zeros", "border", "reflection"):
            for align in (0, 1):
                case(f"grid_sample_{mode}_{padding}_align{align}",
                     [node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode=padding, align_corners=align)],
                     [("x", x), ("grid", grid)], [("y", grid_sample_ref(x, grid, mode, padding, align))], opset=16)
    far = rand(1, 3, 4, 2, low=-4.0, high=4.0)
    x1 = rand(1, 2, 3, 4)
    for mode in ("bilinear", "bicubic"):
        case(f"grid_sample_{mode}_reflection_far", [node("GridSample", ["x", "grid"], ["y"], mode=mode,
                                                         padding_mode="reflection")],
             [("x", x1), ("grid", far)], [("y", grid_sample_ref(x1, far, mode, "reflection", 0))], opset=16)
    case("grid_sample_defaults", [node("GridSample", ["x", "grid"], ["y"])], [("x", x), ("grid", grid)],
         [("y", grid_sample_ref(x, grid, "bilinear", "zeros", 0))], opset=16)
    for new, old in (("linear", "bilinear"), ("cubic", "bicubic"), ("nearest", "nearest")):
        case(f"grid_sample_opset20_{new}", [node("GridSample", ["x", "grid"], ["y"], mode=new, padding_mode="border")],
             [("x", x), ("grid", grid)], [("y", grid_sample_ref(x, grid, old, "border", 0))], opset=20)
    x64, g64 = rand(1, 2, 4, 4, dtype=np.float64), rand(1, 3, 3, 2, dtype=np.float64)
    case("grid_sample_f64", [node("GridSample", ["x", "grid"], ["y"], align_corners=1)], [("x", x64), ("grid", g64)],
         [("y", grid_sample_ref(x64, g64, "bilinear", "zeros", 1))], opset=16)
    g32 = rand(1, 3, 3, 2)
    case("grid_sample_f64_x_f32_grid", [node("GridSample", ["x", "grid"], ["y"], mode="bicubic")],
         [("x", x64), ("grid", g32)], [("y", grid_sample_ref(x64, g32, "bicubic", "zeros", 0))], opset=16)
    case("grid_sample_symbolic", [node("GridSample", ["x", "grid"], ["y"])], [("x", x), ("grid", grid)],
         [("y", grid_sample_ref(x, grid, "bilinear", "zeros", 0))], opset=16,
         input_shapes={"x": ["N", 3, 5, 6], "grid": ["N", 4, 7, 2]}, expect_shape="[N,3,4,7]")
    case("grid_sample_empty_input", [node("GridSample", ["x", "grid"], ["y"])],
         [("x", rand(1, 2, 0, 3)), ("grid", grid[:1])], [("y", np.zeros((1, 2, 4, 7), np.float32))], opset=16)
    case("grid_sample_zero_batch", [node("GridSample", ["x", "grid"], ["y"])],
         [("x", rand(0, 2, 3, 3)), ("grid", rand(0, 4, 7, 2))], [("y", np.zeros((0, 2, 4, 7), np.float32))], opset=16)

    e = lambda name, *a, **kw: err(name, "GridSample", *a, **kw)
    e("grid_sample_bad_mode", [node("GridSample", ["x", "grid"], ["y"], mode="linear")], [("x", x), ("grid", grid)],
      [("y", rand(1))], ["mode 'linear' is not one of bilinear, nearest, bicubic"], opset=16)
    e("grid_sample_opset20_old_mode", [node("GridSample", ["x", "grid"], ["y"], mode="bilinear")],
      [("x", x), ("grid", grid)], [("y", rand(1))], ["mode 'bilinear' is not one of linear, nearest, cubic"], opset=20)
    e("grid_sample_bad_padding", [node("GridSample", ["x", "grid"], ["y"], padding_mode="wrap")],
      [("x", x), ("grid", grid)], [("y", rand(1))], ["padding_mode 'wrap'"], opset=16)
    e("grid_sample_5d", [node("GridSample", ["x", "grid"], ["y"])], [("x", rand(1, 1, 2, 2, 2)),
                                                                     ("grid", rand(1, 2, 2, 2, 3))],
      [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=20)
    e("grid_sample_bad_grid", [node("GridSample", ["x", "grid"], ["y"])], [("x", x), ("grid", rand(2, 4, 7, 3))],
      [("y", rand(1))], ["grid has shape [2,4,7,3]"], opset=16)
    e("grid_sample_int", [node("GridSample", ["x", "grid"], ["y"])], [("x", randint(1, 1, 2, 2, dtype=np.int32)),
                                                                      ("grid", rand(1, 2, 2, 2))],
      [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=16)


def affine_grid_cases():
    for align in (0, 1):
        for size in ((2, 3, 4, 5), (1, 1, 1, 3)):
            theta = rand(size[0], 2, 3)
            y = F.affine_grid(t64(theta), list(size), align_corners=bool(align)).numpy().astype(np.float32)
            case(f"affine_grid_2d_{'x'.join(map(str, size))}_align{align}",
                 [node("AffineGrid", ["theta", "size"], ["y"], align_corners=align)], [("theta", theta)],
                 [("y", y)], opset=20, initializers={"size": np.array(size, np.int64)})
        size = (2, 1, 3, 4, 5)
        theta = rand(2, 3, 4, dtype=np.float64)
        y = F.affine_grid(t64(theta), list(size), align_corners=bool(align)).numpy()
        case(f"affine_grid_3d_align{align}", [node("AffineGrid", ["theta", "size"], ["y"], align_corners=align)],
             [("theta", theta), ("size", np.array(size, np.int64))], [("y", y)], opset=21)
    err("affine_grid_bad_theta", "AffineGrid", [node("AffineGrid", ["theta", "size"], ["y"])],
        [("theta", rand(2, 3, 3))], [("y", rand(1))], ["theta has shape [2,3,3]; expected [2, 2, 3]"], opset=20,
        initializers={"size": np.array([2, 1, 4, 4], np.int64)})
    err("affine_grid_bad_size", "AffineGrid", [node("AffineGrid", ["theta", "size"], ["y"])],
        [("theta", rand(2, 2, 3))], [("y", rand(1))], ["size has 3 values"], opset=20,
        initializers={"size": np.array([2, 4, 4], np.int64)})


def roi_align_ref(x, rois, idx, oh, ow, ratio, scale, mode, half_pixel):
    n_rois, c, h, w = len(rois), x.shape[1], x.shape[2], x.shape[3]
    y = np.zeros((n_rois, c, oh, ow))
    off = 0.5 if half_pixel else 0.0

    def bilinear(img, yy, xx):
        if yy < -1.0 or yy > h or xx < -1.0 or xx > w:
            return np.zeros((4, c))
        yy, xx = max(yy, 0.0), max(xx, 0.0)
        y0, x0 = int(yy), int(xx)
        if y0 >= h - 1:
            y0 = y1 = h - 1
            yy = float(y0)
        else:
            y1 = y0 + 1
        if x0 >= w - 1:
            x0 = x1 = w - 1
            xx = float(x0)
        else:
            x1 = x0 + 1
        ly, lx = yy - y0, xx - x0
        hy, hx = 1 - ly, 1 - lx
        return np.stack([hy * hx * img[:, y0, x0], hy * lx * img[:, y0, x1], ly * hx * img[:, y1, x0],
                         ly * lx * img[:, y1, x1]])

    for r in range(n_rois):
        img = x[idx[r]].astype(np.float64)
        x1, y1, x2, y2 = [float(v) * scale - off for v in rois[r]]
        rw, rh = x2 - x1, y2 - y1
        if not half_pixel:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / oh, rw / ow
        gh = ratio if ratio > 0 else int(np.ceil(rh / oh))
        gw = ratio if ratio > 0 else int(np.ceil(rw / ow))
        for ph in range(oh):
            for pw in range(ow):
                vals = []
                for iy in range(gh):
                    yy = y1 + ph * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = x1 + pw * bw + (ix + 0.5) * bw / gw
                        corners = bilinear(img, yy, xx)
                        vals.append(corners.max(axis=0) if mode == "max" else corners.sum(axis=0))
                if not vals:
                    continue
                vals = np.array(vals)
                y[r, :, ph, pw] = vals.max(axis=0) if mode == "max" else vals.sum(axis=0) / max(gh * gw, 1)
    return y.astype(x.dtype)


def roi_align_cases():
    x = rand(2, 3, 10, 12, low=0.0, high=1.0)
    rois = np.array([[0, 0, 9, 9], [1.5, 2.2, 7.3, 8.8], [4, 4, 5, 5], [-2, -1, 6, 13], [3, 1, 11.5, 4]], np.float32)
    idx = np.array([0, 1, 1, 0, 1], np.int64)
    for mode in ("avg", "max"):
        for ctm in ("half_pixel", "output_half_pixel"):
            for ratio in (0, 2):
                y = roi_align_ref(x, rois, idx, 3, 4, ratio, 1.0, mode, ctm == "half_pixel")
                case(f"roi_align_{mode}_{ctm}_ratio{ratio}",
                     [node("RoiAlign", ["x", "rois", "idx"], ["y"], mode=mode, coordinate_transformation_mode=ctm,
                           output_height=3, output_width=4, sampling_ratio=ratio)],
                     [("x", x), ("rois", rois), ("idx", idx)], [("y", y)], opset=16)
    y = roi_align_ref(x, rois * 2, idx, 2, 2, 0, 0.5, "avg", False)
    case("roi_align_opset10_scale", [node("RoiAlign", ["x", "rois", "idx"], ["y"], output_height=2, output_width=2,
                                          spatial_scale=0.5)],
         [("x", x), ("rois", rois * 2), ("idx", idx)], [("y", y)], opset=10)
    y = roi_align_ref(x, rois, idx, 1, 1, 0, 1.0, "avg", True)
    case("roi_align_defaults", [node("RoiAlign", ["x", "rois", "idx"], ["y"])], [("x", x), ("rois", rois), ("idx", idx)],
         [("y", y)], opset=16)
    x64, r64 = x.astype(np.float64), rois.astype(np.float64)
    y = roi_align_ref(x64, r64, idx, 5, 5, 2, 1.0, "max", True)
    case("roi_align_f64_max", [node("RoiAlign", ["x", "rois", "idx"], ["y"], mode="max", output_height=5,
                                    output_width=5, sampling_ratio=2)],
         [("x", x64), ("rois", r64), ("idx", idx)], [("y", y)], opset=16)
    case("roi_align_no_rois", [node("RoiAlign", ["x", "rois", "idx"], ["y"], output_height=2, output_width=2)],
         [("x", x), ("rois", np.zeros((0, 4), np.float32)), ("idx", np.zeros(0, np.int64))],
         [("y", np.zeros((0, 3, 2, 2), np.float32))], opset=16, input_shapes={"rois": ["R", 4], "idx": ["R"]},
         expect_shape="[R,3,2,2]")

    e = lambda name, *a, **kw: err(name, "RoiAlign", *a, **kw)
    e("roi_align_bad_batch_index", [node("RoiAlign", ["x", "rois", "idx"], ["y"])],
      [("x", x), ("rois", rois[:2]), ("idx", np.array([0, 2], np.int64))], [("y", rand(1))],
      ["batch_indices[1] is 2; expected [0, 1]", "code=INVALID_ARGUMENT"], opset=16)
    e("roi_align_bad_mode", [node("RoiAlign", ["x", "rois", "idx"], ["y"], mode="min")],
      [("x", x), ("rois", rois), ("idx", idx)], [("y", rand(1))], ["mode 'min' is not one of avg, max"], opset=16)
    e("roi_align_bad_rois", [node("RoiAlign", ["x", "rois", "idx"], ["y"])],
      [("x", x), ("rois", rand(5, 5)), ("idx", idx)], [("y", rand(1))], ["rois has shape [5,5]"], opset=16)
    e("roi_align_int_idx", [node("RoiAlign", ["x", "rois", "idx"], ["y"])],
      [("x", x), ("rois", rois), ("idx", idx.astype(np.int32))], [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=16)


# ------------------------------------------------------------------------------------------------------
# MaxUnpool, Col2Im, CenterCropPad

def unpool_case(name, x, k, s, p, opset, out_spatial=None, dtype=np.float32):
    dims = x.ndim - 2
    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[dims]
    unpool = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}[dims]
    vals, idx = pool(t64(x), k, s, p, return_indices=True)
    y = unpool(vals, idx, k, s, p).numpy().astype(dtype)
    plane = int(np.prod(y.shape[2:]))
    if out_spatial is not None:  # ONNX: the indices refer to the unpooled shape, placed at the output's origin
        padded = np.zeros(list(x.shape[:2]) + list(out_spatial), dtype)
        padded[tuple(slice(0, n) for n in y.shape)] = y
        y = padded
    nc = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[0], x.shape[1], *([1] * dims))
    flat = (idx.numpy() + nc * plane).astype(np.int64)
    attrs = dict(kernel_shape=[k] * dims, strides=[s] * dims)
    if p:
        attrs["pads"] = [p] * (2 * dims)
    inputs = [("x", vals.numpy().astype(dtype)), ("i", flat)]
    names = ["x", "i"]
    inits = None
    if out_spatial is not None:
        names.append("shape")
        inits = {"shape": np.array(list(x.shape[:2]) + list(out_spatial), np.int64)}
    case(name, [node("MaxUnpool", names, ["y"], **attrs)], inputs, [("y", y)], opset=opset, initializers=inits)


def max_unpool_cases():
    unpool_case("max_unpool_2d", rand(2, 3, 4, 6), 2, 2, 0, 11)
    unpool_case("max_unpool_2d_opset9", rand(2, 3, 4, 6), 2, 2, 0, 9)
    unpool_case("max_unpool_2d_pads", rand(1, 2, 5, 5), 3, 2, 1, 11)
    unpool_case("max_unpool_1d", rand(2, 2, 8), 2, 2, 0, 11)
    unpool_case("max_unpool_3d", rand(1, 2, 4, 4, 4), 2, 2, 0, 11)
    unpool_case("max_unpool_output_shape", rand(1, 2, 4, 4), 2, 2, 0, 11, out_spatial=[5, 5])
    unpool_case("max_unpool_output_shape_3d", rand(2, 1, 4, 4, 2), 2, 2, 0, 11, out_spatial=[6, 5, 4])
    unpool_case("max_unpool_f64", rand(1, 1, 4, 4), 2, 2, 0, 13, dtype=np.float64)
    x = np.array([[[[1, 2], [3, 4]]]], np.float32)
    i = np.array([[[[5, 7], [13, 15]]]], np.int64)
    y = np.zeros((1, 1, 4, 4), np.float32)
    y.flat[[5, 7, 13, 15]] = [1, 2, 3, 4]
    case("max_unpool_symbolic", [node("MaxUnpool", ["x", "i"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
         [("x", x), ("i", i)], [("y", y)], opset=11, input_shapes={"x": ["N", 1, 2, 2], "i": ["N", 1, 2, 2]},
         expect_shape="[N,1,4,4]")
    e = lambda name, *a, **kw: err(name, "MaxUnpool", *a, **kw)
    e("max_unpool_index_out_of_range", [node("MaxUnpool", ["x", "i"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
      [("x", x), ("i", np.array([[[[5, 7], [13, 16]]]], np.int64))], [("y", rand(1))],
      ["index 16 (indices element 3) is out of range [0, 15] for the unpooled shape [1,1,4,4]", "code=INVALID_ARGUMENT"], opset=11)
    e("max_unpool_small_output_shape", [node("MaxUnpool", ["x", "i", "shape"], ["y"], kernel_shape=[2, 2],
                                             strides=[2, 2])],
      [("x", x), ("i", i)], [("y", rand(1))], ["output_shape [1,1,3,4] must be", "at least the unpooled [1,1,4,4]"],
      opset=11, initializers={"shape": np.array([1, 1, 3, 4], np.int64)})
    e("max_unpool_no_kernel", [node("MaxUnpool", ["x", "i"], ["y"])], [("x", x), ("i", i)], [("y", rand(1))],
      ["'kernel_shape' attribute is required"], opset=11)
    e("max_unpool_bad_rank", [node("MaxUnpool", ["x", "i"], ["y"], kernel_shape=[2])], [("x", x), ("i", i)],
      [("y", rand(1))], ["expected rank 3"], opset=11)
    e("max_unpool_int", [node("MaxUnpool", ["x", "i"], ["y"], kernel_shape=[2, 2])],
      [("x", x.astype(np.int32)), ("i", i)], [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=11)


def col2im_ref(x, image, block, dil, pads, strides):
    k = len(image)
    n, ck, length = x.shape
    kernel = int(np.prod(block))
    c = ck // kernel
    blocks = [(image[d] + pads[d] + pads[d + k] - dil[d] * (block[d] - 1) - 1) // strides[d] + 1 for d in range(k)]
    y = np.zeros((n, c) + tuple(image), np.float64)
    cols = x.reshape(n, c, kernel, length).astype(np.float64)
    for kk in range(kernel):
        off = np.unravel_index(kk, block)
        for col in range(length):
            pos = np.unravel_index(col, blocks)
            idx = [pos[d] * strides[d] - pads[d] + off[d] * dil[d] for d in range(k)]
            if all(0 <= idx[d] < image[d] for d in range(k)):
                y[(slice(None), slice(None)) + tuple(idx)] += cols[:, :, kk, col]
    return y.astype(x.dtype)


def col2im_cases():
    def go(name, x, image, block, dil=None, pads=None, strides=None, dtype=np.float32, **kw):
        k = len(image)
        d, p, s = dil or [1] * k, pads or [0] * (2 * k), strides or [1] * k
        attrs = {}
        if dil:
            attrs["dilations"] = dil
        if pads:
            attrs["pads"] = pads
        if strides:
            attrs["strides"] = strides
        x = x.astype(dtype)
        case(name, [node("Col2Im", ["x", "image", "block"], ["y"], **attrs)], [("x", x)],
             [("y", col2im_ref(x, image, block, d, p, s))], opset=18,
             initializers={"image": np.array(image, np.int64), "block": np.array(block, np.int64)}, **kw)

    x = rand(2, 3 * 4, 12)
    go("col2im_2d", x, [4, 5], [2, 2])
    # the same against PyTorch's fold
    y = F.fold(t64(x), (4, 5), (2, 2)).numpy().astype(np.float32)
    case("col2im_2d_torch_fold", [node("Col2Im", ["x", "image", "block"], ["y"])], [("x", x)], [("y", y)], opset=18,
         initializers={"image": np.array([4, 5], np.int64), "block": np.array([2, 2], np.int64)})
    go("col2im_2d_all_attrs", rand(1, 2 * 6, 12), [6, 7], [2, 3], dil=[2, 1], pads=[1, 0, 2, 1], strides=[2, 2])
    go("col2im_1d", rand(2, 2 * 3, 5), [9], [3], strides=[2], pads=[1, 1])
    go("col2im_3d", rand(1, 2 * 8, 27), [4, 4, 4], [2, 2, 2])
    go("col2im_int64", randint(1, 4, 9), [4, 4], [2, 2], dtype=np.int64)
    go("col2im_f64", rand(1, 9, 16), [6, 6], [3, 3], dtype=np.float64)
    go("col2im_zero_batch", rand(0, 4, 12), [4, 5], [2, 2])
    go("col2im_symbolic", rand(3, 4, 12), [4, 5], [2, 2], input_shapes={"x": ["N", 4, 12]}, expect_shape="[N,1,4,5]")
    e = lambda name, *a, **kw: err(name, "Col2Im", *a, **kw)
    e("col2im_bad_length", [node("Col2Im", ["x", "image", "block"], ["y"])], [("x", rand(1, 4, 11))],
      [("y", rand(1))], ["input has shape [1,4,11]; expected [N, C * 4, 12]"], opset=18,
      initializers={"image": np.array([4, 5], np.int64), "block": np.array([2, 2], np.int64)})
    e("col2im_bad_strides", [node("Col2Im", ["x", "image", "block"], ["y"], strides=[1])], [("x", rand(1, 4, 12))],
      [("y", rand(1))], ["must have k, k, k, k and 2k values"], opset=18,
      initializers={"image": np.array([4, 5], np.int64), "block": np.array([2, 2], np.int64)})


def crop_pad_ref(x, shape, axes=None):
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    out_shape = list(x.shape)
    for a, s in zip(axes, shape):
        out_shape[a] = s
    y = np.zeros(out_shape, x.dtype)
    src, dst = [], []
    for d in range(x.ndim):
        i, o = x.shape[d], out_shape[d]
        m = min(i, o)
        si = (i - o) // 2 if i > o else 0
        so = (o - i) // 2 if o > i else 0
        src.append(slice(si, si + m))
        dst.append(slice(so, so + m))
    y[tuple(dst)] = x[tuple(src)]
    return y


def center_crop_pad_cases():
    x = rand(5, 8, 3)
    for name, shape, axes in [("crop", [3, 5, 3], None), ("pad", [8, 11, 4], None), ("mixed", [2, 13, 1], None),
                              ("axes", [4, 9], [0, 1]), ("neg_axes", [6, 2], [-1, 0]), ("zero", [0, 8, 3], None),
                              ("same", [5, 8, 3], None)]:
        attrs = {} if axes is None else {"axes": axes}
        case(f"center_crop_pad_{name}", [node("CenterCropPad", ["x", "shape"], ["y"], **attrs)], [("x", x)],
             [("y", crop_pad_ref(x, shape, axes))], opset=18, initializers={"shape": np.array(shape, np.int64)})
    for dt in (np.int64, np.int32, np.int8, np.uint8, np.bool_, np.float64):
        xi = randint(4, 7, low=0, high=2).astype(dt)
        case(f"center_crop_pad_{np.dtype(dt).name}", [node("CenterCropPad", ["x", "shape"], ["y"])], [("x", xi)],
             [("y", crop_pad_ref(xi, [6, 4]))], opset=18, initializers={"shape": np.array([6, 4], np.int32)})
    case("center_crop_pad_shape_input", [node("CenterCropPad", ["x", "shape"], ["y"], axes=[1])],
         [("x", x), ("shape", np.array([4], np.int64))], [("y", crop_pad_ref(x, [4], [1]))], opset=18)
    case("center_crop_pad_symbolic", [node("CenterCropPad", ["x", "shape"], ["y"], axes=[1, 2])], [("x", x)],
         [("y", crop_pad_ref(x, [4, 4], [1, 2]))], opset=18, initializers={"shape": np.array([4, 4], np.int64)},
         input_shapes={"x": ["N", 8, 3]}, expect_shape="[N,4,4]")
    e = lambda name, *a, **kw: err(name, "CenterCropPad", *a, **kw)
    e("center_crop_pad_bad_axes", [node("CenterCropPad", ["x", "shape"], ["y"], axes=[0, 3])], [("x", x)],
      [("y", rand(1))], ["axes [0,3] must be distinct axes in [-3, 2]"], opset=18,
      initializers={"shape": np.array([4, 4], np.int64)})
    e("center_crop_pad_bad_shape", [node("CenterCropPad", ["x", "shape"], ["y"])], [("x", x)], [("y", rand(1))],
      ["shape [4,4] has 2 values; expected 3"], opset=18, initializers={"shape": np.array([4, 4], np.int64)})


# ------------------------------------------------------------------------------------------------------
# TfIdfVectorizer and Bernoulli

def tfidf_ref(x, mode, min_n, max_n, skip, counts, indexes, pool, weights=None):
    grams = {}
    ngram_id = 0
    for i, start in enumerate(counts):
        n = i + 1
        end = counts[i + 1] if i + 1 < len(counts) else len(pool)
        for g in range((end - start) // n):
            if min_n <= n <= max_n:
                grams[tuple(pool[start + g * n:start + (g + 1) * n])] = indexes[ngram_id]
            ngram_id += 1
    out_size = max(indexes) + 1
    rows = x.reshape(1, -1) if x.ndim == 1 else x
    y = np.zeros((rows.shape[0], out_size), np.float32)
    for r, row in enumerate(rows):
        for n in range(min_n, max_n + 1):
            for s in ([0] if n == 1 else range(skip + 1)):
                for start in range(len(row)):
                    pos = [start + j * (s + 1) for j in range(n)]
                    if pos[-1] < len(row) and tuple(int(row[p]) for p in pos) in grams:
                        y[r, grams[tuple(int(row[p]) for p in pos)]] += 1
    w = np.ones(out_size, np.float32) if weights is None else np.array(weights, np.float32)[:out_size]
    if mode == "IDF":
        y = np.where(y > 0, w, 0).astype(np.float32)
    elif mode == "TFIDF":
        y = (y * w).astype(np.float32)
    return y.reshape(-1) if x.ndim == 1 else y


def tfidf_cases():
    x1 = np.array([1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8], np.int32)
    x2 = x1.reshape(2, 6)
    counts, indexes, pool = [0, 4], list(range(7)), [2, 3, 5, 4, 5, 6, 7, 8, 6, 7]
    configs = {
        "tf_bigrams_skip0": ("TF", 2, 2, 0, None),
        "tf_bigrams_skip5": ("TF", 2, 2, 5, None),
        "tf_uni_bigrams_skip5": ("TF", 1, 2, 5, None),
        "tf_unigrams": ("TF", 1, 1, 3, None),
        "idf": ("IDF", 1, 2, 2, None),
        "idf_weights": ("IDF", 1, 2, 2, [0.5, 1.5, 2.0, 3.0, 0.25, 1.0, 4.0]),
        "tfidf": ("TFIDF", 1, 2, 1, None),
        "tfidf_weights": ("TFIDF", 1, 2, 1, [0.5, 1.5, 2.0, 3.0, 0.25, 1.0, 4.0]),
    }
    for name, (mode, lo, hi, skip, weights) in configs.items():
        attrs = dict(mode=mode, min_gram_length=lo, max_gram_length=hi, max_skip_count=skip, ngram_counts=counts,
                     ngram_indexes=indexes, pool_int64s=pool)
        if weights is not None:
            attrs["weights"] = weights
        for x, shape in ((x1, "1d"), (x2, "2d")):
            ref = tfidf_ref(x, mode, lo, hi, skip, counts, indexes, pool, weights)
            case(f"tfidf_{name}_{shape}", [node("TfIdfVectorizer", ["x"], ["y"], **attrs)], [("x", x)], [("y", ref)],
                 opset=9)
    # Trigrams, int64 input, permuted output columns, a length with no n-grams in the pool.
    counts3, pool3 = [0, 3, 3], [1, 2, 3, 1, 2, 3, 2, 3, 1]
    indexes3 = [4, 3, 2, 0, 1]
    x = randint(3, 10, low=1, high=4)
    attrs = dict(mode="TF", min_gram_length=1, max_gram_length=3, max_skip_count=1, ngram_counts=counts3,
                 ngram_indexes=indexes3, pool_int64s=pool3)
    case("tfidf_trigrams_int64", [node("TfIdfVectorizer", ["x"], ["y"], **attrs)], [("x", x)],
         [("y", tfidf_ref(x, "TF", 1, 3, 1, counts3, indexes3, pool3))], opset=9)
    case("tfidf_symbolic_rows", [node("TfIdfVectorizer", ["x"], ["y"], **attrs)], [("x", x)],
         [("y", tfidf_ref(x, "TF", 1, 3, 1, counts3, indexes3, pool3))], opset=17, input_shapes={"x": ["B", 10]},
         expect_shape="[B,5]")
    case("tfidf_empty_row", [node("TfIdfVectorizer", ["x"], ["y"], **attrs)], [("x", np.zeros((2, 0), np.int64))],
         [("y", np.zeros((2, 5), np.float32))], opset=9)
    e = lambda name, *a, **kw: err(name, "TfIdfVectorizer", *a, **kw)
    e("tfidf_bad_mode", [node("TfIdfVectorizer", ["x"], ["y"], **dict(attrs, mode="BM25"))], [("x", x)],
      [("y", rand(1))], ["mode 'BM25' is not one of TF, IDF, TFIDF"], opset=9)
    e("tfidf_pool_strings", [node("TfIdfVectorizer", ["x"], ["y"], mode="TF", min_gram_length=1, max_gram_length=1,
                                  max_skip_count=0, ngram_counts=[0], ngram_indexes=[0], pool_strings=["a"])],
      [("x", x)], [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=9)
    e("tfidf_bad_counts", [node("TfIdfVectorizer", ["x"], ["y"], **dict(attrs, ngram_counts=[0, 3, 4]))], [("x", x)],
      [("y", rand(1))], ["do not split the 9 pool values"], opset=9)
    e("tfidf_float_input", [node("TfIdfVectorizer", ["x"], ["y"], **attrs)], [("x", rand(2, 3))], [("y", rand(1))],
      ["code=UNIMPLEMENTED"], opset=9)


def bernoulli_cases():
    # Only deterministic facts here (p = 0 gives 0, p = 1 gives 1); statistics and seeds are checked by
    # tests/ops/bernoulli/bernoulli_test.cc.
    p = np.array([[0, 1, 1, 0], [1, 0, 0, 1], [1, 1, 1, 1]], np.float32)
    case("bernoulli_01", [node("Bernoulli", ["p"], ["y"])], [("p", p)], [("y", p)], opset=15)
    case("bernoulli_01_seed", [node("Bernoulli", ["p"], ["y"], seed=3.0)], [("p", p)], [("y", p)], opset=15)
    case("bernoulli_f64", [node("Bernoulli", ["p"], ["y"])], [("p", p.astype(np.float64))],
         [("y", p.astype(np.float64))], opset=21)
    for onnx_type, dt in ((TensorProto.INT32, np.int32), (TensorProto.BOOL, np.bool_), (TensorProto.DOUBLE, np.float64),
                          (TensorProto.UINT8, np.uint8)):
        case(f"bernoulli_dtype_{np.dtype(dt).name}", [node("Bernoulli", ["p"], ["y"], dtype=onnx_type)], [("p", p)],
             [("y", p.astype(dt))], opset=15)
    case("bernoulli_symbolic", [node("Bernoulli", ["p"], ["y"])], [("p", p)], [("y", p)], opset=15,
         input_shapes={"p": ["N", 4]}, expect_shape="[N,4]")
    case("bernoulli_empty", [node("Bernoulli", ["p"], ["y"])], [("p", rand(0, 3))], [("y", np.zeros((0, 3), np.float32))],
         opset=15)
    err("bernoulli_f16_dtype", "Bernoulli", [node("Bernoulli", ["p"], ["y"], dtype=TensorProto.FLOAT16)], [("p", p)],
        [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=15)
    err("bernoulli_int_input", "Bernoulli", [node("Bernoulli", ["p"], ["y"])], [("p", p.astype(np.int32))],
        [("y", rand(1))], ["code=UNIMPLEMENTED"], opset=15)


GENERATORS = [dft_cases, stft_cases, window_cases, mel_cases, grid_sample_cases, affine_grid_cases,
              roi_align_cases, max_unpool_cases, col2im_cases, center_crop_pad_cases, tfidf_cases, bernoulli_cases]

if __name__ == "__main__":
    from opcase import run
    run(GENERATORS)
