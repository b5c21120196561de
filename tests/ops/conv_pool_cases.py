"""Operator cases of the convolution and pooling family: Conv, ConvTranspose, MaxPool (with Indices),
AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool, GlobalLpPool. See opcase.py for the layout.

References: torch.nn.functional (conv1d/2d/3d, conv_transpose1d/2d/3d, max_pool*, avg_pool*, lp_pool*) in
float64, cast to the case's dtype. Asymmetric pads and auto_pad are applied to the input first (F.pad with
zeros or -inf) or cut from the output (ConvTranspose). Windows PyTorch cannot express (dilated average and
Lp pools, asymmetric pads with count_include_pad) use window_ref, a direct numpy loop over the windows that is
itself checked against PyTorch below."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from opcase import case, error_case, node, rand, randint


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def same_pads(in_sizes, k, s, d, upper):
    """ONNX SAME_UPPER/SAME_LOWER pads for forward windows: (begins, ends)."""
    begins, ends = [], []
    for i, n in enumerate(in_sizes):
        out = -(-n // s[i])
        total = max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - n)
        small = total // 2
        begins.append(small if upper else total - small)
        ends.append(total - small if upper else small)
    return begins, ends


def torch_pad(x, begins, ends, value=0.0):
    """F.pad takes (last axis begin, end, previous axis begin, end, ...)."""
    spec = []
    for b, e in zip(reversed(begins), reversed(ends)):
        spec += [b, e]
    return F.pad(x, spec, value=value)


# ------------------------------------------------------------------------------------------------------
# Conv

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def conv_ref(x, w, b, strides=None, dilations=None, pads=None, group=1, auto_pad="NOTSET", dtype=np.float32):
    nd = x.ndim - 2
    k = list(w.shape[2:])
    s = strides or [1] * nd
    d = dilations or [1] * nd
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        begins, ends = same_pads(x.shape[2:], k, s, d, auto_pad == "SAME_UPPER")
    elif auto_pad == "VALID" or pads is None:
        begins, ends = [0] * nd, [0] * nd
    else:
        begins, ends = pads[:nd], pads[nd:]
    tx = torch_pad(t64(x), begins, ends)
    y = CONV[nd](tx, t64(w), None if b is None else t64(b), stride=s, dilation=d, groups=group)
    return y.numpy().astype(dtype)


def conv_case(name, x_shape, w_shape, bias=True, opset=17, dtype=np.float32, w_input=False, with_kernel_shape=False,
              input_shapes=None, expect_shape=None, **attrs):
    x = rand(*x_shape, dtype=dtype)
    w = rand(*w_shape, dtype=dtype)
    b = rand(w_shape[0], dtype=dtype) if bias else None
    if with_kernel_shape:
        attrs["kernel_shape"] = list(w_shape[2:])
    y = conv_ref(x, w, b, attrs.get("strides"), attrs.get("dilations"), attrs.get("pads"), attrs.get("group", 1),
                 attrs.get("auto_pad", "NOTSET"), dtype)
    names = ["X", "W"] + (["B"] if bias else [])
    inputs = [("X", x)]
    inits = {}
    if w_input:
        inputs.append(("W", w))
    else:
        inits["W"] = w
    if bias:
        inits["B"] = b
    case(name, [node("Conv", names, ["Y"], **attrs)], inputs, [("Y", y)], opset=opset, initializers=inits,
         input_shapes=input_shapes, expect_shape=expect_shape)


def conv_cases():
    conv_case("conv2d_basic", (2, 3, 8, 9), (4, 3, 3, 3), pads=[1, 1, 1, 1])
    conv_case("conv2d_no_bias_no_pad", (1, 3, 7, 7), (5, 3, 3, 3), bias=False, opset=7)
    conv_case("conv2d_opset11_kernel_shape", (1, 2, 6, 5), (3, 2, 2, 3), opset=11, with_kernel_shape=True)
    conv_case("conv2d_strides", (2, 3, 9, 11), (4, 3, 3, 3), strides=[2, 3], pads=[1, 1, 1, 1])
    conv_case("conv2d_dilations", (1, 2, 10, 9), (3, 2, 3, 2), dilations=[2, 3], pads=[2, 1, 2, 1])
    conv_case("conv2d_asymmetric_pads", (1, 3, 7, 8), (2, 3, 3, 3), pads=[0, 2, 1, 0], strides=[2, 2])
    conv_case("conv2d_group2", (2, 4, 7, 7), (6, 2, 3, 3), group=2, pads=[1, 1, 1, 1])
    conv_case("conv2d_group3_strided", (1, 6, 9, 8), (3, 2, 3, 2), group=3, strides=[2, 1], dilations=[1, 2])
    conv_case("conv2d_depthwise", (2, 5, 9, 10), (5, 1, 3, 3), group=5, pads=[1, 1, 1, 1])
    conv_case("conv2d_depthwise_multiplier", (1, 3, 8, 8), (6, 1, 3, 3), group=3, pads=[1, 0, 1, 2])
    conv_case("conv2d_depthwise_strided_dilated", (1, 4, 13, 19), (4, 1, 5, 3), group=4, strides=[2, 2],
              dilations=[2, 1], pads=[2, 1, 0, 3])
    conv_case("conv2d_depthwise_wide", (1, 2, 3, 70), (2, 1, 3, 5), group=2, pads=[1, 2, 1, 2])
    conv_case("conv2d_single_channel", (3, 1, 12, 12), (8, 1, 3, 3), pads=[1, 1, 1, 1])
    conv_case("conv2d_pointwise", (2, 16, 5, 7), (8, 16, 1, 1))
    conv_case("conv2d_pointwise_group", (1, 8, 6, 6), (4, 4, 1, 1), group=2, bias=False)
    conv_case("conv2d_pointwise_strided", (1, 4, 7, 7), (3, 4, 1, 1), strides=[2, 2])
    conv_case("conv2d_pointwise_padded", (1, 4, 3, 3), (2, 4, 1, 1), pads=[1, 0, 0, 1])
    conv_case("conv2d_large", (1, 32, 20, 20), (24, 32, 3, 3), pads=[1, 1, 1, 1])
    for ap in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        conv_case(f"conv2d_auto_pad_{ap.lower()}", (1, 2, 7, 8), (3, 2, 3, 4), auto_pad=ap, strides=[2, 2])
        conv_case(f"conv2d_auto_pad_{ap.lower()}_dilated", (1, 2, 9, 6), (2, 2, 2, 3), auto_pad=ap, dilations=[2, 2])
    conv_case("conv1d", (2, 3, 17), (4, 3, 5), pads=[2, 1], strides=[2])
    conv_case("conv1d_depthwise", (1, 4, 20), (4, 1, 3), group=4, dilations=[3], pads=[3, 3])
    conv_case("conv1d_same_upper", (1, 2, 10), (3, 2, 4), auto_pad="SAME_UPPER")
    conv_case("conv3d", (1, 2, 5, 6, 7), (3, 2, 3, 3, 3), pads=[1, 1, 1, 1, 1, 1])
    conv_case("conv3d_strided_dilated", (2, 3, 7, 8, 6), (2, 3, 2, 3, 2), strides=[2, 1, 2], dilations=[2, 1, 1],
              pads=[0, 1, 1, 1, 0, 0])
    conv_case("conv3d_depthwise", (1, 3, 5, 6, 7), (3, 1, 3, 3, 3), group=3, pads=[1, 1, 1, 1, 1, 1])
    conv_case("conv3d_pointwise", (1, 4, 3, 4, 5), (2, 4, 1, 1, 1))
    conv_case("conv2d_float64", (1, 3, 6, 6), (4, 3, 3, 3), pads=[1, 1, 1, 1], dtype=np.float64)
    conv_case("conv2d_float64_depthwise", (1, 3, 6, 6), (3, 1, 3, 3), group=3, dtype=np.float64)
    conv_case("conv1d_float64_pointwise", (2, 3, 6), (2, 3, 1), dtype=np.float64)
    conv_case("conv2d_weights_input", (1, 3, 6, 6), (2, 3, 3, 3), w_input=True, pads=[1, 1, 1, 1])
    conv_case("conv2d_symbolic_batch", (3, 3, 8, 8), (4, 3, 3, 3), pads=[1, 1, 1, 1],
              input_shapes={"X": ["N", 3, 8, 8]}, expect_shape="[N,4,8,8]")
    conv_case("conv2d_symbolic_spatial", (1, 3, 8, 7), (4, 3, 3, 3), strides=[2, 2],
              input_shapes={"X": [1, 3, "h", "w"]}, expect_shape="[1,4,?,?]")
    conv_case("conv2d_zero_batch", (0, 3, 5, 5), (2, 3, 3, 3), pads=[1, 1, 1, 1])
    x = rand(1, 3, 5, 5)
    case("conv2d_zero_out_channels", [node("Conv", ["X", "W"], ["Y"])], [("X", x)],
         [("Y", np.zeros((1, 0, 3, 3), np.float32))], initializers={"W": rand(0, 3, 3, 3)})


# ------------------------------------------------------------------------------------------------------
# ConvTranspose

CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def conv_transpose_ref(x, w, b, strides=None, dilations=None, pads=None, group=1, output_padding=None,
                       output_shape=None, auto_pad="NOTSET", dtype=np.float32):
    nd = x.ndim - 2
    k = list(w.shape[2:])
    s = strides or [1] * nd
    d = dilations or [1] * nd
    op = output_padding or [0] * nd
    full = CONV_T[nd](t64(x), t64(w), None, stride=s, dilation=d, groups=group)  # no padding, no output_padding
    natural = [s[i] * (x.shape[2 + i] - 1) + op[i] + (k[i] - 1) * d[i] + 1 for i in range(nd)]
    # output_padding: extra positions at the end (zeros, then bias).
    y = torch_pad(full, [0] * nd, [natural[i] - full.shape[2 + i] for i in range(nd)])
    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        target = output_shape[-nd:] if output_shape is not None else [x.shape[2 + i] * s[i] for i in range(nd)]
        begins, ends = [], []
        for i in range(nd):
            total = natural[i] - target[i]
            if total < 0:  # larger than natural: more positions at the end
                begins.append(0)
                ends.append(total)
            elif auto_pad == "SAME_UPPER":
                begins.append(total // 2)
                ends.append(total - total // 2)
            else:
                begins.append(total - total // 2)
                ends.append(total // 2)
    elif auto_pad == "VALID" or pads is None:
        begins, ends = [0] * nd, [0] * nd
    else:
        begins, ends = pads[:nd], pads[nd:]
    y = torch_pad(y, [-v for v in begins], [-v for v in ends])
    if b is not None:
        y = y + t64(b).reshape([1, -1] + [1] * nd)
    return y.numpy().astype(dtype)


def conv_transpose_case(name, x_shape, w_shape, bias=True, opset=17, dtype=np.float32, group=1, **attrs):
    x = rand(*x_shape, dtype=dtype)
    w = rand(*w_shape, dtype=dtype)
    m = w_shape[1] * group
    b = rand(m, dtype=dtype) if bias else None
    if group != 1:
        attrs["group"] = group
    y = conv_transpose_ref(x, w, b, attrs.get("strides"), attrs.get("dilations"), attrs.get("pads"), group,
                           attrs.get("output_padding"), attrs.get("output_shape"), attrs.get("auto_pad", "NOTSET"),
                           dtype)
    names = ["X", "W"] + (["B"] if bias else [])
    inits = {"W": w}
    if bias:
        inits["B"] = b
    case(name, [node("ConvTranspose", names, ["Y"], **attrs)], [("X", x)], [("Y", y)], opset=opset,
         initializers=inits)


def conv_transpose_cases():
    ct = conv_transpose_case
    ct("convt2d_basic", (2, 3, 5, 6), (3, 4, 3, 3))
    ct("convt2d_opset7_no_bias", (1, 2, 4, 4), (2, 3, 3, 2), bias=False, opset=7)
    ct("convt2d_strides", (1, 3, 4, 5), (3, 2, 3, 3), strides=[2, 3])
    ct("convt2d_pads", (1, 2, 5, 5), (2, 3, 3, 3), strides=[2, 2], pads=[1, 0, 1, 2])
    ct("convt2d_output_padding", (1, 2, 4, 4), (2, 3, 3, 3), strides=[2, 3], output_padding=[1, 2], pads=[1, 1, 1, 1])
    ct("convt2d_dilations", (1, 2, 5, 4), (2, 2, 3, 2), dilations=[2, 3], strides=[1, 2])
    ct("convt2d_group", (2, 4, 4, 5), (4, 3, 3, 3), group=2, strides=[2, 1], pads=[1, 1, 0, 0])
    ct("convt2d_depthwise", (1, 3, 6, 6), (3, 1, 3, 3), group=3, strides=[2, 2], pads=[1, 1, 1, 1])
    ct("convt2d_output_shape_odd", (1, 2, 4, 4), (2, 2, 3, 3), strides=[2, 2], output_shape=[8, 7])
    ct("convt2d_output_shape_full", (1, 2, 3, 3), (2, 2, 3, 3), strides=[3, 2], output_shape=[1, 2, 10, 8])
    ct("convt2d_output_shape_ignores_pads", (1, 2, 3, 4), (2, 1, 3, 3), strides=[2, 2], pads=[5, 5, 5, 5],
       output_shape=[6, 8])
    ct("convt2d_same_upper", (1, 2, 3, 4), (2, 2, 3, 3), strides=[2, 2], auto_pad="SAME_UPPER")
    ct("convt2d_same_lower", (1, 2, 3, 4), (2, 2, 3, 3), strides=[2, 2], auto_pad="SAME_LOWER")
    ct("convt2d_same_upper_small_kernel", (1, 2, 3, 3), (2, 2, 1, 1), strides=[2, 2], auto_pad="SAME_UPPER")
    ct("convt2d_valid", (1, 2, 3, 4), (2, 2, 3, 3), strides=[2, 1], auto_pad="VALID")
    ct("convt2d_kernel_shape", (1, 2, 3, 3), (2, 2, 3, 2), kernel_shape=[3, 2])
    ct("convt2d_pointwise", (2, 6, 5, 4), (6, 4, 1, 1))
    ct("convt2d_pointwise_group", (1, 6, 3, 4), (6, 2, 1, 1), group=3, bias=False)
    ct("convt2d_pointwise_strided", (1, 3, 3, 4), (3, 2, 1, 1), strides=[2, 2])
    ct("convt1d", (2, 3, 7), (3, 2, 4), strides=[3], pads=[1, 2], output_padding=[1])
    ct("convt1d_dilated", (1, 2, 6), (2, 3, 3), dilations=[2])
    ct("convt3d", (1, 2, 3, 4, 3), (2, 3, 3, 2, 3), strides=[2, 1, 2], pads=[1, 0, 1, 0, 1, 1])
    ct("convt3d_output_padding", (1, 2, 2, 3, 3), (2, 2, 2, 2, 2), strides=[2, 2, 3], output_padding=[1, 0, 2])
    ct("convt2d_float64", (1, 3, 4, 4), (3, 2, 3, 3), dtype=np.float64, strides=[2, 2], pads=[1, 1, 1, 1])
    ct("convt2d_zero_batch", (0, 2, 3, 3), (2, 2, 3, 3))


# ------------------------------------------------------------------------------------------------------
# Pools

def window_ref(x, kind, k, s=None, d=None, pads=None, ceil_mode=False, count_include_pad=False, p=2.0):
    """Direct loops over the windows in float64: kind "max", "avg" or "lp"."""
    x = np.asarray(x, np.float64)
    nd = x.ndim - 2
    s = s or [1] * nd
    d = d or [1] * nd
    pads = pads or [0] * (2 * nd)
    begins, ends = pads[:nd], pads[nd:]
    outs = []
    for i in range(nd):
        n, dk = x.shape[2 + i], (k[i] - 1) * d[i] + 1
        span = n + begins[i] + ends[i] - dk
        o = (-(-span // s[i]) if ceil_mode else span // s[i]) + 1
        if ceil_mode and (o - 1) * s[i] >= n + begins[i]:
            o -= 1
        outs.append(o)
    y = np.zeros(x.shape[:2] + tuple(outs))
    for pos in np.ndindex(*outs):
        taps = []
        inside_padded = 1
        for i in range(nd):
            starts = pos[i] * s[i] - begins[i] + np.arange(k[i]) * d[i]
            taps.append(starts)
        idx = np.array(np.meshgrid(*taps, indexing="ij")).reshape(nd, -1)
        valid = np.all([(idx[i] >= 0) & (idx[i] < x.shape[2 + i]) for i in range(nd)], axis=0)
        in_pad_extent = np.all([(idx[i] >= -begins[i]) & (idx[i] < x.shape[2 + i] + ends[i]) for i in range(nd)],
                               axis=0)
        vals = x[(slice(None), slice(None)) + tuple(idx[i][valid] for i in range(nd))]  # [N, C, taps]
        if kind == "max":
            r = vals.max(axis=-1) if vals.shape[-1] else np.full(x.shape[:2], -np.inf)
        elif kind == "avg":
            r = vals.sum(axis=-1) / (in_pad_extent.sum() if count_include_pad else valid.sum())
        else:
            r = (np.abs(vals) ** p).sum(axis=-1) ** (1.0 / p)
        y[(slice(None), slice(None)) + pos] = r
    return y


MAXP = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVGP = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def check_window_ref():
    """window_ref against PyTorch where PyTorch can express the window."""
    x = rand(2, 3, 9, 8)
    for ceil in (False, True):
        for cip in (False, True):
            want = F.avg_pool2d(t64(x), [3, 2], [2, 2], [1, 1], ceil_mode=ceil, count_include_pad=cip).numpy()
            got = window_ref(x, "avg", [3, 2], [2, 2], None, [1, 1, 1, 1], ceil, cip)
            assert np.allclose(want, got), ("avg", ceil, cip)
        want = F.max_pool2d(t64(x), [3, 3], [2, 1], [1, 1], dilation=[2, 1], ceil_mode=ceil).numpy()
        got = window_ref(x, "max", [3, 3], [2, 1], [2, 1], [1, 1, 1, 1], ceil)
        assert np.allclose(want, got), ("max", ceil)
    want = F.lp_pool2d(t64(np.abs(x)), 3.0, [2, 3], [2, 1]).numpy()
    assert np.allclose(want, window_ref(x, "lp", [2, 3], [2, 1], p=3.0))


def max_pool_case(name, x_shape, k, strides=None, dilations=None, pads=None, ceil_mode=0, storage_order=None,
                  indices=False, opset=17, dtype=np.float32, auto_pad=None):
    nd = len(k)
    if dtype in (np.int8, np.uint8):
        x = randint(*x_shape, dtype=dtype, low=-128 if dtype == np.int8 else 0, high=128 if dtype == np.int8 else 256)
    else:
        x = rand(*x_shape, dtype=dtype)
    s = strides or [1] * nd
    d = dilations or [1] * nd
    attrs = {"kernel_shape": k}
    for key, v in (("strides", strides), ("dilations", dilations), ("pads", pads), ("storage_order", storage_order),
                   ("auto_pad", auto_pad)):
        if v is not None:
            attrs[key] = v
    if ceil_mode:
        attrs["ceil_mode"] = ceil_mode
    pads = pads or [0] * (2 * nd)
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        b, e = same_pads(x_shape[2:], k, s, d, auto_pad == "SAME_UPPER")
        pads = b + e
    begins, ends = pads[:nd], pads[nd:]
    outputs = []
    if begins == ends and all(2 * p <= kk for p, kk in zip(begins, k)):
        y, idx = MAXP[nd](t64(x), k, s, begins, dilation=d, ceil_mode=bool(ceil_mode), return_indices=True)
        y, idx = y.numpy(), idx.numpy()
        outputs.append(("Y", y.astype(dtype)))
        if indices:
            plane = int(np.prod(x_shape[2:]))
            base = np.arange(x_shape[0] * x_shape[1]).reshape(x_shape[0], x_shape[1], *[1] * nd) * plane
            if storage_order == 1:
                coords = np.unravel_index(idx, x_shape[2:])
                flat = np.ravel_multi_index(coords, x_shape[2:], order="F")
            else:
                flat = idx
            outputs.append(("I", (base + flat).astype(np.int64)))
    else:
        assert not indices
        xp = torch_pad(t64(x), begins, ends, value=-math.inf)
        y = MAXP[nd](xp, k, s, 0, dilation=d, ceil_mode=bool(ceil_mode)).numpy()
        if ceil_mode:
            y = window_ref(x, "max", k, s, d, pads, True)
        outputs.append(("Y", y.astype(dtype)))
    case(name, [node("MaxPool", ["X"], [n for n, _ in outputs], **attrs)], [("X", x)], outputs, opset=opset)


def max_pool_cases():
    mp = max_pool_case
    mp("maxpool2d_basic", (2, 3, 8, 9), [2, 2], strides=[2, 2])
    mp("maxpool2d_opset7", (1, 2, 6, 6), [3, 3], opset=7)
    mp("maxpool2d_pads", (1, 3, 7, 8), [3, 3], pads=[1, 1, 1, 1], strides=[2, 1])
    mp("maxpool2d_stride1_wide", (1, 2, 5, 70), [3, 3], pads=[1, 1, 1, 1])
    mp("maxpool2d_asymmetric_pads", (1, 2, 7, 7), [3, 2], pads=[0, 1, 2, 0], strides=[2, 2])
    mp("maxpool2d_ceil", (1, 2, 8, 7), [3, 3], strides=[2, 2], ceil_mode=1, opset=10)
    mp("maxpool2d_ceil_pads", (1, 2, 8, 9), [3, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    mp("maxpool2d_dilations", (1, 2, 10, 10), [2, 3], dilations=[2, 2], strides=[1, 2], opset=10)
    mp("maxpool2d_indices", (2, 3, 6, 7), [2, 2], strides=[2, 2], indices=True, opset=8)
    mp("maxpool2d_indices_pads", (1, 2, 7, 7), [3, 3], strides=[2, 2], pads=[1, 1, 1, 1], indices=True)
    mp("maxpool2d_indices_storage_order", (2, 2, 5, 6), [3, 2], strides=[1, 2], storage_order=1, indices=True,
       opset=8)
    mp("maxpool3d_indices_storage_order", (1, 2, 4, 5, 6), [2, 2, 3], strides=[2, 1, 2], storage_order=1,
       indices=True)
    mp("maxpool3d_indices_dilated", (1, 2, 6, 5, 6), [2, 2, 2], dilations=[2, 1, 2], indices=True, ceil_mode=1,
       strides=[2, 2, 2])
    for ap in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        mp(f"maxpool2d_auto_pad_{ap.lower()}", (1, 2, 7, 8), [3, 2], strides=[2, 3], auto_pad=ap)
    mp("maxpool1d", (2, 3, 15), [3], strides=[2], pads=[1, 1])
    mp("maxpool1d_indices", (2, 3, 15), [4], strides=[3], indices=True, ceil_mode=1)
    mp("maxpool3d", (1, 2, 5, 6, 7), [2, 3, 2], strides=[1, 2, 2], pads=[1, 1, 0, 1, 1, 0])
    mp("maxpool2d_float64", (1, 2, 6, 6), [2, 2], dtype=np.float64, indices=True)
    mp("maxpool2d_int8", (1, 2, 6, 7), [3, 3], strides=[2, 1], pads=[1, 1, 1, 1], dtype=np.int8, opset=12)
    mp("maxpool2d_uint8", (1, 2, 6, 66), [2, 2], dtype=np.uint8, opset=12)
    mp("maxpool2d_int8_indices", (1, 1, 4, 4), [2, 2], strides=[2, 2], dtype=np.int8, opset=12, indices=True)
    mp("maxpool2d_zero_batch", (0, 2, 6, 6), [2, 2])
    x = rand(1, 3, 8, 8)
    case("maxpool2d_symbolic", [node("MaxPool", ["X"], ["Y"], kernel_shape=[2, 2], strides=[2, 2])], [("X", x)],
         [("Y", F.max_pool2d(t64(x), 2).numpy().astype(np.float32))], input_shapes={"X": ["N", 3, "H", 8]},
         expect_shape="[N,3,?,4]")


def avg_pool_case(name, x_shape, k, strides=None, pads=None, ceil_mode=0, count_include_pad=None, dilations=None,
                  auto_pad=None, opset=17, dtype=np.float32):
    nd = len(k)
    x = rand(*x_shape, dtype=dtype)
    s = strides or [1] * nd
    d = dilations or [1] * nd
    attrs = {"kernel_shape": k}
    for key, v in (("strides", strides), ("pads", pads), ("count_include_pad", count_include_pad),
                   ("dilations", dilations), ("auto_pad", auto_pad)):
        if v is not None:
            attrs[key] = v
    if ceil_mode:
        attrs["ceil_mode"] = ceil_mode
    p = pads or [0] * (2 * nd)
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        b, e = same_pads(x_shape[2:], k, s, d, auto_pad == "SAME_UPPER")
        p = b + e
    cip = bool(count_include_pad)
    if p[:nd] == p[nd:] and all(2 * v <= kk for v, kk in zip(p[:nd], k)) and d == [1] * nd:
        y = AVGP[nd](t64(x), k, s, p[:nd], ceil_mode=bool(ceil_mode), count_include_pad=cip).numpy()
    else:
        y = window_ref(x, "avg", k, s, d, p, bool(ceil_mode), cip)
    case(name, [node("AveragePool", ["X"], ["Y"], **attrs)], [("X", x)], [("Y", y.astype(dtype))], opset=opset)


def avg_pool_cases():
    ap = avg_pool_case
    ap("avgpool2d_basic", (2, 3, 8, 9), [2, 2], strides=[2, 2])
    ap("avgpool2d_opset7_pads", (1, 2, 7, 7), [3, 3], pads=[1, 1, 1, 1], opset=7)
    ap("avgpool2d_count_include_pad", (1, 2, 7, 8), [3, 3], pads=[1, 1, 1, 1], count_include_pad=1, opset=7)
    ap("avgpool2d_stride1_wide", (1, 2, 4, 75), [3, 3], pads=[1, 1, 1, 1])
    ap("avgpool2d_stride1_wide_include_pad", (1, 2, 4, 75), [2, 3], pads=[1, 1, 1, 1], count_include_pad=1)
    ap("avgpool2d_ceil", (1, 2, 8, 7), [3, 3], strides=[2, 2], ceil_mode=1, opset=10)
    ap("avgpool2d_ceil_include_pad", (1, 2, 8, 9), [3, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1,
       count_include_pad=1)
    ap("avgpool2d_asymmetric_pads", (1, 2, 7, 7), [3, 2], pads=[0, 1, 2, 0], strides=[2, 1])
    ap("avgpool2d_asymmetric_pads_include", (1, 2, 7, 7), [3, 2], pads=[0, 1, 2, 0], strides=[2, 1],
       count_include_pad=1)
    ap("avgpool2d_dilations", (1, 2, 9, 10), [2, 3], dilations=[2, 2], strides=[1, 2], opset=19)
    ap("avgpool2d_dilations_pads_ceil", (1, 2, 9, 10), [3, 2], dilations=[2, 3], pads=[1, 2, 1, 2], strides=[2, 2],
       ceil_mode=1, count_include_pad=1, opset=19)
    for a in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        ap(f"avgpool2d_auto_pad_{a.lower()}", (1, 2, 7, 8), [3, 2], strides=[2, 3], auto_pad=a)
    ap("avgpool2d_same_upper_include_pad", (1, 2, 5, 5), [2, 2], auto_pad="SAME_UPPER", count_include_pad=1)
    ap("avgpool1d", (2, 3, 15), [3], strides=[2], pads=[1, 1])
    ap("avgpool3d", (1, 2, 5, 6, 7), [2, 3, 2], strides=[1, 2, 2], pads=[1, 1, 0, 1, 1, 0], count_include_pad=1)
    ap("avgpool3d_ceil", (1, 2, 5, 6, 7), [2, 2, 3], strides=[2, 2, 2], ceil_mode=1)
    ap("avgpool2d_float64", (1, 2, 6, 6), [2, 2], dtype=np.float64, pads=[1, 1, 1, 1])
    ap("avgpool2d_zero_batch", (0, 2, 6, 6), [2, 2])


def lp_pool_cases():
    def lp(name, x_shape, k, p, strides=None, pads=None, dilations=None, ceil_mode=0, opset=17, dtype=np.float32,
           auto_pad=None):
        nd = len(k)
        x = rand(*x_shape, dtype=dtype)
        attrs = {"kernel_shape": k, "p": p}
        for key, v in (("strides", strides), ("pads", pads), ("dilations", dilations), ("auto_pad", auto_pad)):
            if v is not None:
                attrs[key] = v
        if ceil_mode:
            attrs["ceil_mode"] = ceil_mode
        s = strides or [1] * nd
        d = dilations or [1] * nd
        pp = pads or [0] * (2 * nd)
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            b, e = same_pads(x_shape[2:], k, s, d, auto_pad == "SAME_UPPER")
            pp = b + e
        if pads is None and dilations is None and not ceil_mode and auto_pad is None and nd <= 2:
            fn = F.lp_pool1d if nd == 1 else F.lp_pool2d
            y = fn(t64(np.abs(x)), float(p), k if nd > 1 else k[0], s if nd > 1 else s[0]).numpy()
        else:
            y = window_ref(x, "lp", k, s, d, pp, bool(ceil_mode), p=float(p))
        case(name, [node("LpPool", ["X"], ["Y"], **attrs)], [("X", x)], [("Y", y.astype(dtype))], opset=opset)

    lp("lppool2d_p2", (2, 3, 8, 9), [2, 2], 2, strides=[2, 2], opset=11)
    lp("lppool2d_p1", (1, 2, 6, 7), [3, 2], 1, strides=[1, 2])
    lp("lppool2d_p3", (1, 2, 6, 7), [2, 3], 3, strides=[2, 1])
    lp("lppool2d_opset7", (1, 2, 6, 6), [2, 2], 3, strides=[2, 2], opset=7)
    lp("lppool2d_default_p_stride1", (1, 2, 5, 40), [3, 3], 2)
    lp("lppool2d_pads", (1, 2, 7, 7), [3, 3], 2, pads=[1, 0, 2, 1], strides=[2, 2], opset=11)
    lp("lppool2d_same_upper", (1, 2, 7, 7), [3, 2], 2, strides=[2, 2], auto_pad="SAME_UPPER")
    lp("lppool2d_ceil_dilations_opset18", (1, 2, 9, 8), [2, 3], 2, strides=[2, 2], dilations=[2, 1], ceil_mode=1,
       opset=18)
    lp("lppool1d", (2, 3, 12), [3], 2, strides=[3])
    lp("lppool3d", (1, 2, 4, 5, 6), [2, 2, 3], 2, strides=[2, 1, 3], pads=[0, 1, 1, 1, 0, 1])
    lp("lppool2d_float64", (1, 2, 6, 6), [2, 2], 2, dtype=np.float64)


def global_pool_cases():
    for shape in ((2, 3, 5, 6), (1, 4, 7), (2, 2, 3, 4, 5), (1, 3, 70, 3)):
        nd = len(shape) - 2
        axes = tuple(range(2, 2 + nd))
        x = rand(*shape)
        tag = f"{nd}d_{'x'.join(map(str, shape))}"
        case(f"globalavgpool_{tag}", [node("GlobalAveragePool", ["X"], ["Y"])], [("X", x)],
             [("Y", t64(x).mean(dim=axes, keepdim=True).numpy().astype(np.float32))])
        case(f"globalmaxpool_{tag}", [node("GlobalMaxPool", ["X"], ["Y"])], [("X", x)],
             [("Y", t64(x).amax(dim=axes, keepdim=True).numpy().astype(np.float32))])
        case(f"globallppool_{tag}", [node("GlobalLpPool", ["X"], ["Y"], p=3)], [("X", x)],
             [("Y", t64(x).abs().pow(3).sum(dim=axes, keepdim=True).pow(1 / 3).numpy().astype(np.float32))])
    x = rand(2, 3, 4, 4, dtype=np.float64)
    case("globalavgpool_float64", [node("GlobalAveragePool", ["X"], ["Y"])], [("X", x)],
         [("Y", t64(x).mean(dim=(2, 3), keepdim=True).numpy())])
    case("globalmaxpool_float64", [node("GlobalMaxPool", ["X"], ["Y"])], [("X", x)],
         [("Y", t64(x).amax(dim=(2, 3), keepdim=True).numpy())], opset=7)
    case("globallppool_default_p", [node("GlobalLpPool", ["X"], ["Y"])], [("X", x)],
         [("Y", t64(x).pow(2).sum(dim=(2, 3), keepdim=True).sqrt().numpy())], opset=7)
    x = rand(3, 2, 5, 5)
    case("globalavgpool_symbolic", [node("GlobalAveragePool", ["X"], ["Y"])], [("X", x)],
         [("Y", t64(x).mean(dim=(2, 3), keepdim=True).numpy().astype(np.float32))],
         input_shapes={"X": ["N", 2, "H", "W"]}, expect_shape="[N,2,1,1]")
    x = rand(0, 2, 3, 3)
    case("globalmaxpool_zero_batch", [node("GlobalMaxPool", ["X"], ["Y"])], [("X", x)],
         [("Y", np.zeros((0, 2, 1, 1), np.float32))])


# ------------------------------------------------------------------------------------------------------
# Window rows: the kernels fold taps into vectors of output positions (8 float32, 4 float64, 32 int8 lanes;
# blocks of two vectors, then one, a last vector overlapping the one before, scalar rows when shorter than
# a vector), reading the input with width stride 1, 2 (even lanes of two loads) or gathering for larger ones.

def window_row_cases():
    mp, ap = max_pool_case, avg_pool_case
    for ow in list(range(1, 18)) + [24, 33]:
        mp(f"maxpool2d_2x2s2_ow{ow}", (1, 2, 4, 2 * ow), [2, 2], strides=[2, 2])
    for ow in (3, 4, 5, 7, 9, 12):
        mp(f"maxpool2d_float64_2x2s2_ow{ow}", (1, 2, 4, 2 * ow), [2, 2], strides=[2, 2], dtype=np.float64)
        ap(f"avgpool2d_float64_2x2s2_ow{ow}", (1, 2, 4, 2 * ow), [2, 2], strides=[2, 2], dtype=np.float64)
    for ow in (7, 8, 9, 15, 16, 17):
        ap(f"avgpool2d_2x2s2_ow{ow}", (1, 2, 4, 2 * ow), [2, 2], strides=[2, 2])
        ap(f"avgpool2d_3x3s2_pads_ceil_ow{ow}", (1, 2, 5, 2 * ow), [3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
           ceil_mode=1, count_include_pad=1)
        mp(f"maxpool2d_3x3s2_pads_ow{ow}", (1, 2, 5, 2 * ow + 1), [3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        mp(f"maxpool2d_3x3s2_ceil_ow{ow}", (1, 2, 6, 2 * ow), [3, 3], strides=[2, 2], ceil_mode=1)
    for ow in (1, 7, 8, 9, 17):
        mp(f"maxpool2d_3x3s3_ow{ow}", (1, 2, 6, 3 * ow), [3, 3], strides=[3, 3])
        mp(f"maxpool2d_2x2s3_ow{ow}", (1, 2, 6, 3 * ow), [2, 2], strides=[3, 3])
        ap(f"avgpool2d_1x4s4_ow{ow}", (1, 2, 3, 4 * ow), [1, 4], strides=[1, 4])
        mp(f"maxpool2d_2x3s2_dilated_ow{ow}", (1, 2, 5, 2 * ow + 4), [2, 3], strides=[1, 2], dilations=[1, 2])
    mp("maxpool1d_s2_ow40", (1, 3, 81), [3], strides=[2])
    mp("maxpool3d_s2_ow9", (1, 2, 4, 4, 18), [2, 2, 2], strides=[2, 2, 2])
    for dt, ow in ((np.int8, 31), (np.int8, 32), (np.int8, 33), (np.uint8, 40), (np.uint8, 70)):
        mp(f"maxpool2d_{np.dtype(dt).name}_2x2s2_ow{ow}", (1, 2, 4, 2 * ow), [2, 2], strides=[2, 2], dtype=dt,
           opset=12)
        mp(f"maxpool2d_{np.dtype(dt).name}_3x3s1_ow{ow}", (1, 2, 4, ow), [3, 3], pads=[1, 1, 1, 1], dtype=dt,
           opset=12)

    # A NaN never wins a window (b > a is false both ways): windows that hold one give the largest of the
    # other values, all-NaN windows give -inf. As before the vector kernels; the Indices path differs.
    x = rand(1, 2, 4, 36)
    x[0, 0, 0, ::3] = np.nan
    x[0, 1, :2, 8:12] = np.nan
    x[0, 1, 2, 20:] = np.nan
    want = F.max_pool2d(t64(np.where(np.isnan(x), -np.inf, x)), [2, 2], [2, 2]).numpy().astype(np.float32)
    case("maxpool2d_2x2s2_nan", [node("MaxPool", ["X"], ["Y"], kernel_shape=[2, 2], strides=[2, 2])], [("X", x)],
         [("Y", want)])
    want = F.max_pool2d(t64(np.where(np.isnan(x), -np.inf, x)), [3, 3], [1, 1]).numpy().astype(np.float32)
    case("maxpool2d_3x3s1_nan", [node("MaxPool", ["X"], ["Y"], kernel_shape=[3, 3])], [("X", x)], [("Y", want)])
    x = rand(1, 2, 4, 0)
    case("maxpool2d_zero_width", [node("MaxPool", ["X"], ["Y"], kernel_shape=[1, 1])], [("X", x)],
         [("Y", np.zeros((1, 2, 4, 0), np.float32))])
    case("avgpool2d_zero_channels", [node("AveragePool", ["X"], ["Y"], kernel_shape=[2, 2], strides=[2, 2])],
         [("X", rand(1, 0, 4, 4))], [("Y", np.zeros((1, 0, 2, 2), np.float32))])

    for p in (1, 2, 3):
        for ow in (7, 9, 16):
            x = rand(1, 2, 4, 2 * ow)
            y = window_ref(x, "lp", [2, 2], [2, 2], p=float(p))
            lp = node("LpPool", ["X"], ["Y"], kernel_shape=[2, 2], strides=[2, 2], p=p)
            case(f"lppool2d_p{p}_2x2s2_ow{ow}", [lp], [("X", x)], [("Y", y.astype(np.float32))])

    for s in (1, 2, 3):
        for ow in (1, 4, 7, 8, 9, 15, 16, 17, 33):
            conv_case(f"conv2d_depthwise_s{s}_ow{ow}", (1, 3, 5, s * ow), (3, 1, 3, 3), group=3, strides=[s, s],
                      pads=[1, 1, 1, 1])
    conv_case("conv2d_depthwise_s2_dilated", (1, 2, 7, 40), (2, 1, 3, 3), group=2, strides=[2, 2],
              dilations=[2, 2], pads=[2, 2, 2, 2])
    conv_case("conv2d_depthwise_s2_float64", (1, 2, 5, 22), (4, 1, 3, 3), group=2, strides=[2, 2], pads=[1, 1, 1, 1],
              dtype=np.float64)


# ------------------------------------------------------------------------------------------------------
# Errors

def error_cases():
    def e(name, op, nodes, inputs, outputs, expected, **kw):
        error_case(name, nodes, inputs, outputs, [f"{op} node '{nodes[-1].name}'"] + expected, **kw)

    e("conv_channels", "Conv", [node("Conv", ["X", "W"], ["Y"], name="conv3")], [("X", rand(1, 3, 5, 5))],
      [("Y", rand(1))], ["3 channels", "[8,4,3,3]", "code=INVALID_ARGUMENT"], initializers={"W": rand(8, 4, 3, 3)})
    e("conv_kernel_shape_mismatch", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c", kernel_shape=[3, 2])],
      [("X", rand(1, 3, 5, 5))], [("Y", rand(1))], ["kernel_shape [3,2] does not match W [8,3,3,3]"],
      initializers={"W": rand(8, 3, 3, 3)})
    e("conv_bad_auto_pad", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c", auto_pad="SAME")],
      [("X", rand(1, 3, 5, 5))], [("Y", rand(1))], ["auto_pad is 'SAME'"], initializers={"W": rand(2, 3, 3, 3)})
    e("conv_strides_length", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c", strides=[1])],
      [("X", rand(1, 3, 5, 5))], [("Y", rand(1))], ["strides [1] has 1 values; expected 2"],
      initializers={"W": rand(2, 3, 3, 3)})
    e("conv_negative_pads", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c", pads=[1, -1, 0, 0])],
      [("X", rand(1, 3, 5, 5))], [("Y", rand(1))], ["pads [1,-1,0,0] must be >= 0"],
      initializers={"W": rand(2, 3, 3, 3)})
    e("conv_kernel_too_large", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c")],
      [("X", rand(1, 3, 2, 5))], [("Y", rand(1))], ["smaller than the dilated kernel extent 3"],
      initializers={"W": rand(2, 3, 3, 3)})
    e("conv_bias_shape", "Conv", [node("Conv", ["X", "W", "B"], ["Y"], name="c")],
      [("X", rand(1, 3, 5, 5))], [("Y", rand(1))], ["B is [3]; expected [2]"],
      initializers={"W": rand(2, 3, 3, 3), "B": rand(3)})
    e("conv_group_outputs", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c", group=2)],
      [("X", rand(1, 4, 5, 5))], [("Y", rand(1))], ["not a multiple of group 2"],
      initializers={"W": rand(3, 2, 3, 3)})
    e("conv_rank2", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c")], [("X", rand(3, 5))], [("Y", rand(1))],
      ["rank >= 3"], initializers={"W": rand(2, 3, 3)})
    e("conv_4d_spatial", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c")], [("X", rand(1, 1, 2, 2, 2, 2))],
      [("Y", rand(1))], ["4 spatial axes", "code=UNIMPLEMENTED"], initializers={"W": rand(1, 1, 1, 1, 1, 1)})
    e("conv_int64", "Conv", [node("Conv", ["X", "W"], ["Y"], name="ci")], [("X", randint(1, 1, 3, 3))],
      [("Y", randint(1))], ["int64", "code=UNIMPLEMENTED"], initializers={"W": randint(1, 1, 1, 1)})
    e("conv_mixed_dtypes", "Conv", [node("Conv", ["X", "W"], ["Y"], name="c")], [("X", rand(1, 1, 3, 3))],
      [("Y", rand(1))], ["same dtype"], initializers={"W": rand(1, 1, 1, 1, dtype=np.float64)})
    e("convt_channels", "ConvTranspose", [node("ConvTranspose", ["X", "W"], ["Y"], name="ct")],
      [("X", rand(1, 3, 4, 4))], [("Y", rand(1))], ["3 channels", "expects 2"], initializers={"W": rand(2, 2, 3, 3)})
    e("convt_output_shape_length", "ConvTranspose",
      [node("ConvTranspose", ["X", "W"], ["Y"], name="ct", output_shape=[4, 4, 4])], [("X", rand(1, 2, 4, 4))],
      [("Y", rand(1))], ["output_shape [4,4,4] has 3 values"], initializers={"W": rand(2, 2, 3, 3)})
    e("convt_pads_too_large", "ConvTranspose",
      [node("ConvTranspose", ["X", "W"], ["Y"], name="ct", pads=[4, 4, 4, 4])], [("X", rand(1, 2, 2, 2))],
      [("Y", rand(1))], ["too large"], initializers={"W": rand(2, 2, 3, 3)})
    e("convt_int8", "ConvTranspose", [node("ConvTranspose", ["X", "W"], ["Y"], name="ct")],
      [("X", randint(1, 1, 3, 3, dtype=np.int8))], [("Y", randint(1, dtype=np.int8))], ["code=UNIMPLEMENTED"],
      initializers={"W": randint(1, 1, 1, 1, dtype=np.int8)})
    e("maxpool_no_kernel", "MaxPool", [node("MaxPool", ["X"], ["Y"], name="mp")], [("X", rand(1, 1, 4, 4))],
      [("Y", rand(1))], ["kernel_shape attribute is required"])
    e("maxpool_int8_opset11", "MaxPool", [node("MaxPool", ["X"], ["Y"], name="mp", kernel_shape=[2, 2])],
      [("X", randint(1, 1, 4, 4, dtype=np.int8))], [("Y", randint(1, dtype=np.int8))],
      ["int8", "code=UNIMPLEMENTED"], opset=11)
    e("maxpool_int64", "MaxPool", [node("MaxPool", ["X"], ["Y"], name="mp", kernel_shape=[2, 2])],
      [("X", randint(1, 1, 4, 4))], [("Y", randint(1))], ["int64", "code=UNIMPLEMENTED"])
    e("maxpool_storage_order", "MaxPool",
      [node("MaxPool", ["X"], ["Y", "I"], name="mp", kernel_shape=[2, 2], storage_order=2)],
      [("X", rand(1, 1, 4, 4))], [("Y", rand(1)), ("I", randint(1))], ["storage_order is 2"])
    e("maxpool_indices_opset7", "MaxPool", [node("MaxPool", ["X"], ["Y", "I"], name="mp", kernel_shape=[2, 2])],
      [("X", rand(1, 1, 4, 4))], [("Y", rand(1)), ("I", randint(1))], ["Indices output exists from opset 8"],
      opset=7)
    e("maxpool_kernel_rank", "MaxPool", [node("MaxPool", ["X"], ["Y"], name="mp", kernel_shape=[2])],
      [("X", rand(1, 1, 4, 4))], [("Y", rand(1))], ["kernel_shape [2] has 1 values; expected 2"])
    e("avgpool_kernel_too_large", "AveragePool",
      [node("AveragePool", ["X"], ["Y"], name="ap", kernel_shape=[5, 5])], [("X", rand(1, 1, 4, 4))],
      [("Y", rand(1))], ["smaller than the dilated kernel"])
    e("avgpool_uint8", "AveragePool", [node("AveragePool", ["X"], ["Y"], name="ap", kernel_shape=[2, 2])],
      [("X", randint(1, 1, 4, 4, dtype=np.uint8, low=0))], [("Y", randint(1, dtype=np.uint8, low=0))],
      ["uint8", "code=UNIMPLEMENTED"])
    e("lppool_bad_p", "LpPool", [node("LpPool", ["X"], ["Y"], name="lp", kernel_shape=[2, 2], p=0)],
      [("X", rand(1, 1, 4, 4))], [("Y", rand(1))], ["p is 0"])
    e("globalavgpool_rank2", "GlobalAveragePool", [node("GlobalAveragePool", ["X"], ["Y"], name="gap")],
      [("X", rand(2, 3))], [("Y", rand(1))], ["rank >= 3"])


if __name__ == "__main__":
    from opcase import run
    run([check_window_ref, conv_cases, conv_transpose_cases, max_pool_cases, avg_pool_cases, lp_pool_cases,
         global_pool_cases, window_row_cases, error_cases])
