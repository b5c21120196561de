"""Operator cases of the reduce family: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ArgMax, ArgMin, CumSum, TopK.
References are numpy formulas (float64, then cast). The random generators are tested in tests/ops/random/.
See opcase.py for the layout."""

import warnings

import numpy as np
from onnx import TensorProto

from opcase import case, error_case, node, rand, randint

# ------------------------------------------------------------------------------------------------------
# Reduce*


def _sum(x, axes, keep):
    return np.sum(x, axis=axes, keepdims=keep)


def _logsumexp(x, axes, keep):
    m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros([1] * x.ndim)
    m = np.where(np.isfinite(m), m, 0.0)
    s = np.sum(np.exp(x - m), axis=axes, keepdims=True)
    with np.errstate(divide="ignore"):
        r = np.log(s) + m
    return r if keep else np.squeeze(r, axis=axes)


def _empty_max(x, axes, keep):
    return np.max(x, axis=axes, keepdims=keep, initial=-np.inf)


def _empty_min(x, axes, keep):
    return np.min(x, axis=axes, keepdims=keep, initial=np.inf)


REDUCE = {
    "ReduceSum": _sum,
    "ReduceMean": lambda x, a, k: np.mean(x, axis=a, keepdims=k),
    "ReduceMax": _empty_max,
    "ReduceMin": _empty_min,
    "ReduceProd": lambda x, a, k: np.prod(x, axis=a, keepdims=k),
    "ReduceSumSquare": lambda x, a, k: np.sum(x * x, axis=a, keepdims=k),
    "ReduceL1": lambda x, a, k: np.sum(np.abs(x), axis=a, keepdims=k),
    "ReduceL2": lambda x, a, k: np.sqrt(np.sum(x * x, axis=a, keepdims=k)),
    "ReduceLogSum": lambda x, a, k: np.log(np.sum(x, axis=a, keepdims=k)),
    "ReduceLogSumExp": _logsumexp,
}

# Element-wise part of each reduction (what noop_with_empty_axes leaves).
ELEMENTWISE = {
    "ReduceSum": lambda x: x, "ReduceMean": lambda x: x, "ReduceMax": lambda x: x, "ReduceMin": lambda x: x,
    "ReduceProd": lambda x: x, "ReduceSumSquare": lambda x: x * x, "ReduceL1": np.abs, "ReduceL2": np.abs,
    "ReduceLogSum": np.log, "ReduceLogSumExp": lambda x: x,
}


def axes_input_since(op):
    return 13 if op == "ReduceSum" else 18


def short(op):
    return op[len("Reduce"):].lower()


def reduce_ref(op, x, axes, keep):
    """x of any dtype; computed in float64 and cast back (integer results truncate toward zero)."""
    axes_t = None if axes is None else tuple(axes)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of an empty set is NaN
        y = np.asarray(REDUCE[op](x.astype(np.float64), axes_t, bool(keep)))
    if np.issubdtype(x.dtype, np.integer):
        if op == "ReduceMean":  # integer division, truncating
            s = np.sum(x.astype(np.int64), axis=axes_t, keepdims=bool(keep))
            n = x.size // max(s.size, 1) if x.size else 0
            y = np.sign(s) * (np.abs(s) // n)
        info = np.iinfo(x.dtype)  # saturating, as sofie: the identity of an empty Max is the lowest value
        return np.clip(np.nan_to_num(np.trunc(y), nan=0.0), info.min, info.max).astype(x.dtype)
    return y.astype(x.dtype)


def reduce_positive_input(op, *shape, dtype=np.float32):
    # LogSum needs a positive sum; Prod stays moderate near 1.
    if op == "ReduceLogSum":
        return rand(*shape, dtype=dtype, low=0.1, high=2.0)
    if op == "ReduceProd":
        return rand(*shape, dtype=dtype, low=0.6, high=1.5) * np.where(rand(*shape) > 0, 1, -1).astype(dtype)
    return rand(*shape, dtype=dtype)


def reduce_case(name, op, x, axes, keepdims, opset, noop=None, axes_as_input=None, **kw):
    """axes None = attribute/input absent. keepdims None = default (1)."""
    attrs = {}
    if keepdims is not None:
        attrs["keepdims"] = keepdims
    if noop is not None:
        attrs["noop_with_empty_axes"] = noop
    inits = {}
    inputs = ["X"]
    use_input = opset >= axes_input_since(op) if axes_as_input is None else axes_as_input
    if axes is not None:
        if use_input:
            inputs.append("axes")
            inits["axes"] = np.array(axes, np.int64)
        else:
            attrs["axes"] = axes
    keep = 1 if keepdims is None else keepdims
    if noop and not axes:
        y = ELEMENTWISE[op](x.astype(np.float64)).astype(x.dtype)
    else:
        y = reduce_ref(op, x, axes if axes else None, keep)
    case(name, [node(op, inputs, ["Y"], **attrs)], [("X", x)], [("Y", y)], opset=opset, initializers=inits, **kw)


def reduce_cases():
    shape = (2, 3, 4, 5)
    # Rows ([..,R]), columns ([..,R,I]), multi-group ([R,K,R,K]), merged groups, negative axes, all.
    axes_variants = {
        "last": [3], "mid": [1], "first": [0], "r_k_r": [0, 2], "k_r_k_r": [1, 3], "merged": [1, 2],
        "neg": [-1, -3], "all_listed": [0, 1, 2, 3], "default": None,
    }
    for op in REDUCE:
        new = axes_input_since(op)
        old = 11 if op == "ReduceSum" else 13
        for vname, axes in axes_variants.items():
            for keep in (0, 1):
                x = reduce_positive_input(op, *shape)
                reduce_case(f"{short(op)}_{vname}_keep{keep}_opset{old}", op, x, axes, keep, old)
                x = reduce_positive_input(op, *shape)
                reduce_case(f"{short(op)}_{vname}_keep{keep}_opset{new}", op, x, axes, keep, new)
        # Long rows and wide columns (the vector blocks and their tails).
        x = reduce_positive_input(op, 3, 133)
        reduce_case(f"{short(op)}_long_rows", op, x, [1], 0, new)
        x = reduce_positive_input(op, 7, 70)
        reduce_case(f"{short(op)}_wide_columns", op, x, [0], 1, new)
        x = reduce_positive_input(op, 5, 2, 33)
        reduce_case(f"{short(op)}_outer_reduced_columns", op, x, [0, 1], 1, new)
        # Default keepdims, opset 1 (attribute form), size-1 dims.
        x = reduce_positive_input(op, 1, 4, 1, 3)
        reduce_case(f"{short(op)}_unit_dims_opset7", op, x, [1, 2], None, 7)
        x = reduce_positive_input(op, 3, 1, 4)
        reduce_case(f"{short(op)}_only_unit_dims_reduced", op, x, [1], 0, new)
        # noop_with_empty_axes (input versions): no axes input / an empty one.
        x = reduce_positive_input(op, 3, 4)
        reduce_case(f"{short(op)}_noop_no_axes", op, x, None, 1, new, noop=1)
        x = reduce_positive_input(op, 3, 4)
        reduce_case(f"{short(op)}_noop_empty_axes", op, x, [], 0, new, noop=1)
        x = reduce_positive_input(op, 3, 4)
        reduce_case(f"{short(op)}_empty_axes_reduces_all", op, x, [], 0, new, noop=0)
        # Zero-sized: a reduced dim of 0 gives the identity; a kept dim of 0 an empty output.
        x = np.zeros((2, 0, 3), np.float32)
        reduce_case(f"{short(op)}_empty_set", op, x, [1], 1, new)
        reduce_case(f"{short(op)}_empty_set_all", op, x, None, 0, new)
        reduce_case(f"{short(op)}_empty_kept", op, x, [2], 0, new)
        # float64
        x = reduce_positive_input(op, 4, 6, dtype=np.float64)
        reduce_case(f"{short(op)}_f64", op, x, [0], 0, new)
        # Scalar input: nothing to reduce but the element-wise part.
        x = reduce_positive_input(op, 1)[0:1].reshape(())
        reduce_case(f"{short(op)}_scalar", op, x, None, 1, new)
        # Symbolic batch.
        x = reduce_positive_input(op, 2, 3, 4)
        reduce_case(f"{short(op)}_symbolic", op, x, [1], 1, new, input_shapes={"X": ["batch", 3, 4]},
                    expect_shape="[batch,1,4]")
        # Integer dtypes.
        for dtype, dname in ((np.int32, "i32"), (np.int64, "i64")):
            low = 1 if op in ("ReduceLogSum",) else -5
            x = randint(3, 4, 5, dtype=dtype, low=low, high=6)
            reduce_case(f"{short(op)}_{dname}_rows", op, x, [2], 1, new)
            x = randint(3, 4, 5, dtype=dtype, low=low, high=6)
            reduce_case(f"{short(op)}_{dname}_cols", op, x, [0], 0, new)
        if op in ("ReduceMax", "ReduceMin"):
            for dtype, dname in ((np.int8, "i8"), (np.uint8, "u8")):
                x = randint(4, 70, dtype=dtype, low=0 if dtype == np.uint8 else -128, high=127)
                reduce_case(f"{short(op)}_{dname}", op, x, [1], 0, new)
                x = randint(4, 70, dtype=dtype, low=0 if dtype == np.uint8 else -128, high=127)
                reduce_case(f"{short(op)}_{dname}_cols", op, x, [0], 1, new)
                reduce_case(f"{short(op)}_{dname}_empty_set", op, np.zeros((3, 0), dtype), [1], 0, new)
            xb = rand(3, 5) > 0.5
            f = np.any if op == "ReduceMax" else np.all
            case(f"{short(op)}_bool_opset20", [node(op, ["X", "axes"], ["Y"], keepdims=0)], [("X", xb)],
                 [("Y", f(xb, axis=1))], opset=20, initializers={"axes": np.array([1], np.int64)})
    # Columns wider than one accumulator chunk (8192 float32 elements).
    for op in ("ReduceSum", "ReduceMax", "ReduceLogSumExp", "ReduceMean"):
        x = rand(3, 2, 8200)
        reduce_case(f"{short(op)}_columns_multi_chunk", op, x, [0, 1], 0, 18)
    # Short innermost reduced axes (many rows: blocks of rows, one per lane, then the tail), below a kept
    # group and with a reduced group further out, NaN in some rows, integers (int64 L2 accumulates in double).
    for n in (1, 2, 3, 7, 8, 9, 15, 16, 17):
        for op in ("ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean", "ReduceLogSumExp", "ReduceL2", "ReduceProd"):
            x = reduce_positive_input(op, 2, 37, n)
            reduce_case(f"{short(op)}_short_rows{n}", op, x, [-1], 0, 18)
        x = rand(3, 5, 2, 13, n)
        reduce_case(f"max_short_rows{n}_reduced_outer", "ReduceMax", x, [1, 4], 1, 18)
        x = rand(70, n)
        x[3, n // 2] = np.nan
        x[40, n - 1] = np.nan
        x[69, 0] = np.nan
        for op, f in (("ReduceMax", np.max), ("ReduceMin", np.min)):
            case(f"{short(op)}_short_rows{n}_nan", [node(op, ["X"], ["Y"], axes=[-1], keepdims=0)], [("X", x)],
                 [("Y", f(x, axis=1))], opset=13)
        reduce_case(f"max_short_rows{n}_i8", "ReduceMax", randint(45, n, dtype=np.int8, low=-128, high=127), [1],
                    0, 18)
        reduce_case(f"sum_short_rows{n}_i32", "ReduceSum", randint(45, n, dtype=np.int32), [1], 0, 18)
        reduce_case(f"l2_short_rows{n}_i64", "ReduceL2", randint(45, n, dtype=np.int64), [1], 0, 18)
    # Axes as a graph input (its value keys the plan).
    x = rand(3, 4, 5)
    case("sum_axes_graph_input", [node("ReduceSum", ["X", "axes"], ["Y"], keepdims=0)],
         [("X", x), ("axes", np.array([0, 2], np.int64))], [("Y", np.sum(x, axis=(0, 2)))], opset=13)
    # NaN propagates through Max/Min.
    x = rand(3, 20)
    x[1, 7] = np.nan
    x[2, 19] = np.nan
    for op, f in (("ReduceMax", np.max), ("ReduceMin", np.min)):
        case(f"{short(op)}_nan_rows", [node(op, ["X"], ["Y"], axes=[1], keepdims=0)], [("X", x)],
             [("Y", f(x, axis=1))], opset=13)
        case(f"{short(op)}_nan_cols", [node(op, ["X"], ["Y"], axes=[0], keepdims=0)], [("X", x)],
             [("Y", f(x, axis=0))], opset=13)
    # LogSumExp stays finite for large inputs and handles -inf rows.
    x = rand(2, 9, low=500, high=800)
    x[1, :] = -np.inf
    case("logsumexp_large_and_minus_inf", [node("ReduceLogSumExp", ["X"], ["Y"], axes=[1])], [("X", x)],
         [("Y", _logsumexp(x.astype(np.float64), (1,), True).astype(np.float32))], opset=13)


def reduce_error_cases():
    x = rand(2, 3)
    error_case("reduce_axis_out_of_range", [node("ReduceMean", ["X"], ["Y"], axes=[2])], [("X", x)],
               [("Y", x)], ["ReduceMean node 'reducemean_node'", "out of range"], opset=13)
    error_case("reduce_axes_repeat", [node("ReduceSum", ["X", "axes"], ["Y"])], [("X", x)], [("Y", x)],
               ["ReduceSum node", "repeat axis 1"], opset=13, initializers={"axes": np.array([1, -1], np.int64)})
    xi8 = randint(2, 3, dtype=np.int8)
    error_case("reduce_sum_int8_unsupported", [node("ReduceSum", ["X"], ["Y"])], [("X", xi8)], [("Y", xi8)],
               ["ReduceSum node", "int8", "code=UNIMPLEMENTED"], opset=13)
    error_case("reduce_axes_input_before_opset18", [node("ReduceMax", ["X", "axes"], ["Y"])], [("X", x)], [("Y", x)],
               ["ReduceMax node", "inputs"], opset=13, initializers={"axes": np.array([1], np.int64)})


# ------------------------------------------------------------------------------------------------------
# ArgMax / ArgMin


def arg_ref(op, x, axis, keep, last):
    f = np.argmax if op == "ArgMax" else np.argmin
    if last:
        flipped = np.flip(x, axis)
        y = x.shape[axis] - 1 - f(flipped, axis=axis)
    else:
        y = f(x, axis=axis)
    y = y.astype(np.int64)
    return np.expand_dims(y, axis) if keep else y


def arg_cases():
    for op in ("ArgMax", "ArgMin"):
        # Ties everywhere: small integer values.
        for axis in (0, 1, 2, -1):
            for keep in (0, 1):
                for last in (0, 1):
                    x = randint(3, 4, 20, low=0, high=4).astype(np.float32)
                    attrs = {"axis": axis, "keepdims": keep}
                    if last:
                        attrs["select_last_index"] = 1
                    case(f"{op.lower()}_axis{axis}_keep{keep}_last{last}".replace("-", "m"),
                         [node(op, ["X"], ["Y"], **attrs)], [("X", x)], [("Y", arg_ref(op, x, axis, keep, last))],
                         opset=13)
        x = rand(3, 40)
        case(f"{op.lower()}_default_axis_opset11", [node(op, ["X"], ["Y"])], [("X", x)],
             [("Y", arg_ref(op, x, 0, 1, 0))], opset=11)
        case(f"{op.lower()}_opset7", [node(op, ["X"], ["Y"], axis=1, keepdims=0)], [("X", x)],
             [("Y", arg_ref(op, x, 1, 0, 0))], opset=7)
        for dtype, dname in ((np.float64, "f64"), (np.int32, "i32"), (np.int64, "i64"), (np.int8, "i8"),
                             (np.uint8, "u8")):
            if dtype == np.float64:
                x = rand(5, 6, dtype=dtype)
            else:
                x = randint(5, 6, dtype=dtype, low=0, high=9)
            for axis in (0, 1):
                case(f"{op.lower()}_{dname}_axis{axis}", [node(op, ["X"], ["Y"], axis=axis, select_last_index=1)],
                     [("X", x)], [("Y", arg_ref(op, x, axis, 1, 1))], opset=13)
        z = rand(0, 4)
        case(f"{op.lower()}_empty_outer", [node(op, ["X"], ["Y"], axis=1, keepdims=0)], [("X", z)],
             [("Y", np.zeros((0,), np.int64))], opset=13)
        x = rand(2, 5, 3)
        case(f"{op.lower()}_symbolic", [node(op, ["X"], ["Y"], axis=1)], [("X", x)],
             [("Y", arg_ref(op, x, 1, 1, 0))], opset=13, input_shapes={"X": ["n", 5, 3]}, expect_shape="[n,1,3]")
        sc = np.array([7.0], np.float32)
        case(f"{op.lower()}_single", [node(op, ["X"], ["Y"], keepdims=0)], [("X", sc)],
             [("Y", np.array(0, np.int64))], opset=13)


def arg_error_cases():
    x = rand(2, 3)
    error_case("argmax_axis_out_of_range", [node("ArgMax", ["X"], ["Y"], axis=2)], [("X", x)],
               [("Y", np.zeros(1, np.int64))], ["ArgMax node 'argmax_node'", "axis 2 is out of range [-2, 1]"], opset=13)
    z = rand(3, 0)
    error_case("argmin_empty_axis", [node("ArgMin", ["X"], ["Y"], axis=1)], [("X", z)],
               [("Y", np.zeros(1, np.int64))], ["ArgMin node", "is empty"], opset=13)
    xb = rand(2, 3) > 0
    error_case("argmax_bool_unsupported", [node("ArgMax", ["X"], ["Y"])], [("X", xb)],
               [("Y", np.zeros(1, np.int64))], ["ArgMax node", "bool", "code=UNIMPLEMENTED"], opset=13)


# ------------------------------------------------------------------------------------------------------
# CumSum


def cumsum_ref(x, axis, exclusive, reverse):
    y = np.flip(x, axis) if reverse else x
    c = np.cumsum(y, axis=axis, dtype=np.float64 if x.dtype.kind == "f" else x.dtype)
    if exclusive:
        c = c - y
    c = np.flip(c, axis) if reverse else c
    return c.astype(x.dtype)


def cumsum_cases():
    x = rand(3, 4, 40)
    for axis in (0, 1, 2, -1, -3):
        for exclusive in (0, 1):
            for reverse in (0, 1):
                case(f"cumsum_axis{axis}_ex{exclusive}_rev{reverse}".replace("-", "m"),
                     [node("CumSum", ["X", "axis"], ["Y"], exclusive=exclusive, reverse=reverse)], [("X", x)],
                     [("Y", cumsum_ref(x, axis % 3, exclusive, reverse))], opset=14,
                     initializers={"axis": np.array(axis, np.int64)})
    v = rand(50)
    case("cumsum_1d_opset11", [node("CumSum", ["X", "axis"], ["Y"])], [("X", v)], [("Y", cumsum_ref(v, 0, 0, 0))],
         opset=11, initializers={"axis": np.array(0, np.int32)})
    for dtype, dname in ((np.float64, "f64"), (np.int32, "i32"), (np.int64, "i64")):
        xi = rand(4, 6, dtype=dtype) if dtype == np.float64 else randint(4, 6, dtype=dtype)
        for axis in (0, 1):
            case(f"cumsum_{dname}_axis{axis}", [node("CumSum", ["X", "axis"], ["Y"], exclusive=1)], [("X", xi)],
                 [("Y", cumsum_ref(xi, axis, 1, 0))], opset=14, initializers={"axis": np.array([axis], np.int64)})
    # Axis as a graph input: read when running.
    case("cumsum_axis_graph_input", [node("CumSum", ["X", "axis"], ["Y"], reverse=1)],
         [("X", x), ("axis", np.array(1, np.int64))], [("Y", cumsum_ref(x, 1, 0, 1))], opset=14)
    case("cumsum_empty", [node("CumSum", ["X", "axis"], ["Y"])], [("X", rand(0, 3))],
         [("Y", np.zeros((0, 3), np.float32))], opset=14, initializers={"axis": np.array(1, np.int64)})
    case("cumsum_symbolic", [node("CumSum", ["X", "axis"], ["Y"])], [("X", x)], [("Y", cumsum_ref(x, 2, 0, 0))],
         opset=14, initializers={"axis": np.array(2, np.int64)}, input_shapes={"X": ["a", "b", 40]},
         expect_shape="[a,b,40]")


def cumsum_error_cases():
    x = rand(2, 3)
    error_case("cumsum_axis_out_of_range", [node("CumSum", ["X", "axis"], ["Y"])], [("X", x)], [("Y", x)],
               ["CumSum node 'cumsum_node'", "axis 2 is out of range [-2, 1]"], opset=14,
               initializers={"axis": np.array(2, np.int64)})
    error_case("cumsum_axis_runtime_out_of_range", [node("CumSum", ["X", "axis"], ["Y"])],
               [("X", x), ("axis", np.array(-3, np.int64))], [("Y", x)],
               ["CumSum node", "axis -3 is out of range"], opset=14)
    xi8 = randint(2, 3, dtype=np.int8)
    error_case("cumsum_int8_unsupported", [node("CumSum", ["X", "axis"], ["Y"])], [("X", xi8)], [("Y", xi8)],
               ["CumSum node", "code=UNIMPLEMENTED"], opset=14, initializers={"axis": np.array(0, np.int64)})


# ------------------------------------------------------------------------------------------------------
# TopK


def topk_ref(x, k, axis, largest=1, sorted_=1):
    """Ties to the lower index; sorted=0 gives the selected elements in index order (sofie's choice)."""
    xm = np.moveaxis(x, axis, -1)
    flat = xm.reshape(-1, xm.shape[-1])
    vals = np.zeros((flat.shape[0], k), x.dtype)
    idxs = np.zeros((flat.shape[0], k), np.int64)
    for r, row in enumerate(flat):
        order = sorted(range(len(row)), key=lambda i: ((-float(row[i])) if largest else float(row[i]), i))[:k]
        if not sorted_:
            order = sorted(order)
        vals[r] = row[order]
        idxs[r] = order
    shape = xm.shape[:-1] + (k,)
    return np.moveaxis(vals.reshape(shape), -1, axis), np.moveaxis(idxs.reshape(shape), -1, axis)


def topk_nan_ref(x, k, largest, sorted_):
    """Along the last axis of a 2-D x; NaN counts as larger than any number, ties go to the lower index."""
    vals, idxs = [], []
    for row in x:
        def key(i):
            nan = bool(np.isnan(row[i]))
            v = 0.0 if nan else float(row[i])
            return ((0 if nan else 1), -v, i) if largest else ((1 if nan else 0), v, i)
        order = sorted(range(len(row)), key=key)[:k]
        if not sorted_:
            order = sorted(order)
        vals.append(row[order])
        idxs.append(order)
    return np.array(vals, x.dtype).reshape(len(x), k), np.array(idxs, np.int64).reshape(len(x), k)


def topk_nan_case(name, x, k, largest, sorted_):
    """TopK along the last axis of a 2-D x that may hold NaN, k as an initializer (opset 11)."""
    v, i = topk_nan_ref(x, k, largest, sorted_)
    case(name, [node("TopK", ["X", "K"], ["V", "I"], largest=largest, sorted=sorted_)], [("X", x)],
         [("V", v), ("I", i)], opset=11, initializers={"K": np.array([k], np.int64)})


def topk_case(name, x, k, opset, axis=None, largest=None, sorted_=None, k_graph_input=False, **kw):
    attrs = {}
    if axis is not None:
        attrs["axis"] = axis
    if largest is not None:
        attrs["largest"] = largest
    if sorted_ is not None:
        attrs["sorted"] = sorted_
    inputs, inits, feeds = ["X"], {}, [("X", x)]
    if opset < 10:
        attrs["k"] = k
    elif k_graph_input:
        inputs.append("K")
        feeds.append(("K", np.array([k], np.int64)))
    else:
        inputs.append("K")
        inits["K"] = np.array([k], np.int64)
    a = -1 if axis is None else axis
    v, i = topk_ref(x, k, a, 1 if largest is None else largest, 1 if sorted_ is None else sorted_)
    case(name, [node("TopK", inputs, ["V", "I"], **attrs)], feeds, [("V", v), ("I", i)], opset=opset,
         initializers=inits, **kw)


def topk_cases():
    x = rand(3, 4, 30)
    topk_case("topk_opset9_attr_k", x, 5, 9)
    topk_case("topk_opset7_axis1", x, 2, 7, axis=1)
    topk_case("topk_opset10_k_input", x, 7, 10)
    topk_case("topk_opset10_k_graph_input", x, 3, 10, k_graph_input=True)
    for axis in (0, 1, 2, -2):
        for largest in (0, 1):
            for sorted_ in (0, 1):
                k = min(x.shape[axis], 3)
                topk_case(f"topk_axis{axis}_largest{largest}_sorted{sorted_}".replace("-", "m"), x, k, 11,
                          axis=axis, largest=largest, sorted_=sorted_)
    ties = randint(4, 25, low=0, high=5).astype(np.float32)
    topk_case("topk_ties_largest", ties, 6, 11)
    topk_case("topk_ties_smallest", ties, 6, 11, largest=0)
    topk_case("topk_ties_unsorted", ties, 6, 11, sorted_=0)
    topk_case("topk_ties_strided", ties, 3, 11, axis=0)
    topk_case("topk_k_equals_n", rand(2, 9), 9, 11)
    topk_case("topk_k_zero", rand(2, 9), 0, 11)
    topk_case("topk_k1", rand(5, 100), 1, 11)
    for dtype, dname in ((np.float64, "f64"), (np.int32, "i32"), (np.int64, "i64"), (np.int8, "i8"), (np.uint8, "u8")):
        xi = rand(3, 12, dtype=dtype) if dtype == np.float64 else randint(3, 12, dtype=dtype, low=0, high=100)
        topk_case(f"topk_{dname}", xi, 4, 11)
        topk_case(f"topk_{dname}_smallest", xi, 4, 11, largest=0)
    topk_case("topk_empty_outer", rand(0, 6), 2, 11)
    topk_case("topk_symbolic", rand(2, 10), 3, 11, input_shapes={"X": ["batch", 10]}, expect_shape="[batch,3]")
    # k on either side of the insertion path's limit (16), rows with many ties, NaN among them.
    for k in (1, 2, 7, 8, 15, 16, 17, 24):
        xt = randint(6, 40, low=0, high=9).astype(np.float32)
        xt[1, ::3] = np.nan
        xt[2, :] = 4.0
        for largest in (0, 1):
            for sorted_ in (0, 1):
                topk_nan_case(f"topk_k{k}_largest{largest}_sorted{sorted_}_ties_nan", xt, k, largest, sorted_)
        topk_case(f"topk_k{k}_strided_axis", rand(40, 3, 2), k, 11, axis=0)
        topk_case(f"topk_k{k}_i64_smallest", randint(5, 33, low=-4, high=4), k, 11, largest=0)
    # Rows of 64 or more first skip what is below a lane bound: lengths around the 16 lanes (64, 100, 257),
    # ties at the bound, a NaN and infinities (no bound), monotonic rows (every element would be an insertion), integers.
    for length in (64, 100, 257):
        xr = rand(5, length)
        xr[1] = np.arange(length, dtype=np.float32)            # increasing
        xr[2] = -np.arange(length, dtype=np.float32)           # decreasing
        xr[3] = randint(1, length, low=0, high=3).astype(np.float32)  # three values: ties everywhere
        xr[4, length // 2] = np.nan
        xr[0, 3], xr[0, 5] = np.inf, -np.inf  # infinities: no bound either
        for k in (1, 8, 16):
            for largest in (0, 1):
                for sorted_ in (0, 1):
                    topk_nan_case(f"topk_n{length}_k{k}_largest{largest}_sorted{sorted_}", xr, k, largest, sorted_)
        topk_case(f"topk_n{length}_strided_axis", rand(length, 2, 3), 8, 11, axis=0)
        topk_case(f"topk_n{length}_u8_smallest", randint(3, length, dtype=np.uint8, low=0, high=7), 16, 11, largest=0)
        topk_case(f"topk_n{length}_i32", randint(3, length, dtype=np.int32, low=-50, high=50), 8, 11)
    n = np.array([[1.0, np.nan, 3.0, -1.0, np.nan, 2.0]], np.float32)
    case("topk_nan_largest", [node("TopK", ["X", "K"], ["V", "I"])], [("X", n)],
         [("V", np.array([[np.nan, np.nan, 3.0]], np.float32)), ("I", np.array([[1, 4, 2]], np.int64))], opset=11,
         initializers={"K": np.array([3], np.int64)})
    case("topk_nan_smallest", [node("TopK", ["X", "K"], ["V", "I"], largest=0)], [("X", n)],
         [("V", np.array([[-1.0, 1.0, 2.0]], np.float32)), ("I", np.array([[3, 0, 5]], np.int64))], opset=11,
         initializers={"K": np.array([3], np.int64)})


def topk_error_cases():
    x = rand(2, 5)
    error_case("topk_k_too_large", [node("TopK", ["X", "K"], ["V", "I"])], [("X", x)],
               [("V", x), ("I", np.zeros(1, np.int64))], ["TopK node 'topk_node'", "k 6 is out of range [0, 5]"],
               opset=11, initializers={"K": np.array([6], np.int64)})
    error_case("topk_negative_k", [node("TopK", ["X", "K"], ["V", "I"])], [("X", x)],
               [("V", x), ("I", np.zeros(1, np.int64))], ["TopK node", "k -1 is out of range"],
               opset=11, initializers={"K": np.array([-1], np.int64)})
    error_case("topk_axis_out_of_range", [node("TopK", ["X", "K"], ["V", "I"], axis=2)], [("X", x)],
               [("V", x), ("I", np.zeros(1, np.int64))], ["TopK node", "axis 2 is out of range"],
               opset=11, initializers={"K": np.array([1], np.int64)})
    error_case("topk_missing_k_attribute", [node("TopK", ["X"], ["V", "I"])], [("X", x)],
               [("V", x), ("I", np.zeros(1, np.int64))], ["TopK node", "k"], opset=9)
    xb = x > 0
    error_case("topk_bool_unsupported", [node("TopK", ["X", "K"], ["V", "I"])], [("X", xb)],
               [("V", xb), ("I", np.zeros(1, np.int64))], ["TopK node", "code=UNIMPLEMENTED"],
               opset=11, initializers={"K": np.array([1], np.int64)})


if __name__ == "__main__":
    from opcase import run

    run([reduce_cases, reduce_error_cases, arg_cases, arg_error_cases, cumsum_cases, cumsum_error_cases, topk_cases,
         topk_error_cases])
