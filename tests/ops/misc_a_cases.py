"""Losses (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss), quantization (QuantizeLinear,
DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv),
data-dependent shapes (NonMaxSuppression, Unique, Compress) and Hardmax, Shrink, Det, ReverseSequence,
MeanVarianceNormalization. References: PyTorch (losses, convolutions) and numpy formulas. See opcase.py."""

import numpy as np
import torch
import torch.nn.functional as F
from onnx import TensorProto

from opcase import case, error_case, node, rand, randint, run, RNG

# ------------------------------------------------------------------------------------------------------
# Losses


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def nll_ref(x, target, weight, reduction, ignore_index):
    ii = -100 if ignore_index is None else ignore_index
    w = None if weight is None else t64(weight)
    y = F.nll_loss(t64(x), torch.from_numpy(target.astype(np.int64)), weight=w, ignore_index=ii, reduction=reduction)
    return y.numpy().astype(x.dtype)


def sce_ref(x, target, weight, reduction, ignore_index):
    ii = -100 if ignore_index is None else ignore_index
    w = None if weight is None else t64(weight)
    tx = t64(x)
    y = F.cross_entropy(tx, torch.from_numpy(target.astype(np.int64)), weight=w, ignore_index=ii, reduction=reduction)
    return y.numpy().astype(x.dtype), F.log_softmax(tx, dim=1).numpy().astype(x.dtype)


def loss_attrs(reduction, ignore_index):
    attrs = {}
    if reduction is not None:
        attrs["reduction"] = reduction
    if ignore_index is not None:
        attrs["ignore_index"] = ignore_index
    return attrs


def loss_cases():
    shapes = {"nc": (5, 4), "ncd1": (3, 4, 6), "ncd1d2": (2, 3, 4, 5)}
    for sname, shape in shapes.items():
        for reduction in (None, "none", "sum", "mean"):
            for weighted in (False, True):
                for ii in (None, 1, -1):
                    x = rand(*shape)
                    tshape = (shape[0],) + shape[2:]
                    t = randint(*tshape, low=0, high=shape[1])
                    if ii is not None:
                        t.flat[::3] = ii  # some targets ignored
                    w = rand(shape[1], low=0.2, high=1.5) if weighted else None
                    red = reduction or "mean"
                    inputs = [("X", x), ("T", t)] + ([("W", w)] if weighted else [])
                    names = [n for n, _ in inputs]
                    tag = f"{sname}_{reduction or 'default'}_{'w' if weighted else 'nw'}_ii{'none' if ii is None else ii}"
                    attrs = loss_attrs(reduction, ii)
                    case(f"nllloss_{tag}", [node("NegativeLogLikelihoodLoss", names, ["L"], **attrs)], inputs,
                         [("L", nll_ref(x, t, w, red, ii))], opset=13)
                    loss, logp = sce_ref(x, t, w, red, ii)
                    case(f"sce_{tag}", [node("SoftmaxCrossEntropyLoss", names, ["L", "P"], **attrs)], inputs,
                         [("L", loss), ("P", logp)], opset=13)
    # float64, int32 targets, opset 12, loss only.
    x = rand(4, 3, 5, dtype=np.float64)
    t = randint(4, 5, low=0, high=3, dtype=np.int32)
    case("nllloss_f64_int32_target_opset12", [node("NegativeLogLikelihoodLoss", ["X", "T"], ["L"], reduction="sum")],
         [("X", x), ("T", t)], [("L", nll_ref(x, t, None, "sum", None))], opset=12)
    case("sce_f64_int32_target_opset12", [node("SoftmaxCrossEntropyLoss", ["X", "T"], ["L"])],
         [("X", x), ("T", t)], [("L", sce_ref(x, t, None, "mean", None)[0])], opset=12)
    # Every target ignored: mean is 0/0 = NaN, as PyTorch.
    x = rand(3, 4)
    t = np.full((3,), 2, np.int64)
    case("nllloss_all_ignored_mean_nan", [node("NegativeLogLikelihoodLoss", ["X", "T"], ["L"], ignore_index=2)],
         [("X", x), ("T", t)], [("L", np.array(np.nan, np.float32))], opset=13)
    # Large scores: log-softmax must not overflow.
    x = (rand(2, 5) * 500).astype(np.float32)
    t = np.array([1, 4], np.int64)
    loss, logp = sce_ref(x, t, None, "none", None)
    case("sce_large_scores", [node("SoftmaxCrossEntropyLoss", ["X", "T"], ["L", "P"], reduction="none")],
         [("X", x), ("T", t)], [("L", loss), ("P", logp)], opset=13)
    # Zero-sized batch; symbolic batch.
    x = rand(0, 3, 2)
    t = np.zeros((0, 2), np.int64)
    case("nllloss_empty_none", [node("NegativeLogLikelihoodLoss", ["X", "T"], ["L"], reduction="none")],
         [("X", x), ("T", t)], [("L", np.zeros((0, 2), np.float32))], opset=13)
    case("sce_empty_sum", [node("SoftmaxCrossEntropyLoss", ["X", "T"], ["L"], reduction="sum")],
         [("X", x), ("T", t)], [("L", np.array(0, np.float32))], opset=13)
    x = rand(6, 4, 3)
    t = randint(6, 3, low=0, high=4)
    case("nllloss_symbolic_batch", [node("NegativeLogLikelihoodLoss", ["X", "T"], ["L"], reduction="none")],
         [("X", x), ("T", t)], [("L", nll_ref(x, t, None, "none", None))], opset=13,
         input_shapes={"X": ["batch", 4, 3], "T": ["batch", 3]}, expect_shape="[batch,3]")
    case("sce_symbolic_batch_mean", [node("SoftmaxCrossEntropyLoss", ["X", "T"], ["L"])],
         [("X", x), ("T", t)], [("L", sce_ref(x, t, None, "mean", None)[0])], opset=13,
         input_shapes={"X": ["batch", 4, 3], "T": ["batch", 3]}, expect_shape="[]")


def loss_error_cases():
    x, t = rand(3, 4), np.array([0, 7, 1], np.int64)
    error_case("nllloss_target_out_of_range", [node("NegativeLogLikelihoodLoss", ["X", "T"], ["L"])],
               [("X", x), ("T", t)], [("L", x)],
               ["NegativeLogLikelihoodLoss node 'negativeloglikelihoodloss_node'", "target 7", "[0, 4)"])
    error_case("sce_target_negative", [node("SoftmaxCrossEntropyLoss", ["X", "T"], ["L"], ignore_index=5)],
               [("X", x), ("T", np.array([0, -1, 1], np.int64))], [("L", x)], ["target -1", "ignore_index 5"])
    error_case("nllloss_bad_reduction", [node("NegativeLogLikelihoodLoss", ["X", "T"], ["L"], reduction="avg")],
               [("X", x), ("T", np.array([0, 1, 1], np.int64))], [("L", x)], ["reduction is 'avg'"])
    error_case("nllloss_target_shape", [node("NegativeLogLikelihoodLoss", ["X", "T"], ["L"])],
               [("X", rand(3, 4, 2)), ("T", np.zeros((3, 3), np.int64))], [("L", x)], ["does not match scores"])
    error_case("sce_int_scores_unimplemented", [node("SoftmaxCrossEntropyLoss", ["X", "T"], ["L"])],
               [("X", randint(3, 4, dtype=np.int32)), ("T", np.array([0, 1, 1], np.int64))], [("L", x)],
               ["code=UNIMPLEMENTED"])


# ------------------------------------------------------------------------------------------------------
# Quantization

QRANGE = {np.uint8: (0, 255), np.int8: (-128, 127)}


def quantize_ref(x, scale, zp, qtype):
    lo, hi = QRANGE[qtype]
    y = np.rint(x.astype(np.float32) / scale.astype(np.float32)) + zp.astype(np.float32)
    return np.clip(y, lo, hi).astype(qtype)


def expand_axis(v, rank, axis):
    shape = [1] * rank
    shape[axis] = -1
    return v.reshape(shape)


def expand_block(v, axis, block, n):
    return np.repeat(v, block, axis=axis).take(np.arange(n), axis=axis)


def quantize_cases():
    # Ties round half to even; saturation both ways.
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 300.0, -300.0, 127.4, -129.0, 3.2, 0.0], np.float32)
    for qtype in (np.uint8, np.int8):
        for zp_val in (0, 3):
            s, zp = np.array(1.0, np.float32), np.array(zp_val, qtype)
            for opset in (10, 13, 19, 21):
                case(f"quantize_{np.dtype(qtype).name}_zp{zp_val}_opset{opset}",
                     [node("QuantizeLinear", ["X", "S", "Z"], ["Y"])], [("X", x), ("S", s), ("Z", zp)],
                     [("Y", quantize_ref(x, s, zp, qtype))], opset=opset)
    x = rand(3, 5, low=-20, high=20)
    s = np.array(0.1, np.float32)
    case("quantize_no_zero_point_uint8", [node("QuantizeLinear", ["X", "S"], ["Y"])], [("X", x), ("S", s)],
         [("Y", quantize_ref(x, s, np.array(0, np.uint8), np.uint8))], opset=13)
    case("quantize_output_dtype_int8_opset21", [node("QuantizeLinear", ["X", "S"], ["Y"], output_dtype=TensorProto.INT8)],
         [("X", x), ("S", s)], [("Y", quantize_ref(x, s, np.array(0, np.int8), np.int8))], opset=21)
    xi = randint(4, 3, dtype=np.int32, low=-600, high=600)
    case("quantize_int32_input", [node("QuantizeLinear", ["X", "S", "Z"], ["Y"])],
         [("X", xi), ("S", np.array(4.0, np.float32)), ("Z", np.array(-3, np.int8))],
         [("Y", quantize_ref(xi, np.array(4.0, np.float32), np.array(-3, np.int8), np.int8))], opset=13)
    # Per axis (13+): axis 1, negative axis, axis 0.
    x = rand(2, 3, 4, low=-5, high=5)
    for axis in (1, -1, 0):
        n = x.shape[axis]
        s = rand(n, low=0.02, high=0.1)
        zp = randint(n, low=0, high=40).astype(np.uint8)
        ax = axis % 3
        y = quantize_ref(x, expand_axis(s, 3, ax), expand_axis(zp, 3, ax), np.uint8)
        case(f"quantize_per_axis_{axis}", [node("QuantizeLinear", ["X", "S", "Z"], ["Y"], axis=axis)],
             [("X", x), ("S", s), ("Z", zp)], [("Y", y)], opset=13)
    # Blocked (21).
    x = rand(4, 6, low=-3, high=3)
    s = rand(4, 2, low=0.01, high=0.05)
    zp = randint(4, 2, low=-10, high=10).astype(np.int8)
    y = quantize_ref(x, expand_block(s, 1, 4, 6), expand_block(zp, 1, 4, 6), np.int8)
    case("quantize_blocked_opset21", [node("QuantizeLinear", ["X", "S", "Z"], ["Y"], axis=1, block_size=4)],
         [("X", x), ("S", s), ("Z", zp)], [("Y", y)], opset=21)
    # Empty and symbolic.
    case("quantize_empty", [node("QuantizeLinear", ["X", "S"], ["Y"])],
         [("X", rand(0, 3)), ("S", np.array(0.5, np.float32))], [("Y", np.zeros((0, 3), np.uint8))], opset=13)
    x = rand(5, 4)
    case("quantize_symbolic", [node("QuantizeLinear", ["X", "S", "Z"], ["Y"])],
         [("X", x), ("S", np.array(0.02, np.float32)), ("Z", np.array(128, np.uint8))],
         [("Y", quantize_ref(x, np.array(0.02, np.float32), np.array(128, np.uint8), np.uint8))], opset=13,
         input_shapes={"X": ["batch", 4]}, expect_shape="[batch,4]")


def dequantize_ref(x, scale, zp):
    return ((x.astype(np.int64) - zp.astype(np.int64)).astype(np.float32) * scale).astype(np.float32)


def dequantize_cases():
    for qtype in (np.uint8, np.int8):
        lo, hi = QRANGE[qtype]
        x = RNG.integers(lo, hi + 1, size=(3, 4)).astype(qtype)
        s, zp = np.array(0.25, np.float32), np.array(7, qtype)
        for opset in (10, 13, 19, 21):
            case(f"dequantize_{np.dtype(qtype).name}_opset{opset}", [node("DequantizeLinear", ["X", "S", "Z"], ["Y"])],
                 [("X", x), ("S", s), ("Z", zp)], [("Y", dequantize_ref(x, s, zp))], opset=opset)
    x = randint(6, dtype=np.int32, low=-100000, high=100000)
    case("dequantize_int32_no_zp", [node("DequantizeLinear", ["X", "S"], ["Y"])],
         [("X", x), ("S", np.array(0.001, np.float32))],
         [("Y", dequantize_ref(x, np.array(0.001, np.float32), np.array(0, np.int32)))], opset=13)
    x = RNG.integers(0, 256, size=(2, 3, 4)).astype(np.uint8)
    for axis in (1, -1):
        n = x.shape[axis]
        s, zp = rand(n, low=0.1, high=1.0), randint(n, low=0, high=255).astype(np.uint8)
        ax = axis % 3
        case(f"dequantize_per_axis_{axis}", [node("DequantizeLinear", ["X", "S", "Z"], ["Y"], axis=axis)],
             [("X", x), ("S", s), ("Z", zp)], [("Y", dequantize_ref(x, expand_axis(s, 3, ax), expand_axis(zp, 3, ax)))],
             opset=13)
    x = RNG.integers(-128, 128, size=(5, 4)).astype(np.int8)
    s, zp = rand(2, 4, low=0.1, high=1.0), randint(2, 4, low=-5, high=5).astype(np.int8)
    case("dequantize_blocked_opset21", [node("DequantizeLinear", ["X", "S", "Z"], ["Y"], axis=0, block_size=3)],
         [("X", x), ("S", s), ("Z", zp)],
         [("Y", dequantize_ref(x, expand_block(s, 0, 3, 5), expand_block(zp, 0, 3, 5)))], opset=21)


def dynamic_quantize_ref(x):
    mn, mx = min(0.0, float(x.min(initial=0.0))), max(0.0, float(x.max(initial=0.0)))
    scale = np.float32((mx - mn) / 255.0) if mx != mn else np.float32(1.0)
    zp = np.float32(np.clip(np.rint(np.float32(0.0) - np.float32(mn) / scale), 0, 255))
    y = np.clip(np.rint(x / scale) + zp, 0, 255).astype(np.uint8)
    return y, np.array(scale, np.float32), np.array(zp, np.uint8)


def dynamic_quantize_cases():
    for name, x in {"mixed": rand(3, 7, low=-3, high=5), "positive": rand(20, low=0.5, high=9),
                    "negative": rand(2, 2, 5, low=-9, high=-1), "zeros": np.zeros((4,), np.float32),
                    "empty": rand(0, 3)}.items():
        y, s, zp = dynamic_quantize_ref(x)
        case(f"dynamic_quantize_{name}", [node("DynamicQuantizeLinear", ["X"], ["Y", "S", "Z"])], [("X", x)],
             [("Y", y), ("S", s), ("Z", zp)], opset=11)


def quant(*shape, dtype=np.uint8):
    lo, hi = QRANGE[dtype]
    return RNG.integers(lo, hi + 1, size=shape).astype(dtype)


def matmul_integer_cases():
    def ref(a, b, az, bz, a_rows=False):
        a32 = a.astype(np.int32) - (az.astype(np.int32)[:, None] if a_rows else az.astype(np.int32))
        return np.matmul(a32, b.astype(np.int32) - bz.astype(np.int32)).astype(np.int32)

    a, b = quant(4, 5), quant(5, 3)
    az, bz = np.array(12, np.uint8), np.array(200, np.uint8)
    case("matmulinteger_uint8_scalar_zp", [node("MatMulInteger", ["A", "B", "AZ", "BZ"], ["Y"])],
         [("A", a), ("B", b), ("AZ", az), ("BZ", bz)], [("Y", ref(a, b, az, bz))], opset=10)
    case("matmulinteger_no_zp", [node("MatMulInteger", ["A", "B"], ["Y"])], [("A", a), ("B", b)],
         [("Y", ref(a, b, np.array(0), np.array(0)))], opset=13)
    a, b = quant(2, 3, 4, 5, dtype=np.int8), quant(5, 6, dtype=np.int8)
    az, bz = quant(4, dtype=np.int8), quant(6, dtype=np.int8)
    case("matmulinteger_int8_per_row_col", [node("MatMulInteger", ["A", "B", "AZ", "BZ"], ["Y"])],
         [("A", a), ("B", b), ("AZ", az), ("BZ", bz)], [("Y", ref(a, b, az, bz, a_rows=True))], opset=10)
    a, b = quant(2, 1, 3, 4, dtype=np.int8), quant(5, 4, 2, dtype=np.uint8)
    az, bz = np.array(-3, np.int8), np.array(9, np.uint8)
    case("matmulinteger_broadcast_mixed", [node("MatMulInteger", ["A", "B", "AZ", "BZ"], ["Y"])],
         [("A", a), ("B", b), ("AZ", az), ("BZ", bz)], [("Y", ref(a, b, az, bz))], opset=10)
    a, b = quant(5), quant(5, 3)
    case("matmulinteger_1d_a", [node("MatMulInteger", ["A", "B"], ["Y"])], [("A", a), ("B", b)],
         [("Y", ref(a, b, np.array(0), np.array(0)))], opset=10)
    a, b = quant(0, 5), quant(5, 3)
    case("matmulinteger_empty_rows", [node("MatMulInteger", ["A", "B"], ["Y"])], [("A", a), ("B", b)],
         [("Y", np.zeros((0, 3), np.int32))], opset=10)
    a, b = quant(7, 6), quant(6, 4)
    case("matmulinteger_symbolic", [node("MatMulInteger", ["A", "B"], ["Y"])], [("A", a), ("B", b)],
         [("Y", ref(a, b, np.array(0), np.array(0)))], opset=10, input_shapes={"A": ["rows", 6]},
         expect_shape="[rows,4]")


def requantize_ref(acc, mult, yz, qtype):
    lo, hi = QRANGE[qtype]
    f = acc.astype(np.float32) * np.asarray(mult, np.float32)
    return np.clip(np.rint(f) + np.int32(yz), lo, hi).astype(qtype)


def qlinear_matmul_cases():
    for qtype in (np.uint8, np.int8):
        a, b = quant(3, 4, dtype=qtype), quant(4, 5, dtype=qtype)
        az, bz, yz = quant(dtype=qtype), quant(dtype=qtype), np.array(5, qtype)
        as_, bs, ys = np.array(0.05, np.float32), np.array(0.02, np.float32), np.array(0.3, np.float32)
        acc = np.matmul(a.astype(np.int32) - az.astype(np.int32), b.astype(np.int32) - bz.astype(np.int32))
        y = requantize_ref(acc, np.float32(as_ * bs) / ys, yz, qtype)
        name = np.dtype(qtype).name
        case(f"qlinearmatmul_{name}", [node("QLinearMatMul", ["A", "AS", "AZ", "B", "BS", "BZ", "YS", "YZ"], ["Y"])],
             [("A", a), ("AS", as_), ("AZ", az), ("B", b), ("BS", bs), ("BZ", bz), ("YS", ys), ("YZ", yz)],
             [("Y", y)], opset=10)
    # Per-row A, per-column B, batched A, int8 x uint8 -> int8.
    a, b = quant(2, 3, 4, dtype=np.uint8), quant(4, 5, dtype=np.int8)
    az, bz = quant(3, dtype=np.uint8), quant(5, dtype=np.int8)
    as_, bs = rand(3, low=0.01, high=0.1), rand(5, low=0.01, high=0.1)
    ys, yz = np.array(0.2, np.float32), np.array(-4, np.int8)
    acc = np.matmul(a.astype(np.int32) - az.astype(np.int32)[:, None], b.astype(np.int32) - bz.astype(np.int32))
    mult = (as_[:, None] * bs[None, :]).astype(np.float32) / ys
    case("qlinearmatmul_per_row_col_batched",
         [node("QLinearMatMul", ["A", "AS", "AZ", "B", "BS", "BZ", "YS", "YZ"], ["Y"])],
         [("A", a), ("AS", as_), ("AZ", az), ("B", b), ("BS", bs), ("BZ", bz), ("YS", ys), ("YZ", yz)],
         [("Y", requantize_ref(acc, mult, yz, np.int8))], opset=10)


def conv_int_ref(x, w, xz, wz, pads, strides, dilations, group):
    """int32 result of the convolution of (x - xz) and (w - wz) (wz per output channel or scalar)."""
    xf = torch.from_numpy(x.astype(np.float64) - float(xz))
    wzv = np.asarray(wz, np.float64).reshape((-1,) + (1,) * (w.ndim - 1))
    wf = torch.from_numpy(w.astype(np.float64) - wzv)
    spatial = x.ndim - 2
    pad = []
    for i in reversed(range(spatial)):
        pad += [pads[i], pads[i + spatial]]
    xf = F.pad(xf, pad)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[spatial]
    y = conv(xf, wf, stride=strides, dilation=dilations, groups=group)
    return y.numpy().round().astype(np.int32)


def conv_integer_cases():
    configs = [
        ("2d_pads", (1, 2, 5, 6), (3, 2, 3, 3), [1, 1, 1, 1], [1, 1], [1, 1], 1),
        ("2d_stride_asym_pads", (2, 3, 7, 6), (4, 3, 3, 2), [0, 1, 2, 0], [2, 2], [1, 1], 1),
        ("2d_dilation_group", (1, 4, 7, 7), (6, 2, 2, 3), [1, 0, 1, 2], [1, 1], [2, 1], 2),
        ("1d", (2, 3, 9), (2, 3, 4), [2, 1], [2], [1], 1),
        ("3d", (1, 2, 4, 5, 3), (2, 2, 2, 3, 2), [0, 1, 1, 1, 0, 0], [1, 2, 1], [1, 1, 1], 1),
        ("depthwise", (1, 3, 6, 6), (3, 1, 3, 3), [1, 1, 1, 1], [1, 1], [1, 1], 3),
    ]
    for name, xs, ws, pads, strides, dil, group in configs:
        for xt, wt in ((np.uint8, np.uint8), (np.int8, np.int8), (np.uint8, np.int8)):
            x, w = quant(*xs, dtype=xt), quant(*ws, dtype=wt)
            xz = quant(dtype=xt)
            per_channel = xt == np.uint8 and wt == np.int8
            wz = quant(ws[0], dtype=wt) if per_channel else quant(dtype=wt)
            y = conv_int_ref(x, w, xz, wz, pads, strides, dil, group)
            case(f"convinteger_{name}_{np.dtype(xt).name}_{np.dtype(wt).name}",
                 [node("ConvInteger", ["X", "W", "XZ", "WZ"], ["Y"], pads=pads, strides=strides, dilations=dil,
                       group=group)],
                 [("X", x), ("W", w), ("XZ", xz), ("WZ", wz)], [("Y", y)], opset=10)
    x, w = quant(1, 2, 5, 5), quant(2, 2, 3, 3)
    case("convinteger_no_zp_same_upper", [node("ConvInteger", ["X", "W"], ["Y"], auto_pad="SAME_UPPER", strides=[2, 2])],
         [("X", x), ("W", w)], [("Y", conv_int_ref(x, w, 0, 0, [1, 1, 1, 1], [2, 2], [1, 1], 1))], opset=10)
    x = quant(3, 2, 5, 5)
    case("convinteger_symbolic_batch", [node("ConvInteger", ["X", "W"], ["Y"], kernel_shape=[3, 3])],
         [("X", x), ("W", w)], [("Y", conv_int_ref(x, w, 0, 0, [0, 0, 0, 0], [1, 1], [1, 1], 1))], opset=10,
         input_shapes={"X": ["n", 2, 5, 5]}, expect_shape="[n,2,3,3]")
    x = quant(0, 2, 5, 5)
    case("convinteger_empty_batch", [node("ConvInteger", ["X", "W"], ["Y"])], [("X", x), ("W", w)],
         [("Y", np.zeros((0, 2, 3, 3), np.int32))], opset=10)


def qlinear_conv_cases():
    for yt in (np.uint8, np.int8):
        for per_channel in (False, True):
            for with_bias in (False, True):
                x, w = quant(2, 4, 6, 5, dtype=np.uint8), quant(6, 2, 3, 3, dtype=np.int8)
                xs, xz = np.array(0.02, np.float32), np.array(120, np.uint8)
                m = 6
                ws = rand(m, low=0.005, high=0.02) if per_channel else np.array(0.01, np.float32)
                wz = quant(m, dtype=np.int8) if per_channel else np.array(3, np.int8)
                ys, yz = np.array(0.1, np.float32), np.array(10 if yt == np.uint8 else -10, yt)
                b = randint(m, dtype=np.int32, low=-2000, high=2000)
                acc = conv_int_ref(x, w, xz, wz, [1, 0, 1, 1], [1, 2], [1, 1], 2)
                if with_bias:
                    acc = acc + b.reshape(1, -1, 1, 1)
                mult = (xs * np.broadcast_to(ws, (m,))).astype(np.float32) / ys
                y = requantize_ref(acc, mult.reshape(1, -1, 1, 1), yz, yt)
                inputs = [("X", x), ("XS", xs), ("XZ", xz), ("W", w), ("WS", ws), ("WZ", wz), ("YS", ys), ("YZ", yz)]
                if with_bias:
                    inputs.append(("B", b))
                case(f"qlinearconv_{np.dtype(yt).name}_{'pc' if per_channel else 'pt'}_{'bias' if with_bias else 'nobias'}",
                     [node("QLinearConv", [n for n, _ in inputs], ["Y"], pads=[1, 0, 1, 1], strides=[1, 2], group=2)],
                     inputs, [("Y", y)], opset=10)


def quantize_error_cases():
    x = rand(2, 3)
    error_case("quantize_float64_unimplemented", [node("QuantizeLinear", ["X", "S"], ["Y"])],
               [("X", x.astype(np.float64)), ("S", np.array(1.0, np.float32))], [("Y", np.zeros(1, np.uint8))],
               ["code=UNIMPLEMENTED", "QuantizeLinear node 'quantizelinear_node'"])
    error_case("quantize_per_axis_before_opset13", [node("QuantizeLinear", ["X", "S"], ["Y"])],
               [("X", x), ("S", rand(3, low=0.1, high=1))], [("Y", np.zeros(1, np.uint8))],
               ["expected a scalar before opset 13"], opset=10)
    error_case("quantize_scale_length", [node("QuantizeLinear", ["X", "S"], ["Y"], axis=1)],
               [("X", x), ("S", rand(2, low=0.1, high=1))], [("Y", np.zeros(1, np.uint8))],
               ["y_scale is [2]", "expected a scalar or [3]"], opset=13)
    error_case("quantize_output_dtype_int16", [node("QuantizeLinear", ["X", "S"], ["Y"], output_dtype=TensorProto.INT16)],
               [("X", x), ("S", np.array(1.0, np.float32))], [("Y", np.zeros(1, np.uint8))], ["code=UNIMPLEMENTED"],
               opset=21)
    error_case("matmulinteger_inner_mismatch", [node("MatMulInteger", ["A", "B"], ["Y"])],
               [("A", quant(2, 3)), ("B", quant(4, 2))], [("Y", np.zeros(1, np.int32))], ["inner dimensions 3 and 4"])
    error_case("matmulinteger_float_unimplemented", [node("MatMulInteger", ["A", "B"], ["Y"])],
               [("A", rand(2, 3)), ("B", rand(3, 2))], [("Y", np.zeros(1, np.int32))], ["code=UNIMPLEMENTED"])
    error_case("convinteger_bad_zero_point", [node("ConvInteger", ["X", "W", "XZ"], ["Y"])],
               [("X", quant(1, 2, 4, 4)), ("W", quant(3, 2, 2, 2)), ("XZ", quant(2))], [("Y", np.zeros(1, np.int32))],
               ["input 2 is [2]", "expected a scalar"])


# ------------------------------------------------------------------------------------------------------
# NonMaxSuppression, Unique, Compress


def nms_ref(boxes, scores, max_out, iou_th, score_th, center):
    def corners(b):
        if center:
            return b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2
        return min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])

    def iou(a, b):
        ay1, ax1, ay2, ax2 = corners(a)
        by1, bx1, by2, bx2 = corners(b)
        iw, ih = min(ax2, bx2) - max(ax1, bx1), min(ay2, by2) - max(ay1, by1)
        if iw <= 0 or ih <= 0:
            return 0.0
        inter = iw * ih
        area_a, area_b = (ax2 - ax1) * (ay2 - ay1), (bx2 - bx1) * (by2 - by1)
        return inter / (area_a + area_b - inter)

    out = []
    B, C, N = scores.shape
    for b in range(B):
        for c in range(C):
            s = scores[b, c]
            order = sorted((i for i in range(N) if score_th is None or s[i] > score_th), key=lambda i: (-s[i], i))
            sel = []
            for i in order:
                if len(sel) >= max_out:
                    break
                if all(iou(boxes[b, i], boxes[b, j]) <= iou_th for j in sel):
                    sel.append(i)
            out += [[b, c, i] for i in sel]
    return np.array(out, np.int64).reshape(-1, 3)


def random_boxes(b, n, center):
    pos = rand(b, n, 2, low=0, high=10)
    size = rand(b, n, 2, low=0.5, high=4)
    if center:
        return np.concatenate([pos, size], axis=2).astype(np.float32)
    corners = np.concatenate([pos, pos + size], axis=2)
    flip = RNG.random((b, n)) < 0.3  # some boxes given by the other diagonal
    corners[flip] = corners[flip][:, [2, 3, 0, 1]]
    return corners.astype(np.float32)


def nms_cases():
    for center in (0, 1):
        for max_out, iou_th, score_th in ((3, 0.5, None), (10, 0.3, 0.4), (0, 0.5, None), (100, 0.0, 0.2)):
            boxes = random_boxes(2, 12, center)
            scores = rand(2, 3, 12, low=0, high=1)
            inputs = [("B", boxes), ("S", scores), ("M", np.array([max_out], np.int64)),
                      ("I", np.array([iou_th], np.float32))]
            if score_th is not None:
                inputs.append(("T", np.array([score_th], np.float32)))
            y = nms_ref(boxes, scores, max_out, iou_th, score_th, center)
            name = f"nms_c{center}_max{max_out}_iou{iou_th}_st{score_th}".replace(".", "p")
            case(name, [node("NonMaxSuppression", [n for n, _ in inputs], ["Y"], center_point_box=center)], inputs,
                 [("Y", y)], opset=11)
    boxes, scores = random_boxes(1, 6, 0), rand(1, 2, 6, low=0, high=1)
    case("nms_opset10_defaults", [node("NonMaxSuppression", ["B", "S"], ["Y"])], [("B", boxes), ("S", scores)],
         [("Y", np.zeros((0, 3), np.int64))], opset=10)
    # Equal scores: lower index first; thresholds as initializers; zero boxes.
    boxes = np.array([[[0, 0, 1, 1], [0, 0, 1, 1], [5, 5, 6, 6], [0, 0, 1, 1.1]]], np.float32)
    scores = np.array([[[0.5, 0.5, 0.5, 0.9]]], np.float32)
    case("nms_ties_and_initializers", [node("NonMaxSuppression", ["B", "S", "M", "I"], ["Y"])],
         [("B", boxes), ("S", scores)], [("Y", nms_ref(boxes, scores, 5, 0.5, None, 0))], opset=11,
         initializers={"M": np.array([5], np.int64), "I": np.array([0.5], np.float32)})
    case("nms_no_boxes", [node("NonMaxSuppression", ["B", "S", "M"], ["Y"])],
         [("B", np.zeros((2, 0, 4), np.float32)), ("S", np.zeros((2, 3, 0), np.float32)),
          ("M", np.array([4], np.int64))], [("Y", np.zeros((0, 3), np.int64))], opset=11)
    boxes, scores = random_boxes(3, 8, 0), rand(3, 2, 8, low=0, high=1)
    case("nms_symbolic", [node("NonMaxSuppression", ["B", "S", "M", "I"], ["Y"])],
         [("B", boxes), ("S", scores), ("M", np.array([2], np.int64)), ("I", np.array([0.4], np.float32))],
         [("Y", nms_ref(boxes, scores, 2, 0.4, None, 0))], opset=11,
         input_shapes={"B": ["batch", "n", 4], "S": ["batch", 2, "n"]}, expect_shape="[?,3]")


def unique_ref(x, sorted_, axis):
    y, idx, inv, cnt = np.unique(x, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    inv = inv.reshape(-1)
    if not sorted_:
        order = np.argsort(idx, kind="stable")
        y = np.take(y, order, axis=0 if axis is None else axis)
        idx, cnt = idx[order], cnt[order]
        new_pos = np.empty_like(order)
        new_pos[order] = np.arange(len(order))
        inv = new_pos[inv]
    return y, idx.astype(np.int64), inv.astype(np.int64), cnt.astype(np.int64)


def unique_cases():
    inputs = {
        "float": np.array([2.0, -1.0, 2.0, 0.5, -1.0, 3.0, 0.5, 2.0], np.float32),
        "int64": randint(3, 5, low=0, high=6),
        "int32": randint(10, dtype=np.int32, low=-3, high=3),
        "uint8": randint(4, 4, dtype=np.uint8, low=0, high=4),
        "float64": rand(6, dtype=np.float64).round(0),
        "bool": np.array([True, False, True, True]),
    }
    for name, x in inputs.items():
        for sorted_ in (1, 0):
            y, idx, inv, cnt = unique_ref(x, sorted_, None)
            case(f"unique_{name}_sorted{sorted_}", [node("Unique", ["X"], ["Y", "I", "V", "C"], sorted=sorted_)],
                 [("X", x)], [("Y", y), ("I", idx), ("V", inv), ("C", cnt)], opset=11)
    x = randint(2, 5, 3, low=0, high=2)
    x[:, 3] = x[:, 1]
    for axis in (1, -2, 0, 2):
        for sorted_ in (1, 0):
            y, idx, inv, cnt = unique_ref(x, sorted_, axis % 3)
            case(f"unique_axis{axis}_sorted{sorted_}".replace("-", "m"),
                 [node("Unique", ["X"], ["Y", "I", "V", "C"], sorted=sorted_, axis=axis)],
                 [("X", x)], [("Y", y), ("I", idx), ("V", inv), ("C", cnt)], opset=11)
    x = np.array([1.0, np.nan, 1.0, np.nan, -0.0, 0.0], np.float32)
    case("unique_nan_and_signed_zero", [node("Unique", ["X"], ["Y", "", "", "C"])], [("X", x)],
         [("Y", np.array([0.0, 1.0, np.nan], np.float32)), ("C", np.array([2, 2, 2], np.int64))], opset=11)
    case("unique_empty", [node("Unique", ["X"], ["Y", "I", "V", "C"])], [("X", np.zeros((0, 2), np.float32))],
         [("Y", np.zeros(0, np.float32)), ("I", np.zeros(0, np.int64)), ("V", np.zeros(0, np.int64)),
          ("C", np.zeros(0, np.int64))], opset=11)
    x = randint(7, low=0, high=3)
    y, idx, inv, cnt = unique_ref(x, 1, None)
    case("unique_symbolic_y_only", [node("Unique", ["X"], ["Y"])], [("X", x)], [("Y", y)], opset=11,
         input_shapes={"X": ["n"]}, expect_shape="[?]")


def compress_cases():
    x = rand(3, 4, 2)
    for axis in (None, 0, 1, 2, -1, -3):
        n = x.size if axis is None else x.shape[axis]
        cond = RNG.random(n) < 0.5
        cond[0] = True
        for short in (False, True):
            c = cond[: n - 1] if short else cond
            y = np.compress(c, x, axis=axis)
            attrs = {} if axis is None else {"axis": axis}
            opset = 11 if axis is not None and axis < 0 else 9
            tag = f"compress_axis{'none' if axis is None else axis}{'_short' if short else ''}".replace("-", "m")
            case(tag, [node("Compress", ["X", "C"], ["Y"], **attrs)], [("X", x), ("C", c)], [("Y", y)], opset=opset)
    # Condition known while planning (static shape), other dtypes, all false, empty input.
    xi = randint(5, 3)
    c = np.array([True, False, True, True, False])
    case("compress_constant_condition_int64", [node("Compress", ["X", "C"], ["Y"], axis=0)], [("X", xi)],
         [("Y", np.compress(c, xi, axis=0))], opset=11, initializers={"C": c})
    xb = RNG.random((2, 5)) < 0.5
    case("compress_bool_input", [node("Compress", ["X", "C"], ["Y"], axis=1)], [("X", xb), ("C", c)],
         [("Y", np.compress(c, xb, axis=1))], opset=11)
    xu = randint(6, dtype=np.uint8, low=0, high=200)
    case("compress_all_false", [node("Compress", ["X", "C"], ["Y"])], [("X", xu), ("C", np.zeros(6, bool))],
         [("Y", np.zeros(0, np.uint8))], opset=11)
    case("compress_empty_axis", [node("Compress", ["X", "C"], ["Y"], axis=1)],
         [("X", rand(2, 0, 3)), ("C", np.zeros(0, bool))], [("Y", np.zeros((2, 0, 3), np.float32))], opset=11)
    x = rand(4, 3, dtype=np.float64)
    c = np.array([False, True, True])
    case("compress_symbolic", [node("Compress", ["X", "C"], ["Y"], axis=1)], [("X", x), ("C", c)],
         [("Y", np.compress(c, x, axis=1))], opset=11, input_shapes={"X": ["batch", 3]}, expect_shape="[batch,?]")


def dynamic_error_cases():
    error_case("nms_bad_boxes_shape", [node("NonMaxSuppression", ["B", "S"], ["Y"])],
               [("B", rand(1, 4, 3)), ("S", rand(1, 1, 4))], [("Y", np.zeros(1, np.int64))],
               ["NonMaxSuppression node 'nonmaxsuppression_node'", "expected [batch, boxes, 4]"])
    error_case("nms_bad_center_point_box", [node("NonMaxSuppression", ["B", "S"], ["Y"], center_point_box=2)],
               [("B", rand(1, 4, 4)), ("S", rand(1, 1, 4))], [("Y", np.zeros(1, np.int64))], ["center_point_box is 2"])
    error_case("unique_axis_out_of_range", [node("Unique", ["X"], ["Y"], axis=2)], [("X", rand(2, 3))],
               [("Y", rand(1))], ["axis 2 is out of range"])
    error_case("compress_condition_too_long", [node("Compress", ["X", "C"], ["Y"], axis=0)],
               [("X", rand(2, 3)), ("C", np.array([True, False, True]))], [("Y", rand(1))],
               ["Compress node 'compress_node'", "condition entry 2 is true", "only 2"], opset=11)
    error_case("compress_negative_axis_opset9", [node("Compress", ["X", "C"], ["Y"], axis=-1)],
               [("X", rand(2, 3)), ("C", np.array([True, False, True]))], [("Y", rand(1))],
               ["negative axes need opset 11"], opset=9)
    error_case("compress_float_condition", [node("Compress", ["X", "C"], ["Y"])],
               [("X", rand(2, 3)), ("C", rand(3))], [("Y", rand(1))], ["code=UNIMPLEMENTED"], opset=11)


# ------------------------------------------------------------------------------------------------------
# Hardmax, Shrink, Det, ReverseSequence, MeanVarianceNormalization


def hardmax_ref(x, axis, coerce):
    if coerce:
        rows = int(np.prod(x.shape[:axis]))
        flat = x.reshape(rows, -1)
        y = np.zeros_like(flat)
        if flat.shape[1]:
            y[np.arange(rows), np.argmax(flat, axis=1)] = 1
        return y.reshape(x.shape)
    idx = np.expand_dims(np.argmax(x, axis=axis), axis)
    y = np.zeros_like(x)
    np.put_along_axis(y, idx, 1, axis=axis)
    return y


def hardmax_cases():
    x = rand(2, 3, 4)
    x[0, 1, :2] = 5.0  # ties: the first wins
    for opset in (11, 13):
        for axis in (None, 0, 1, 2, -1):
            coerce = opset < 13
            a = (1 if coerce else -1) if axis is None else axis
            attrs = {} if axis is None else {"axis": axis}
            y = hardmax_ref(x, a % 3 if not coerce or a < 0 else a, coerce)
            case(f"hardmax_opset{opset}_axis{'none' if axis is None else axis}".replace("-", "m"),
                 [node("Hardmax", ["X"], ["Y"], **attrs)], [("X", x)], [("Y", y)], opset=opset)
    xd = rand(3, 5, dtype=np.float64)
    case("hardmax_float64_axis3_coerce", [node("Hardmax", ["X"], ["Y"], axis=2)], [("X", xd)],
         [("Y", hardmax_ref(xd, 2, True))], opset=9)
    case("hardmax_empty", [node("Hardmax", ["X"], ["Y"])], [("X", rand(0, 4))], [("Y", np.zeros((0, 4), np.float32))],
         opset=13)
    x = rand(5, 6)
    case("hardmax_symbolic", [node("Hardmax", ["X"], ["Y"])], [("X", x)], [("Y", hardmax_ref(x, 1, False))], opset=13,
         input_shapes={"X": ["n", 6]}, expect_shape="[n,6]")


def shrink_ref(x, lambd, bias):
    xf = x.astype(np.float64)
    return np.where(xf < -lambd, xf + bias, np.where(xf > lambd, xf - bias, 0)).astype(x.dtype)


def shrink_cases():
    for name, x in {"float32": rand(3, 7), "float64": rand(20, dtype=np.float64),
                    "int64": randint(10), "int32": randint(2, 5, dtype=np.int32), "int8": randint(9, dtype=np.int8),
                    "uint8": randint(8, dtype=np.uint8, low=0, high=40)}.items():
        for lambd, bias in ((None, None), (1.5, 0.0), (0.5, 1.5)):
            attrs = {}
            if lambd is not None:
                attrs = {"lambd": lambd, "bias": bias}
            y = shrink_ref(x, 0.5 if lambd is None else lambd, 0.0 if bias is None else bias)
            case(f"shrink_{name}_l{lambd}_b{bias}".replace(".", "p"), [node("Shrink", ["X"], ["Y"], **attrs)],
                 [("X", x)], [("Y", y)], opset=9)
    x = rand(4, 3)
    case("shrink_symbolic", [node("Shrink", ["X"], ["Y"], lambd=1.0, bias=0.25)], [("X", x)],
         [("Y", shrink_ref(x, 1.0, 0.25))], opset=13, input_shapes={"X": ["n", 3]}, expect_shape="[n,3]")


def det_cases():
    for name, x in {"2d": rand(3, 3), "batched": rand(2, 4, 5, 5), "float64": rand(3, 6, 6, dtype=np.float64),
                    "one": rand(2, 1, 1), "singular": np.array([[1, 2, 3], [2, 4, 6], [0, 1, 1]], np.float32),
                    "pivot": np.array([[0, 1, 2], [1, 0, 3], [4, -3, 8]], np.float32)}.items():
        case(f"det_{name}", [node("Det", ["X"], ["Y"])], [("X", x)],
             [("Y", np.linalg.det(x.astype(np.float64)).astype(x.dtype))], opset=11)
    case("det_empty_batch", [node("Det", ["X"], ["Y"])], [("X", rand(0, 3, 3))], [("Y", np.zeros(0, np.float32))],
         opset=11)
    case("det_zero_size_matrix", [node("Det", ["X"], ["Y"])], [("X", rand(2, 0, 0))], [("Y", np.ones(2, np.float32))],
         opset=11)
    x = rand(4, 3, 3)
    case("det_symbolic", [node("Det", ["X"], ["Y"])], [("X", x)],
         [("Y", np.linalg.det(x.astype(np.float64)).astype(np.float32))], opset=11,
         input_shapes={"X": ["b", 3, 3]}, expect_shape="[b]")


def reverse_sequence_ref(x, lens, batch_axis, time_axis):
    y = x.copy()
    for b, n in enumerate(lens):
        if time_axis == 0:
            y[:n, b] = x[:n, b][::-1]
        else:
            y[b, :n] = x[b, :n][::-1]
    return y


def reverse_sequence_cases():
    for batch_axis, time_axis in ((1, 0), (0, 1)):
        for name, x in {"f32": rand(4, 4, 3), "i64_2d": randint(5, 3) if time_axis == 0 else randint(3, 5),
                        "u8_4d": randint(4, 3, 2, 2, dtype=np.uint8, low=0, high=200) if time_axis == 0
                        else randint(3, 4, 2, 2, dtype=np.uint8, low=0, high=200)}.items():
            batch, time = x.shape[batch_axis], x.shape[time_axis]
            lens = RNG.integers(0, time + 1, size=batch).astype(np.int64)
            lens[0] = time
            attrs = {} if (batch_axis, time_axis) == (1, 0) else {"batch_axis": batch_axis, "time_axis": time_axis}
            case(f"reversesequence_b{batch_axis}_t{time_axis}_{name}",
                 [node("ReverseSequence", ["X", "L"], ["Y"], **attrs)], [("X", x), ("L", lens)],
                 [("Y", reverse_sequence_ref(x, lens, batch_axis, time_axis))], opset=10)
    x = rand(3, 2, 5, dtype=np.float64)
    lens = np.array([1, 2], np.int64)
    case("reversesequence_symbolic_time", [node("ReverseSequence", ["X", "L"], ["Y"])], [("X", x), ("L", lens)],
         [("Y", reverse_sequence_ref(x, lens, 1, 0))], opset=10, input_shapes={"X": ["t", 2, 5]},
         expect_shape="[t,2,5]")


def mvn_ref(x, axes):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=tuple(axes), keepdims=True)
    var = (x64 ** 2).mean(axis=tuple(axes), keepdims=True) - mean ** 2
    return ((x64 - mean) / (np.sqrt(np.maximum(var, 0)) + 1e-9)).astype(x.dtype)


def mvn_cases():
    x = rand(2, 3, 4, 5)
    for opset in (9, 13):
        case(f"mvn_default_axes_opset{opset}", [node("MeanVarianceNormalization", ["X"], ["Y"])], [("X", x)],
             [("Y", mvn_ref(x, [0, 2, 3]))], opset=opset)
    for axes in ([1], [2, 3], [0, 1, 2, 3], [0, 3], [-1], [1, 3], []):
        case(f"mvn_axes_{'_'.join(str(a) for a in axes) or 'none'}".replace("-", "m"),
             [node("MeanVarianceNormalization", ["X"], ["Y"], axes=axes)], [("X", x)], [("Y", mvn_ref(x, axes))],
             opset=13)
    x3 = rand(4, 1, 6, dtype=np.float64)
    case("mvn_float64_size1_dim", [node("MeanVarianceNormalization", ["X"], ["Y"], axes=[0, 2])], [("X", x3)],
         [("Y", mvn_ref(x3, [0, 2]))], opset=13)
    case("mvn_empty", [node("MeanVarianceNormalization", ["X"], ["Y"])], [("X", rand(0, 3, 2, 2))],
         [("Y", np.zeros((0, 3, 2, 2), np.float32))], opset=13)
    x = rand(3, 2, 4, 4)
    case("mvn_symbolic", [node("MeanVarianceNormalization", ["X"], ["Y"])], [("X", x)], [("Y", mvn_ref(x, [0, 2, 3]))],
         opset=13, input_shapes={"X": ["n", 2, 4, 4]}, expect_shape="[n,2,4,4]")


def misc_error_cases():
    error_case("hardmax_axis_out_of_range", [node("Hardmax", ["X"], ["Y"], axis=3)], [("X", rand(2, 3))],
               [("Y", rand(1))], ["Hardmax node 'hardmax_node'", "axis 3 is out of range"], opset=13)
    error_case("hardmax_int_unimplemented", [node("Hardmax", ["X"], ["Y"])], [("X", randint(2, 3))],
               [("Y", randint(1))], ["code=UNIMPLEMENTED"], opset=13)
    error_case("shrink_bool_unimplemented", [node("Shrink", ["X"], ["Y"])], [("X", np.array([True]))],
               [("Y", np.array([True]))], ["code=UNIMPLEMENTED"], opset=9)
    error_case("det_not_square", [node("Det", ["X"], ["Y"])], [("X", rand(2, 3, 4))], [("Y", rand(1))],
               ["Det node 'det_node'", "expected square matrices"], opset=11)
    error_case("reversesequence_same_axes", [node("ReverseSequence", ["X", "L"], ["Y"], batch_axis=0, time_axis=0)],
               [("X", rand(2, 3)), ("L", np.array([1, 2], np.int64))], [("Y", rand(1))],
               ["batch_axis 0 and time_axis 0"], opset=10)
    error_case("reversesequence_len_out_of_range", [node("ReverseSequence", ["X", "L"], ["Y"])],
               [("X", rand(3, 2)), ("L", np.array([1, 4], np.int64))], [("Y", rand(1))],
               ["sequence_lens[1] is 4", "expected [0, 3]"], opset=10)
    error_case("mvn_axes_out_of_range", [node("MeanVarianceNormalization", ["X"], ["Y"])], [("X", rand(2, 3))],
               [("Y", rand(1))], ["axes [0,2,3] are out of range for rank 2"], opset=13)


if __name__ == "__main__":
    run([loss_cases, loss_error_cases, quantize_cases, dequantize_cases, dynamic_quantize_cases,
         matmul_integer_cases, qlinear_matmul_cases, conv_integer_cases, qlinear_conv_cases, quantize_error_cases,
         nms_cases, unique_cases, compress_cases, dynamic_error_cases, hardmax_cases, shrink_cases, det_cases,
         reverse_sequence_cases, mvn_cases, misc_error_cases])
