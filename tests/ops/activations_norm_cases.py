"""Operator cases of the activations and normalisation family: Elu, Selu, Celu, HardSigmoid, HardSwish,
Softplus, Softsign, Gelu, Mish, ThresholdedRelu, PRelu, Clip, LogSoftmax, LayerNormalization,
InstanceNormalization, GroupNormalization, LpNormalization, LRN, Dropout, Resize and Upsample. References are
PyTorch (float64) and numpy formulas; Resize also against ONNX's own reference interpolation (python3-onnx)
and torch.nn.functional.interpolate. See opcase.py for the layout."""

import math

import numpy as np
import torch
import torch.nn.functional as F
from onnx import TensorProto
from onnx.backend.test.case.node import resize as onnx_resize

from opcase import case, error_case, node, rand, randint


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def sample():
    """Values over the interesting ranges of the activations, plus edge values."""
    return np.concatenate([rand(200, low=-12, high=12), rand(50, low=-0.7, high=0.7),
                           np.array([0.0, -0.0, 1e-4, -1e-4, 1.0, 3.0, -3.0, 30.0, -30.0, 100.0, -100.0, 0.5, -0.5, 1e-6], np.float32)])


# ------------------------------------------------------------------------------------------------------
# Elementwise activations

def activation_cases():
    x = sample()
    xt = t64(x)
    selu_alpha, selu_gamma = 1.67326319217681884765625, 1.05070102214813232421875
    xn = x.astype(np.float64)
    refs = [
        # (op, attrs, reference in float64, opset)
        ("Elu", {}, F.elu(xt).numpy(), 7),
        ("Elu", {"alpha": 0.5}, F.elu(xt, 0.5).numpy(), 21),
        ("Selu", {}, F.selu(xt).numpy(), 7),
        ("Selu", {"alpha": 2.0, "gamma": 3.0}, 3.0 * np.where(xn > 0, xn, 2.0 * np.expm1(np.minimum(xn, 0))), 13),
        ("Celu", {}, F.celu(xt).numpy(), 12),
        ("Celu", {"alpha": 2.5}, F.celu(xt, 2.5).numpy(), 21),
        ("HardSigmoid", {}, np.clip(0.2 * xn + 0.5, 0, 1), 7),
        ("HardSigmoid", {"alpha": 0.1, "beta": 0.3}, np.clip(0.1 * xn + 0.3, 0, 1), 13),
        ("HardSwish", {}, F.hardswish(xt).numpy(), 14),
        ("Softplus", {}, np.logaddexp(0, xn), 7),
        ("Softsign", {}, F.softsign(xt).numpy(), 13),
        ("Gelu", {}, F.gelu(xt).numpy(), 20),
        ("Gelu", {"approximate": "tanh"}, F.gelu(xt, approximate="tanh").numpy(), 20),
        ("Gelu", {"approximate": "none"}, F.gelu(xt).numpy(), 21),
        ("Mish", {}, F.mish(xt).numpy(), 18),
        ("ThresholdedRelu", {}, np.where(xn > 1.0, xn, 0), 10),
        ("ThresholdedRelu", {"alpha": -0.5}, np.where(xn > -0.5, xn, 0), 21),
    ]
    for op, attrs, y, opset in refs:
        suffix = "_".join(f"{k}_{v}" for k, v in attrs.items()).replace(".", "p").replace("-", "m")
        name = f"{op.lower()}_opset{opset}" + (f"_{suffix}" if suffix else "")
        case(f"{name}_f32", [node(op, ["X"], ["Y"], **attrs)], [("X", x.reshape(-1, 24))],
             [("Y", y.astype(np.float32).reshape(-1, 24))], opset=opset)
        case(f"{name}_f64", [node(op, ["X"], ["Y"], **attrs)], [("X", xn)], [("Y", y)], opset=opset)
    # Zero-sized and symbolic shapes.
    for op, opset in (("Elu", 13), ("Softplus", 13), ("Gelu", 20), ("Mish", 18)):
        case(f"{op.lower()}_empty", [node(op, ["X"], ["Y"])], [("X", rand(0, 3))],
             [("Y", np.zeros((0, 3), np.float32))], opset=opset)
    xs = rand(2, 5)
    case("selu_symbolic", [node("Selu", ["X"], ["Y"])], [("X", xs)], [("Y", F.selu(t64(xs)).numpy().astype(np.float32))],
         opset=13, input_shapes={"X": ["batch", 5]}, expect_shape="[batch,5]")


# ------------------------------------------------------------------------------------------------------
# PRelu and Clip

def prelu_ref(x, slope):
    return np.where(x < 0, x * slope, x).astype(x.dtype)


def prelu_cases():
    x = rand(2, 3, 4, 5)
    slopes = {
        "scalar": rand(), "one": rand(1), "channel": rand(3, 1, 1), "last": rand(5), "full": rand(2, 3, 4, 5),
        "rank4_channel": rand(1, 3, 1, 1), "hw": rand(4, 5), "mixed": rand(3, 1, 5),
    }
    for name, s in slopes.items():
        s = np.asarray(s, np.float32)
        case(f"prelu_{name}", [node("PRelu", ["X", "slope"], ["Y"])], [("X", x)], [("Y", prelu_ref(x, s))], opset=9,
             initializers={"slope": s})
    s = rand(3, 1, 1)
    case("prelu_slope_input_opset7", [node("PRelu", ["X", "slope"], ["Y"])], [("X", x), ("slope", s)],
         [("Y", prelu_ref(x, s))], opset=7)
    x64, s64 = rand(3, 7, dtype=np.float64), rand(7, dtype=np.float64)
    case("prelu_f64", [node("PRelu", ["X", "slope"], ["Y"])], [("X", x64), ("slope", s64)],
         [("Y", prelu_ref(x64, s64))], opset=16)
    for dtype, dname in ((np.int32, "i32"), (np.int64, "i64")):
        xi, si = randint(4, 6, dtype=dtype), randint(6, dtype=dtype, low=-3, high=4)
        case(f"prelu_{dname}", [node("PRelu", ["X", "slope"], ["Y"])], [("X", xi), ("slope", si)],
             [("Y", prelu_ref(xi, si))], opset=16)
    xl = rand(3, 70)
    case("prelu_long_rows", [node("PRelu", ["X", "slope"], ["Y"])], [("X", xl)], [("Y", prelu_ref(xl, np.float32(0.1)))],
         opset=16, initializers={"slope": np.array([0.1], np.float32)})
    case("prelu_empty", [node("PRelu", ["X", "slope"], ["Y"])], [("X", rand(0, 3))],
         [("Y", np.zeros((0, 3), np.float32))], opset=16, initializers={"slope": rand(3)})
    case("prelu_symbolic", [node("PRelu", ["X", "slope"], ["Y"])], [("X", x)],
         [("Y", prelu_ref(x, slopes["channel"]))], opset=16, initializers={"slope": slopes["channel"]},
         input_shapes={"X": ["n", 3, 4, 5]}, expect_shape="[n,3,4,5]")


def clip_cases():
    x = np.concatenate([rand(60, low=-3, high=3), np.array([np.nan, np.inf, -np.inf], np.float32)]).reshape(3, 21)
    case("clip_opset7_attrs", [node("Clip", ["X"], ["Y"], min=-1.0, max=0.5)], [("X", x)],
         [("Y", np.clip(x, -1.0, 0.5))], opset=7)
    # A missing bound is numeric_limits lowest()/max() (the Clip-6 spec, and ONNX Runtime at every opset):
    # +-inf inputs become +-FLT_MAX.
    fmax = np.finfo(np.float32).max
    case("clip_opset10_min_only", [node("Clip", ["X"], ["Y"], min=0.0)], [("X", x)], [("Y", np.clip(x, 0, fmax))],
         opset=10)
    case("clip_opset7_default", [node("Clip", ["X"], ["Y"])], [("X", x)],
         [("Y", np.clip(x, np.finfo(np.float32).min, np.finfo(np.float32).max))], opset=7)
    lo, hi = np.array(-0.5, np.float32), np.array(1.5, np.float32)
    for opset in (11, 12, 13):
        case(f"clip_opset{opset}_both", [node("Clip", ["X", "lo", "hi"], ["Y"])], [("X", x), ("lo", lo), ("hi", hi)],
             [("Y", np.clip(x, lo, hi))], opset=opset)
    case("clip_min_only", [node("Clip", ["X", "lo"], ["Y"])], [("X", x)], [("Y", np.clip(x, lo, fmax))], opset=13,
         initializers={"lo": lo})
    case("clip_max_only", [node("Clip", ["X", "", "hi"], ["Y"])], [("X", x)], [("Y", np.clip(x, -fmax, hi))], opset=13,
         initializers={"hi": hi})
    case("clip_none", [node("Clip", ["X"], ["Y"])], [("X", x)], [("Y", np.clip(x, -fmax, fmax))], opset=13)
    case("clip_min_above_max", [node("Clip", ["X", "lo", "hi"], ["Y"])], [("X", x)],
         [("Y", np.minimum(np.maximum(x, hi), lo))], opset=13,
         initializers={"lo": hi, "hi": lo})
    x64 = rand(4, 9, dtype=np.float64)
    case("clip_f64", [node("Clip", ["X", "lo", "hi"], ["Y"])], [("X", x64)], [("Y", np.clip(x64, -0.3, 0.7))],
         opset=13, initializers={"lo": np.array(-0.3), "hi": np.array(0.7)})
    for dtype, dname, lo_i, hi_i in ((np.int8, "i8", -5, 7), (np.uint8, "u8", 3, 200), (np.int32, "i32", -9, 4),
                                     (np.int64, "i64", -7, 11)):
        if dtype == np.uint8:
            xi = randint(5, 20, dtype=dtype, low=0, high=255)
        else:
            xi = randint(5, 20, dtype=dtype)
        case(f"clip_{dname}", [node("Clip", ["X", "lo", "hi"], ["Y"])], [("X", xi)],
             [("Y", np.clip(xi, lo_i, hi_i).astype(dtype))], opset=12,
             initializers={"lo": np.array(lo_i, dtype), "hi": np.array(hi_i, dtype)})
    case("clip_empty", [node("Clip", ["X", "lo"], ["Y"])], [("X", rand(2, 0))], [("Y", np.zeros((2, 0), np.float32))],
         opset=13, initializers={"lo": lo})
    case("clip_bounds_as_inputs_shape1", [node("Clip", ["X", "lo", "hi"], ["Y"])],
         [("X", x), ("lo", lo.reshape(1)), ("hi", hi.reshape(1))], [("Y", np.clip(x, lo, hi))], opset=13)


# ------------------------------------------------------------------------------------------------------
# LogSoftmax

def log_softmax_cases():
    x = rand(2, 3, 20, low=-5, high=5)
    for axis in (None, 0, 1, 2, -1):
        a = 1 if axis is None else axis
        a = a + 3 if a < 0 else a
        flat = x.reshape(int(np.prod(x.shape[:a])), -1)
        y = torch.log_softmax(t64(flat), 1).numpy().reshape(x.shape).astype(np.float32)
        attrs = {} if axis is None else {"axis": axis}
        case(f"logsoftmax_opset11_axis_{'default' if axis is None else axis}".replace("-", "m"),
             [node("LogSoftmax", ["X"], ["Y"], **attrs)], [("X", x)], [("Y", y)], opset=11)
    for axis in (None, 0, 1, -2):
        a = -1 if axis is None else axis
        attrs = {} if axis is None else {"axis": axis}
        case(f"logsoftmax_opset13_axis_{'default' if axis is None else axis}".replace("-", "m"),
             [node("LogSoftmax", ["X"], ["Y"], **attrs)], [("X", x)],
             [("Y", torch.log_softmax(t64(x), a).numpy().astype(np.float32))], opset=13)
    big = np.array([[1000.0, 1001.0, 1002.0, -1000.0], [-3e4, 0.0, 5.0, 3e4]], np.float32)
    case("logsoftmax_large", [node("LogSoftmax", ["X"], ["Y"])], [("X", big)],
         [("Y", torch.log_softmax(t64(big), -1).numpy().astype(np.float32))], opset=13)
    x64 = x.astype(np.float64)
    case("logsoftmax_f64_opset7", [node("LogSoftmax", ["X"], ["Y"])], [("X", x64)],
         [("Y", torch.log_softmax(t64(x64.reshape(2, -1)), 1).numpy().reshape(x.shape))], opset=7)
    case("logsoftmax_empty", [node("LogSoftmax", ["X"], ["Y"])], [("X", rand(0, 4))],
         [("Y", np.zeros((0, 4), np.float32))], opset=13)
    case("logsoftmax_symbolic", [node("LogSoftmax", ["X"], ["Y"])], [("X", x)],
         [("Y", torch.log_softmax(t64(x), -1).numpy().astype(np.float32))], opset=13,
         input_shapes={"X": ["b", 3, 20]}, expect_shape="[b,3,20]")


# ------------------------------------------------------------------------------------------------------
# LayerNormalization, InstanceNormalization, GroupNormalization

def layer_norm_ref(x, scale, bias, axis, eps):
    axis = axis % x.ndim
    axes = tuple(range(axis, x.ndim))
    xd = x.astype(np.float64)
    mean = xd.mean(axis=axes, keepdims=True)
    var = ((xd - mean) ** 2).mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    y = (xd - mean) * inv * scale.astype(np.float64)
    if bias is not None:
        y = y + bias.astype(np.float64)
    return y.astype(x.dtype), mean, inv


def layer_norm_cases():
    x = rand(2, 3, 4, 5)
    for axis in (-1, -2, 1, 0, 3):
        norm_shape = x.shape[axis % 4:]
        scale, bias = rand(*norm_shape), rand(*norm_shape)
        y, mean, inv = layer_norm_ref(x, scale, bias, axis, 1e-5)
        case(f"layernorm_axis_{axis}".replace("-", "m"), [node("LayerNormalization", ["X", "S", "B"], ["Y"], axis=axis)],
             [("X", x)], [("Y", y)], opset=17, initializers={"S": scale, "B": bias})
        case(f"layernorm_axis_{axis}_stats".replace("-", "m"),
             [node("LayerNormalization", ["X", "S", "B"], ["Y", "Mean", "InvStdDev"], axis=axis)],
             [("X", x)], [("Y", y), ("Mean", mean.astype(np.float32)), ("InvStdDev", inv.astype(np.float32))],
             opset=17, initializers={"S": scale, "B": bias})
    # Long rows (vector loops and tails), no bias, epsilon, offset data (the shifted one-pass variance).
    xl = rand(3, 1000) + 100.0
    s = rand(1000)
    y, _, _ = layer_norm_ref(xl, s, None, -1, 1e-3)
    case("layernorm_long_no_bias_eps", [node("LayerNormalization", ["X", "S"], ["Y"], epsilon=1e-3)], [("X", xl)],
         [("Y", y)], opset=17, initializers={"S": s})
    # Scale and bias broadcast to the normalised shape.
    s1, b1 = rand(1), rand(1, 5)
    y, _, _ = layer_norm_ref(x, s1, b1, 2, 1e-5)
    case("layernorm_broadcast_scale_bias", [node("LayerNormalization", ["X", "S", "B"], ["Y"], axis=2)], [("X", x)],
         [("Y", y)], opset=17, initializers={"S": s1, "B": b1})
    # float64, statistics in float64 (stash_type 11) and float32 (stash_type 1).
    x64 = rand(4, 6, dtype=np.float64)
    s64, b64 = rand(6, dtype=np.float64), rand(6, dtype=np.float64)
    y, mean, inv = layer_norm_ref(x64, s64, b64, -1, 1e-5)
    case("layernorm_f64_stash_double", [node("LayerNormalization", ["X", "S", "B"], ["Y", "M", "I"], stash_type=11)],
         [("X", x64), ("S", s64), ("B", b64)], [("Y", y), ("M", mean), ("I", inv)], opset=17)
    case("layernorm_f64_stash_float", [node("LayerNormalization", ["X", "S", "B"], ["Y", "M"])],
         [("X", x64), ("S", s64), ("B", b64)], [("Y", y), ("M", mean.astype(np.float32))], opset=17)
    x32 = rand(4, 6)
    y, mean, inv = layer_norm_ref(x32, s64.astype(np.float32), None, -1, 1e-5)
    case("layernorm_f32_stash_double", [node("LayerNormalization", ["X", "S"], ["Y", "", "I"], stash_type=11)],
         [("X", x32)], [("Y", y), ("I", inv)], opset=17, initializers={"S": s64.astype(np.float32)})
    # Symbolic batch, a constant row (variance 0), zero rows.
    xs = rand(3, 7, 8)
    s, b = rand(8), rand(8)
    y, _, _ = layer_norm_ref(xs, s, b, -1, 1e-5)
    case("layernorm_symbolic", [node("LayerNormalization", ["X", "S", "B"], ["Y"])], [("X", xs)], [("Y", y)],
         opset=18, initializers={"S": s, "B": b}, input_shapes={"X": ["batch", "seq", 8]},
         expect_shape="[batch,seq,8]")
    xc = np.full((2, 8), 3.0, np.float32)
    y, _, _ = layer_norm_ref(xc, s, b, -1, 1e-5)
    case("layernorm_constant_row", [node("LayerNormalization", ["X", "S", "B"], ["Y"])], [("X", xc)], [("Y", y)],
         opset=21, initializers={"S": s, "B": b})
    case("layernorm_zero_rows", [node("LayerNormalization", ["X", "S", "B"], ["Y"])], [("X", rand(0, 8))],
         [("Y", np.zeros((0, 8), np.float32))], opset=17, initializers={"S": s, "B": b})


def instance_norm_cases():
    for shape, eps, opset in (((2, 3, 5), 1e-5, 7), ((2, 3, 4, 5), 1e-2, 13), ((1, 2, 3, 4, 5), 1e-5, 21),
                              ((3, 4, 100), 1e-5, 13)):
        x = rand(*shape) * 3 + 1
        scale, bias = rand(shape[1]), rand(shape[1])
        y = F.instance_norm(t64(x), weight=t64(scale), bias=t64(bias), eps=eps).numpy().astype(np.float32)
        attrs = {} if eps == 1e-5 else {"epsilon": eps}
        case(f"instancenorm_rank{len(shape)}_opset{opset}",
             [node("InstanceNormalization", ["X", "S", "B"], ["Y"], **attrs)], [("X", x)], [("Y", y)], opset=opset,
             initializers={"S": scale, "B": bias})
    x = rand(2, 3, 6, dtype=np.float64)
    scale, bias = rand(3, dtype=np.float64), rand(3, dtype=np.float64)
    y = F.instance_norm(t64(x), weight=t64(scale), bias=t64(bias), eps=1e-5).numpy()
    case("instancenorm_f64_inputs", [node("InstanceNormalization", ["X", "S", "B"], ["Y"])],
         [("X", x), ("S", scale), ("B", bias)], [("Y", y)], opset=13)
    x = rand(2, 3, 4)
    case("instancenorm_symbolic", [node("InstanceNormalization", ["X", "S", "B"], ["Y"])], [("X", x)],
         [("Y", F.instance_norm(t64(x), weight=t64(np.ones(3)), bias=t64(np.zeros(3))).numpy().astype(np.float32))],
         opset=13, initializers={"S": np.ones(3, np.float32), "B": np.zeros(3, np.float32)},
         input_shapes={"X": ["n", 3, "len"]}, expect_shape="[n,3,len]")
    case("instancenorm_empty", [node("InstanceNormalization", ["X", "S", "B"], ["Y"])], [("X", rand(0, 3, 4))],
         [("Y", np.zeros((0, 3, 4), np.float32))], opset=13, initializers={"S": rand(3), "B": rand(3)})


def group_norm_cases():
    for shape, groups in (((2, 6, 5), 3), ((2, 4, 3, 3), 2), ((1, 6, 2, 2, 2), 6), ((3, 8, 40), 1)):
        x = rand(*shape) * 2 + 0.5
        c = shape[1]
        # Opset 21: scale and bias per channel.
        scale, bias = rand(c), rand(c)
        y = F.group_norm(t64(x), groups, t64(scale), t64(bias), eps=1e-5).numpy().astype(np.float32)
        case(f"groupnorm21_rank{len(shape)}_g{groups}", [node("GroupNormalization", ["X", "S", "B"], ["Y"], num_groups=groups)],
             [("X", x)], [("Y", y)], opset=21, initializers={"S": scale, "B": bias})
        # Opset 18: per group, i.e. each channel takes its group's value.
        gs, gb = rand(groups), rand(groups)
        per = c // groups
        y = F.group_norm(t64(x), groups, t64(np.repeat(gs, per)), t64(np.repeat(gb, per)), eps=1e-2).numpy()
        case(f"groupnorm18_rank{len(shape)}_g{groups}",
             [node("GroupNormalization", ["X", "S", "B"], ["Y"], num_groups=groups, epsilon=1e-2)],
             [("X", x)], [("Y", y.astype(np.float32))], opset=18, initializers={"S": gs, "B": gb})
    x = rand(2, 4, 3, dtype=np.float64)
    scale, bias = rand(4, dtype=np.float64), rand(4, dtype=np.float64)
    y = F.group_norm(t64(x), 2, t64(scale), t64(bias), eps=1e-5).numpy()
    case("groupnorm21_f64_stash_double", [node("GroupNormalization", ["X", "S", "B"], ["Y"], num_groups=2, stash_type=11)],
         [("X", x), ("S", scale), ("B", bias)], [("Y", y)], opset=21)
    x = rand(2, 4, 3)
    case("groupnorm_symbolic", [node("GroupNormalization", ["X", "S", "B"], ["Y"], num_groups=2)], [("X", x)],
         [("Y", F.group_norm(t64(x), 2, t64(np.ones(4)), t64(np.zeros(4))).numpy().astype(np.float32))], opset=21,
         initializers={"S": np.ones(4, np.float32), "B": np.zeros(4, np.float32)}, input_shapes={"X": ["n", 4, 3]},
         expect_shape="[n,4,3]")


# ------------------------------------------------------------------------------------------------------
# LpNormalization, LRN

def lp_ref(x, axis, p):
    xd = x.astype(np.float64)
    norm = np.sum(np.abs(xd), axis=axis, keepdims=True) if p == 1 else np.sqrt(np.sum(xd * xd, axis=axis, keepdims=True))
    return np.where(norm == 0, 0, xd / np.where(norm == 0, 1, norm)).astype(x.dtype)


def lp_norm_cases():
    x = rand(3, 4, 37)
    x[1, 2, :] = 0
    x[2, :, 5] = 0
    for p in (1, 2):
        for axis in (-1, 1, 0, 2):
            case(f"lpnorm_p{p}_axis_{axis}".replace("-", "m"), [node("LpNormalization", ["X"], ["Y"], p=p, axis=axis)],
                 [("X", x)], [("Y", lp_ref(x, axis, p))], opset=13)
    case("lpnorm_default", [node("LpNormalization", ["X"], ["Y"])], [("X", x)], [("Y", lp_ref(x, -1, 2))], opset=7)
    x64 = rand(5, 6, dtype=np.float64)
    case("lpnorm_f64", [node("LpNormalization", ["X"], ["Y"], p=1, axis=0)], [("X", x64)], [("Y", lp_ref(x64, 0, 1))],
         opset=13)
    case("lpnorm_empty", [node("LpNormalization", ["X"], ["Y"])], [("X", rand(0, 3))],
         [("Y", np.zeros((0, 3), np.float32))], opset=13)


def lrn_ref(x, size, alpha, beta, bias):
    xd = x.astype(np.float64)
    c = x.shape[1]
    sq = np.zeros_like(xd)
    front, back = (size - 1) // 2, size - 1 - (size - 1) // 2
    for i in range(c):
        lo, hi = max(0, i - front), min(c - 1, i + back)
        sq[:, i] = (xd[:, lo:hi + 1] ** 2).sum(axis=1)
    return (xd / (bias + alpha / size * sq) ** beta).astype(x.dtype)


def lrn_cases():
    x = rand(2, 7, 4, 5)
    for size, alpha, beta, bias in ((3, 1e-4, 0.75, 1.0), (5, 0.1, 0.5, 2.0), (2, 0.2, 0.75, 1.0), (4, 0.5, 1.0, 0.5),
                                    (1, 0.3, 0.6, 1.5)):
        attrs = {"size": size} if (alpha, beta, bias) == (1e-4, 0.75, 1.0) else \
            {"size": size, "alpha": alpha, "beta": beta, "bias": bias}
        y = lrn_ref(x, size, alpha, beta, bias)
        if size % 2 == 1:  # PyTorch centres odd windows as ONNX does
            yt = F.local_response_norm(t64(x), size, alpha, beta, bias).numpy().astype(np.float32)
            assert np.allclose(y, yt, rtol=1e-5, atol=1e-6)
        case(f"lrn_size{size}", [node("LRN", ["X"], ["Y"], **attrs)], [("X", x)], [("Y", y)], opset=13)
    x3 = rand(2, 6, 9, dtype=np.float64)
    case("lrn_rank3_f64", [node("LRN", ["X"], ["Y"], size=3, alpha=0.5, beta=0.75, bias=1.0)], [("X", x3)],
         [("Y", lrn_ref(x3, 3, 0.5, 0.75, 1.0))], opset=7)
    x5 = rand(1, 4, 2, 3, 2)
    case("lrn_rank5_negative_alpha", [node("LRN", ["X"], ["Y"], size=3, alpha=-0.1, beta=0.75, bias=2.0)], [("X", x5)],
         [("Y", lrn_ref(x5, 3, -0.1, 0.75, 2.0))], opset=13)
    case("lrn_empty", [node("LRN", ["X"], ["Y"], size=3)], [("X", rand(0, 3, 2, 2))],
         [("Y", np.zeros((0, 3, 2, 2), np.float32))], opset=13)


# ------------------------------------------------------------------------------------------------------
# Dropout (inference)

def dropout_cases():
    x = rand(3, 4)
    case("dropout_opset7_mask_float", [node("Dropout", ["X"], ["Y", "M"], ratio=0.3)], [("X", x)],
         [("Y", x), ("M", np.ones_like(x))], opset=7)
    case("dropout_opset10_mask_bool", [node("Dropout", ["X"], ["Y", "M"])], [("X", x)],
         [("Y", x), ("M", np.ones(x.shape, bool))], opset=10)
    case("dropout_opset12_ratio", [node("Dropout", ["X", "r"], ["Y"])], [("X", x)], [("Y", x)], opset=12,
         initializers={"r": np.array(0.2, np.float32)})
    case("dropout_opset13_training_false", [node("Dropout", ["X", "r", "t"], ["Y", "M"])], [("X", x)],
         [("Y", x), ("M", np.ones(x.shape, bool))], opset=13,
         initializers={"r": np.array(0.5, np.float32), "t": np.array(False)})
    case("dropout_training_ratio0_inputs", [node("Dropout", ["X", "r", "t"], ["Y", "M"])],
         [("X", x), ("r", np.array(0.0, np.float32)), ("t", np.array(True))], [("Y", x), ("M", np.ones(x.shape, bool))],
         opset=13)
    x64 = rand(2, 5, dtype=np.float64)
    case("dropout_f64_feeds_add", [node("Dropout", ["X"], ["D"]), node("Add", ["D", "X"], ["Y"])], [("X", x64)],
         [("Y", x64 + x64)], opset=13)
    case("dropout_empty", [node("Dropout", ["X"], ["Y", "M"])], [("X", rand(0, 2))],
         [("Y", np.zeros((0, 2), np.float32)), ("M", np.ones((0, 2), bool))], opset=13)
    case("dropout_symbolic", [node("Dropout", ["X"], ["Y"])], [("X", x)], [("Y", x)], opset=13,
         input_shapes={"X": ["n", 4]}, expect_shape="[n,4]")


# ------------------------------------------------------------------------------------------------------
# Resize and Upsample
#
# resize_ref follows the ONNX specification one axis at a time (its reference interpolates axis by axis
# too), in float64. It is checked below against ONNX's own reference (onnx_resize.interpolate_nd, which
# predates opset 18/19) wherever that one applies, and against torch.nn.functional.interpolate.

def source_coordinate(coord, x, scale, n_in, n_out, roi_start, roi_end):
    out_float = scale * n_in
    if coord == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if coord == "half_pixel_symmetric":
        adjustment = n_out / out_float
        return n_in / 2 * (1 - adjustment) + (x + 0.5) / scale - 0.5
    if coord == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if n_out > 1 else 0.0
    if coord == "align_corners":
        return 0.0 if n_out == 1 else x * (n_in - 1) / (out_float - 1)
    if coord == "asymmetric":
        return x / scale
    if coord == "tf_crop_and_resize":
        if n_out > 1:
            return roi_start * (n_in - 1) + x * (roi_end - roi_start) * (n_in - 1) / (n_out - 1)
        return 0.5 * (roi_start + roi_end) * (n_in - 1)
    if coord == "tf_half_pixel_for_nn":
        return (x + 0.5) / scale
    raise ValueError(coord)


def nearest_pick(mode, x, scale):
    f = math.floor(x)
    if mode == "round_prefer_floor":
        return f if x - f <= 0.5 else f + 1
    if mode == "round_prefer_ceil":
        return f if x - f < 0.5 else f + 1
    if mode == "floor":
        return f
    if mode == "ceil":
        return math.ceil(x)
    if mode == "legacy":  # Resize-10 and Upsample, as ONNX Runtime
        return math.ceil(x) if scale < 1 else f
    raise ValueError(mode)


def cubic_kernel(d, a):
    d = abs(d)
    if d <= 1:
        return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
    if d < 2:
        return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a
    return 0.0


def axis_matrix(n_in, n_out, scale, mode, coord, nearest_mode, a, exclude_outside, antialias, roi_start, roi_end):
    """Weights W [n_out, n_in] (NaN rows: extrapolate), so that resized = W @ x along the axis."""
    w = np.zeros((n_out, n_in))
    s = scale if (antialias and scale < 1 and mode != "nearest") else 1.0
    support = 2.0 if mode == "cubic" else 1.0
    for j in range(n_out):
        x = source_coordinate(coord, j, scale, n_in, n_out, roi_start, roi_end)
        if coord == "tf_crop_and_resize" and (x < 0 or x > n_in - 1):
            w[j, :] = np.nan
            continue
        if mode == "nearest":
            w[j, min(max(nearest_pick(nearest_mode, x, scale), 0), n_in - 1)] = 1
            continue
        lo = math.floor(x) + math.floor(-support / s) + 1
        taps = list(range(lo, 2 * math.floor(x) + 1 - lo + 1))
        k = np.array([(max(0.0, 1 - abs((i - x) * s)) if mode == "linear" else cubic_kernel((i - x) * s, a))
                      for i in taps])
        if exclude_outside:
            k = np.where([(0 <= i < n_in) for i in taps], k, 0.0)
        if exclude_outside or s != 1.0:
            k = k / k.sum()
        for i, kk in zip(taps, k):
            w[j, min(max(i, 0), n_in - 1)] += kk
    return w


def resize_ref(x, mode="nearest", coord="half_pixel", scales=None, sizes=None, roi=None, nearest_mode="round_prefer_floor",
               cubic_a=-0.75, exclude_outside=0, extrapolation=0.0, antialias=0, axes=None, keep="stretch"):
    rank = x.ndim
    axes = list(range(rank)) if axes is None else [a % rank for a in axes]
    out_shape, scale = list(x.shape), [1.0] * rank
    if scales is not None:
        for k, a in enumerate(axes):
            scale[a] = float(np.float32(scales[k]))
            out_shape[a] = int(math.floor(scale[a] * x.shape[a]))
    else:
        ratios = [sizes[k] / x.shape[a] for k, a in enumerate(axes)]
        if keep == "stretch":
            for k, a in enumerate(axes):
                scale[a], out_shape[a] = ratios[k], int(sizes[k])
        else:
            s = min(ratios) if keep == "not_larger" else max(ratios)
            for a in axes:
                scale[a], out_shape[a] = s, int(math.floor(s * x.shape[a] + 0.5))
    starts, ends = [0.0] * rank, [1.0] * rank
    if roi is not None:
        for k, a in enumerate(axes):
            starts[a], ends[a] = float(roi[k]), float(roi[len(axes) + k])
    y = x.astype(np.float64)
    for a in range(rank):
        w = axis_matrix(x.shape[a], out_shape[a], scale[a], mode, coord, nearest_mode, cubic_a, exclude_outside,
                        antialias, starts[a], ends[a])
        extrapolate = np.isnan(w[:, 0]) if w.shape[1] else np.zeros(w.shape[0], bool)
        w = np.nan_to_num(w)
        y = np.moveaxis(np.tensordot(w, np.moveaxis(y, a, 0), axes=(1, 0)), 0, a)
        idx = [slice(None)] * rank
        idx[a] = extrapolate
        y[tuple(idx)] = extrapolation
    return y.astype(x.dtype)


def onnx_reference(x, mode, coord, scales=None, sizes=None, roi=None, nearest_mode="round_prefer_floor", cubic_a=-0.75,
                   exclude_outside=0, extrapolation=0.0):
    """ONNX 1.12's own reference, for the configurations it covers."""
    coeffs = {"nearest": lambda r: onnx_resize.nearest_coeffs(r, mode=nearest_mode),
              "linear": onnx_resize.linear_coeffs,
              "cubic": lambda r: onnx_resize.cubic_coeffs(r, A=cubic_a)}[mode]
    return onnx_resize.interpolate_nd(x, coeffs, output_size=sizes, scale_factors=scales, roi=roi,
                                      coordinate_transformation_mode=coord, exclude_outside=exclude_outside,
                                      extrapolation_value=extrapolation)


def resize_node(inputs, **attrs):
    return node("Resize", inputs, ["Y"], **attrs)


def resize_cases():
    x = rand(1, 2, 5, 6)
    coords = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"]
    scale_sets = {"up": [1.0, 1.0, 2.0, 1.5], "down": [1.0, 1.0, 0.6, 0.5], "mixed": [1.0, 1.0, 1.7, 0.8]}
    # Every mode x coordinate transform x scale set, checked against ONNX's reference (opset 13).
    for mode in ("nearest", "linear", "cubic"):
        for coord in coords:
            for sname, scales in scale_sets.items():
                sc = np.array(scales, np.float32)
                y = resize_ref(x, mode, coord, scales=sc)
                ref = onnx_reference(x, mode, coord, scales=sc)
                assert ref.shape == y.shape and np.allclose(ref, y, atol=1e-5), (mode, coord, sname)
                case(f"resize_{mode}_{coord}_{sname}", [resize_node(["X", "", "scales"], mode=mode,
                                                                     coordinate_transformation_mode=coord)],
                     [("X", x)], [("Y", y.astype(np.float32))], opset=13, initializers={"scales": sc})
    # nearest_mode, with sizes.
    for nearest_mode in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
        for coord in ("half_pixel", "asymmetric", "align_corners"):
            sizes = np.array([1, 2, 9, 4], np.int64)
            y = resize_ref(x, "nearest", coord, sizes=sizes, nearest_mode=nearest_mode)
            ref = onnx_reference(x, "nearest", coord, sizes=sizes, nearest_mode=nearest_mode)
            assert np.allclose(ref, y), (nearest_mode, coord)
            case(f"resize_nearest_mode_{nearest_mode}_{coord}",
                 [resize_node(["X", "", "", "sizes"], mode="nearest", coordinate_transformation_mode=coord,
                              nearest_mode=nearest_mode)],
                 [("X", x)], [("Y", y)], opset=13, initializers={"sizes": sizes})
    # cubic_coeff_a and exclude_outside.
    for a, excl in ((-0.5, 0), (-0.5, 1), (-0.75, 1)):
        for sname in ("up", "down"):
            sc = np.array(scale_sets[sname], np.float32)
            y = resize_ref(x, "cubic", "half_pixel", scales=sc, cubic_a=a, exclude_outside=excl)
            assert np.allclose(onnx_reference(x, "cubic", "half_pixel", scales=sc, cubic_a=a, exclude_outside=excl), y,
                               atol=1e-5)
            case(f"resize_cubic_a{a}_excl{excl}_{sname}".replace("-", "m").replace(".", "p"),
                 [resize_node(["X", "", "scales"], mode="cubic", cubic_coeff_a=a, exclude_outside=excl)],
                 [("X", x)], [("Y", y.astype(np.float32))], opset=13, initializers={"scales": sc})
    # tf_crop_and_resize with roi and extrapolation (sizes: ONNX 1.12 and the spec agree there).
    roi = np.array([0, 0, 0.2, -0.25, 1, 1, 0.9, 1.2], np.float32)
    for mode in ("nearest", "linear", "cubic"):
        sizes = np.array([1, 2, 4, 7], np.int64)
        y = resize_ref(x, mode, "tf_crop_and_resize", sizes=sizes, roi=roi, extrapolation=-2.5)
        assert np.allclose(onnx_reference(x, mode, "tf_crop_and_resize", sizes=sizes, roi=roi, extrapolation=-2.5), y,
                           atol=1e-5)
        case(f"resize_tf_crop_and_resize_{mode}",
             [resize_node(["X", "roi", "", "sizes"], mode=mode, coordinate_transformation_mode="tf_crop_and_resize",
                          extrapolation_value=-2.5)],
             [("X", x)], [("Y", y.astype(np.float32))], opset=13, initializers={"roi": roi, "sizes": sizes})
    y = resize_ref(x, "linear", "tf_crop_and_resize", scales=np.array([1, 1, 0.8, 1.5], np.float32), roi=roi)
    case("resize_tf_crop_and_resize_scales_opset11",
         [resize_node(["X", "roi", "scales"], mode="linear", coordinate_transformation_mode="tf_crop_and_resize")],
         [("X", x)], [("Y", y)], opset=11,
         initializers={"roi": roi.astype(np.float64), "scales": np.array([1, 1, 0.8, 1.5], np.float32)})
    # Opset 11: scales required (empty when sizes are given), tf_half_pixel_for_nn.
    sizes = np.array([1, 2, 3, 8], np.int64)
    case("resize_opset11_sizes_empty_scales", [resize_node(["X", "roi", "scales", "sizes"], mode="linear")],
         [("X", x)], [("Y", resize_ref(x, "linear", "half_pixel", sizes=sizes))], opset=11,
         initializers={"roi": np.zeros(0, np.float32), "scales": np.zeros(0, np.float32), "sizes": sizes})
    sc = np.array([1, 1, 1.5, 0.7], np.float32)
    case("resize_opset11_tf_half_pixel_for_nn",
         [resize_node(["X", "", "scales"], mode="nearest", coordinate_transformation_mode="tf_half_pixel_for_nn")],
         [("X", x)], [("Y", resize_ref(x, "nearest", "tf_half_pixel_for_nn", scales=sc))], opset=12,
         initializers={"scales": sc})
    # Opset 10: scales input, asymmetric; nearest floors when enlarging and ceils when shrinking.
    for mode in ("nearest", "linear"):
        for sname, scales in (("up", [1, 1, 2, 3]), ("down", [1, 1, 0.6, 0.5]), ("mixed", [1, 1, 2.5, 0.75])):
            sc = np.array(scales, np.float32)
            case(f"resize_opset10_{mode}_{sname}", [resize_node(["X", "scales"], mode=mode)], [("X", x)],
                 [("Y", resize_ref(x, mode, "asymmetric", scales=sc, nearest_mode="legacy").astype(np.float32))],
                 opset=10, initializers={"scales": sc})
    # Opset 18: axes, keep_aspect_ratio_policy, antialias; opset 19: half_pixel_symmetric.
    for keep in ("stretch", "not_larger", "not_smaller"):
        sizes = np.array([7, 8], np.int64)
        y = resize_ref(x, "linear", "half_pixel", sizes=sizes, axes=[2, 3], keep=keep)
        case(f"resize_opset18_keep_{keep}", [resize_node(["X", "", "", "sizes"], mode="linear", axes=[2, 3],
                                                          keep_aspect_ratio_policy=keep)],
             [("X", x)], [("Y", y)], opset=18, initializers={"sizes": sizes})
    sizes = np.array([4, 3], np.int64)
    case("resize_opset18_keep_not_larger_all_axes", [resize_node(["X", "", "", "sizes"], mode="nearest",
                                                                 keep_aspect_ratio_policy="not_larger")],
         [("X", x[0, 0])], [("Y", resize_ref(x[0, 0], "nearest", sizes=sizes, keep="not_larger"))], opset=18,
         initializers={"sizes": sizes})
    sc = np.array([0.5, 1.7], np.float32)
    case("resize_opset18_axes_negative_scales", [resize_node(["X", "", "scales"], mode="cubic", axes=[-1, 2])],
         [("X", x)], [("Y", resize_ref(x, "cubic", scales=sc, axes=[-1, 2]))], opset=18, initializers={"scales": sc})
    roi2 = np.array([0.1, 0.2, 0.8, 0.9], np.float32)
    case("resize_opset18_axes_roi", [resize_node(["X", "roi", "", "sizes"], mode="linear", axes=[3, 2],
                                                 coordinate_transformation_mode="tf_crop_and_resize")],
         [("X", x)], [("Y", resize_ref(x, "linear", "tf_crop_and_resize", sizes=np.array([5, 4]), roi=roi2, axes=[3, 2]))],
         opset=18, initializers={"roi": roi2, "sizes": np.array([5, 4], np.int64)})
    big = rand(1, 2, 16, 13)
    for mode, a in (("linear", -0.75), ("cubic", -0.5), ("cubic", -0.75)):
        for scales in ([1, 1, 0.3, 0.55], [1, 1, 0.5, 2.0], [1, 1, 1.0, 0.25]):
            sc = np.array(scales, np.float32)
            for excl in (0, 1):
                y = resize_ref(big, mode, "half_pixel", scales=sc, antialias=1, cubic_a=a, exclude_outside=excl)
                case(f"resize_antialias_{mode}_a{-a}_excl{excl}_{scales[2]}_{scales[3]}".replace(".", "p"),
                     [resize_node(["X", "", "scales"], mode=mode, antialias=1, cubic_coeff_a=a, exclude_outside=excl)],
                     [("X", big)], [("Y", y)], opset=18, initializers={"scales": sc})
    # Antialias against PyTorch (which excludes the outside and uses a = -0.5 for bicubic).
    for mode, torch_mode, a in (("linear", "bilinear", -0.75), ("cubic", "bicubic", -0.5)):
        size = (5, 4)
        yt = F.interpolate(t64(big), size=size, mode=torch_mode, antialias=True, align_corners=False).numpy()
        y = resize_ref(big, mode, "half_pixel", sizes=np.array([1, 2, 5, 4]), antialias=1, cubic_a=a, exclude_outside=1)
        assert np.allclose(y, yt, atol=1e-5), mode
        case(f"resize_antialias_{mode}_vs_torch", [resize_node(["X", "", "", "sizes"], mode=mode, antialias=1,
                                                               cubic_coeff_a=a, exclude_outside=1)],
             [("X", big)], [("Y", yt.astype(np.float32))], opset=18, initializers={"sizes": np.array([1, 2, 5, 4], np.int64)})
    for mode in ("nearest", "linear", "cubic"):
        for scales in ([1, 1, 1.3, 0.7], [1, 1, 2.6, 0.45]):
            sc = np.array(scales, np.float32)
            case(f"resize_opset19_half_pixel_symmetric_{mode}_{scales[2]}".replace(".", "p"),
                 [resize_node(["X", "", "scales"], mode=mode, coordinate_transformation_mode="half_pixel_symmetric")],
                 [("X", x)], [("Y", resize_ref(x, mode, "half_pixel_symmetric", scales=sc))], opset=19,
                 initializers={"scales": sc})
    # torch.nn.functional.interpolate where it means the same thing.
    t4 = rand(2, 3, 7, 9)
    torch_cases = [
        ("nearest", dict(mode="nearest"), dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                                               nearest_mode="floor")),
        ("nearest_exact", dict(mode="nearest-exact"), dict(mode="nearest", nearest_mode="round_prefer_ceil")),
        ("bilinear", dict(mode="bilinear", align_corners=False), dict(mode="linear")),
        ("bilinear_align", dict(mode="bilinear", align_corners=True), dict(mode="linear",
                                                                           coordinate_transformation_mode="align_corners")),
        ("bicubic", dict(mode="bicubic", align_corners=False), dict(mode="cubic")),
        ("bicubic_align", dict(mode="bicubic", align_corners=True), dict(mode="cubic",
                                                                         coordinate_transformation_mode="align_corners")),
    ]
    for name, targs, attrs in torch_cases:
        for size in ((14, 18), (4, 5), (11, 3), (1, 1)):
            if name == "bicubic" and 1 in size:
                continue  # pytorch_half_pixel's length-1 rule differs from PyTorch's
            yt = F.interpolate(t64(t4), size=size, **targs).numpy().astype(np.float32)
            sizes = np.array([2, 3, size[0], size[1]], np.int64)
            case(f"resize_torch_{name}_{size[0]}x{size[1]}", [resize_node(["X", "", "", "sizes"], **attrs)],
                 [("X", t4)], [("Y", yt)], opset=13, initializers={"sizes": sizes})
    t3, t5 = rand(2, 3, 10), rand(1, 2, 3, 4, 5)
    for scale in (2.0, 0.5):
        yt = F.interpolate(t64(t3), scale_factor=scale, mode="linear", align_corners=False).numpy().astype(np.float32)
        case(f"resize_torch_linear_1d_{scale}".replace(".", "p"), [resize_node(["X", "", "scales"], mode="linear")],
             [("X", t3)], [("Y", yt)], opset=13, initializers={"scales": np.array([1, 1, scale], np.float32)})
    yt = F.interpolate(t64(t5), size=(5, 3, 8), mode="trilinear", align_corners=False).numpy().astype(np.float32)
    case("resize_torch_trilinear", [resize_node(["X", "", "", "sizes"], mode="linear")], [("X", t5)], [("Y", yt)],
         opset=13, initializers={"sizes": np.array([1, 2, 5, 3, 8], np.int64)})
    # Dtypes: nearest on integers and bool, linear in float64.
    sc = np.array([1, 1, 1.5, 0.7], np.float32)
    for dtype, dname in ((np.int64, "i64"), (np.int32, "i32"), (np.int8, "i8"), (np.uint8, "u8"), (np.bool_, "bool")):
        xi = (rand(1, 2, 5, 6) > 0) if dtype == np.bool_ else randint(1, 2, 5, 6, dtype=dtype, low=0, high=100)
        case(f"resize_nearest_{dname}", [resize_node(["X", "", "scales"])], [("X", xi)],
             [("Y", resize_ref(xi.astype(np.float64), "nearest", scales=sc).astype(dtype))], opset=13,
             initializers={"scales": sc})
    x64 = x.astype(np.float64)
    case("resize_linear_f64", [resize_node(["X", "", "scales"], mode="linear")], [("X", x64)],
         [("Y", resize_ref(x64, "linear", scales=sc))], opset=13, initializers={"scales": sc})
    # Identity (an alias), scales as a graph input known only through plan-time values, symbolic dims.
    case("resize_identity", [resize_node(["X", "", "scales"], mode="linear")], [("X", x)], [("Y", x)], opset=13,
         initializers={"scales": np.ones(4, np.float32)})
    sc = np.array([1, 1, 2, 2], np.float32)
    case("resize_symbolic_batch", [resize_node(["X", "", "scales"], mode="nearest")], [("X", x)],
         [("Y", resize_ref(x, "nearest", scales=sc))], opset=13, initializers={"scales": sc},
         input_shapes={"X": ["n", 2, 5, 6]}, expect_shape="[n,2,10,12]")
    sizes = np.array([1, 2, 3, 3], np.int64)
    case("resize_sizes_symbolic", [resize_node(["X", "", "", "sizes"], mode="linear")], [("X", x)],
         [("Y", resize_ref(x, "linear", sizes=sizes))], opset=13, initializers={"sizes": sizes},
         input_shapes={"X": ["n", 2, "h", "w"]}, expect_shape="[1,2,3,3]")
    nodes = [node("Shape", ["X"], ["s"]), node("Cast", ["s"], ["sf"], to=TensorProto.FLOAT),
             node("Div", ["two", "sf"], ["r"]), node("Mul", ["r", "sf"], ["scales"]),
             resize_node(["X", "", "scales"], mode="linear")]
    case("resize_scales_from_shape_chain", nodes, [("X", x)], [("Y", resize_ref(x, "linear", scales=[2, 2, 2, 2]))],
         opset=13, initializers={"two": np.full(4, 2.0, np.float32)})
    sc = np.array([1, 1, 0.5, 1.5], np.float32)  # a float graph input: planned eagerly, from the data
    case("resize_scales_graph_input", [resize_node(["X", "", "scales"], mode="cubic")], [("X", x), ("scales", sc)],
         [("Y", resize_ref(x, "cubic", scales=sc))], opset=13)
    case("resize_to_empty", [resize_node(["X", "", "", "sizes"])], [("X", x)], [("Y", np.zeros((1, 2, 0, 4), np.float32))],
         opset=13, initializers={"sizes": np.array([1, 2, 0, 4], np.int64)})
    case("resize_empty_batch", [resize_node(["X", "", "scales"], mode="linear")], [("X", rand(0, 2, 3, 3))],
         [("Y", np.zeros((0, 2, 6, 6), np.float32))], opset=13, initializers={"scales": np.array([1, 1, 2, 2], np.float32)})


def upsample_cases():
    x = rand(1, 2, 3, 4)
    for mode in ("nearest", "linear"):
        for scales in ([1, 1, 2, 3], [1, 1, 1.5, 2.5], [1, 2, 2, 1]):
            sc = np.array(scales, np.float32)
            y = resize_ref(x, mode, "asymmetric", scales=sc, nearest_mode="legacy").astype(np.float32)
            tag = "_".join(str(s).replace(".", "p") for s in scales)
            case(f"upsample_opset7_{mode}_{tag}", [node("Upsample", ["X"], ["Y"], mode=mode, scales=[float(v) for v in scales])],
                 [("X", x)], [("Y", y)], opset=7)
            case(f"upsample_opset9_{mode}_{tag}", [node("Upsample", ["X", "scales"], ["Y"], mode=mode)], [("X", x)],
                 [("Y", y)], opset=9, initializers={"scales": sc})
    xi = randint(2, 3)
    case("upsample_nearest_i64_default_mode", [node("Upsample", ["X"], ["Y"], scales=[2.0, 2.0])], [("X", xi)],
         [("Y", np.repeat(np.repeat(xi, 2, 0), 2, 1))], opset=8)
    yt = F.interpolate(t64(x), scale_factor=2, mode="nearest").numpy().astype(np.float32)
    case("upsample_vs_torch_nearest", [node("Upsample", ["X", "scales"], ["Y"])], [("X", x)], [("Y", yt)], opset=9,
         initializers={"scales": np.array([1, 1, 2, 2], np.float32)})


# ------------------------------------------------------------------------------------------------------
# Errors

def error_cases():
    def e(name, op, nodes, inputs, outputs, expected, **kw):
        error_case(name, nodes, inputs, outputs, [f"{op} node '{nodes[-1].name}'"] + expected, **kw)

    e("elu_int_dtype", "Elu", [node("Elu", ["X"], ["Y"], name="elu1")], [("X", randint(3))], [("Y", randint(1))],
      ["int64", "code=UNIMPLEMENTED"])
    e("gelu_bad_approximate", "Gelu", [node("Gelu", ["X"], ["Y"], name="g", approximate="fast")], [("X", rand(3))],
      [("Y", rand(1))], ["approximate 'fast'", "code=INVALID_ARGUMENT"], opset=20)
    e("celu_alpha_zero", "Celu", [node("Celu", ["X"], ["Y"], name="c", alpha=0.0)], [("X", rand(3))], [("Y", rand(1))],
      ["alpha"], opset=13)
    e("prelu_slope_mismatch", "PRelu", [node("PRelu", ["X", "s"], ["Y"], name="pr")], [("X", rand(2, 4)), ("s", rand(3))],
      [("Y", rand(1))], ["slope [3]", "X [2,4]", "code=INVALID_ARGUMENT"], opset=16)
    e("prelu_slope_rank", "PRelu", [node("PRelu", ["X", "s"], ["Y"], name="pr2")], [("X", rand(4)), ("s", rand(2, 4))],
      [("Y", rand(1))], ["slope [2,4]"], opset=16)
    e("clip_int_before_12", "Clip", [node("Clip", ["X"], ["Y"], name="clip_i")], [("X", randint(3, dtype=np.int32))],
      [("Y", randint(1, dtype=np.int32))], ["int32", "code=UNIMPLEMENTED"], opset=11)
    e("clip_min_not_scalar", "Clip", [node("Clip", ["X", "lo"], ["Y"], name="clip_v")], [("X", rand(3)), ("lo", rand(2))],
      [("Y", rand(1))], ["min must be a scalar", "[2]"], opset=13)
    e("clip_bool", "Clip", [node("Clip", ["X"], ["Y"], name="clip_b")], [("X", rand(3) > 0)], [("Y", rand(1) > 0)],
      ["bool", "code=UNIMPLEMENTED"], opset=13)
    e("logsoftmax_axis", "LogSoftmax", [node("LogSoftmax", ["X"], ["Y"], name="lsm", axis=2)], [("X", rand(2, 3))],
      [("Y", rand(1))], ["axis 2"], opset=13)
    e("layernorm_axis", "LayerNormalization", [node("LayerNormalization", ["X", "S"], ["Y"], name="ln", axis=3)],
      [("X", rand(2, 3)), ("S", rand(3))], [("Y", rand(1))], ["axis 3"], opset=17)
    e("layernorm_scale_shape", "LayerNormalization", [node("LayerNormalization", ["X", "S"], ["Y"], name="ln2")],
      [("X", rand(2, 3)), ("S", rand(4))], [("Y", rand(1))], ["Scale [4]", "[3]", "code=INVALID_ARGUMENT"], opset=17)
    e("layernorm_stash", "LayerNormalization",
      [node("LayerNormalization", ["X", "S"], ["Y"], name="ln3", stash_type=10)], [("X", rand(2, 3)), ("S", rand(3))],
      [("Y", rand(1))], ["stash_type 10", "code=UNIMPLEMENTED"], opset=17)
    e("instancenorm_scale", "InstanceNormalization",
      [node("InstanceNormalization", ["X", "S", "B"], ["Y"], name="in1")],
      [("X", rand(2, 3, 4)), ("S", rand(2)), ("B", rand(3))], [("Y", rand(1))], ["scale [2]", "3"], opset=13)
    e("groupnorm_groups", "GroupNormalization",
      [node("GroupNormalization", ["X", "S", "B"], ["Y"], name="gn", num_groups=4)],
      [("X", rand(2, 6, 3)), ("S", rand(6)), ("B", rand(6))], [("Y", rand(1))], ["num_groups 4", "6 channels"], opset=21)
    e("groupnorm18_per_group", "GroupNormalization",
      [node("GroupNormalization", ["X", "S", "B"], ["Y"], name="gn18", num_groups=2)],
      [("X", rand(2, 6, 3)), ("S", rand(6)), ("B", rand(6))], [("Y", rand(1))], ["one per group"], opset=18)
    e("groupnorm_missing_groups", "GroupNormalization",
      [node("GroupNormalization", ["X", "S", "B"], ["Y"], name="gn2")],
      [("X", rand(2, 6, 3)), ("S", rand(6)), ("B", rand(6))], [("Y", rand(1))], ["num_groups"], opset=21)
    e("lpnorm_p3", "LpNormalization", [node("LpNormalization", ["X"], ["Y"], name="lp", p=3)], [("X", rand(2, 3))],
      [("Y", rand(1))], ["p 3"], opset=13)
    e("lrn_rank1", "LRN", [node("LRN", ["X"], ["Y"], name="lrn", size=3)], [("X", rand(5))], [("Y", rand(1))],
      ["rank >= 2"], opset=13)
    e("lrn_no_size", "LRN", [node("LRN", ["X"], ["Y"], name="lrn2")], [("X", rand(1, 5))], [("Y", rand(1))], ["size"],
      opset=13)
    e("dropout_training", "Dropout", [node("Dropout", ["X", "r", "t"], ["Y"], name="drop")],
      [("X", rand(3)), ("r", np.array(0.5, np.float32)), ("t", np.array(True))], [("Y", rand(1))],
      ["training_mode", "code=UNIMPLEMENTED"], opset=13)
    e("dropout_training_constant", "Dropout", [node("Dropout", ["X", "r", "t"], ["Y"], name="drop2")],
      [("X", rand(3))], [("Y", rand(1))], ["training_mode", "code=UNIMPLEMENTED"], opset=13,
      initializers={"r": np.array(0.1, np.float32), "t": np.array(True)})
    e("resize_bad_mode", "Resize", [resize_node(["X", "", "scales"], name="rs", mode="area")], [("X", rand(1, 1, 2, 2))],
      [("Y", rand(1))], ["mode 'area'"], opset=13, initializers={"scales": np.ones(4, np.float32)})
    e("resize_cubic_opset10", "Resize", [resize_node(["X", "scales"], name="rs10", mode="cubic")],
      [("X", rand(1, 1, 2, 2))], [("Y", rand(1))], ["mode 'cubic'"], opset=10, initializers={"scales": np.ones(4, np.float32)})
    e("resize_symmetric_before_19", "Resize",
      [resize_node(["X", "", "scales"], name="rs18", coordinate_transformation_mode="half_pixel_symmetric")],
      [("X", rand(1, 1, 2, 2))], [("Y", rand(1))], ["half_pixel_symmetric", "opset 18"], opset=18,
      initializers={"scales": np.ones(4, np.float32)})
    e("resize_scales_count", "Resize", [resize_node(["X", "", "scales"], name="rs2")], [("X", rand(1, 1, 2, 2))],
      [("Y", rand(1))], ["scales has 2 values", "expected 4"], opset=13, initializers={"scales": np.ones(2, np.float32)})
    e("resize_both_scales_sizes", "Resize", [resize_node(["X", "", "scales", "sizes"], name="rs3")],
      [("X", rand(1, 1, 2, 2))], [("Y", rand(1))], ["both 'scales' and 'sizes'"], opset=13,
      initializers={"scales": np.ones(4, np.float32), "sizes": np.array([1, 1, 2, 2], np.int64)})
    e("resize_neither", "Resize", [resize_node(["X"], name="rs4")], [("X", rand(1, 1, 2, 2))], [("Y", rand(1))],
      ["neither"], opset=13)
    e("resize_negative_scale", "Resize", [resize_node(["X", "", "scales"], name="rs5")], [("X", rand(1, 1, 2, 2))],
      [("Y", rand(1))], ["positive"], opset=13, initializers={"scales": np.array([1, 1, -2, 2], np.float32)})
    e("resize_linear_int", "Resize", [resize_node(["X", "", "scales"], name="rs6", mode="linear")],
      [("X", randint(1, 1, 2, 2))], [("Y", randint(1))], ["int64", "code=UNIMPLEMENTED"], opset=13,
      initializers={"scales": np.ones(4, np.float32)})
    e("resize_roi_count", "Resize",
      [resize_node(["X", "roi", "scales"], name="rs8", coordinate_transformation_mode="tf_crop_and_resize")],
      [("X", rand(1, 1, 2, 2))], [("Y", rand(1))], ["roi has 2 values"], opset=13,
      initializers={"roi": np.array([0, 1], np.float32), "scales": np.ones(4, np.float32)})
    e("resize_repeated_axes", "Resize", [resize_node(["X", "", "scales"], name="rs9", axes=[1, -2])],
      [("X", rand(1, 2, 2))], [("Y", rand(1))], ["repeat"], opset=18, initializers={"scales": np.ones(2, np.float32)})
    e("upsample_bad_mode", "Upsample", [node("Upsample", ["X"], ["Y"], name="up", mode="cubic", scales=[1.0, 2.0])],
      [("X", rand(2, 2))], [("Y", rand(1))], ["mode 'cubic'"], opset=7)


if __name__ == "__main__":
    from opcase import run
    run([activation_cases, prelu_cases, clip_cases, log_softmax_cases, layer_norm_cases, instance_norm_cases,
         group_norm_cases, lp_norm_cases, lrn_cases, dropout_cases, resize_cases, upsample_cases, error_cases])
