"""Operator cases of the data-movement family: Slice, Split, Expand, Tile, Pad, DepthToSpace, SpaceToDepth,
GatherElements, GatherND, ScatterElements (and Scatter), ScatterND, Size, ConstantOfShape, EyeLike, Range,
OneHot, Trilu, CastLike, Einsum. See opcase.py for the layout; references are numpy/PyTorch formulas."""

import numpy as np
import torch
from onnx import TensorProto, helper

from opcase import case, error_case, node, rand, randint

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min

DTYPES = ((np.float32, "f32"), (np.float64, "f64"), (np.int64, "i64"), (np.int32, "i32"), (np.int8, "i8"),
          (np.uint8, "u8"), (np.bool_, "bool"))


def sample(shape, dtype):
    """Random data of any dtype."""
    if dtype == np.bool_:
        return rand(*shape) > 0
    if dtype == np.uint8:
        return randint(*shape, dtype=dtype, low=0, high=255)
    if np.issubdtype(dtype, np.integer):
        return randint(*shape, dtype=dtype, low=-100, high=100)
    return rand(*shape, dtype=dtype)


def i64(*values):
    return np.array(values, np.int64)


# ------------------------------------------------------------------------------------------------------
# Slice

def slice_ref(x, starts, ends, axes=None, steps=None):
    """The ONNX spec's clamping: [0, dim] for positive steps; starts [0, dim-1], ends [-1, dim-1] for negative."""
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        dim = x.shape[a]
        s = s + dim if s < 0 else s
        e = e + dim if e < 0 else e
        if st > 0:
            s, e = min(max(s, 0), dim), min(max(e, 0), dim)
            idx = list(range(s, e, st))
        else:
            s, e = min(max(s, 0), dim - 1), min(max(e, -1), dim - 1)
            idx = list(range(s, e, st)) if dim > 0 else []
        index[a] = idx
    y = x
    for a, idx in enumerate(index):
        if isinstance(idx, list):
            y = np.take(y, np.array(idx, np.int64), axis=a)
    return y


def slice_cases():
    x = rand(5, 6, 7)
    variants = {
        "basic": ([1, 0], [3, 4], [0, 1], None),
        "default_axes": ([0, 1, 2], [2, 3, 4], None, None),
        "negative_axes": ([1], [-1], [-1], None),
        "negative_starts_ends": ([-4, -3], [-1, 100], [0, 2], None),
        "steps": ([0, 1], [5, 7], [0, 2], [2, 3]),
        "negative_step": ([4, 6], [INT64_MIN, 0], [0, 2], [-1, -2]),
        "reverse_all": ([-1], [INT64_MIN], [1], [-1]),
        "int64_max_end": ([2], [INT64_MAX], [2], None),
        "clamped_start": ([-100, 50], [100, 100], [0, 1], None),
        "start_past_end": ([4], [2], [0], None),
        "empty_neg_step": ([1], [3], [1], [-1]),
        "big_step": ([0], [7], [2], [INT64_MAX]),
        "neg_big_step": ([6], [INT64_MIN], [2], [INT64_MIN]),
        "neg_step_clamped": ([100], [-100], [1], [-2]),
    }
    for name, (starts, ends, axes, steps) in variants.items():
        y = slice_ref(x, starts, ends, axes, steps)
        inits = {"starts": i64(*starts), "ends": i64(*ends)}
        ins = ["X", "starts", "ends"]
        if axes is not None or steps is not None:
            inits["axes"] = i64(*(axes if axes is not None else range(len(starts))))
            ins.append("axes")
        if steps is not None:
            inits["steps"] = i64(*steps)
            ins.append("steps")
        case(f"slice_{name}", [node("Slice", ins, ["Y"])], [("X", x)], [("Y", y)], opset=13, initializers=inits)
    # Optional axes skipped with an empty name, steps given.
    y = slice_ref(x, [0, 1], [4, 6], None, [2, 2])
    case("slice_empty_axes_name", [node("Slice", ["X", "starts", "ends", "", "steps"], ["Y"])], [("X", x)],
         [("Y", y)], opset=11, initializers={"starts": i64(0, 1), "ends": i64(4, 6), "steps": i64(2, 2)})
    # int32 parameters, opset 10.
    y = slice_ref(x, [1], [-1], [1], None)
    case("slice_opset10_i32", [node("Slice", ["X", "s", "e", "a"], ["Y"])], [("X", x)], [("Y", y)], opset=10,
         initializers={"s": np.array([1], np.int32), "e": np.array([-1], np.int32), "a": np.array([1], np.int32)})
    # Parameters as graph inputs (the plan is keyed on their values).
    y = slice_ref(x, [1], [4], [2], [2])
    case("slice_params_as_inputs", [node("Slice", ["X", "s", "e", "a", "st"], ["Y"])],
         [("X", x), ("s", i64(1)), ("e", i64(4)), ("a", i64(2)), ("st", i64(2))], [("Y", y)], opset=13)
    # Opset 1-9: attributes.
    case("slice_opset9_attrs", [node("Slice", ["X"], ["Y"], starts=[1, -3], ends=[3, 100], axes=[0, 2])],
         [("X", x)], [("Y", slice_ref(x, [1, -3], [3, 100], [0, 2]))], opset=9)
    case("slice_opset7_no_axes", [node("Slice", ["X"], ["Y"], starts=[1, 2], ends=[4, 5])],
         [("X", x)], [("Y", slice_ref(x, [1, 2], [4, 5]))], opset=7)
    for dtype, dname in DTYPES:
        v = sample((4, 9), dtype)
        case(f"slice_{dname}", [node("Slice", ["X", "s", "e", "a", "st"], ["Y"])], [("X", v)],
             [("Y", slice_ref(v, [3, 8], [0, 0], [0, 1], [-1, -3]))], opset=13,
             initializers={"s": i64(3, 8), "e": i64(0, 0), "a": i64(0, 1), "st": i64(-1, -3)})
    z = rand(0, 4)
    case("slice_zero_sized", [node("Slice", ["X", "s", "e", "a"], ["Y"])], [("X", z)], [("Y", z[:, 1:3])], opset=13,
         initializers={"s": i64(1), "e": i64(3), "a": i64(1)})
    # Symbolic batch: a slice over the whole of the symbolic axis keeps its name.
    xb = rand(3, 8)
    case("slice_symbolic", [node("Slice", ["X", "s", "e", "a"], ["Y"])], [("X", xb)], [("Y", xb[:, 2:6])], opset=13,
         initializers={"s": i64(0, 2), "e": i64(INT64_MAX, 6), "a": i64(0, 1)}, input_shapes={"X": ["batch", 8]},
         expect_shape="[batch,4]")
    # Slicing a shape: Shape -> Slice -> Reshape, computed while planning.
    case("slice_of_shape", [node("Shape", ["X"], ["s"]), node("Slice", ["s", "b", "e"], ["s2"]),
                            node("Concat", ["s2", "m1"], ["t"], axis=0), node("Reshape", ["X", "t"], ["Y"])],
         [("X", x)], [("Y", x.reshape(5, 42))], opset=13,
         initializers={"b": i64(0), "e": i64(1), "m1": i64(-1)}, input_shapes={"X": ["n", 6, 7]})


# ------------------------------------------------------------------------------------------------------
# Split

def split_cases():
    x = rand(4, 6, 5)
    case("split_equal_default_axis", [node("Split", ["X"], ["A", "B"])], [("X", x)],
         [("A", x[:2]), ("B", x[2:])], opset=13)
    case("split_sizes_input", [node("Split", ["X", "split"], ["A", "B", "C"], axis=1)], [("X", x)],
         [("A", x[:, :1]), ("B", x[:, 1:4]), ("C", x[:, 4:])], opset=13, initializers={"split": i64(1, 3, 2)})
    case("split_negative_axis_zero_part", [node("Split", ["X", "split"], ["A", "B", "C"], axis=-1)], [("X", x)],
         [("A", x[..., :2]), ("B", x[..., 2:2]), ("C", x[..., 2:])], opset=13, initializers={"split": i64(2, 0, 3)})
    case("split_opset11_attr", [node("Split", ["X"], ["A", "B"], axis=2, split=[4, 1])], [("X", x)],
         [("A", x[..., :4]), ("B", x[..., 4:])], opset=11)
    case("split_opset7_equal", [node("Split", ["X"], ["A", "B", "C"], axis=1)], [("X", x)],
         [("A", x[:, :2]), ("B", x[:, 2:4]), ("C", x[:, 4:])], opset=7)
    case("split_opset18_num_outputs_uneven", [node("Split", ["X"], ["A", "B", "C"], axis=2, num_outputs=3)],
         [("X", x)], [("A", x[..., :2]), ("B", x[..., 2:4]), ("C", x[..., 4:])], opset=18)
    case("split_opset18_num_outputs_even", [node("Split", ["X"], ["A", "B"], axis=0, num_outputs=2)],
         [("X", x)], [("A", x[:2]), ("B", x[2:])], opset=18)
    case("split_opset18_sizes", [node("Split", ["X", "split"], ["A", "B"], axis=1)], [("X", x)],
         [("A", x[:, :5]), ("B", x[:, 5:])], opset=18, initializers={"split": i64(5, 1)})
    for dtype, dname in DTYPES:
        v = sample((3, 4), dtype)
        case(f"split_{dname}", [node("Split", ["X"], ["A", "B"], axis=1)], [("X", v)],
             [("A", v[:, :2]), ("B", v[:, 2:])], opset=13)
    xb = rand(3, 6)
    case("split_symbolic", [node("Split", ["X", "split"], ["A", "B"], axis=1)], [("X", xb)],
         [("A", xb[:, :4]), ("B", xb[:, 4:])], opset=13, initializers={"split": i64(4, 2)},
         input_shapes={"X": ["batch", 6]}, expect_shape="[batch,4]")
    z = rand(0, 4)
    case("split_zero_sized", [node("Split", ["X"], ["A", "B"], axis=1)], [("X", z)],
         [("A", z[:, :2]), ("B", z[:, 2:])], opset=13)


# ------------------------------------------------------------------------------------------------------
# Expand, Tile

def expand_cases():
    shapes = {
        "row": ((3,), [2, 3]),
        "col_both_ways": ((3, 1), [2, 1, 4]),
        "shape_has_ones": ((2, 3, 4), [1, 1]),
        "scalar": ((), [2, 3]),
        "same": ((2, 3), [2, 3]),
        "middle": ((2, 1, 5), [2, 3, 5]),
        "zero": ((2, 1), [2, 0]),
        "to_zero_rank_shorter": ((0, 3), [1, 3]),
    }
    for name, (shape, target) in shapes.items():
        x = rand(*shape)
        y = x * np.ones(target, np.float32)
        case(f"expand_{name}", [node("Expand", ["X", "shape"], ["Y"])], [("X", x)], [("Y", y)], opset=13,
             initializers={"shape": i64(*target)})
    for dtype, dname in DTYPES:
        v = sample((3, 1), dtype)
        case(f"expand_{dname}", [node("Expand", ["X", "shape"], ["Y"])], [("X", v)],
             [("Y", np.broadcast_to(v, (2, 3, 4)).copy())], opset=8, initializers={"shape": i64(2, 3, 4)})
    x = rand(3, 1)
    case("expand_shape_input", [node("Expand", ["X", "shape"], ["Y"])], [("X", x), ("shape", i64(3, 5))],
         [("Y", np.broadcast_to(x, (3, 5)).copy())], opset=13)
    case("expand_symbolic", [node("Expand", ["X", "shape"], ["Y"])], [("X", x)],
         [("Y", np.broadcast_to(x, (3, 5)).copy())], opset=13, initializers={"shape": i64(1, 5)},
         input_shapes={"X": ["n", 1]}, expect_shape="[n,5]")
    # The target shape computed from another input's shape while planning.
    z = rand(4, 3)
    case("expand_like", [node("Shape", ["Z"], ["s"]), node("Expand", ["X", "s"], ["Y"])], [("X", x[0]), ("Z", z)],
         [("Y", np.broadcast_to(x[0], (4, 3)).copy())], opset=13)


def tile_cases():
    for name, shape, reps in (("2d", (2, 3), (2, 3)), ("3d_ones", (2, 3, 4), (1, 2, 1)), ("1d", (5,), (3,)),
                              ("zero_repeat", (2, 3), (0, 2)), ("zero_dim", (0, 3), (2, 2)),
                              ("inner_one", (3, 1), (2, 4))):
        x = rand(*shape)
        case(f"tile_{name}", [node("Tile", ["X", "r"], ["Y"])], [("X", x)], [("Y", np.tile(x, reps))], opset=13,
             initializers={"r": i64(*reps)})
    for dtype, dname in DTYPES:
        v = sample((2, 3), dtype)
        case(f"tile_{dname}", [node("Tile", ["X", "r"], ["Y"])], [("X", v)], [("Y", np.tile(v, (3, 2)))], opset=7,
             initializers={"r": i64(3, 2)})
    x = rand(2, 3)
    case("tile_repeats_input", [node("Tile", ["X", "r"], ["Y"])], [("X", x), ("r", i64(2, 1))],
         [("Y", np.tile(x, (2, 1)))], opset=13)
    case("tile_symbolic", [node("Tile", ["X", "r"], ["Y"])], [("X", x)], [("Y", np.tile(x, (1, 2)))], opset=13,
         initializers={"r": i64(1, 2)}, input_shapes={"X": ["n", 3]}, expect_shape="[n,6]")


# ------------------------------------------------------------------------------------------------------
# Strided copies (movement_util.h) take their two innermost loops as one block: rows repeated by doubling
# (Tile, Expand), short contiguous rows as two overlapping fixed-size copies (4 to 64 bytes), one value per
# row as vector stores spilling into the next row, transposes as tiles. Rows of 1 to 17 elements and
# element sizes 1 to 8 bytes around those widths.

def strided_copy_cases():
    for n0 in list(range(1, 18)) + [31, 33]:
        x = rand(3, 1, n0)
        case(f"tile_rows_of_{n0}", [node("Tile", ["X", "r"], ["Y"])], [("X", x)], [("Y", np.tile(x, (1, 5, 1)))],
             opset=13, initializers={"r": i64(1, 5, 1)})
        x = rand(4, 6, 1)
        case(f"expand_rows_of_{n0}", [node("Expand", ["X", "shape"], ["Y"])], [("X", x)],
             [("Y", np.broadcast_to(x, (4, 6, n0)).copy())], opset=13, initializers={"shape": i64(4, 6, n0)})
        x = rand(4, 5, 40)
        case(f"slice_rows_of_{n0}", [node("Slice", ["X", "s", "e", "a"], ["Y"])], [("X", x)],
             [("Y", x[:, :, 1:1 + n0])], opset=13, initializers={"s": i64(1), "e": i64(1 + n0), "a": i64(2)})
    for dtype, dname in DTYPES:
        for n0 in (1, 3, 5, 9, 17, 33):
            v = sample((3, 1, n0), dtype)
            case(f"tile_rows_of_{n0}_{dname}", [node("Tile", ["X", "r"], ["Y"])], [("X", v)],
                 [("Y", np.tile(v, (2, 7, 1)))], opset=13, initializers={"r": i64(2, 7, 1)})
            v = sample((3, 4, 1), dtype)
            case(f"expand_rows_of_{n0}_{dname}", [node("Expand", ["X", "shape"], ["Y"])], [("X", v)],
                 [("Y", np.broadcast_to(v, (3, 4, n0)).copy())], opset=13, initializers={"shape": i64(3, 4, n0)})
            v = sample((3, 4, 40), dtype)
            case(f"slice_rows_of_{n0}_{dname}", [node("Slice", ["X", "s", "e", "a"], ["Y"])], [("X", v)],
                 [("Y", v[:, :, 2:2 + n0])], opset=13, initializers={"s": i64(2), "e": i64(2 + n0), "a": i64(2)})
    # Rows of one value repeated (Tile of a column) and a row repeated in the middle of the loops.
    x = rand(5, 1)
    case("tile_column", [node("Tile", ["X", "r"], ["Y"])], [("X", x)], [("Y", np.tile(x, (2, 9)))], opset=13,
         initializers={"r": i64(2, 9)})
    x = rand(2, 1, 3, 4)
    case("tile_middle", [node("Tile", ["X", "r"], ["Y"])], [("X", x)], [("Y", np.tile(x, (1, 6, 1, 2)))], opset=13,
         initializers={"r": i64(1, 6, 1, 2)})
    x = rand(2, 0, 3)
    case("expand_zero_rows", [node("Expand", ["X", "shape"], ["Y"])], [("X", x)],
         [("Y", np.zeros((2, 0, 3), np.float32))], opset=13, initializers={"shape": i64(2, 0, 3)})


# ------------------------------------------------------------------------------------------------------
# Pad

def pad_ref(x, pads, mode="constant", value=0):
    r = x.ndim
    begin, end = pads[:r], pads[r:]
    crop = tuple(slice(max(0, -b), x.shape[d] - max(0, -e)) for d, (b, e) in enumerate(zip(begin, end)))
    x = x[crop]
    width = [(max(0, b), max(0, e)) for b, e in zip(begin, end)]
    if mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=value)
    return np.pad(x, width, mode=mode)


def pad_cases():
    x = rand(3, 4, 5)
    pad_sets = {
        "both": [1, 0, 2, 2, 1, 0],
        "large": [3, 5, 6, 4, 7, 9],
        "negative": [-1, 0, 2, 0, 1, -2],
        "crop_mixed": [1, -1, 0, -1, 2, 3],
        "zeros": [0, 0, 0, 0, 0, 0],
    }
    for mode in ("constant", "edge", "reflect", "wrap"):
        for pname, pads in pad_sets.items():
            y = pad_ref(x, pads, mode, 1.5)
            ins = ["X", "pads", "cv"] if mode == "constant" else ["X", "pads"]
            inits = {"pads": i64(*pads), "cv": np.array(1.5, np.float32)}
            if mode != "constant":
                del inits["cv"]
            case(f"pad_{mode}_{pname}", [node("Pad", ins, ["Y"], mode=mode)], [("X", x)], [("Y", y)],
                 opset=19 if mode == "wrap" else 13, initializers=inits)
    # Opset 2-10: attributes.
    case("pad_opset7_attr_value", [node("Pad", ["X"], ["Y"], pads=[0, 1, 0, 2, 0, 3], value=-2.0)], [("X", x)],
         [("Y", pad_ref(x, [0, 1, 0, 2, 0, 3], "constant", -2.0))], opset=7)
    xi = randint(2, 3, dtype=np.int32)
    case("pad_opset7_int_value_truncated", [node("Pad", ["X"], ["Y"], pads=[1, 0, 0, 1], value=2.7)], [("X", xi)],
         [("Y", pad_ref(xi, [1, 0, 0, 1], "constant", 2))], opset=7)
    case("pad_opset10_reflect", [node("Pad", ["X"], ["Y"], pads=[0, 2, 0, 0, 3, 0], mode="reflect")], [("X", x)],
         [("Y", pad_ref(x, [0, 2, 0, 0, 3, 0], "reflect"))], opset=10)
    case("pad_opset8_default", [node("Pad", ["X"], ["Y"], pads=[1, 1, 1, 1, 1, 1])], [("X", x)],
         [("Y", pad_ref(x, [1, 1, 1, 1, 1, 1]))], opset=8)
    # Opset 11: no constant_value -> 0; pads as a graph input.
    case("pad_opset11_default_value", [node("Pad", ["X", "pads"], ["Y"])], [("X", x), ("pads", i64(1, 0, 0, 0, 2, 0))],
         [("Y", pad_ref(x, [1, 0, 0, 0, 2, 0]))], opset=11)
    # Opset 18: axes (negative too).
    case("pad_opset18_axes", [node("Pad", ["X", "pads", "cv", "axes"], ["Y"])], [("X", x)],
         [("Y", pad_ref(x, [0, 0, 2, 0, 0, 1], "constant", 3.0))], opset=18,
         initializers={"pads": i64(2, 1), "cv": np.array(3.0, np.float32), "axes": i64(-1)})
    case("pad_opset18_axes_edge", [node("Pad", ["X", "pads", "", "axes"], ["Y"], mode="edge")], [("X", x)],
         [("Y", pad_ref(x, [2, 0, 1, 1, 0, 3], "edge"))], opset=18,
         initializers={"pads": i64(1, 2, 3, 1), "axes": i64(2, 0)})
    for dtype, dname in DTYPES:
        v = sample((3, 4), dtype)
        cv = np.array(1, dtype)
        case(f"pad_{dname}", [node("Pad", ["X", "pads", "cv"], ["Y"])], [("X", v)],
             [("Y", pad_ref(v, [1, 2, 0, 1], "constant", cv))], opset=13,
             initializers={"pads": i64(1, 2, 0, 1), "cv": cv})
        case(f"pad_reflect_{dname}", [node("Pad", ["X", "pads"], ["Y"], mode="reflect")], [("X", v)],
             [("Y", pad_ref(v, [2, 2, 3, 1], "reflect"))], opset=13, initializers={"pads": i64(2, 2, 3, 1)})
    case("pad_1d", [node("Pad", ["X", "pads"], ["Y"], mode="reflect")], [("X", x[0, 0])],
         [("Y", pad_ref(x[0, 0], [2, 3], "reflect"))], opset=13, initializers={"pads": i64(2, 3)})
    case("pad_scalar", [node("Pad", ["X", "pads"], ["Y"])], [("X", np.array(2.5, np.float32))],
         [("Y", np.array(2.5, np.float32))], opset=13, initializers={"pads": np.zeros(0, np.int64)})
    z = rand(0, 3)
    case("pad_zero_sized_constant", [node("Pad", ["X", "pads"], ["Y"])], [("X", z)],
         [("Y", pad_ref(z, [1, 1, 0, 0]))], opset=13, initializers={"pads": i64(1, 1, 0, 0)})
    case("pad_zero_sized_edge_other_axis", [node("Pad", ["X", "pads"], ["Y"], mode="edge")], [("X", z)],
         [("Y", np.zeros((0, 5), np.float32))], opset=13, initializers={"pads": i64(0, 1, 0, 1)})
    xb = rand(2, 4)
    case("pad_symbolic", [node("Pad", ["X", "pads"], ["Y"])], [("X", xb)], [("Y", pad_ref(xb, [0, 1, 0, 2]))],
         opset=13, initializers={"pads": i64(0, 1, 0, 2)}, input_shapes={"X": ["batch", 4]},
         expect_shape="[batch,7]")


# ------------------------------------------------------------------------------------------------------
# DepthToSpace, SpaceToDepth

def depth_to_space_ref(x, b, mode):
    n, c, h, w = x.shape
    if mode == "DCR":
        t = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        t = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return t.reshape(n, c // (b * b), h * b, w * b)


def space_to_depth_ref(x, b):
    n, c, h, w = x.shape
    t = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return t.reshape(n, c * b * b, h // b, w // b)


def space_depth_cases():
    x = rand(2, 8, 3, 5)
    for mode in ("DCR", "CRD"):
        case(f"depthtospace_{mode.lower()}", [node("DepthToSpace", ["X"], ["Y"], blocksize=2, mode=mode)],
             [("X", x)], [("Y", depth_to_space_ref(x, 2, mode))], opset=13)
        # Cross-check against PyTorch's pixel_shuffle (CRD).
    assert np.array_equal(depth_to_space_ref(x, 2, "CRD"),
                          torch.nn.functional.pixel_shuffle(torch.from_numpy(x), 2).numpy())
    case("depthtospace_opset9_default_dcr", [node("DepthToSpace", ["X"], ["Y"], blocksize=2)], [("X", x)],
         [("Y", depth_to_space_ref(x, 2, "DCR"))], opset=9)
    x9 = rand(1, 9, 2, 2)
    case("depthtospace_block3_crd", [node("DepthToSpace", ["X"], ["Y"], blocksize=3, mode="CRD")], [("X", x9)],
         [("Y", depth_to_space_ref(x9, 3, "CRD"))], opset=11)
    for dtype, dname in DTYPES:
        v = sample((1, 4, 2, 3), dtype)
        case(f"depthtospace_{dname}", [node("DepthToSpace", ["X"], ["Y"], blocksize=2)], [("X", v)],
             [("Y", depth_to_space_ref(v, 2, "DCR"))], opset=13)
        v = sample((1, 2, 4, 6), dtype)
        case(f"spacetodepth_{dname}", [node("SpaceToDepth", ["X"], ["Y"], blocksize=2)], [("X", v)],
             [("Y", space_to_depth_ref(v, 2))], opset=13)
    s = rand(2, 3, 6, 9)
    case("spacetodepth_block3", [node("SpaceToDepth", ["X"], ["Y"], blocksize=3)], [("X", s)],
         [("Y", space_to_depth_ref(s, 3))], opset=7)
    assert np.array_equal(space_to_depth_ref(depth_to_space_ref(x, 2, "DCR"), 2), x)
    case("spacetodepth_symbolic", [node("SpaceToDepth", ["X"], ["Y"], blocksize=2)], [("X", x[:, :, :2, :4])],
         [("Y", space_to_depth_ref(x[:, :, :2, :4], 2))], opset=13, input_shapes={"X": ["n", 8, 2, 4]},
         expect_shape="[n,32,1,2]")
    z = rand(0, 8, 2, 2)
    case("depthtospace_zero_batch", [node("DepthToSpace", ["X"], ["Y"], blocksize=2)], [("X", z)],
         [("Y", np.zeros((0, 2, 4, 4), np.float32))], opset=13)


# ------------------------------------------------------------------------------------------------------
# GatherElements, GatherND, ScatterElements, ScatterND

def gather_elements_ref(data, indices, axis):
    idx = np.where(indices < 0, indices + data.shape[axis], indices)
    # take_along_axis on the leading part of data that indices covers.
    sl = tuple(slice(0, n) if d != axis else slice(None) for d, n in enumerate(idx.shape))
    return np.take_along_axis(data[sl], idx, axis=axis)


@np.errstate(over="ignore")
def scatter_elements_ref(data, indices, updates, axis, reduction="none"):
    out = data.copy()
    idx = np.where(indices < 0, indices + data.shape[axis], indices)
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[axis] = idx[pos]
        target = tuple(target)
        u = updates[pos]
        if reduction == "none":
            out[target] = u
        elif reduction == "add":
            out[target] = out[target] + u
        elif reduction == "mul":
            out[target] = out[target] * u
        elif reduction == "max":
            out[target] = max(out[target], u)
        else:
            out[target] = min(out[target], u)
    return out


def gather_nd_ref(data, indices, batch_dims=0):
    idx = indices
    bshape = data.shape[:batch_dims]
    nb = int(np.prod(bshape)) if batch_dims else 1
    d2 = data.reshape((nb,) + data.shape[batch_dims:])
    i2 = idx.reshape((nb,) + idx.shape[batch_dims:])
    depth = idx.shape[-1]
    outs = []
    for b in range(nb):
        tup = i2[b].reshape(-1, depth)
        outs.append(np.stack([d2[b][tuple(t)] for t in tup]) if len(tup) else
                    np.zeros((0,) + d2.shape[1 + depth:], data.dtype))
    out = np.stack(outs)
    return out.reshape(idx.shape[:-1] + data.shape[batch_dims + depth:])


def scatter_nd_ref(data, indices, updates, reduction="none"):
    out = data.copy()
    depth = indices.shape[-1]
    tuples = indices.reshape(-1, depth)
    ups = updates.reshape((-1,) + data.shape[depth:])
    for t, u in zip(tuples, ups):
        key = tuple(t)
        if reduction == "none":
            out[key] = u
        elif reduction == "add":
            out[key] = out[key] + u
        elif reduction == "mul":
            out[key] = out[key] * u
        elif reduction == "max":
            out[key] = np.maximum(out[key], u)
        else:
            out[key] = np.minimum(out[key], u)
    return out


def gather_scatter_cases():
    data = rand(4, 5, 3)
    for axis in (0, 1, 2, -1):
        n = data.shape[axis]
        ishape = [3, 4, 2]
        ishape[axis] = 6
        idx = randint(*ishape, low=-n, high=n)
        case(f"gatherelements_axis{axis}".replace("-", "m"), [node("GatherElements", ["X", "I"], ["Y"], axis=axis)],
             [("X", data), ("I", idx)], [("Y", gather_elements_ref(data, idx, axis))], opset=13)
    # torch cross-check of the reference.
    idx3 = randint(4, 5, 3, low=0, high=5)
    assert np.array_equal(gather_elements_ref(data, idx3, 1),
                          torch.gather(torch.from_numpy(data), 1, torch.from_numpy(idx3)).numpy())
    for dtype, dname in DTYPES:
        v = sample((3, 4), dtype)
        idx = randint(3, 2, dtype=np.int32, low=-4, high=4)
        case(f"gatherelements_{dname}", [node("GatherElements", ["X", "I"], ["Y"], axis=1)], [("X", v), ("I", idx)],
             [("Y", gather_elements_ref(v, idx, 1))], opset=11)
    case("gatherelements_empty", [node("GatherElements", ["X", "I"], ["Y"])],
         [("X", data), ("I", np.zeros((0, 5, 3), np.int64))], [("Y", np.zeros((0, 5, 3), np.float32))], opset=13)
    case("gatherelements_symbolic", [node("GatherElements", ["X", "I"], ["Y"], axis=1)],
         [("X", data), ("I", idx3)], [("Y", gather_elements_ref(data, idx3, 1))], opset=13,
         input_shapes={"I": ["a", "b", 3]}, expect_shape="[a,b,3]")

    # ScatterElements: every reduction, negative indices; duplicate indices only with reductions.
    for axis in (0, 1, -1):
        n = data.shape[axis]
        ishape = [2, 3, 2]
        ishape[axis] = 2
        idx = randint(*ishape, low=-n, high=n)
        upd = rand(*ishape)
        case(f"scatterelements_axis{axis}".replace("-", "m"),
             [node("ScatterElements", ["X", "I", "U"], ["Y"], axis=axis)], [("X", data), ("I", idx), ("U", upd)],
             [("Y", scatter_elements_ref(data, idx, upd, axis))], opset=13)
    idx = np.array([[0, 1, 0, 2], [2, 2, 1, 1]], np.int64)
    upd = rand(2, 4)
    d2 = rand(2, 3)
    for red, opset in (("add", 16), ("mul", 16), ("max", 18), ("min", 18), ("none", 18)):
        i = idx if red != "none" else np.array([[0, 1, 2, 2], [2, 0, 1, 1]], np.int64)[:, :3]
        u = upd if red != "none" else upd[:, :3]
        case(f"scatterelements_reduction_{red}", [node("ScatterElements", ["X", "I", "U"], ["Y"], axis=1, reduction=red)],
             [("X", d2), ("I", i), ("U", u)], [("Y", scatter_elements_ref(d2, i, u, 1, red))], opset=opset)
    for dtype, dname in DTYPES:
        v = sample((3, 4), dtype)
        i = np.array([[1, 3], [0, 2], [3, 1]], np.int32)
        u = sample((3, 2), dtype)
        case(f"scatterelements_{dname}", [node("ScatterElements", ["X", "I", "U"], ["Y"], axis=1)],
             [("X", v), ("I", i), ("U", u)], [("Y", scatter_elements_ref(v, i, u, 1))], opset=11)
        if dtype != np.bool_:
            case(f"scatterelements_add_{dname}",
                 [node("ScatterElements", ["X", "I", "U"], ["Y"], axis=1, reduction="add")],
                 [("X", v), ("I", np.array([[1, 1], [0, 0], [3, 3]], np.int64)), ("U", u)],
                 [("Y", scatter_elements_ref(v, np.array([[1, 1], [0, 0], [3, 3]]), u, 1, "add").astype(dtype))],
                 opset=16)
    i = np.array([[1, 0, 2]], np.int64)
    u = rand(1, 3)
    case("scatter_opset9", [node("Scatter", ["X", "I", "U"], ["Y"], axis=1)], [("X", d2), ("I", i), ("U", u)],
         [("Y", scatter_elements_ref(d2, i, u, 1))], opset=9)
    case("scatterelements_empty_updates", [node("ScatterElements", ["X", "I", "U"], ["Y"])],
         [("X", d2), ("I", np.zeros((0, 3), np.int64)), ("U", rand(0, 3))], [("Y", d2)], opset=13)
    # The data input stays intact when it is also a graph output (the scatter writes a copy).
    case("scatterelements_data_kept", [node("ScatterElements", ["X", "I", "U"], ["Y"], axis=1),
                                       node("Identity", ["X"], ["X2"])],
         [("X", d2), ("I", i), ("U", u)], [("Y", scatter_elements_ref(d2, i, u, 1)), ("X2", d2)], opset=13)

    # GatherND, with batch_dims.
    data = rand(3, 4, 5)
    for name, ishape, bd in (("full", (6, 3), 0), ("rows", (2, 2, 1), 0), ("pairs", (4, 2), 0),
                             ("batch1", (3, 2, 1), 1), ("batch1_full", (3, 2), 1), ("batch2", (3, 4, 1), 2),
                             ("batch1_scalar_out", (3, 1), 1)):
        depth = ishape[-1]
        dims = data.shape[bd:bd + depth]
        idx = np.stack([randint(*ishape[:-1], low=-d, high=d) for d in dims], axis=-1)
        idx_pos = np.stack([np.where(idx[..., j] < 0, idx[..., j] + d, idx[..., j]) for j, d in enumerate(dims)],
                           axis=-1)
        case(f"gathernd_{name}", [node("GatherND", ["X", "I"], ["Y"], batch_dims=bd)], [("X", data), ("I", idx)],
             [("Y", gather_nd_ref(data, idx_pos, bd))], opset=13)
    idx = np.array([[1, 2], [0, 0]], np.int64)
    case("gathernd_opset11", [node("GatherND", ["X", "I"], ["Y"])], [("X", data), ("I", idx)],
         [("Y", gather_nd_ref(data, idx))], opset=11)
    for dtype, dname in DTYPES:
        v = sample((3, 4), dtype)
        i = np.array([[[2, 1]], [[0, 3]]], np.int32)
        case(f"gathernd_{dname}", [node("GatherND", ["X", "I"], ["Y"])], [("X", v), ("I", i)],
             [("Y", gather_nd_ref(v, i))], opset=13)
    case("gathernd_empty", [node("GatherND", ["X", "I"], ["Y"])], [("X", data), ("I", np.zeros((0, 2), np.int64))],
         [("Y", np.zeros((0, 5), np.float32))], opset=13)
    case("gathernd_symbolic", [node("GatherND", ["X", "I"], ["Y"])], [("X", data), ("I", idx)],
         [("Y", gather_nd_ref(data, idx))], opset=13, input_shapes={"I": ["k", 2]}, expect_shape="[k,5]")

    # ScatterND.
    idx = np.array([[[1], [0]], [[2], [1]]], np.int64)
    upd = rand(2, 2, 4, 5)
    dedup = np.array([[0], [2]], np.int64)
    for red, opset in (("none", 13), ("add", 16), ("mul", 16), ("max", 18), ("min", 18)):
        i, u = (dedup, upd[0]) if red == "none" else (idx, upd)
        case(f"scatternd_{red}", [node("ScatterND", ["X", "I", "U"], ["Y"], reduction=red)],
             [("X", data), ("I", i), ("U", u)], [("Y", scatter_nd_ref(data, i, u, red))], opset=opset)
    i = np.array([[0, 1, 2], [2, -1, -5]], np.int64)
    u = rand(2)
    i_pos = np.array([[0, 1, 2], [2, 3, 0]], np.int64)
    case("scatternd_elements_negative", [node("ScatterND", ["X", "I", "U"], ["Y"])], [("X", data), ("I", i), ("U", u)],
         [("Y", scatter_nd_ref(data, i_pos, u))], opset=11)
    for dtype, dname in DTYPES:
        v = sample((3, 4), dtype)
        i = np.array([[2], [0]], np.int32)
        u = sample((2, 4), dtype)
        case(f"scatternd_{dname}", [node("ScatterND", ["X", "I", "U"], ["Y"])], [("X", v), ("I", i), ("U", u)],
             [("Y", scatter_nd_ref(v, i, u))], opset=13)
    case("scatternd_no_updates", [node("ScatterND", ["X", "I", "U"], ["Y"])],
         [("X", data), ("I", np.zeros((0, 1), np.int64)), ("U", rand(0, 4, 5))], [("Y", data)], opset=13)


# ------------------------------------------------------------------------------------------------------
# Size, ConstantOfShape, EyeLike, Range, OneHot, Trilu, CastLike

def generator_cases():
    x = rand(3, 4, 5)
    case("size", [node("Size", ["X"], ["Y"])], [("X", x)], [("Y", np.array(60, np.int64))], opset=13)
    case("size_opset7_bool", [node("Size", ["X"], ["Y"])], [("X", x > 0)], [("Y", np.array(60, np.int64))], opset=7)
    case("size_empty", [node("Size", ["X"], ["Y"])], [("X", rand(0, 3))], [("Y", np.array(0, np.int64))], opset=13)
    case("size_scalar", [node("Size", ["X"], ["Y"])], [("X", np.array(1.0, np.float32))],
         [("Y", np.array(1, np.int64))], opset=13)
    # Symbolic input: the size is known while planning and feeds a Reshape.
    case("size_symbolic_into_reshape", [node("Size", ["X"], ["n"]), node("Unsqueeze", ["n", "ax"], ["n1"]),
                                        node("Reshape", ["X", "n1"], ["Y"])],
         [("X", x)], [("Y", x.reshape(-1))], opset=13, initializers={"ax": i64(0)},
         input_shapes={"X": ["a", "b", 5]})
    case("size_static_folded", [node("Size", ["X"], ["n"]), node("Add", ["n", "one"], ["Y"])], [("X", x)],
         [("Y", np.array(61, np.int64))], opset=13, initializers={"one": np.array(1, np.int64)})

    # ConstantOfShape
    case("constantofshape_default", [node("ConstantOfShape", ["S"], ["Y"])], [], [("Y", np.zeros((2, 3), np.float32))],
         opset=9, initializers={"S": i64(2, 3)})
    for dtype, dname in DTYPES:
        v = sample((1,), dtype)
        case(f"constantofshape_{dname}",
             [node("ConstantOfShape", ["S"], ["Y"], value=helper.make_tensor("v", {
                 np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE, np.int64: TensorProto.INT64,
                 np.int32: TensorProto.INT32, np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8,
                 np.bool_: TensorProto.BOOL}[dtype], [1], v.tolist()))],
             [], [("Y", np.full((3, 2, 2), v[0], dtype))], opset=13, initializers={"S": i64(3, 2, 2)})
    case("constantofshape_from_shape", [node("Shape", ["X"], ["s"]),
                                        node("ConstantOfShape", ["s"], ["Y"], value=helper.make_tensor(
                                            "v", TensorProto.INT64, [1], [7]))],
         [("X", x)], [("Y", np.full(x.shape, 7, np.int64))], opset=13, input_shapes={"X": ["n", 4, 5]})
    case("constantofshape_zero", [node("ConstantOfShape", ["S"], ["Y"])], [], [("Y", np.zeros((2, 0), np.float32))],
         opset=13, initializers={"S": i64(2, 0)})
    case("constantofshape_scalar", [node("ConstantOfShape", ["S"], ["Y"])], [], [("Y", np.zeros((), np.float32))],
         opset=13, initializers={"S": np.zeros(0, np.int64)})
    case("constantofshape_input", [node("ConstantOfShape", ["S"], ["Y"])], [("S", i64(4, 1))],
         [("Y", np.zeros((4, 1), np.float32))], opset=13)

    # EyeLike
    for k in (0, 1, -2, 5, -7):
        for shape in ((4, 4), (3, 5), (5, 2)):
            case(f"eyelike_k{k}_{shape[0]}x{shape[1]}".replace("-", "m"), [node("EyeLike", ["X"], ["Y"], k=k)],
                 [("X", rand(*shape))], [("Y", np.eye(*shape, k=k, dtype=np.float32))], opset=9)
    for dtype, dname in DTYPES:
        case(f"eyelike_{dname}", [node("EyeLike", ["X"], ["Y"], k=1)], [("X", sample((3, 4), dtype))],
             [("Y", np.eye(3, 4, k=1, dtype=dtype))], opset=13)
    case("eyelike_dtype_attr", [node("EyeLike", ["X"], ["Y"], dtype=TensorProto.INT32)], [("X", rand(2, 3))],
         [("Y", np.eye(2, 3, dtype=np.int32))], opset=13)
    case("eyelike_dtype_double_from_int", [node("EyeLike", ["X"], ["Y"], dtype=TensorProto.DOUBLE, k=-1)],
         [("X", randint(3, 3))], [("Y", np.eye(3, k=-1, dtype=np.float64))], opset=13)
    case("eyelike_empty", [node("EyeLike", ["X"], ["Y"])], [("X", rand(0, 3))], [("Y", np.zeros((0, 3), np.float32))],
         opset=13)

    # Range
    for name, (start, limit, delta), dtype in (
            ("f32", (1.0, 5.5, 0.5), np.float32), ("f32_neg", (10.0, -3.0, -1.5), np.float32),
            ("f64", (0.25, 3.0, 0.3), np.float64), ("i64", (3, 17, 4), np.int64), ("i32_neg", (10, -4, -3), np.int32),
            ("i64_empty", (5, 1, 2), np.int64), ("i64_exact", (0, 12, 3), np.int64), ("f32_empty", (1.0, 1.0, 1.0), np.float32)):
        s, l, d = (np.array(v, dtype) for v in (start, limit, delta))
        case(f"range_{name}", [node("Range", ["s", "l", "d"], ["Y"])], [], [("Y", np.arange(s, l, d).astype(dtype))],
             opset=11, initializers={"s": s, "l": l, "d": d})
    case("range_inputs", [node("Range", ["s", "l", "d"], ["Y"])],
         [("s", np.array(2, np.int64)), ("l", np.array(9, np.int64)), ("d", np.array(2, np.int64))],
         [("Y", np.arange(2, 9, 2, dtype=np.int64))], opset=11)
    # A float bound from a graph input: only known while running (the plan runs eagerly).
    case("range_float_input", [node("Range", ["s", "l", "d"], ["Y"])], [("s", np.array(0.5, np.float32))],
         [("Y", np.arange(0.5, 3, 0.75, dtype=np.float32))], opset=11,
         initializers={"l": np.array(3, np.float32), "d": np.array(0.75, np.float32)})
    # limit from a shape (arange over a symbolic length), computed while planning.
    case("range_from_shape", [node("Shape", ["X"], ["s"]), node("Gather", ["s", "one"], ["n"], axis=0),
                              node("Range", ["zero", "n", "step"], ["Y"])],
         [("X", x)], [("Y", np.arange(0, 4, 1, dtype=np.int64))], opset=13,
         initializers={"one": np.array(1, np.int64), "zero": np.array(0, np.int64), "step": np.array(1, np.int64)},
         input_shapes={"X": ["a", "b", 5]})

    # OneHot
    for axis in (-1, 0, 1, -2):
        idx = randint(2, 3, low=-5, high=7)
        depth = 5
        vals = np.array([0.5, 2.0], np.float32)
        onehot = np.zeros(idx.shape + (depth,), np.float32) + vals[0]
        for pos in np.ndindex(*idx.shape):
            k = idx[pos]
            if -depth <= k < depth:
                onehot[pos + (k % depth,)] = vals[1]
        y = np.moveaxis(onehot, -1, axis if axis >= 0 else axis + 3)
        case(f"onehot_axis{axis}".replace("-", "m"), [node("OneHot", ["I", "D", "V"], ["Y"], axis=axis)],
             [("I", idx), ("D", np.array(depth, np.int64)), ("V", vals)], [("Y", y)], opset=11)
    idx = np.array([0, 2, -1, 7], np.int64)
    case("onehot_opset9_negative_off", [node("OneHot", ["I", "D", "V"], ["Y"])],
         [("I", idx), ("D", np.array([3.0], np.float32)), ("V", np.array([0, 1], np.int64))],
         [("Y", np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]], np.int64))], opset=9)
    idx_f = np.array([[1.0, 2.7], [-1.0, 0.0]], np.float32)
    case("onehot_float_indices_int32_values", [node("OneHot", ["I", "D", "V"], ["Y"])],
         [("I", idx_f), ("D", np.array(3, np.int32)), ("V", np.array([-1, 4], np.int32))],
         [("Y", np.array([[[-1, 4, -1], [-1, -1, 4]], [[-1, -1, 4], [4, -1, -1]]], np.int32))], opset=11)
    case("onehot_bool_values", [node("OneHot", ["I", "D", "V"], ["Y"])],
         [("I", np.array([1, 0], np.int32)), ("D", np.array(2, np.int64)), ("V", np.array([False, True]))],
         [("Y", np.array([[False, True], [True, False]]))], opset=11)
    torch_ref = torch.nn.functional.one_hot(torch.tensor([3, 0, 1]), 4).numpy().astype(np.int64)
    case("onehot_torch", [node("OneHot", ["I", "D", "V"], ["Y"])],
         [("I", np.array([3, 0, 1], np.int64)), ("D", np.array(4, np.int64)), ("V", np.array([0, 1], np.int64))],
         [("Y", torch_ref)], opset=11)

    # Trilu
    m = rand(2, 4, 5)
    for upper in (0, 1):
        for k in (None, 0, 1, -1, 3, -4, 100, -100):
            ins = ["X"] if k is None else ["X", "k"]
            kk = 0 if k is None else k
            y = np.triu(m, kk) if upper else np.tril(m, kk)
            case(f"trilu_{'upper' if upper else 'lower'}_k{'none' if k is None else k}".replace("-", "m"),
                 [node("Trilu", ins, ["Y"], upper=upper)], [("X", m)], [("Y", y)], opset=14,
                 initializers=None if k is None else {"k": np.array(k, np.int64)})
    for dtype, dname in DTYPES:
        v = sample((3, 3), dtype)
        case(f"trilu_{dname}", [node("Trilu", ["X"], ["Y"], upper=0)], [("X", v)], [("Y", np.tril(v))], opset=14)
    case("trilu_k_input", [node("Trilu", ["X", "k"], ["Y"])], [("X", m), ("k", np.array(2, np.int64))],
         [("Y", np.triu(m, 2))], opset=14)
    case("trilu_empty", [node("Trilu", ["X"], ["Y"])], [("X", rand(0, 3))], [("Y", np.zeros((0, 3), np.float32))],
         opset=14)

    # CastLike: Cast's conversions (saturating, NaN -> 0, != 0 -> bool), target dtype from the second input.
    f = np.array([1.7, -2.9, 0.0, 300.5, -1e10, np.nan], np.float32)
    case("castlike_f32_to_i32", [node("CastLike", ["X", "T"], ["Y"])], [("X", f[:4]), ("T", np.zeros(1, np.int32))],
         [("Y", np.array([1, -2, 0, 300], np.int32))], opset=15)
    case("castlike_f32_to_bool", [node("CastLike", ["X", "T"], ["Y"])], [("X", f[:4]), ("T", np.zeros(0, np.bool_))],
         [("Y", f[:4] != 0)], opset=15)
    case("castlike_i64_to_f64", [node("CastLike", ["X", "T"], ["Y"])],
         [("X", i64(3, -4)), ("T", np.zeros((2, 2), np.float64))], [("Y", np.array([3.0, -4.0]))], opset=19)
    case("castlike_same", [node("CastLike", ["X", "T"], ["Y"])], [("X", f[:4]), ("T", rand(1))], [("Y", f[:4])],
         opset=15)
    case("castlike_saturate_i8", [node("CastLike", ["X", "T"], ["Y"])], [("X", f[3:5]), ("T", np.zeros(1, np.int8))],
         [("Y", np.array([127, -128], np.int8))], opset=15)
    case("castlike_u8_to_f32", [node("CastLike", ["X", "T"], ["Y"])],
         [("X", np.array([0, 200, 255], np.uint8)), ("T", rand(1))], [("Y", np.array([0, 200, 255], np.float32))],
         opset=15)


# ------------------------------------------------------------------------------------------------------
# Einsum (references: numpy's einsum in float64; shapes big enough reach the GEMM path, small ones the
# loop nest)

def einsum_ref(eq, *ops):
    dtype = ops[0].dtype
    if np.issubdtype(dtype, np.floating):
        return np.einsum(eq, *[o.astype(np.float64) for o in ops]).astype(dtype)
    return np.einsum(eq, *ops).astype(dtype)


def einsum_cases():
    variants = {
        # GEMM path: matrices used in place (plain, transposed operands, transposed output).
        "matmul": ("ij,jk->ik", (9, 10), (10, 11)),
        "matmul_implicit": ("ij,jk", (9, 10), (10, 11)),
        "matmul_trans_a": ("ji,jk->ik", (10, 9), (10, 11)),
        "matmul_trans_b": ("ij,kj->ik", (9, 10), (11, 10)),
        "matmul_out_transposed": ("ij,jk->ki", (9, 10), (10, 11)),
        "bmm": ("bij,bjk->bik", (3, 9, 10), (3, 10, 11)),
        "attention_scores": ("bhqd,bhkd->bhqk", (2, 3, 5, 8), (2, 3, 7, 8)),
        "attention_values": ("bhqk,bhkd->bhqd", (2, 3, 5, 7), (2, 3, 7, 8)),
        "batch_in_middle": ("bij,bjk->ibk", (3, 9, 10), (3, 10, 11)),
        "multi_k": ("iab,abj->ij", (6, 4, 5), (4, 5, 7)),
        "multi_m_n": ("abk,kcd->abcd", (3, 4, 9), (9, 5, 2)),
        "outer": ("i,j->ij", (12,), (13,)),
        "dot": ("i,i->", (100,), (100,)),
        "batched_dot": ("bi,bi->b", (4, 70), (4, 70)),
        "matvec": ("ij,j->i", (20, 30), (30,)),
        # GEMM path with operands or output copied through the workspace.
        "copy_a_and_out": ("ijk,jl->ilk", (5, 6, 7), (6, 8)),
        "copy_b": ("ij,kjl->ikl", (5, 6), (4, 6, 3)),
        "ellipsis_broadcast_batch": ("...ij,...jk->...ik", (2, 1, 9, 10), (5, 10, 11)),
        "ellipsis_same": ("...ij,...jk->...ik", (3, 9, 10), (3, 10, 11)),
        # Loop nest.
        "small_matmul": ("ij,jk->ik", (2, 3), (3, 2)),
        "transpose": ("ij->ji", (3, 4), None),
        "sum_all": ("ij->", (3, 4), None),
        "sum_rows": ("ij->i", (3, 4), None),
        "trace": ("ii->", (5, 5), None),
        "trace_implicit": ("ii", (5, 5), None),
        "diagonal": ("ii->i", (5, 5), None),
        "batch_diagonal": ("bii->bi", (3, 4, 4), None),
        "diag_then_sum": ("iij->j", (3, 3, 4), None),
        "elementwise": ("ij,ij->ij", (3, 4), (3, 4)),
        "implicit_uppercase": ("Ab,bC", (3, 4), (4, 2)),
        "spaces": (" ij , jk -> ik ", (2, 3), (3, 2)),
        "ellipsis_implicit": ("...ij,...jk", (2, 3, 4), (2, 4, 5)),
        "ellipsis_middle": ("i...j->j...i", (2, 3, 4, 5), None),
        "operand_only_sum": ("ij,jk->k", (3, 40), (40, 5)),
        "diag_in_contraction": ("ii,ij->j", (30, 30), (30, 20)),
    }
    for name, (eq, sa, sb) in variants.items():
        ops = [rand(*sa)] + ([] if sb is None else [rand(*sb)])
        names = ["A", "B"][:len(ops)]
        case(f"einsum_{name}", [node("Einsum", names, ["Y"], equation=eq)], list(zip(names, ops)),
             [("Y", einsum_ref(eq, *ops))], opset=12)
    # '...' dims absent from an explicit output are summed (numpy rejects this equation).
    a = rand(2, 3, 4)
    case("einsum_ellipsis_summed", [node("Einsum", ["A"], ["Y"], equation="...i->i")], [("A", a)],
         [("Y", a.astype(np.float64).sum(axis=(0, 1)).astype(np.float32))], opset=12)
    a, b, c = rand(3, 4), rand(4, 5), rand(5, 2)
    case("einsum_three_operands", [node("Einsum", ["A", "B", "C"], ["Y"], equation="ij,jk,kl->il")],
         [("A", a), ("B", b), ("C", c)], [("Y", einsum_ref("ij,jk,kl->il", a, b, c))], opset=12)
    # Cross-check with PyTorch.
    x, y = rand(2, 3, 5, 8), rand(2, 3, 7, 8)
    assert np.allclose(einsum_ref("bhqd,bhkd->bhqk", x, y),
                       torch.einsum("bhqd,bhkd->bhqk", torch.from_numpy(x), torch.from_numpy(y)).numpy(), atol=1e-5)
    for dtype, dname in ((np.float64, "f64"), (np.int64, "i64"), (np.int32, "i32"), (np.int8, "i8"),
                         (np.uint8, "u8")):
        a = sample((4, 5), dtype) if dtype != np.uint8 else randint(4, 5, dtype=dtype, low=0, high=10)
        b = sample((5, 3), dtype) if dtype != np.uint8 else randint(5, 3, dtype=dtype, low=0, high=10)
        if dtype == np.int8:
            a, b = randint(4, 5, dtype=dtype, low=-5, high=5), randint(5, 3, dtype=dtype, low=-5, high=5)
        case(f"einsum_{dname}", [node("Einsum", ["A", "B"], ["Y"], equation="ij,jk->ik")], [("A", a), ("B", b)],
             [("Y", einsum_ref("ij,jk->ik", a, b))], opset=12)
    a = rand(20, 30)
    case("einsum_f64_big", [node("Einsum", ["A", "B"], ["Y"], equation="ij,jk->ik")],
         [("A", a.astype(np.float64)), ("B", a.T.astype(np.float64))],
         [("Y", einsum_ref("ij,jk->ik", a.astype(np.float64), a.T.astype(np.float64)))], opset=12)
    case("einsum_zero_k", [node("Einsum", ["A", "B"], ["Y"], equation="ij,jk->ik")], [("A", rand(3, 0)), ("B", rand(0, 4))],
         [("Y", np.zeros((3, 4), np.float32))], opset=12)
    case("einsum_zero_k_outer_loop", [node("Einsum", ["A", "B"], ["Y"], equation="ij,jk->k")],
         [("A", rand(0, 3)), ("B", rand(3, 4))], [("Y", np.zeros(4, np.float32))], opset=12)
    case("einsum_zero_rows", [node("Einsum", ["A", "B"], ["Y"], equation="ij,jk->ik")],
         [("A", rand(0, 5)), ("B", rand(5, 4))], [("Y", np.zeros((0, 4), np.float32))], opset=12)
    a, b = rand(3, 9, 10), rand(10, 11)
    case("einsum_symbolic", [node("Einsum", ["A", "B"], ["Y"], equation="bij,jk->bik")], [("A", a), ("B", b)],
         [("Y", einsum_ref("bij,jk->bik", a, b))], opset=12, input_shapes={"A": ["batch", "seq", 10]},
         expect_shape="[batch,seq,11]")
    case("einsum_symbolic_ellipsis", [node("Einsum", ["A", "B"], ["Y"], equation="...j,jk->...k")],
         [("A", a), ("B", b)], [("Y", einsum_ref("...j,jk->...k", a, b))], opset=12,
         input_shapes={"A": ["batch", 9, 10]}, expect_shape="[batch,9,11]")


# ------------------------------------------------------------------------------------------------------
# Errors

def error_cases():
    x = rand(4, 6)

    def e(name, nodes, inputs, outputs, expected, **kw):
        error_case(name, nodes, inputs, outputs, expected, **kw)

    e("slice_zero_step", [node("Slice", ["X", "s", "e", "a", "st"], ["Y"], name="sl")], [("X", x)], [("Y", x)],
      ["Slice node 'sl'", "step", "non-zero"], opset=13,
      initializers={"s": i64(0), "e": i64(2), "a": i64(0), "st": i64(0)})
    e("slice_bad_axis", [node("Slice", ["X", "s", "e", "a"], ["Y"], name="sl")], [("X", x)], [("Y", x)],
      ["Slice node 'sl'", "axis 2", "rank 2"], opset=13, initializers={"s": i64(0), "e": i64(2), "a": i64(2)})
    e("slice_repeated_axis", [node("Slice", ["X", "s", "e", "a"], ["Y"], name="sl")], [("X", x)], [("Y", x)],
      ["repeat"], opset=13, initializers={"s": i64(0, 0), "e": i64(2, 2), "a": i64(1, -1)})
    e("slice_length_mismatch", [node("Slice", ["X", "s", "e"], ["Y"], name="sl")], [("X", x)], [("Y", x)],
      ["same length"], opset=13, initializers={"s": i64(0, 0), "e": i64(2)})
    e("slice_float_starts", [node("Slice", ["X", "s", "e"], ["Y"], name="sl")], [("X", x)], [("Y", x)],
      ["code=UNIMPLEMENTED", "float32"], opset=13,
      initializers={"s": np.array([0], np.float32), "e": i64(2)})
    e("split_bad_sum", [node("Split", ["X", "split"], ["A", "B"], axis=1, name="sp")], [("X", x)],
      [("A", x), ("B", x)], ["Split node 'sp'", "sums to 5", "size 6"], opset=13, initializers={"split": i64(2, 3)})
    e("split_uneven", [node("Split", ["X"], ["A", "B", "C", "D"], axis=1, name="sp")], [("X", x)],
      [("A", x), ("B", x), ("C", x), ("D", x)], ["cannot be split evenly"], opset=13)
    e("split_num_outputs_mismatch", [node("Split", ["X"], ["A", "B"], axis=1, num_outputs=3, name="sp")],
      [("X", x)], [("A", x), ("B", x)], ["num_outputs is 3", "2 outputs"], opset=18)
    e("expand_incompatible", [node("Expand", ["X", "s"], ["Y"], name="ex")], [("X", x)], [("Y", x)],
      ["Expand node 'ex'", "[4,6]"], opset=13, initializers={"s": i64(3, 6)})
    e("expand_negative", [node("Expand", ["X", "s"], ["Y"], name="ex")], [("X", x)], [("Y", x)],
      ["negative"], opset=13, initializers={"s": i64(-1, 6)})
    e("expand_shape_unknown", [node("Expand", ["X", "s"], ["Y"], name="ex")], [("X", x), ("s", rand(2))],
      [("Y", x)], ["code=UNIMPLEMENTED", "float32"], opset=13)
    e("tile_wrong_length", [node("Tile", ["X", "r"], ["Y"], name="ti")], [("X", x)], [("Y", x)],
      ["Tile node 'ti'", "rank 2"], opset=13, initializers={"r": i64(2)})
    e("pad_bad_mode", [node("Pad", ["X", "p"], ["Y"], mode="mirror", name="pd")], [("X", x)], [("Y", x)],
      ["Pad node 'pd'", "mirror"], opset=13, initializers={"p": i64(0, 0, 0, 0)})
    e("pad_wrap_before_19", [node("Pad", ["X", "p"], ["Y"], mode="wrap", name="pd")], [("X", x)], [("Y", x)],
      ["opset 19"], opset=18, initializers={"p": i64(0, 0, 0, 0)})
    e("pad_wrong_length", [node("Pad", ["X", "p"], ["Y"], name="pd")], [("X", x)], [("Y", x)],
      ["expected 4"], opset=13, initializers={"p": i64(0, 0, 0)})
    e("pad_over_crop", [node("Pad", ["X", "p"], ["Y"], name="pd")], [("X", x)], [("Y", x)],
      ["crop more"], opset=13, initializers={"p": i64(-3, 0, -2, 0)})
    e("pad_edge_empty", [node("Pad", ["X", "p"], ["Y"], mode="edge", name="pd")], [("X", rand(0, 2))], [("Y", x)],
      ["empty axis"], opset=13, initializers={"p": i64(1, 0, 0, 0)})
    e("depthtospace_channels", [node("DepthToSpace", ["X"], ["Y"], blocksize=2, name="d2s")],
      [("X", rand(1, 6, 2, 2))], [("Y", x)], ["DepthToSpace node 'd2s'", "blocksize^2 4"], opset=13)
    e("spacetodepth_rank", [node("SpaceToDepth", ["X"], ["Y"], blocksize=2, name="s2d")], [("X", x)], [("Y", x)],
      ["rank 4"], opset=13)
    e("depthtospace_mode", [node("DepthToSpace", ["X"], ["Y"], blocksize=2, mode="XYZ", name="d2s")],
      [("X", rand(1, 4, 2, 2))], [("Y", x)], ["XYZ"], opset=13)
    e("gatherelements_out_of_range", [node("GatherElements", ["X", "I"], ["Y"], axis=1, name="ge")],
      [("X", x), ("I", np.array([[0, 6]], np.int64))], [("Y", x)],
      ["GatherElements node 'ge'", "index 6", "[-6, 5]", "axis 1"], opset=13)
    e("gatherelements_rank", [node("GatherElements", ["X", "I"], ["Y"], name="ge")],
      [("X", x), ("I", np.array([0, 1], np.int64))], [("Y", x)], ["rank"], opset=13)
    e("gatherelements_float_indices", [node("GatherElements", ["X", "I"], ["Y"], name="ge")],
      [("X", x), ("I", rand(4, 6))], [("Y", x)], ["code=UNIMPLEMENTED", "float32"], opset=13)
    e("scatterelements_out_of_range", [node("ScatterElements", ["X", "I", "U"], ["Y"], name="se")],
      [("X", x), ("I", np.array([[1, -5]], np.int64)), ("U", rand(1, 2))], [("Y", x)],
      ["ScatterElements node 'se'", "index -5", "[-4, 3]", "axis 0"], opset=13)
    e("scatterelements_reduction_opset13", [node("ScatterElements", ["X", "I", "U"], ["Y"], reduction="add",
                                                  name="se")],
      [("X", x), ("I", np.array([[1]], np.int64)), ("U", rand(1, 1))], [("Y", x)], ["reduction 'add'"], opset=13)
    e("scatterelements_max_opset16", [node("ScatterElements", ["X", "I", "U"], ["Y"], reduction="max", name="se")],
      [("X", x), ("I", np.array([[1]], np.int64)), ("U", rand(1, 1))], [("Y", x)], ["reduction 'max'"], opset=16)
    e("scatterelements_updates_shape", [node("ScatterElements", ["X", "I", "U"], ["Y"], name="se")],
      [("X", x), ("I", np.array([[1, 2]], np.int64)), ("U", rand(1, 3))], [("Y", x)], ["updates [1,3]"], opset=13)
    e("gathernd_out_of_range", [node("GatherND", ["X", "I"], ["Y"], name="gn")],
      [("X", x), ("I", np.array([[3, 6]], np.int64))], [("Y", x)],
      ["GatherND node 'gn'", "index 6", "[-6, 5]", "axis 1"], opset=13)
    e("gathernd_batch_dims", [node("GatherND", ["X", "I"], ["Y"], batch_dims=1, name="gn")],
      [("X", x), ("I", np.array([[3], [2]], np.int64))], [("Y", x)], ["first 1 dims"], opset=13)
    e("scatternd_out_of_range", [node("ScatterND", ["X", "I", "U"], ["Y"], name="sn")],
      [("X", x), ("I", np.array([[4]], np.int64)), ("U", rand(1, 6))], [("Y", x)],
      ["ScatterND node 'sn'", "index 4", "[-4, 3]"], opset=13)
    e("scatternd_updates_shape", [node("ScatterND", ["X", "I", "U"], ["Y"], name="sn")],
      [("X", x), ("I", np.array([[1]], np.int64)), ("U", rand(1, 5))], [("Y", x)], ["must have shape [1,6]"], opset=13)
    e("constantofshape_negative", [node("ConstantOfShape", ["S"], ["Y"], name="cs")], [], [("Y", x)],
      ["ConstantOfShape node 'cs'", "negative"], opset=13, initializers={"S": i64(2, -1)})
    e("constantofshape_two_values", [node("ConstantOfShape", ["S"], ["Y"], name="cs",
                                          value=helper.make_tensor("v", TensorProto.FLOAT, [2], [1.0, 2.0]))],
      [], [("Y", x)], ["one element"], opset=13, initializers={"S": i64(2)})
    e("eyelike_rank", [node("EyeLike", ["X"], ["Y"], name="ey")], [("X", rand(2, 2, 2))], [("Y", x)],
      ["EyeLike node 'ey'", "rank 2"], opset=13)
    e("range_zero_delta", [node("Range", ["s", "l", "d"], ["Y"], name="rg")], [], [("Y", x)],
      ["Range node 'rg'", "delta is 0"], opset=11,
      initializers={"s": np.array(0, np.int64), "l": np.array(3, np.int64), "d": np.array(0, np.int64)})
    e("range_mixed_dtypes", [node("Range", ["s", "l", "d"], ["Y"], name="rg")], [], [("Y", x)],
      ["same dtype"], opset=11,
      initializers={"s": np.array(0, np.int64), "l": np.array(3, np.int32), "d": np.array(1, np.int64)})
    e("onehot_depth_zero", [node("OneHot", ["I", "D", "V"], ["Y"], name="oh")],
      [("I", i64(0, 1))], [("Y", x)], ["OneHot node 'oh'", "depth is 0"], opset=11,
      initializers={"D": np.array(0, np.int64), "V": np.array([0, 1], np.float32)})
    e("onehot_axis", [node("OneHot", ["I", "D", "V"], ["Y"], axis=3, name="oh")],
      [("I", i64(0, 1))], [("Y", x)], ["axis 3"], opset=11,
      initializers={"D": np.array(2, np.int64), "V": np.array([0, 1], np.float32)})
    e("einsum_size_mismatch", [node("Einsum", ["A", "B"], ["Y"], equation="ij,jk->ik", name="es")],
      [("A", rand(2, 3)), ("B", rand(4, 2))], [("Y", x)], ["Einsum node 'es'", "letter 'j' has size 3", "4"],
      opset=12)
    e("einsum_input_count", [node("Einsum", ["A"], ["Y"], equation="ij,jk->ik", name="es")],
      [("A", rand(2, 3))], [("Y", x)], ["2 input terms", "1 inputs"], opset=12)
    e("einsum_bad_char", [node("Einsum", ["A"], ["Y"], equation="i1->i", name="es")],
      [("A", rand(2, 3))], [("Y", x)], ["unexpected character '1'"], opset=12)
    e("einsum_output_letter", [node("Einsum", ["A"], ["Y"], equation="ij->k", name="es")],
      [("A", rand(2, 3))], [("Y", x)], ["output letter 'k'"], opset=12)
    e("einsum_rank", [node("Einsum", ["A"], ["Y"], equation="ijk->i", name="es")],
      [("A", rand(2, 3))], [("Y", x)], ["rank 2", "3 letters"], opset=12)
    e("einsum_ellipsis_broadcast", [node("Einsum", ["A", "B"], ["Y"], equation="...i,...i->...", name="es")],
      [("A", rand(2, 3)), ("B", rand(4, 3))], [("Y", x)], ["'...' dims"], opset=12)
    e("einsum_bool", [node("Einsum", ["A"], ["Y"], equation="ij->ji", name="es")],
      [("A", rand(2, 3) > 0)], [("Y", x > 0)], ["code=UNIMPLEMENTED", "bool"], opset=12)
    e("trilu_rank1", [node("Trilu", ["X"], ["Y"], name="tr")], [("X", rand(3))], [("Y", x)],
      ["Trilu node 'tr'", "rank >= 2"], opset=14)
    e("trilu_k_int32", [node("Trilu", ["X", "k"], ["Y"], name="tr")], [("X", x)], [("Y", x)],
      ["code=UNIMPLEMENTED", "int32"], opset=14, initializers={"k": np.array(1, np.int32)})


if __name__ == "__main__":
    from opcase import run
    run([slice_cases, split_cases, expand_cases, tile_cases, strided_copy_cases, pad_cases, space_depth_cases, gather_scatter_cases, generator_cases, einsum_cases, error_cases])
