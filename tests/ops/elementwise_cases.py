"""Operator cases of the elementwise family: unary maths (Neg, Abs, Sign, Reciprocal, Sqrt, Exp, Log, Floor,
Ceil, Round, Erf, trigonometric and hyperbolic functions, IsNaN, IsInf, Not), Pow and Mod, the n-ary Sum,
Mean, Min, Max, comparisons, logic, BitShift and Where. See opcase.py for the layout; references are
numpy/PyTorch formulas (float32 cases computed in float64 and rounded)."""

import math

import numpy as np
import torch

from opcase import case, error_case, node, rand, randint

F32, F64 = np.float32, np.float64
NUMERIC = ((F32, "f32"), (F64, "f64"), (np.int32, "i32"), (np.int64, "i64"), (np.int8, "i8"), (np.uint8, "u8"))


def sample(shape, dtype, low=-20, high=20):
    if dtype == np.bool_:
        return rand(*shape) > 0
    if dtype == np.uint8:
        return randint(*shape, dtype=dtype, low=0, high=high)
    if np.issubdtype(dtype, np.integer):
        return randint(*shape, dtype=dtype, low=low, high=high)
    return rand(*shape, dtype=dtype, low=low, high=high)


def via_f64(f, x, *args):
    """f on the float64 values of x (and args), rounded to x's dtype."""
    return np.asarray(f(np.asarray(x, F64), *args)).astype(x.dtype)


def torch_f64(fn):
    return lambda v: fn(torch.from_numpy(np.asarray(v, F64))).numpy()


# ------------------------------------------------------------------------------------------------------
# Unary maths

# op -> (reference on float64, low, high, first opset)
FLOAT_UNARY = {
    "Reciprocal": (lambda v: 1.0 / v, 0.1, 3.0, 6),
    "Sqrt": (np.sqrt, 0.0, 50.0, 6),
    "Exp": (np.exp, -80.0, 80.0, 6),
    "Log": (np.log, 1e-6, 1e6, 6),
    "Erf": (torch_f64(torch.erf), -5.0, 5.0, 9),
    "Sin": (np.sin, -10.0, 10.0, 7),
    "Cos": (np.cos, -10.0, 10.0, 7),
    "Tan": (np.tan, -1.5, 1.5, 7),
    "Asin": (np.arcsin, -1.0, 1.0, 7),
    "Acos": (np.arccos, -1.0, 1.0, 7),
    "Atan": (np.arctan, -20.0, 20.0, 7),
    "Sinh": (np.sinh, -10.0, 10.0, 9),
    "Cosh": (np.cosh, -10.0, 10.0, 9),
    "Asinh": (np.arcsinh, -50.0, 50.0, 9),
    "Acosh": (np.arccosh, 1.0, 50.0, 9),
    "Atanh": (np.arctanh, -0.99, 0.99, 9),
}


def float_unary_cases():
    for op, (f, low, high, first) in FLOAT_UNARY.items():
        for dtype, dname in ((F32, "f32"), (F64, "f64")):
            # 2 x 3 x 37: full vector blocks and a scalar tail.
            x = rand(2, 3, 37, dtype=dtype, low=low, high=high)
            case(f"{op.lower()}_{dname}", [node(op, ["X"], ["Y"])], [("X", x)], [("Y", via_f64(f, x))], opset=13)
        x = rand(5, low=low, high=high)
        first = max(first, 7)  # sofie loads opsets 7 and later
        case(f"{op.lower()}_opset{first}", [node(op, ["X"], ["Y"])], [("X", x)], [("Y", via_f64(f, x))], opset=first)
        case(f"{op.lower()}_empty", [node(op, ["X"], ["Y"])], [("X", rand(0, 3))], [("Y", np.zeros((0, 3), F32))],
             opset=13)
    # Long inputs: the Exp kernel works in chunks of 256, Log and Erf in blocks.
    for op in ("Exp", "Log", "Erf", "Sqrt"):
        f, low, high, _ = FLOAT_UNARY[op]
        x = rand(1000, low=low, high=high)
        case(f"{op.lower()}_long", [node(op, ["X"], ["Y"])], [("X", x)], [("Y", via_f64(f, x))], opset=13)
    x = rand(3, 4, low=0.0, high=9.0)
    case("sqrt_symbolic", [node("Sqrt", ["X"], ["Y"])], [("X", x)], [("Y", np.sqrt(x))], opset=13,
         input_shapes={"X": ["batch", 4]}, expect_shape="[batch,4]")


def float_special_value_cases():
    inf, nan = np.inf, np.nan
    # Exp near and past the float32 limits (the kernel clamps, sofie redoes those elements exactly).
    x = np.array([88.0, 88.5, 88.7, -87.0, -87.5, -95.0, -100.0, -104.0, -200.0, 0.0, 1.0, nan] * 3, F32)
    with np.errstate(over="ignore", under="ignore"):
        case("exp_f32_extremes", [node("Exp", ["X"], ["Y"])], [("X", x)], [("Y", via_f64(np.exp, x))], opset=13)
    x = np.array([89.0, 100.0, 1e30, inf, -inf, 88.0, 0.0, nan] * 3, F32)
    with np.errstate(over="ignore"):
        y = np.isinf(np.exp(x.astype(F64)).astype(F32))
    case("exp_f32_overflow", [node("Exp", ["X"], ["E"]), node("IsInf", ["E"], ["Y"])], [("X", x)], [("Y", y)],
         opset=13)
    # Log of 0, negatives, inf, NaN, denormals.
    x = np.array([0.0, -0.0, -1.0, -inf, inf, nan, 1e-40, 1e-45, 1.17e-38, 1.0, 3e38, 0.5] * 2, F32)
    with np.errstate(divide="ignore", invalid="ignore"):
        lx = np.log(x.astype(F64))
    case("log_f32_special", [node("Log", ["X"], ["L"]), node("IsInf", ["L"], ["I"]), node("IsNaN", ["L"], ["N"])],
         [("X", x)], [("I", np.isinf(lx)), ("N", np.isnan(lx))], opset=13)
    d = np.array([1e-40, 1e-45, 1.17e-38, 2e-39, 1e-30, 1.0], F32)
    case("log_f32_denormal", [node("Log", ["X"], ["Y"])], [("X", d)], [("Y", np.log(d.astype(F64)).astype(F32))],
         opset=13)
    # Erf: tiny arguments keep their relative accuracy; beyond +-4 it is +-1.
    x = np.array([1e-30, -1e-20, 1e-8, 3e-4, -0.01, 0.5, 3.9, 4.1, -6.0, 30.0, inf, -inf, nan, 0.0], F32)
    case("erf_f32_special", [node("Erf", ["X"], ["Y"])], [("X", x)],
         [("Y", np.array([math.erf(v) if not math.isnan(v) else nan for v in x.astype(F64)], F32))], opset=13)
    x = np.array([-4.0, -1e-3, 0.0, 2.0, 1e10, nan], F32)
    with np.errstate(invalid="ignore"):
        case("sqrt_negative_nan", [node("Sqrt", ["X"], ["Y"])], [("X", x)], [("Y", np.sqrt(x))], opset=13)
    x = np.array([0.0, -0.0, 2.0, inf], F32)
    with np.errstate(divide="ignore"):
        case("reciprocal_zero_inf", [node("Reciprocal", ["X"], ["R"]), node("IsInf", ["R"], ["Y"])], [("X", x)],
             [("Y", np.isinf(1.0 / x))], opset=13)


def rounding_cases():
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.3, -0.7, 0.3, 0.7, -0.0, 0.0, 1e8, -1e8, 8388607.5,
                       -8388607.5, 123.456, -123.456, 2.0, -2.0], F64)
    for dtype, dname in ((F32, "f32"), (F64, "f64")):
        x = np.concatenate([halves, rand(60, dtype=F64, low=-50, high=50)]).astype(dtype)
        for op, f, first in (("Floor", np.floor, 6), ("Ceil", np.ceil, 6), ("Round", np.round, 11)):
            case(f"{op.lower()}_{dname}", [node(op, ["X"], ["Y"])], [("X", x)], [("Y", f(x))], opset=13)
            if dtype == F32:
                first = max(first, 7)
                case(f"{op.lower()}_opset{first}", [node(op, ["X"], ["Y"])], [("X", x)], [("Y", f(x))], opset=first)
    x = np.array([np.inf, -np.inf, np.nan, 1.0], F32)
    for op in ("Floor", "Ceil", "Round"):
        nodes = [node(op, ["X"], ["R"]), node("IsInf", ["R"], ["I"]), node("IsNaN", ["R"], ["N"])]
        case(f"{op.lower()}_nonfinite", nodes,
             [("X", x)], [("I", np.isinf(x)), ("N", np.isnan(x))], opset=13)


def numeric_unary_cases():
    for dtype, dname in NUMERIC:
        x = sample((3, 37), dtype, low=-100, high=100)
        ops = [("Abs", np.abs), ("Sign", np.sign)]
        if dtype != np.uint8:
            ops.append(("Neg", np.negative))
        for op, f in ops:
            case(f"{op.lower()}_{dname}", [node(op, ["X"], ["Y"])], [("X", x)], [("Y", f(x).astype(dtype))], opset=13)
    # The most negative integers wrap, as numpy.
    for dtype, dname in ((np.int8, "i8"), (np.int32, "i32"), (np.int64, "i64")):
        info = np.iinfo(dtype)
        x = np.array([info.min, info.min + 1, -1, 0, 1, info.max], dtype)
        with np.errstate(over="ignore"):
            case(f"neg_{dname}_wrap", [node("Neg", ["X"], ["Y"])], [("X", x)], [("Y", np.negative(x))], opset=13)
            case(f"abs_{dname}_wrap", [node("Abs", ["X"], ["Y"])], [("X", x)], [("Y", np.abs(x))], opset=13)
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.nan, np.inf, -np.inf, 1e-30], F32)
    case("sign_f32_special", [node("Sign", ["X"], ["Y"])], [("X", x)], [("Y", np.sign(x))], opset=13)
    x = rand(4, 5)
    case("neg_opset7", [node("Neg", ["X"], ["Y"])], [("X", x)], [("Y", -x)], opset=7)
    case("abs_opset7", [node("Abs", ["X"], ["Y"])], [("X", x)], [("Y", np.abs(x))], opset=7)
    case("sign_opset9", [node("Sign", ["X"], ["Y"])], [("X", x)], [("Y", np.sign(x))], opset=9)
    case("neg_empty_i64", [node("Neg", ["X"], ["Y"])], [("X", np.zeros((2, 0), np.int64))],
         [("Y", np.zeros((2, 0), np.int64))], opset=13)


def classify_cases():
    base = np.array([1.0, np.nan, np.inf, -np.inf, 0.0, -3.5, 1e38, -np.nan] * 5)
    for dtype, dname in ((F32, "f32"), (F64, "f64")):
        x = base.astype(dtype)
        case(f"isnan_{dname}", [node("IsNaN", ["X"], ["Y"])], [("X", x)], [("Y", np.isnan(x))], opset=13)
        case(f"isinf_{dname}", [node("IsInf", ["X"], ["Y"])], [("X", x)], [("Y", np.isinf(x))], opset=10)
        for pos in (0, 1):
            for neg in (0, 1):
                y = (np.isposinf(x) & bool(pos)) | (np.isneginf(x) & bool(neg))
                case(f"isinf_{dname}_pos{pos}_neg{neg}",
                     [node("IsInf", ["X"], ["Y"], detect_positive=pos, detect_negative=neg)], [("X", x)], [("Y", y)],
                     opset=10)
    x = base.astype(F32)
    case("isnan_opset9", [node("IsNaN", ["X"], ["Y"])], [("X", x)], [("Y", np.isnan(x))], opset=9)
    case("isnan_empty", [node("IsNaN", ["X"], ["Y"])], [("X", rand(0))], [("Y", np.zeros(0, np.bool_))], opset=13)
    b = rand(3, 70) > 0
    case("not", [node("Not", ["X"], ["Y"])], [("X", b)], [("Y", ~b)], opset=7)
    case("not_symbolic", [node("Not", ["X"], ["Y"])], [("X", b)], [("Y", ~b)], opset=13,
         input_shapes={"X": ["n", 70]}, expect_shape="[n,70]")


# ------------------------------------------------------------------------------------------------------
# Pow and Mod

def pow_ref(x, y):
    """numpy.power(x, y).astype(x.dtype) as ONNX's reference, computed exactly for integer bases."""
    if np.issubdtype(x.dtype, np.integer) and np.issubdtype(y.dtype, np.integer):
        with np.errstate(over="ignore"):
            return np.power(x.astype(np.int64), y.astype(np.int64)).astype(x.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.power(x.astype(F64), y.astype(F64)).astype(x.dtype)


def pow_cases():
    exps = ((F32, "f32"), (F64, "f64"), (np.int32, "i32"), (np.int64, "i64"), (np.int8, "i8"), (np.uint8, "u8"))
    for bdtype, bname in ((F32, "f32"), (F64, "f64"), (np.int32, "i32"), (np.int64, "i64")):
        for edtype, ename in exps:
            if np.issubdtype(bdtype, np.floating):
                x = rand(3, 20, dtype=bdtype, low=0.1, high=4.0)
                x[0, :5] = [0.0, -1.5, -2.0, -3.0, -0.5]  # negative bases: NaN for fractional exponents
            elif np.issubdtype(edtype, np.floating):
                x = randint(3, 20, dtype=bdtype, low=0, high=7)  # no NaN for an integer result
            else:
                x = randint(3, 20, dtype=bdtype, low=-6, high=7)
            if np.issubdtype(edtype, np.floating):
                e = rand(20, dtype=edtype, low=-3.0, high=3.0)
                e[:3] = [2.0, 3.0, -1.0]
                if not np.issubdtype(bdtype, np.floating):
                    e = np.abs(e)
            else:
                e = randint(20, dtype=edtype, low=0, high=9)
            case(f"pow_{bname}_{ename}", [node("Pow", ["X", "E"], ["Y"])], [("X", x), ("E", e)],
                 [("Y", pow_ref(x, e))], opset=15)
    # Integer powers wrap around; negative integer exponents truncate toward zero (1/2 -> 0).
    x = np.array([3, 7, -5, 2, 2, 1, -1, -1, 5, 0], np.int32)
    e = np.array([25, 13, 9, 31, -1, -4, -3, -2, 0, 0], np.int64)
    case("pow_i32_i64_wrap_negative", [node("Pow", ["X", "E"], ["Y"])], [("X", x), ("E", e)],
         [("Y", np.array([pow_ref(x[:4], e[:4])[i] for i in range(4)] + [0, 1, -1, 1, 1, 1], np.int32))], opset=15)
    x = np.array([3, -7, 2, 10], np.int64)
    e = np.array([40, 23, 63, 19], np.int64)
    case("pow_i64_wrap", [node("Pow", ["X", "E"], ["Y"])], [("X", x), ("E", e)], [("Y", pow_ref(x, e))], opset=15)
    # Broadcasting.
    for name, sx, se in (("row", (2, 3, 4), (4,)), ("scalar_base", (), (3, 4)), ("outer", (3, 1), (1, 4)),
                         ("scalar_exp_array", (2, 5), ())):
        x, e = rand(*sx, low=0.2, high=3.0), rand(*se, low=-2.0, high=2.0)
        case(f"pow_broadcast_{name}", [node("Pow", ["X", "E"], ["Y"])], [("X", x), ("E", e)], [("Y", pow_ref(x, e))],
             opset=13)
    # Known scalar exponents take exact shortcuts (x*x, x*x*x, sqrt, copy).
    for value, vname in ((2.0, "2"), (3.0, "3"), (0.5, "half"), (1.0, "1"), (-2.0, "m2")):
        for dtype, dname in ((F32, "f32"), (F64, "f64")):
            x = rand(4, 37, dtype=dtype, low=-3.0, high=3.0)
            e = np.array(value, dtype)
            case(f"pow_const_{vname}_{dname}", [node("Pow", ["X", "E"], ["Y"])], [("X", x)],
                 [("Y", pow_ref(x, e))], opset=13, initializers={"E": e})
    x = rand(3, 4, low=-3.0, high=3.0)
    e = np.array([[[2]]], np.int64)
    case("pow_const_int_exp_rank_up", [node("Pow", ["X", "E"], ["Y"])], [("X", x)],
         [("Y", pow_ref(x, e).reshape(1, 3, 4))], opset=13, initializers={"E": e})
    x = np.array([-np.inf, np.inf, 0.0, -0.0, 4.0], F32)
    case("pow_const_half_inf", [node("Pow", ["X", "E"], ["P"]), node("IsInf", ["P"], ["Y"])], [("X", x)],
         [("Y", np.isinf(np.power(x, 0.5)))], opset=13, initializers={"E": np.array(0.5, F32)})
    x, e = rand(2, 3, low=0.5, high=2.0), rand(2, 3)
    for opset in (7, 12, 13):
        case(f"pow_opset{opset}", [node("Pow", ["X", "E"], ["Y"])], [("X", x), ("E", e)], [("Y", pow_ref(x, e))],
             opset=opset)
    case("pow_empty", [node("Pow", ["X", "E"], ["Y"])], [("X", rand(0, 3)), ("E", rand(3))],
         [("Y", np.zeros((0, 3), F32))], opset=13)
    case("pow_symbolic", [node("Pow", ["X", "E"], ["Y"])], [("X", x), ("E", e[0])], [("Y", pow_ref(x, e[0]))],
         opset=13, input_shapes={"X": ["batch", 3], "E": [3]}, expect_shape="[batch,3]")


def mod_cases():
    for dtype, dname in ((np.int32, "i32"), (np.int64, "i64"), (np.int8, "i8")):
        a = randint(4, 30, dtype=dtype, low=-100, high=100)
        b = randint(30, dtype=dtype, low=1, high=12) * np.where(np.arange(30) % 2 == 0, 1, -1).astype(dtype)
        case(f"mod_{dname}", [node("Mod", ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", np.mod(a, b))], opset=13)
        case(f"mod_{dname}_fmod", [node("Mod", ["A", "B"], ["Y"], fmod=1)], [("A", a), ("B", b)],
             [("Y", np.fmod(a, b))], opset=13)
        info = np.iinfo(dtype)
        a = np.array([info.min, info.min, info.max, -7, 7, 0], dtype)
        b = np.array([-1, 1, -1, -1, 3, -5], dtype)
        case(f"mod_{dname}_minus_one", [node("Mod", ["A", "B"], ["Y"])], [("A", a), ("B", b)],
             [("Y", np.array([0, 0, 0, 0, 1, 0], dtype))], opset=13)
    a, b = randint(5, 7, dtype=np.uint8, low=0, high=255), randint(7, dtype=np.uint8, low=1, high=40)
    case("mod_u8", [node("Mod", ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", np.mod(a, b))], opset=13)
    case("mod_u8_fmod", [node("Mod", ["A", "B"], ["Y"], fmod=1)], [("A", a), ("B", b)], [("Y", np.fmod(a, b))],
         opset=13)
    for dtype, dname in ((F32, "f32"), (F64, "f64")):
        a = rand(3, 40, dtype=dtype, low=-10, high=10)
        b = rand(40, dtype=dtype, low=0.5, high=3) * np.where(np.arange(40) % 3 == 0, -1, 1).astype(dtype)
        case(f"mod_{dname}_fmod", [node("Mod", ["A", "B"], ["Y"], fmod=1)], [("A", a), ("B", b)],
             [("Y", np.fmod(a, b))], opset=13)
    a = np.array([-4, 7, 5, 4, -7, 8], np.int64)
    b = np.array([2, -3, 8, -2, 3, 5], np.int64)
    case("mod_opset10", [node("Mod", ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", np.mod(a, b))], opset=10)
    a, b = randint(2, 3, 4, low=-50, high=50), np.array([[3], [-7], [5]], np.int64)
    case("mod_broadcast", [node("Mod", ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", np.mod(a, b))], opset=13)
    case("mod_empty", [node("Mod", ["A", "B"], ["Y"])],
         [("A", np.zeros((0, 2), np.int64)), ("B", np.zeros(2, np.int64))],
         [("Y", np.zeros((0, 2), np.int64))], opset=13)


# ------------------------------------------------------------------------------------------------------
# Sum, Mean, Min, Max

def variadic_cases():
    refs = {"Sum": lambda xs: sum(xs[1:], xs[0]), "Mean": lambda xs: sum(xs[1:], xs[0]) / len(xs),
            "Min": lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
            "Max": lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs))}
    shape_sets = {
        "one": [(3, 4)],
        "two_same": [(3, 37), (3, 37)],
        "two_broadcast": [(2, 3, 4), (4,)],
        "three": [(4,), (3, 1), (2, 1, 1)],
        "four_mixed": [(2, 3, 4), (1, 4), (3, 1), ()],
        "scalars": [(), ()],
        "short_rows": [(2, 40, 3), (40, 1), (3,), (2, 1, 1)],  # in place after the first step, rows of 3
    }
    for op, f in refs.items():
        for sname, shapes in shape_sets.items():
            xs = [rand(*s, dtype=F32) for s in shapes]
            names = [f"X{i}" for i in range(len(xs))]
            y = np.asarray(f([x.astype(F64) for x in xs])).astype(F32)
            case(f"{op.lower()}_{sname}", [node(op, names, ["Y"])], list(zip(names, xs)), [("Y", y)], opset=13)
        xs = [rand(2, 5, dtype=F64), rand(5, dtype=F64), rand(2, 1, dtype=F64)]
        case(f"{op.lower()}_f64", [node(op, ["A", "B", "C"], ["Y"])], list(zip("ABC", xs)),
             [("Y", np.asarray(f(xs)))], opset=13)
        xs = [rand(3, 4), rand(3, 4)]
        for opset in (7, 8):
            case(f"{op.lower()}_opset{opset}", [node(op, ["A", "B"], ["Y"])], list(zip("AB", xs)),
                 [("Y", np.asarray(f([x.astype(F64) for x in xs])).astype(F32))], opset=opset)
        case(f"{op.lower()}_empty", [node(op, ["A", "B"], ["Y"])], [("A", rand(0, 3)), ("B", rand(3))],
             [("Y", np.zeros((0, 3), F32))], opset=13)
        a, b = rand(2, 3), rand(3)
        case(f"{op.lower()}_symbolic", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", b)],
             [("Y", np.asarray(f([a.astype(F64), b.astype(F64)])).astype(F32))], opset=13,
             input_shapes={"A": ["batch", 3], "B": [3]}, expect_shape="[batch,3]")
    for op, f in (("Min", np.minimum), ("Max", np.maximum)):
        for dtype, dname in NUMERIC[2:]:
            xs = [sample((3, 70), dtype), sample((70,), dtype), sample((3, 1), dtype)]
            case(f"{op.lower()}_{dname}", [node(op, ["A", "B", "C"], ["Y"])], list(zip("ABC", xs)),
                 [("Y", f(f(xs[0], xs[1]), xs[2]))], opset=13)
        # NaN propagates from either side, as numpy.
        a = np.array([1.0, np.nan, 3.0, np.nan, -1.0] * 4, F32)
        b = np.array([np.nan, 2.0, 1.0, np.nan, -2.0] * 4, F32)
        case(f"{op.lower()}_nan", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", f(a, b))], opset=13)
        x = randint(4, dtype=np.int32)
        case(f"{op.lower()}_i32_opset12", [node(op, ["A", "B"], ["Y"])], [("A", x), ("B", x[::-1].copy())],
             [("Y", f(x, x[::-1]))], opset=12)


# ------------------------------------------------------------------------------------------------------
# Comparisons, logic, BitShift, Where

def compare_cases():
    ops = {"Equal": np.equal, "Less": np.less, "LessOrEqual": np.less_equal, "Greater": np.greater,
           "GreaterOrEqual": np.greater_equal}
    for op, f in ops.items():
        for dtype, dname in NUMERIC:
            # Few distinct values, so that ties occur.
            a = sample((2, 3, 40), dtype, low=-4, high=4)
            b = sample((40,), dtype, low=-4, high=4)
            if np.issubdtype(dtype, np.floating):
                a, b = np.round(a), np.round(b)
            case(f"{op.lower()}_{dname}", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", f(a, b))],
                 opset=16 if "Or" in op else 13)
        a = np.array([1.0, np.nan, np.inf, -np.inf, 0.0, -0.0], F32)
        b = np.array([np.nan, np.nan, np.inf, 1.0, -0.0, 0.0], F32)
        case(f"{op.lower()}_special", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", f(a, b))], opset=13)
        a, b = rand(3, 1), rand(1, 4)
        case(f"{op.lower()}_outer", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", f(a, b))], opset=13)
        case(f"{op.lower()}_empty", [node(op, ["A", "B"], ["Y"])], [("A", rand(0, 4)), ("B", rand(4))],
             [("Y", np.zeros((0, 4), np.bool_))], opset=13)
    # Short rows of a comparison (float in, bool out: one run takes up to 64 elements per row), one value per
    # row on either side.
    for n in (1, 5, 9, 33, 63):
        a, b = np.round(rand(3, 40, n) * 2), np.round(rand(3, 40, 1) * 2)
        case(f"greater_rows_of_{n}", [node("Greater", ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", a > b)],
             opset=13)
        case(f"lessorequal_rows_of_{n}_swapped", [node("LessOrEqual", ["B", "A"], ["Y"])], [("A", a), ("B", b)],
             [("Y", b <= a)], opset=16)
    b1, b2 = rand(3, 40) > 0, rand(40) > 0
    case("equal_bool", [node("Equal", ["A", "B"], ["Y"])], [("A", b1), ("B", b2)], [("Y", b1 == b2)], opset=13)
    i1, i2 = randint(3, 5, low=-3, high=3), randint(5, low=-3, high=3)
    case("equal_opset7_i64", [node("Equal", ["A", "B"], ["Y"])], [("A", i1), ("B", i2)], [("Y", i1 == i2)], opset=7)
    f1, f2 = np.round(rand(3, 5)), np.round(rand(5))
    case("equal_opset11_f32", [node("Equal", ["A", "B"], ["Y"])], [("A", f1), ("B", f2)], [("Y", f1 == f2)],
         opset=11)
    case("less_opset7_f32", [node("Less", ["A", "B"], ["Y"])], [("A", f1), ("B", f2)], [("Y", f1 < f2)], opset=7)
    case("greater_opset9_i64", [node("Greater", ["A", "B"], ["Y"])], [("A", i1), ("B", i2)], [("Y", i1 > i2)],
         opset=9)
    case("lessorequal_opset12", [node("LessOrEqual", ["A", "B"], ["Y"])], [("A", f1), ("B", f2)],
         [("Y", f1 <= f2)], opset=12)
    case("greaterorequal_opset12", [node("GreaterOrEqual", ["A", "B"], ["Y"])], [("A", i1), ("B", i2)],
         [("Y", i1 >= i2)], opset=12)
    case("less_symbolic", [node("Less", ["A", "B"], ["Y"])], [("A", f1), ("B", f2)], [("Y", f1 < f2)], opset=13,
         input_shapes={"A": ["rows", 5], "B": [5]}, expect_shape="[rows,5]")


def logic_cases():
    ops = {"And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor}
    for op, f in ops.items():
        for sname, sa, sb in (("same", (3, 70), (3, 70)), ("row", (2, 3, 70), (70,)), ("outer", (4, 1), (1, 5)),
                              ("scalar", (), (3, 4))):
            a, b = rand(*sa) > 0, rand(*sb) > 0
            case(f"{op.lower()}_{sname}", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", f(a, b))],
                 opset=7)
        a = rand(0, 2) > 0
        case(f"{op.lower()}_empty", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", rand(2) > 0)],
             [("Y", np.zeros((0, 2), np.bool_))], opset=13)


def bitshift_cases():
    x = randint(4, 70, dtype=np.uint8, low=0, high=256)
    s = randint(70, dtype=np.uint8, low=0, high=11)
    s[:4] = [0, 7, 8, 255]
    xi, si = x.astype(np.int64), s.astype(np.int64)
    left = np.where(si < 8, (xi << np.minimum(si, 8)) & 0xFF, 0).astype(np.uint8)
    right = np.where(si < 8, xi >> np.minimum(si, 8), 0).astype(np.uint8)
    case("bitshift_left_u8", [node("BitShift", ["X", "S"], ["Y"], direction="LEFT")], [("X", x), ("S", s)],
         [("Y", left)], opset=11)
    case("bitshift_right_u8", [node("BitShift", ["X", "S"], ["Y"], direction="RIGHT")], [("X", x), ("S", s)],
         [("Y", right)], opset=11)
    x = np.array([16, 255, 1], np.uint8)
    case("bitshift_scalar_shift", [node("BitShift", ["X", "S"], ["Y"], direction="RIGHT")],
         [("X", x), ("S", np.array(2, np.uint8))], [("Y", x >> 2)], opset=18)


def where_cases():
    dtypes = NUMERIC + ((np.bool_, "bool"),)
    for dtype, dname in dtypes:
        c = rand(3, 70) > 0
        x, y = sample((3, 70), dtype), sample((3, 70), dtype)
        case(f"where_{dname}", [node("Where", ["C", "X", "Y"], ["Z"])], [("C", c), ("X", x), ("Y", y)],
             [("Z", np.where(c, x, y))], opset=16)
    for sname, sc, sx, sy in (("three_way", (1, 4, 1), (3, 1, 5), (5,)), ("scalar_xy", (2, 3), (), ()),
                              ("scalar_cond", (), (2, 3), (3,)), ("rank_up", (4,), (2, 1), (3, 1, 1))):
        c, x, y = rand(*sc) > 0, rand(*sx), rand(*sy)
        case(f"where_broadcast_{sname}", [node("Where", ["C", "X", "Y"], ["Z"])], [("C", c), ("X", x), ("Y", y)],
             [("Z", np.where(c, x, y))], opset=16)
    c, x, y = rand(2, 3) > 0, randint(2, 3), randint(3)
    case("where_opset9", [node("Where", ["C", "X", "Y"], ["Z"])], [("C", c), ("X", x), ("Y", y)],
         [("Z", np.where(c, x, y))], opset=9)
    case("where_symbolic", [node("Where", ["C", "X", "Y"], ["Z"])], [("C", c), ("X", x), ("Y", y)],
         [("Z", np.where(c, x, y))], opset=16, input_shapes={"C": ["batch", 3], "X": ["batch", 3], "Y": [3]},
         expect_shape="[batch,3]")
    case("where_empty", [node("Where", ["C", "X", "Y"], ["Z"])],
         [("C", np.zeros((0, 3), np.bool_)), ("X", rand(3)), ("Y", rand(1))], [("Z", np.zeros((0, 3), F32))], opset=16)
    # Shape arithmetic through Equal and Where, folded while planning: Reshape(X, Where(Shape(X) == 3, -1, Shape(X))).
    x = rand(3, 4)
    nodes = [node("Shape", ["X"], ["s"]), node("Equal", ["s", "three"], ["is3"]),
             node("Where", ["is3", "minus1", "s"], ["target"]), node("Reshape", ["X", "target"], ["Y"])]
    case("where_equal_shape_chain", nodes, [("X", x)], [("Y", x)], opset=13,
         initializers={"three": np.array(3, np.int64), "minus1": np.array(-1, np.int64)},
         input_shapes={"X": ["batch", 4]})


# ------------------------------------------------------------------------------------------------------
# Bad input: each error names the op type and the node.

def error_cases():
    def e(name, op, nodes, inputs, outputs, expected, **kw):
        error_case(name, nodes, inputs, outputs, [f"{op} node '{nodes[-1].name}'"] + expected, **kw)

    f2 = rand(2)
    e("sqrt_int", "Sqrt", [node("Sqrt", ["X"], ["Y"], name="sq")], [("X", randint(3))], [("Y", randint(1))],
      ["input 0 has dtype int64", "code=UNIMPLEMENTED"])
    e("erf_int", "Erf", [node("Erf", ["X"], ["Y"], name="erf_i")], [("X", randint(3, dtype=np.int32))],
      [("Y", randint(1, dtype=np.int32))], ["input 0 has dtype int32", "code=UNIMPLEMENTED"])
    e("neg_u8", "Neg", [node("Neg", ["X"], ["Y"], name="neg_u")], [("X", randint(3, dtype=np.uint8, low=0))],
      [("Y", randint(1, dtype=np.uint8, low=0))], ["input 0 has dtype uint8"])
    e("abs_bool", "Abs", [node("Abs", ["X"], ["Y"], name="abs_b")], [("X", f2 > 0)], [("Y", f2 > 0)],
      ["input 0 has dtype bool"])
    e("not_float", "Not", [node("Not", ["X"], ["Y"], name="not_f")], [("X", f2)], [("Y", f2 > 0)],
      ["input 0 has dtype float32"])
    e("isinf_bad_attr", "IsInf", [node("IsInf", ["X"], ["Y"], name="isinf2", detect_positive=2)], [("X", f2)],
      [("Y", f2 > 0)], ["detect_positive", "got 2", "code=INVALID_ARGUMENT"])
    e("pow_base_i8", "Pow", [node("Pow", ["X", "E"], ["Y"], name="pw")],
      [("X", randint(2, dtype=np.int8)), ("E", randint(2, dtype=np.int8))], [("Y", randint(1, dtype=np.int8))],
      ["input 0 has dtype int8"])
    e("pow_exp_bool", "Pow", [node("Pow", ["X", "E"], ["Y"], name="pw_b")], [("X", f2), ("E", f2 > 0)],
      [("Y", f2)], ["input 1 has dtype bool"])
    e("pow_no_broadcast", "Pow", [node("Pow", ["X", "E"], ["Y"], name="pw2")], [("X", rand(2, 3)), ("E", rand(2))],
      [("Y", f2)], ["[2,3]", "[2]", "code=INVALID_ARGUMENT"])
    e("mod_int_by_zero", "Mod", [node("Mod", ["A", "B"], ["Y"], name="mod0")],
      [("A", randint(3)), ("B", np.array([2, 0, 1], np.int64))], [("Y", randint(1))],
      ["division by zero", "element 1", "code=INVALID_ARGUMENT"])
    e("mod_float_fmod0", "Mod", [node("Mod", ["A", "B"], ["Y"], name="modf")], [("A", f2), ("B", f2)], [("Y", f2)],
      ["fmod must be 1", "float32", "code=INVALID_ARGUMENT"])
    e("mod_bad_fmod", "Mod", [node("Mod", ["A", "B"], ["Y"], name="mod3", fmod=3)],
      [("A", randint(2)), ("B", randint(2))], [("Y", randint(1))], ["fmod must be 0 or 1, got 3"])
    e("mod_dtype_mismatch", "Mod", [node("Mod", ["A", "B"], ["Y"], name="modm")],
      [("A", randint(2)), ("B", randint(2, dtype=np.int32))], [("Y", randint(1))], ["same dtype", "int64", "int32"])
    e("sum_int", "Sum", [node("Sum", ["A", "B"], ["Y"], name="sum_i")], [("A", randint(2)), ("B", randint(2))],
      [("Y", randint(1))], ["input 0 has dtype int64"])
    e("max_no_broadcast", "Max", [node("Max", ["A", "B", "C"], ["Y"], name="mx")],
      [("A", rand(2, 3)), ("B", rand(3)), ("C", rand(4))], [("Y", f2)], ["[2,3]", "[4]"])
    e("min_dtype_mismatch", "Min", [node("Min", ["A", "B"], ["Y"], name="mn")], [("A", f2), ("B", f2.astype(F64))],
      [("Y", f2)], ["inputs 0 and 1 must have the same dtype"])
    e("less_bool", "Less", [node("Less", ["A", "B"], ["Y"], name="lt")], [("A", f2 > 0), ("B", f2 > 0)],
      [("Y", f2 > 0)], ["input 0 has dtype bool"])
    e("equal_dtype_mismatch", "Equal", [node("Equal", ["A", "B"], ["Y"], name="eq")],
      [("A", randint(2)), ("B", f2)], [("Y", f2 > 0)], ["same dtype"])
    e("and_float", "And", [node("And", ["A", "B"], ["Y"], name="and_f")], [("A", f2), ("B", f2 > 0)],
      [("Y", f2 > 0)], ["input 0 has dtype float32"])
    e("bitshift_int32", "BitShift", [node("BitShift", ["X", "S"], ["Y"], name="bs", direction="LEFT")],
      [("X", randint(2, dtype=np.int32)), ("S", randint(2, dtype=np.int32))], [("Y", randint(1, dtype=np.int32))],
      ["input 0 has dtype int32", "code=UNIMPLEMENTED"])
    e("bitshift_direction", "BitShift", [node("BitShift", ["X", "S"], ["Y"], name="bs2", direction="UP")],
      [("X", randint(2, dtype=np.uint8, low=0)), ("S", randint(2, dtype=np.uint8, low=0))],
      [("Y", randint(1, dtype=np.uint8, low=0))], ["direction", "\"UP\""])
    e("where_cond_float", "Where", [node("Where", ["C", "X", "Y"], ["Z"], name="wh")],
      [("C", f2), ("X", f2), ("Y", f2)], [("Z", f2)], ["input 0 has dtype float32"])
    e("where_xy_mismatch", "Where", [node("Where", ["C", "X", "Y"], ["Z"], name="wh2")],
      [("C", f2 > 0), ("X", f2), ("Y", randint(2))], [("Z", f2)], ["inputs 1 and 2 must have the same dtype"])
    e("where_no_broadcast", "Where", [node("Where", ["C", "X", "Y"], ["Z"], name="wh3")],
      [("C", rand(3) > 0), ("X", rand(2, 3)), ("Y", rand(4))], [("Z", f2)], ["[2,3]", "[4]"])


if __name__ == "__main__":
    from opcase import run
    run([float_unary_cases, float_special_value_cases, rounding_cases, numeric_unary_cases, classify_cases,
         pow_cases, mod_cases, variadic_cases, compare_cases, logic_cases, bitshift_cases, where_cases, error_cases])
