"""Operator cases of the runtime issue's operators: Gemm, MatMul, Add/Sub/Mul/Div, activations, Softmax,
shape and view ops, Transpose, Concat, Gather, Cast, BatchNormalization. See opcase.py for the layout."""

import numpy as np
import torch
from onnx import TensorProto, helper

from opcase import case, error_case, node, rand, randint

# ------------------------------------------------------------------------------------------------------
# Gemm and MatMul (references from PyTorch in float64)

def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def gemm_ref(a, b, c, trans_a, trans_b, alpha, beta):
    ta, tb = t64(a), t64(b)
    if trans_a:
        ta = ta.T
    if trans_b:
        tb = tb.T
    y = alpha * (ta @ tb)
    if c is not None:
        y = y + beta * t64(c)
    return y.numpy().astype(np.float32)


def gemm_cases():
    m, k, n = 3, 4, 5
    c_shapes = {"none": None, "scalar": (), "n": (n,), "1n": (1, n), "m1": (m, 1), "mn": (m, n)}
    for trans_a in (0, 1):
        for trans_b in (0, 1):
            for c_name, c_shape in c_shapes.items():
                a = rand(k, m) if trans_a else rand(m, k)
                b = rand(n, k) if trans_b else rand(k, n)
                inputs = [("A", a), ("B", b)]
                alpha, beta = (0.5, 2.0) if trans_a else (1.0, 1.0)
                c = None
                if c_shape is not None:
                    c = rand(*c_shape)
                    inputs.append(("C", c))
                y = gemm_ref(a, b, c, trans_a, trans_b, alpha, beta)
                case(f"gemm_ta{trans_a}_tb{trans_b}_c_{c_name}",
                     [node("Gemm", [x for x, _ in inputs], ["Y"], transA=trans_a, transB=trans_b, alpha=alpha,
                           beta=beta)],
                     inputs, [("Y", y)], opset=13)
    # Single row (the GEMV path), odd sizes that exercise the vector tails, weights as initializers.
    for trans_a in (0, 1):
        for trans_b in (0, 1):
            kk, nn = 300, 130
            a = rand(kk, 1) if trans_a else rand(1, kk)
            w = rand(nn, kk) if trans_b else rand(kk, nn)
            bias = rand(nn)
            y = gemm_ref(a, w, bias, trans_a, trans_b, 1.0, 1.0)
            case(f"gemm_gemv_ta{trans_a}_tb{trans_b}",
                 [node("Gemm", ["A", "W", "bias"], ["Y"], transA=trans_a, transB=trans_b)],
                 [("A", a)], [("Y", y)], opset=13, initializers={"W": w, "bias": bias})
    # Rows 2..8 (GEMV per row), more (BLIS), symbolic batch.
    for rows in (2, 8, 9, 40):
        a, w, bias = rand(rows, 33), rand(17, 33), rand(17)
        case(f"gemm_rows{rows}_transb", [node("Gemm", ["A", "W", "bias"], ["Y"], transB=1, beta=0.5)],
             [("A", a)], [("Y", gemm_ref(a, w, bias, 0, 1, 1.0, 0.5))], opset=13, initializers={"W": w, "bias": bias},
             input_shapes={"A": ["batch", 33]}, expect_shape="[batch,17]")
    a, b, c = rand(3, 4), rand(4, 5), rand(3, 5)
    case("gemm_opset9_c_required", [node("Gemm", ["A", "B", "C"], ["Y"])], [("A", a), ("B", b), ("C", c)],
         [("Y", gemm_ref(a, b, c, 0, 0, 1.0, 1.0))], opset=9)
    case("gemm_beta0_ignores_c", [node("Gemm", ["A", "B", "C"], ["Y"], beta=0.0)], [("A", a), ("B", b)],
         [("Y", gemm_ref(a, b, None, 0, 0, 1.0, 1.0))], opset=13,
         initializers={"C": np.full((3, 5), np.nan, np.float32)})
    a0, b0 = rand(0, 4), rand(4, 5)
    case("gemm_zero_rows", [node("Gemm", ["A", "B"], ["Y"])], [("A", a0), ("B", b0)],
         [("Y", np.zeros((0, 5), np.float32))], opset=13)
    a, b, c = rand(2, 0), rand(0, 3), rand(3)
    case("gemm_zero_k", [node("Gemm", ["A", "B", "C"], ["Y"])], [("A", a), ("B", b), ("C", c)],
         [("Y", np.broadcast_to(c, (2, 3)).copy())], opset=13)


def matmul_cases():
    shapes = {
        "2d": ((3, 4), (4, 5)),
        "a1d": ((4,), (4, 5)),
        "b1d": ((3, 4), (4,)),
        "both1d": ((4,), (4,)),
        "batched_b2d": ((2, 3, 4), (4, 5)),
        "batched": ((2, 3, 4), (2, 4, 5)),
        "broadcast": ((2, 1, 3, 4), (5, 4, 6)),
        "a1d_b3d": ((4,), (2, 4, 3)),
        "a3d_b1d": ((2, 3, 4), (4,)),
        "a2d_b3d": ((3, 4), (2, 4, 5)),
        "row_batch1": ((1, 1, 64), (64, 48)),
        "gemv_big": ((1, 257), (257, 129)),
        "blis": ((33, 65), (65, 31)),
        "zero_k": ((2, 0), (0, 3)),
        "zero_batch": ((0, 3, 4), (0, 4, 2)),
    }
    for name, (sa, sb) in shapes.items():
        a, b = rand(*sa), rand(*sb)
        y = torch.matmul(t64(a), t64(b)).numpy().astype(np.float32)
        case(f"matmul_{name}", [node("MatMul", ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", y)], opset=13)
    a, w = rand(3, 7, 16), rand(16, 8)
    case("matmul_symbolic_batch_weights", [node("MatMul", ["A", "W"], ["Y"])], [("A", a)],
         [("Y", torch.matmul(t64(a), t64(w)).numpy().astype(np.float32))], opset=13, initializers={"W": w},
         input_shapes={"A": ["batch", "seq", 16]}, expect_shape="[batch,seq,8]")


# ------------------------------------------------------------------------------------------------------
# Elementwise

def trunc_div(a, b):
    q = np.abs(a) // np.abs(b)
    return (np.sign(a) * np.sign(b) * q).astype(a.dtype)


def binary_cases():
    ops = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}
    shapes = {
        "same": ((3, 37), (3, 37)),
        "row": ((2, 3, 4), (4,)),
        "col": ((2, 1, 4), (3, 1)),
        "scalar_a": ((), (5, 6)),
        "scalar_b": ((5, 33), ()),
        "one": ((1,), (2, 3)),
        "bias_nchw": ((2, 3, 4, 5), (3, 1, 1)),
        "both_broadcast": ((4, 1, 6), (1, 5, 1)),
        "zero_sized": ((0, 3), (3,)),
    }
    for op, f in ops.items():
        for sname, (sa, sb) in shapes.items():
            a = rand(*sa)
            b = rand(*sb, low=0.5, high=2.0) if op == "Div" else rand(*sb)
            case(f"{op.lower()}_f32_{sname}", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", b)],
                 [("Y", f(a, b).astype(np.float32))], opset=14)
        for dtype, dname in ((np.float64, "f64"), (np.int64, "i64"), (np.int32, "i32"), (np.int8, "i8"),
                             (np.uint8, "u8")):
            if dtype == np.uint8:  # wraps, as numpy
                a, b = randint(4, 5, dtype=dtype, low=0, high=255), randint(5, dtype=dtype, low=1, high=30)
                y = (a // b) if op == "Div" else f(a, b).astype(dtype)
            elif dtype in (np.int64, np.int32, np.int8):
                a = randint(4, 5, dtype=dtype)
                b = randint(5, dtype=dtype, low=1, high=7) * np.where(np.arange(5) % 2 == 0, 1, -1).astype(dtype)
                y = trunc_div(a, b) if op == "Div" else f(a, b).astype(dtype)
            else:
                a, b = rand(4, 5, dtype=dtype), rand(5, dtype=dtype, low=0.5, high=2.0)
                y = f(a, b)
            case(f"{op.lower()}_{dname}", [node(op, ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", y)], opset=14)
    # Innermost runs shorter and longer than a vector block (and their tails), the broadcast operand on either
    # side, and in place: Relu and Sub write over their first input inside a chain.
    for n in (1, 2, 3, 7, 8, 15, 16, 17, 33):
        a, b, c = rand(3, 5, n), rand(3, 5, 1), rand(5, n)
        case(f"sub_inner{n}_broadcast_b", [node("Sub", ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", a - b)],
             opset=14)
        case(f"sub_inner{n}_broadcast_a", [node("Sub", ["B", "A"], ["Y"])], [("A", a), ("B", b)], [("Y", b - a)],
             opset=14)
        chain = [node("Add", ["A", "C"], ["T"]), node("Relu", ["T"], ["R"]), node("Sub", ["R", "B"], ["Y"])]
        case(f"add_relu_sub_inner{n}_in_place", chain, [("A", a), ("B", b), ("C", c)],
             [("Y", np.maximum(a + c, 0) - b)], opset=14)
    # Short innermost rows are taken many at a time as one run, an operand broadcast along them (one value
    # per row) or repeating them (one row for all) copied out first: rows of 1 to 17 elements, either side,
    # more rows than one run holds (4096 bytes of an operand), other element types.
    for n in list(range(1, 18)) + [31]:
        a, b, c = rand(2, 70, n), rand(2, 70, 1), rand(n)
        case(f"sub_rows_of_{n}_row_value", [node("Sub", ["B", "A"], ["Y"])], [("A", a), ("B", b)], [("Y", b - a)],
             opset=14)
        case(f"div_rows_of_{n}_one_row", [node("Div", ["A", "C"], ["Y"])], [("A", a), ("C", c + 3)],
             [("Y", a / (c + 3))], opset=14)
        case(f"mul_rows_of_{n}_one_row_first", [node("Mul", ["C", "B"], ["Y"])], [("B", b), ("C", c)],
             [("Y", c * b)], opset=14)
    for shape_a, shape_b, dtype in (((1400, 3), (1400, 1), np.float32), ((3, 1500, 2), (1, 1500, 1), np.float32),
                                    ((600, 5), (600, 1), np.float64), ((2, 900, 3), (900, 1), np.int32),
                                    ((700, 7), (7,), np.int64), ((0, 4, 3), (4, 1), np.float32)):
        if np.issubdtype(dtype, np.integer):
            a, b = randint(*shape_a, dtype=dtype), randint(*shape_b, dtype=dtype)
        else:
            a, b = rand(*shape_a, dtype=dtype), rand(*shape_b, dtype=dtype)
        tag = "x".join(map(str, shape_a)) + "_" + "x".join(map(str, shape_b)) + "_" + np.dtype(dtype).name
        case(f"sub_runs_{tag}", [node("Sub", ["A", "B"], ["Y"])], [("A", a), ("B", b)], [("Y", a - b)], opset=14)
        case(f"add_runs_{tag}_swapped", [node("Add", ["B", "A"], ["Y"])], [("A", a), ("B", b)], [("Y", b + a)],
             opset=14)
    a = rand(3, 4)
    case("add_symbolic", [node("Add", ["A", "B"], ["Y"])], [("A", a), ("B", a[0])], [("Y", a + a[0])], opset=14,
         input_shapes={"A": ["n", 4], "B": [4]}, expect_shape="[n,4]")
    case("add_opset7", [node("Add", ["A", "B"], ["Y"])], [("A", a), ("B", a[0])], [("Y", a + a[0])], opset=7)


def activation_cases():
    x = np.concatenate([rand(200, low=-12, high=12), rand(50, low=-0.7, high=0.7),
                        np.array([0.0, -0.0, 1e-4, -1e-4, 30.0, -30.0, 100.0, -100.0], np.float32)])
    xt = torch.from_numpy(x.astype(np.float64))
    refs = {
        "Relu": (torch.relu(xt), {}),
        "LeakyRelu": (torch.nn.functional.leaky_relu(xt, 0.2), {"alpha": 0.2}),
        "Sigmoid": (torch.sigmoid(xt), {}),
        "Tanh": (torch.tanh(xt), {}),
    }
    for op, (y, attrs) in refs.items():
        case(f"{op.lower()}_f32", [node(op, ["X"], ["Y"], **attrs)], [("X", x.reshape(2, -1))],
             [("Y", y.numpy().astype(np.float32).reshape(2, -1))], opset=14)
        case(f"{op.lower()}_f64", [node(op, ["X"], ["Y"], **attrs)], [("X", x.astype(np.float64))],
             [("Y", y.numpy())], opset=14)
        case(f"{op.lower()}_empty", [node(op, ["X"], ["Y"], **attrs)], [("X", rand(0, 3))],
             [("Y", np.zeros((0, 3), np.float32))], opset=14)
    leaky_default = torch.nn.functional.leaky_relu(xt, 0.01).numpy().astype(np.float32)
    case("leakyrelu_default_alpha", [node("LeakyRelu", ["X"], ["Y"])], [("X", x)], [("Y", leaky_default)], opset=13)
    xi = randint(3, 5, dtype=np.int32)
    case("relu_i32", [node("Relu", ["X"], ["Y"])], [("X", xi)], [("Y", np.maximum(xi, 0))], opset=14)


def softmax_ref(x, axis):
    return torch.softmax(t64(x), dim=axis).numpy()


def softmax_cases():
    x = rand(2, 3, 20, low=-5, high=5)
    # opset < 13: coerced to 2-D at axis.
    for axis in (None, 0, 1, 2, -1):
        a = 1 if axis is None else axis
        a = a + 3 if a < 0 else a
        flat = x.reshape(int(np.prod(x.shape[:a])), -1)
        y = softmax_ref(flat, 1).reshape(x.shape).astype(np.float32)
        attrs = {} if axis is None else {"axis": axis}
        case(f"softmax_opset11_axis_{'default' if axis is None else axis}".replace("-", "m"),
             [node("Softmax", ["X"], ["Y"], **attrs)], [("X", x)], [("Y", y)], opset=11)
    # opset >= 13: along one axis.
    for axis in (None, 0, 1, -2):
        a = -1 if axis is None else axis
        attrs = {} if axis is None else {"axis": axis}
        case(f"softmax_opset13_axis_{'default' if axis is None else axis}".replace("-", "m"),
             [node("Softmax", ["X"], ["Y"], **attrs)], [("X", x)], [("Y", softmax_ref(x, a).astype(np.float32))],
             opset=13)
    v = rand(37, low=-30, high=30)
    case("softmax_1d", [node("Softmax", ["X"], ["Y"])], [("X", v)], [("Y", softmax_ref(v, 0).astype(np.float32))],
         opset=13)
    x64 = x.astype(np.float64)
    case("softmax_f64", [node("Softmax", ["X"], ["Y"], axis=1)], [("X", x64)], [("Y", softmax_ref(x64, 1))], opset=13)
    case("softmax_empty", [node("Softmax", ["X"], ["Y"])], [("X", rand(0, 4))], [("Y", np.zeros((0, 4), np.float32))],
         opset=13)


# ------------------------------------------------------------------------------------------------------
# Shape-like ops

def shape_op_cases():
    x = rand(2, 3, 4)
    for dtype, dname in ((np.float32, "f32"), (np.int64, "i64"), (np.bool_, "bool")):
        v = (x > 0) if dtype == np.bool_ else x.astype(dtype) if dtype != np.int64 else randint(2, 3, 4)
        case(f"identity_{dname}", [node("Identity", ["X"], ["Y"])], [("X", v)], [("Y", v)], opset=14)

    # Constant in all its attribute forms, fed into an Add so the output is computed.
    t = rand(2, 3)
    consts = {
        "value": (helper.make_tensor("v", TensorProto.FLOAT, [2, 3], t.flatten().tolist()), t),
        "value_float": (2.5, np.float32(2.5)),
        "value_floats": ([1.0, 2.0, 3.0], np.array([1, 2, 3], np.float32)),
        "value_int": (7, np.int64(7)),
        "value_ints": ([4, 5, 6], np.array([4, 5, 6], np.int64)),
    }
    for attr, (value, array) in consts.items():
        array = np.asarray(array)
        case(f"constant_{attr}", [node("Constant", [], ["Y"], **{attr: value})], [], [("Y", array)], opset=13)
        base = rand(2, 3).astype(array.dtype) if array.dtype == np.float32 else randint(2, 3)
        case(f"constant_{attr}_add", [node("Constant", [], ["C"], **{attr: value}), node("Add", ["X", "C"], ["Y"])],
             [("X", base)], [("Y", base + array)], opset=13)

    # Reshape
    for name, shape, opset, allowzero in (
        ("copy0_infer", [0, -1], 13, None),
        ("flat", [-1], 13, None),
        ("explicit", [4, 3, 2], 13, None),
        ("copy_middle", [2, 0, 2, 2], 13, None),
        ("zero_allowzero0_opset14", [0, 12], 14, 0),
    ):
        target = [x.shape[i] if (s == 0 and not allowzero) else s for i, s in enumerate(shape)]
        y = x.reshape(target)
        attrs = {} if allowzero is None else {"allowzero": allowzero}
        case(f"reshape_{name}", [node("Reshape", ["X", "shape"], ["Y"], **attrs)], [("X", x)], [("Y", y)],
             opset=opset, initializers={"shape": np.array(shape, np.int64)})
    z = rand(0, 3)
    case("reshape_allowzero", [node("Reshape", ["X", "shape"], ["Y"], allowzero=1)], [("X", z)],
         [("Y", z.reshape(3, 0))], opset=14, initializers={"shape": np.array([3, 0], np.int64)})
    case("reshape_symbolic_batch", [node("Reshape", ["X", "shape"], ["Y"])], [("X", x)], [("Y", x.reshape(2, 12))],
         opset=13, initializers={"shape": np.array([0, -1], np.int64)}, input_shapes={"X": ["batch", 3, 4]},
         expect_shape="[batch,12]")
    xi = randint(2, 6)
    case("reshape_i64", [node("Reshape", ["X", "shape"], ["Y"])], [("X", xi)], [("Y", xi.reshape(3, 4))], opset=13,
         initializers={"shape": np.array([3, -1], np.int64)})
    # A shape computed from shapes at plan time: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    nodes = [
        node("Shape", ["X"], ["s"]),
        node("Gather", ["s", "zero"], ["batch"], axis=0),
        node("Unsqueeze", ["batch", "axes0"], ["batch1"]),
        node("Concat", ["batch1", "minus1"], ["target"], axis=0),
        node("Reshape", ["X", "target"], ["Y"]),
    ]
    case("reshape_from_shape_chain", nodes, [("X", x)], [("Y", x.reshape(2, -1))], opset=13,
         initializers={"zero": np.array(0, np.int64), "axes0": np.array([0], np.int64),
                       "minus1": np.array([-1], np.int64)},
         input_shapes={"X": ["batch", 3, 4]})

    # Flatten
    x4 = rand(2, 3, 4, 5)
    for axis in (0, 1, 2, 4, -1, -3):
        a = axis + 4 if axis < 0 else axis
        y = x4.reshape(int(np.prod(x4.shape[:a])), -1)
        case(f"flatten_axis_{axis}".replace("-", "m"), [node("Flatten", ["X"], ["Y"], axis=axis)], [("X", x4)],
             [("Y", y)], opset=13)
    case("flatten_default", [node("Flatten", ["X"], ["Y"])], [("X", x4)], [("Y", x4.reshape(2, -1))], opset=9)

    # Squeeze / Unsqueeze at opsets 11 (attribute) and 13 (input)
    s = rand(1, 3, 1, 4)
    case("squeeze_opset11_axes", [node("Squeeze", ["X"], ["Y"], axes=[0, -2])], [("X", s)], [("Y", s.reshape(3, 4))],
         opset=11)
    case("squeeze_opset11_all", [node("Squeeze", ["X"], ["Y"])], [("X", s)], [("Y", s.reshape(3, 4))], opset=11)
    case("squeeze_opset13_axes", [node("Squeeze", ["X", "axes"], ["Y"])], [("X", s)], [("Y", s.reshape(1, 3, 4))],
         opset=13, initializers={"axes": np.array([2], np.int64)})
    case("squeeze_opset13_all", [node("Squeeze", ["X"], ["Y"])], [("X", s)], [("Y", s.reshape(3, 4))], opset=13)
    si = randint(1, 5)
    case("squeeze_i64", [node("Squeeze", ["X", "axes"], ["Y"])], [("X", si)], [("Y", si.reshape(5))], opset=13,
         initializers={"axes": np.array([0], np.int64)})
    u = rand(3, 4)
    case("unsqueeze_opset11", [node("Unsqueeze", ["X"], ["Y"], axes=[0, 3])], [("X", u)],
         [("Y", u.reshape(1, 3, 4, 1))], opset=11)
    case("unsqueeze_opset13_negative", [node("Unsqueeze", ["X", "axes"], ["Y"])], [("X", u)],
         [("Y", u.reshape(3, 1, 4, 1))], opset=13, initializers={"axes": np.array([-1, 1], np.int64)})
    sc = np.array(3.5, np.float32)
    case("unsqueeze_scalar", [node("Unsqueeze", ["X", "axes"], ["Y"])], [("X", sc)], [("Y", sc.reshape(1))], opset=13,
         initializers={"axes": np.array([0], np.int64)})

    # Shape, with start/end from opset 15
    case("shape_opset13", [node("Shape", ["X"], ["Y"])], [("X", x4)], [("Y", np.array(x4.shape, np.int64))], opset=13)
    for start, end in ((1, None), (None, -1), (-2, None), (1, 3), (3, 1), (-10, 10)):
        attrs = {}
        if start is not None:
            attrs["start"] = start
        if end is not None:
            attrs["end"] = end
        y = np.array(x4.shape[slice(start, end)], np.int64)
        case(f"shape_opset15_{start}_{end}".replace("-", "m"), [node("Shape", ["X"], ["Y"], **attrs)], [("X", x4)],
             [("Y", y)], opset=15)
    case("shape_scalar", [node("Shape", ["X"], ["Y"])], [("X", sc)], [("Y", np.zeros(0, np.int64))], opset=13)


def transpose_cases():
    x = rand(2, 3, 4)
    case("transpose_default", [node("Transpose", ["X"], ["Y"])], [("X", x)], [("Y", x.transpose())], opset=13)
    x4 = rand(2, 3, 4, 5)
    for perm in ([0, 2, 1, 3], [3, 0, 1, 2], [0, 1, 3, 2], [0, 1, 2, 3], [2, 3, 0, 1]):
        case("transpose_" + "".join(map(str, perm)), [node("Transpose", ["X"], ["Y"], perm=perm)], [("X", x4)],
             [("Y", x4.transpose(perm))], opset=13)
    xi = randint(3, 1, 5)
    case("transpose_i64", [node("Transpose", ["X"], ["Y"], perm=[2, 0, 1])], [("X", xi)],
         [("Y", xi.transpose(2, 0, 1))], opset=13)
    xb = rand(1, 5, 1, 3) > 0
    case("transpose_bool_unit_dims", [node("Transpose", ["X"], ["Y"], perm=[3, 2, 1, 0])], [("X", xb)],
         [("Y", xb.transpose(3, 2, 1, 0))], opset=13)
    big = rand(33, 65)
    case("transpose_2d", [node("Transpose", ["X"], ["Y"])], [("X", big)], [("Y", big.T.copy())], opset=13)
    e = rand(0, 3)
    case("transpose_empty", [node("Transpose", ["X"], ["Y"])], [("X", e)], [("Y", np.zeros((3, 0), np.float32))],
         opset=13)
    # The two innermost loops of a transpose run as 8 x 8 tiles (4-byte elements in vector registers), the
    # edges element by element: sizes around 8 and 16, every element size, a batch of them.
    for rows, cols in ((1, 9), (7, 9), (8, 8), (9, 17), (16, 24), (17, 33), (40, 3)):
        x = rand(rows, cols)
        case(f"transpose_tiles_{rows}x{cols}", [node("Transpose", ["X"], ["Y"])], [("X", x)], [("Y", x.T.copy())],
             opset=13)
    for dtype in (np.int32, np.float64, np.int8, np.bool_):
        x = rand(3, 17, 10) > 0 if dtype == np.bool_ else randint(3, 17, 10, dtype=dtype)
        case(f"transpose_tiles_{np.dtype(dtype).name}", [node("Transpose", ["X"], ["Y"], perm=[0, 2, 1])],
             [("X", x)], [("Y", x.transpose(0, 2, 1).copy())], opset=13)
    for shape, perm in (((1, 16, 7, 16), [0, 3, 1, 2]), ((2, 9, 5, 11), [0, 2, 3, 1]), ((3, 8, 16), [2, 1, 0]),
                        ((2, 3, 16, 8), [0, 3, 2, 1]), ((4, 0, 9), [0, 2, 1])):
        x = rand(*shape)
        case("transpose_" + "x".join(map(str, shape)) + "_" + "".join(map(str, perm)),
             [node("Transpose", ["X"], ["Y"], perm=perm)], [("X", x)], [("Y", x.transpose(perm).copy())], opset=13)


def concat_cases():
    a, b, c = rand(2, 3, 4), rand(2, 1, 4), rand(2, 5, 4)
    case("concat_axis1", [node("Concat", ["A", "B", "C"], ["Y"], axis=1)], [("A", a), ("B", b), ("C", c)],
         [("Y", np.concatenate([a, b, c], 1))], opset=13)
    d = rand(2, 3, 2)
    case("concat_axis_m1", [node("Concat", ["A", "D"], ["Y"], axis=-1)], [("A", a), ("D", d)],
         [("Y", np.concatenate([a, d], -1))], opset=13)
    case("concat_axis0", [node("Concat", ["A", "A2"], ["Y"], axis=0)], [("A", a), ("A2", a[:1])],
         [("Y", np.concatenate([a, a[:1]], 0))], opset=13)
    z = rand(2, 0, 4)
    case("concat_zero_sized", [node("Concat", ["A", "Z"], ["Y"], axis=1)], [("A", a), ("Z", z)],
         [("Y", np.concatenate([a, z], 1))], opset=13)
    i, j = randint(3), randint(2)
    case("concat_i64", [node("Concat", ["I", "J"], ["Y"], axis=0)], [("I", i), ("J", j)],
         [("Y", np.concatenate([i, j]))], opset=13)
    case("concat_single", [node("Concat", ["A"], ["Y"], axis=2)], [("A", a)], [("Y", a)], opset=13)


def gather_cases():
    data = rand(5, 4, 3)
    idx = np.array([0, -1, 2, -5, 4], np.int64)
    case("gather_axis0_negative", [node("Gather", ["D", "I"], ["Y"], axis=0)], [("D", data), ("I", idx)],
         [("Y", np.take(data, idx, axis=0))], opset=13)
    idx2 = np.array([[1, -1], [0, 2]], np.int32)
    case("gather_axis1_i32_2d", [node("Gather", ["D", "I"], ["Y"], axis=1)], [("D", data), ("I", idx2)],
         [("Y", np.take(data, idx2, axis=1))], opset=13)
    case("gather_axis_m1", [node("Gather", ["D", "I"], ["Y"], axis=-1)],
         [("D", data), ("I", np.array([2, 0], np.int64))],
         [("Y", np.take(data, [2, 0], axis=-1))], opset=13)
    case("gather_scalar_index", [node("Gather", ["D", "I"], ["Y"], axis=1)],
         [("D", data), ("I", np.array(3, np.int64))],
         [("Y", np.take(data, 3, axis=1))], opset=13)
    di = randint(6, 2)
    case("gather_i64_data", [node("Gather", ["D", "I"], ["Y"])], [("D", di), ("I", np.array([5, 0, 5], np.int64))],
         [("Y", np.take(di, [5, 0, 5], axis=0))], opset=11)
    case("gather_empty_indices", [node("Gather", ["D", "I"], ["Y"])], [("D", data), ("I", np.zeros(0, np.int64))],
         [("Y", np.zeros((0, 4, 3), np.float32))], opset=13)
    emb = rand(10, 8)
    case("gather_embedding_initializer", [node("Gather", ["E", "I"], ["Y"])], [("I", np.array([[1, 9, 3]], np.int64))],
         [("Y", emb[[[1, 9, 3]]])], opset=13, initializers={"E": emb})


def cast_cases():
    f = np.array([[-2.7, -1.2, -0.5, 0.0], [0.5, 1.9, 3.0, 100.6]], np.float32)
    to = {
        "f32_to_i32": (f, TensorProto.INT32, np.trunc(f).astype(np.int32)),
        "f32_to_i64": (f, TensorProto.INT64, np.trunc(f).astype(np.int64)),
        "f32_to_f64": (f, TensorProto.DOUBLE, f.astype(np.float64)),
        "f32_to_bool": (f, TensorProto.BOOL, f != 0),
        "f32_to_u8": (np.abs(f), TensorProto.UINT8, np.trunc(np.abs(f)).astype(np.uint8)),
        "f32_to_i8": (f, TensorProto.INT8, np.trunc(f).astype(np.int8)),
        "f64_to_f32": (f.astype(np.float64) / 3, TensorProto.FLOAT, (f.astype(np.float64) / 3).astype(np.float32)),
        "i64_to_f32": (randint(3, 4), TensorProto.FLOAT, None),
        "i64_to_i32": (randint(7), TensorProto.INT32, None),
        "i32_to_i64": (randint(7, dtype=np.int32), TensorProto.INT64, None),
        "bool_to_f32": (f > 0, TensorProto.FLOAT, None),
        "bool_to_i64": (f > 0, TensorProto.INT64, None),
        "u8_to_f32": (randint(9, dtype=np.uint8, low=0, high=255), TensorProto.FLOAT, None),
        "f32_to_f32": (f, TensorProto.FLOAT, f),
    }
    np_of = {TensorProto.FLOAT: np.float32, TensorProto.INT32: np.int32, TensorProto.INT64: np.int64}
    for name, (x, target, y) in to.items():
        if y is None:
            y = x.astype(np_of[target])
        case(f"cast_{name}", [node("Cast", ["X"], ["Y"], to=target)], [("X", x)], [("Y", y)], opset=13)
    big = rand(3, 50, low=-1000, high=1000)
    case("cast_f32_to_i32_long", [node("Cast", ["X"], ["Y"], to=TensorProto.INT32)], [("X", big)],
         [("Y", np.trunc(big).astype(np.int32))], opset=13)
    case("cast_empty", [node("Cast", ["X"], ["Y"], to=TensorProto.INT64)], [("X", rand(0, 2))],
         [("Y", np.zeros((0, 2), np.int64))], opset=13)


def batchnorm_ref(x, scale, bias, mean, var, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (t64(x) - t64(mean).reshape(shape)) / torch.sqrt(t64(var).reshape(shape) + eps)
    return (y * t64(scale).reshape(shape) + t64(bias).reshape(shape)).numpy().astype(x.dtype)


def batchnorm_cases():
    for shape, opset, eps in (((2, 3, 4, 5), 9, 1e-3), ((2, 3), 15, 1e-5), ((2, 3, 7), 15, 1e-5),
                              ((1, 4, 2, 2, 3), 14, 1e-2), ((2, 3, 4, 5), 7, 1e-5)):
        c = shape[1]
        x = rand(*shape)
        scale, bias, mean, var = rand(c), rand(c), rand(c), rand(c, low=0.1, high=2.0)
        attrs = {} if eps == 1e-5 else {"epsilon": eps}
        case(f"batchnorm_opset{opset}_rank{len(shape)}",
             [node("BatchNormalization", ["X", "scale", "B", "mean", "var"], ["Y"], **attrs)], [("X", x)],
             [("Y", batchnorm_ref(x, scale, bias, mean, var, eps))], opset=opset,
             initializers={"scale": scale, "B": bias, "mean": mean, "var": var})
    # Statistics as graph inputs, float64.
    x = rand(2, 3, 4, dtype=np.float64)
    stats = [rand(3, dtype=np.float64), rand(3, dtype=np.float64), rand(3, dtype=np.float64),
             rand(3, dtype=np.float64, low=0.1, high=1.0)]
    case("batchnorm_f64_inputs", [node("BatchNormalization", ["X", "scale", "B", "mean", "var"], ["Y"])],
         [("X", x)] + list(zip(["scale", "B", "mean", "var"], stats)),
         [("Y", batchnorm_ref(x, *stats, 1e-5))], opset=15)
    # spatial = 0 (opset 7/8): statistics per element of dims[1:].
    x = rand(2, 3, 4)
    scale, bias, mean, var = rand(3, 4), rand(3, 4), rand(3, 4), rand(3, 4, low=0.1, high=2.0)
    y = ((t64(x) - t64(mean)) / torch.sqrt(t64(var) + 1e-5) * t64(scale) + t64(bias)).numpy().astype(np.float32)
    case("batchnorm_opset7_spatial0",
         [node("BatchNormalization", ["X", "scale", "B", "mean", "var"], ["Y"], spatial=0)],
         [("X", x)], [("Y", y)], opset=7, initializers={"scale": scale, "B": bias, "mean": mean, "var": var})


def symbolic_cases():
    # A target shape computed from tensor data: the plan runs eagerly (reshape per call with the values).
    x = rand(2, 3)
    case("reshape_shape_from_data_eager",
         [node("Cast", ["F"], ["S"], name="to_int", to=TensorProto.INT64), node("Reshape", ["X", "S"], ["Y"])],
         [("X", x), ("F", np.array([3, 2], np.float32))], [("Y", x.reshape(3, 2))], opset=13)
    """Load-time shape inference keeps dim_param symbols where they are derivable."""
    x = rand(2, 3, 4)
    sym = {"X": ["batch", 3, 4]}
    one = {"axes": np.array([1], np.int64)}
    for name, nodes, y, shape, inits in (
        ("flatten_axis1", [node("Flatten", ["X"], ["Y"], axis=1)], x.reshape(2, 12), "[batch,12]", None),
        ("flatten_axis2", [node("Flatten", ["X"], ["Y"], axis=2)], x.reshape(6, 4), "[?,4]", None),
        ("transpose", [node("Transpose", ["X"], ["Y"], perm=[2, 0, 1])], x.transpose(2, 0, 1), "[4,batch,3]", None),
        ("unsqueeze", [node("Unsqueeze", ["X", "axes"], ["Y"])], x.reshape(2, 1, 3, 4), "[batch,1,3,4]", one),
        ("softmax", [node("Softmax", ["X"], ["Y"])], softmax_ref(x, -1).astype(np.float32), "[batch,3,4]", None),
        ("shape", [node("Shape", ["X"], ["Y"])], np.array([2, 3, 4], np.int64), "[3]", None),
        ("cast", [node("Cast", ["X"], ["Y"], to=TensorProto.DOUBLE)], x.astype(np.float64), "[batch,3,4]", None),
        ("concat", [node("Concat", ["X", "X"], ["Y"], axis=1)], np.concatenate([x, x], 1), "[batch,6,4]", None),
        ("matmul_b1d", [node("MatMul", ["X", "v"], ["Y"])], x @ np.ones(4, np.float32), "[batch,3]",
         {"v": np.ones(4, np.float32)}),
        ("gather_axis1", [node("Gather", ["X", "i"], ["Y"], axis=1)], x[:, [2, 0]], "[batch,2,4]",
         {"i": np.array([2, 0], np.int64)}),
    ):
        case(f"symbolic_{name}", nodes, [("X", x)], [("Y", y)], opset=13, initializers=inits, input_shapes=sym,
             expect_shape=shape)
    s = rand(2, 1, 3)
    case("symbolic_squeeze", [node("Squeeze", ["X", "axes"], ["Y"])], [("X", s)], [("Y", s.reshape(2, 3))], opset=13,
         initializers={"axes": np.array([1], np.int64)}, input_shapes={"X": ["batch", 1, 3]}, expect_shape="[batch,3]")
    emb, ids = rand(10, 8), np.array([[1, 2, 3], [4, 5, 9]], np.int64)
    case("symbolic_gather_embedding", [node("Gather", ["E", "I"], ["Y"])], [("I", ids)], [("Y", emb[ids])], opset=13,
         initializers={"E": emb}, input_shapes={"I": ["batch", "seq"]}, expect_shape="[batch,seq,8]")


# ------------------------------------------------------------------------------------------------------
# Bad input: each error must name the op type and the node.

def error_cases():
    f = np.float32
    def e(name, op, nodes, inputs, outputs, expected, **kw):
        error_case(name, nodes, inputs, outputs, [f"{op} node '{nodes[-1].name}'"] + expected, **kw)

    e("gemm_inner_mismatch", "Gemm", [node("Gemm", ["A", "B"], ["Y"], name="fc1")],
      [("A", rand(2, 3)), ("B", rand(4, 5))], [("Y", rand(1))],
      ["inner dimensions 3 and 4 differ", "code=INVALID_ARGUMENT"])
    e("matmul_inner_mismatch", "MatMul", [node("MatMul", ["A", "B"], ["Y"], name="mm")],
      [("A", rand(2, 3)), ("B", rand(4, 5))], [("Y", rand(1))], ["inner dimensions"])
    e("add_no_broadcast", "Add", [node("Add", ["A", "B"], ["Y"], name="add1")],
      [("A", rand(2, 3)), ("B", rand(4))], [("Y", rand(1))], ["[2,3]", "[4]"])
    e("div_int_by_zero", "Div", [node("Div", ["A", "B"], ["Y"], name="div1")],
      [("A", randint(3)), ("B", np.array([1, 0, 2], np.int64))], [("Y", randint(1))],
      ["division by zero", "code=INVALID_ARGUMENT"])
    e("sigmoid_int_dtype", "Sigmoid", [node("Sigmoid", ["X"], ["Y"], name="sig")],
      [("X", randint(3, dtype=np.int32))], [("Y", randint(1, dtype=np.int32))], ["int32", "code=UNIMPLEMENTED"])
    e("relu_bool_dtype", "Relu", [node("Relu", ["X"], ["Y"], name="r")],
      [("X", rand(3) > 0)], [("Y", rand(3) > 0)], ["bool"])
    e("softmax_axis_range", "Softmax", [node("Softmax", ["X"], ["Y"], name="sm", axis=3)],
      [("X", rand(2, 3))], [("Y", rand(1))], ["axis 3"], opset=13)
    e("reshape_bad_count", "Reshape", [node("Reshape", ["X", "shape"], ["Y"], name="rs")],
      [("X", rand(2, 3))], [("Y", rand(1))], ["[2,3]"], initializers={"shape": np.array([4, 2], np.int64)})
    e("reshape_two_minus_one", "Reshape", [node("Reshape", ["X", "shape"], ["Y"], name="rs2")],
      [("X", rand(2, 3))], [("Y", rand(1))], ["more than one -1"], initializers={"shape": np.array([-1, -1], np.int64)})
    e("flatten_axis_range", "Flatten", [node("Flatten", ["X"], ["Y"], name="fl", axis=3)],
      [("X", rand(2, 3))], [("Y", rand(1))], ["axis 3"])
    e("squeeze_not_one", "Squeeze", [node("Squeeze", ["X", "axes"], ["Y"], name="sq")],
      [("X", rand(2, 3))], [("Y", rand(1))], ["axis 1", "not 1"], opset=13,
      initializers={"axes": np.array([1], np.int64)})
    e("unsqueeze_repeated", "Unsqueeze", [node("Unsqueeze", ["X"], ["Y"], name="usq", axes=[1, 1])],
      [("X", rand(2, 3))], [("Y", rand(1))], ["repeat"], opset=11)
    e("transpose_bad_perm", "Transpose", [node("Transpose", ["X"], ["Y"], name="tp", perm=[0, 0])],
      [("X", rand(2, 3))], [("Y", rand(1))], ["perm [0,0]"])
    e("transpose_perm_rank", "Transpose", [node("Transpose", ["X"], ["Y"], name="tp2", perm=[1, 0])],
      [("X", rand(2, 3, 4))], [("Y", rand(1))], ["rank 3"])
    e("concat_rank_mismatch", "Concat", [node("Concat", ["A", "B"], ["Y"], name="cat", axis=0)],
      [("A", rand(2, 3)), ("B", rand(2, 3, 4))], [("Y", rand(1))], ["ranks differ", "code=INVALID_ARGUMENT"])
    e("concat_dim_mismatch", "Concat", [node("Concat", ["A", "B"], ["Y"], name="cat2", axis=0)],
      [("A", rand(2, 3)), ("B", rand(2, 4))], [("Y", rand(1))], ["dimension 1"])
    e("gather_index_out_of_range", "Gather", [node("Gather", ["D", "I"], ["Y"], name="emb")],
      [("D", rand(5, 2)), ("I", np.array([1, 7], np.int64))], [("Y", rand(1))],
      ["index 7", "[-5, 4]", "code=INVALID_ARGUMENT"])
    e("gather_negative_out_of_range", "Gather", [node("Gather", ["D", "I"], ["Y"], name="emb2", axis=1)],
      [("D", rand(5, 2)), ("I", np.array([-3], np.int32))], [("Y", rand(1))], ["index -3", "[-2, 1]"])
    e("cast_to_float16", "Cast", [node("Cast", ["X"], ["Y"], name="c16", to=TensorProto.FLOAT16)],
      [("X", rand(2))], [("Y", rand(1))], ["float16", "code=UNIMPLEMENTED"])
    e("batchnorm_training", "BatchNormalization",
      [node("BatchNormalization", ["X", "s", "b", "m", "v"], ["Y"], name="bn", training_mode=1)],
      [("X", rand(2, 3))], [("Y", rand(1))], ["training", "code=UNIMPLEMENTED"], opset=15,
      initializers={"s": rand(3), "b": rand(3), "m": rand(3), "v": rand(3, low=0.1)})
    e("batchnorm_channels", "BatchNormalization",
      [node("BatchNormalization", ["X", "s", "b", "m", "v"], ["Y"], name="bn2")],
      [("X", rand(2, 3))], [("Y", rand(1))], ["scale is [4]", "3 channels"], opset=15,
      initializers={"s": rand(4), "b": rand(4), "m": rand(4), "v": rand(4, low=0.1)})
    e("constant_sparse", "Constant",
      [node("Constant", [], ["Y"], name="sparse",
            sparse_value=helper.make_sparse_tensor(helper.make_tensor("v", TensorProto.FLOAT, [2], [1.0, 2.0]),
                                                   helper.make_tensor("i", TensorProto.INT64, [2], [0, 3]), [5]))],
      [], [("Y", rand(1))], ["sparse_value"])
    e("identity_two_inputs", "Identity", [node("Identity", ["X", "X"], ["Y"], name="id")],
      [("X", rand(2))], [("Y", rand(1))], ["inputs"])
    e("shape_two_inputs", "Shape", [node("Shape", ["X", "X"], ["Y"], name="sh")],
      [("X", rand(2))], [("Y", randint(1))], ["inputs"])
    e("add_mixed_dtypes", "Add", [node("Add", ["A", "B"], ["Y"], name="mixed")],
      [("A", rand(2)), ("B", rand(2, dtype=np.float64))], [("Y", rand(1))], ["same dtype"])
    e("leakyrelu_dtype", "LeakyRelu", [node("LeakyRelu", ["X"], ["Y"], name="lr")],
      [("X", randint(2))], [("Y", randint(1))], ["int64"])
    e("tanh_dtype", "Tanh", [node("Tanh", ["X"], ["Y"], name="th")],
      [("X", randint(2))], [("Y", randint(1))], ["int64"])
    e("mul_dtype", "Mul", [node("Mul", ["A", "B"], ["Y"], name="mul_bool")],
      [("A", rand(2) > 0), ("B", rand(2) > 0)], [("Y", rand(1) > 0)], ["input 0 has dtype bool"])
    e("sub_dtype", "Sub", [node("Sub", ["A", "B"], ["Y"], name="sub_b")],
      [("A", rand(2) > 0), ("B", rand(2) > 0)], [("Y", rand(1) > 0)], ["bool"])



if __name__ == "__main__":
    from opcase import run
    run([gemm_cases, matmul_cases, binary_cases, activation_cases, softmax_cases, shape_op_cases,
         transpose_cases, concat_cases, gather_cases, cast_cases, batchnorm_cases, symbolic_cases, error_cases])
