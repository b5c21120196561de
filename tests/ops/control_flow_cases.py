"""Control flow and data-dependent shapes: If, Loop, Scan, NonZero (plans that run eagerly).
References are numpy formulas. See opcase.py for the layout."""

import numpy as np
from onnx import TensorProto, helper

from opcase import case, error_case, node, rand, run


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def if_cases():
    # Branches read an outer-scope value (X) and give different shapes: the output shape depends on data.
    then_g = helper.make_graph([node("Add", ["X", "X"], ["t"])], "then", [], [vi("t", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([node("Transpose", ["X"], ["e"])], "else", [], [vi("e", TensorProto.FLOAT, None)])
    x = rand(2, 3)
    for flag in (True, False):
        y = x + x if flag else x.T
        case(f"if_{'then' if flag else 'else'}_outer_scope",
             [node("If", ["C"], ["Y"], then_branch=then_g, else_branch=else_g)],
             [("C", np.array(flag)), ("X", x)], [("Y", y)], opset=13)
    # Nested If: the inner branch reads a value two scopes out.
    inner_then = helper.make_graph([node("Mul", ["X", "X"], ["it"])], "inner_then", [], [vi("it", TensorProto.FLOAT, None)])
    inner_else = helper.make_graph([node("Sub", ["X", "X"], ["ie"])], "inner_else", [], [vi("ie", TensorProto.FLOAT, None)])
    outer_then = helper.make_graph([node("If", ["C2"], ["o"], then_branch=inner_then, else_branch=inner_else)],
                                   "outer_then", [], [vi("o", TensorProto.FLOAT, None)])
    outer_else = helper.make_graph([node("Identity", ["X"], ["oe"])], "outer_else", [], [vi("oe", TensorProto.FLOAT, None)])
    for c1, c2 in ((True, True), (True, False), (False, True)):
        y = (x * x if c2 else x - x) if c1 else x
        case(f"if_nested_{int(c1)}{int(c2)}",
             [node("If", ["C1"], ["Y"], then_branch=outer_then, else_branch=outer_else)],
             [("C1", np.array(c1)), ("C2", np.array(c2)), ("X", x)], [("Y", y)], opset=13)


def loop_cases():
    # Body: (i, cond, acc) -> (cond, acc + x * i, scan = acc); x from the outer scope.
    body = helper.make_graph(
        [node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
         node("Mul", ["X", "fi"], ["xi"]),
         node("Add", ["acc_in", "xi"], ["acc_out"]),
         node("Identity", ["cond_in"], ["cond_out"]),
         node("Identity", ["acc_in"], ["scan_out"])],
        "body",
        [vi("i", TensorProto.INT64, []), vi("cond_in", TensorProto.BOOL, []), vi("acc_in", TensorProto.FLOAT, [3])],
        [vi("cond_out", TensorProto.BOOL, []), vi("acc_out", TensorProto.FLOAT, [3]), vi("scan_out", TensorProto.FLOAT, [3])])
    x = rand(3)
    acc0 = rand(3)
    for trips in (0, 1, 5):
        acc, scans = acc0.copy(), []
        for i in range(trips):
            scans.append(acc.copy())
            acc = acc + x * i
        scan = np.stack(scans) if scans else np.zeros((0, 3), np.float32)
        case(f"loop_trips{trips}", [node("Loop", ["M", "", "A0"], ["A", "S"], body=body)],
             [("M", np.array(trips, np.int64)), ("A0", acc0), ("X", x)], [("A", acc), ("S", scan.astype(np.float32))],
             opset=13)
    # Condition-driven: stop when the counter reaches a limit (cond computed in the body).
    body2 = helper.make_graph(
        [node("Add", ["v_in", "one"], ["v_out"]),
         node("Sub", ["limit", "v_out"], ["left"]),
         node("Cast", ["left"], ["cond_out"], to=TensorProto.BOOL)],
        "body2",
        [vi("i", TensorProto.INT64, []), vi("cond_in", TensorProto.BOOL, []), vi("v_in", TensorProto.INT64, [])],
        [vi("cond_out", TensorProto.BOOL, []), vi("v_out", TensorProto.INT64, [])],
        initializer=[helper.make_tensor("one", TensorProto.INT64, [], [1])])
    case("loop_cond_only", [node("Loop", ["", "C", "V0"], ["V"], body=body2)],
         [("C", np.array(True)), ("V0", np.array(0, np.int64)), ("limit", np.array(7, np.int64))],
         [("V", np.array(7, np.int64))], opset=13)


def scan_cases():
    # Cumulative sum over axis 0 and a reversed scan over axis 1.
    body = helper.make_graph(
        [node("Add", ["s_in", "x"], ["s_out"]), node("Identity", ["s_out"], ["y"])],
        "body",
        [vi("s_in", TensorProto.FLOAT, [2]), vi("x", TensorProto.FLOAT, [2])],
        [vi("s_out", TensorProto.FLOAT, [2]), vi("y", TensorProto.FLOAT, [2])])
    seq = rand(4, 2)
    s0 = rand(2)
    ys = np.cumsum(np.concatenate([s0[None], seq]), axis=0)[1:]
    case("scan_cumsum_axis0", [node("Scan", ["S0", "X"], ["S", "Y"], body=body, num_scan_inputs=1)],
         [("S0", s0), ("X", seq)], [("S", ys[-1]), ("Y", ys)], opset=11)
    seq_t = rand(2, 4)  # scan along axis 1, backwards; outputs stacked along axis 1
    acc, outs = s0.copy(), []
    for t in reversed(range(4)):
        acc = acc + seq_t[:, t]
        outs.append(acc.copy())
    y = np.stack(outs, axis=1)
    case("scan_axis1_reverse", [node("Scan", ["S0", "X"], ["S", "Y"], body=body, num_scan_inputs=1,
                                     scan_input_axes=[1], scan_input_directions=[1], scan_output_axes=[1])],
         [("S0", s0), ("X", seq_t)], [("S", acc), ("Y", y)], opset=11)


def scan8_cases():
    # Opset 8: a leading batch axis on every input and output, scan inputs [batch, seq, ...], an optional
    # sequence_lens first input; the body sees one batch entry.
    body = helper.make_graph(
        [node("Add", ["s_in", "x"], ["s_out"]), node("Identity", ["s_out"], ["y"])],
        "body8",
        [vi("s_in", TensorProto.FLOAT, [2]), vi("x", TensorProto.FLOAT, [2])],
        [vi("s_out", TensorProto.FLOAT, [2]), vi("y", TensorProto.FLOAT, [2])])
    s0 = rand(3, 2)
    seq = rand(3, 4, 2)
    for reverse in (0, 1):
        order = seq[:, ::-1, :] if reverse else seq
        ys = np.cumsum(order, axis=1) + s0[:, None, :]
        case(f"scan8_batch3{'_reverse' if reverse else ''}",
             [node("Scan", ["", "S0", "X"], ["S", "Y"], body=body, num_scan_inputs=1, directions=[reverse])],
             [("S0", s0), ("X", seq)], [("S", ys[:, -1, :]), ("Y", ys.astype(np.float32))], opset=8)
    lens = np.array([4, 4, 4], np.int32)
    ys = np.cumsum(seq, axis=1) + s0[:, None, :]
    case("scan8_full_sequence_lens", [node("Scan", ["L", "S0", "X"], ["S", "Y"], body=body, num_scan_inputs=1)],
         [("L", lens), ("S0", s0), ("X", seq)], [("S", ys[:, -1, :]), ("Y", ys.astype(np.float32))], opset=8)


def nonzero_cases():
    x = np.array([[0, 1.5, 0], [2, 0, -3]], np.float32)
    case("nonzero_float", [node("NonZero", ["X"], ["Y"])], [("X", x)], [("Y", np.array(np.nonzero(x), np.int64))], opset=13)
    b = rand(3, 4, 5) > 0.5
    case("nonzero_bool_3d", [node("NonZero", ["X"], ["Y"])], [("X", b)], [("Y", np.array(np.nonzero(b), np.int64))], opset=13)
    z = np.zeros((2, 2), np.int64)
    case("nonzero_none", [node("NonZero", ["X"], ["Y"])], [("X", z)], [("Y", np.zeros((2, 0), np.int64))], opset=13)
    # Data-dependent shape feeding further ops: Transpose of NonZero's output.
    case("nonzero_then_transpose", [node("NonZero", ["X"], ["N"]), node("Transpose", ["N"], ["Y"])],
         [("X", x)], [("Y", np.array(np.nonzero(x), np.int64).T.copy())], opset=13)


def error_cases():
    then_g = helper.make_graph([node("Identity", ["X"], ["t"])], "then", [], [vi("t", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([node("Cast", ["X"], ["e"], to=TensorProto.INT64)], "else", [], [vi("e", TensorProto.INT64, None)])
    error_case("if_branch_types_differ", [node("If", ["C"], ["Y"], name="iff", then_branch=then_g, else_branch=else_g)],
               [("C", np.array(True)), ("X", rand(2))], [("Y", rand(1))], ["If node 'iff'", "float32", "int64"], opset=13)
    error_case("if_cond_not_bool", [node("If", ["C"], ["Y"], name="iff2", then_branch=then_g, else_branch=then_g)],
               [("C", rand(1)), ("X", rand(2))], [("Y", rand(1))], ["If node 'iff2'", "float32"], opset=13)
    bad = helper.make_graph([node("Identity", ["nowhere"], ["t"])], "bad", [], [vi("t", TensorProto.FLOAT, None)])
    body8 = helper.make_graph(
        [node("Add", ["s_in", "x"], ["s_out"]), node("Identity", ["s_out"], ["y"])], "body8",
        [vi("s_in", TensorProto.FLOAT, [2]), vi("x", TensorProto.FLOAT, [2])],
        [vi("s_out", TensorProto.FLOAT, [2]), vi("y", TensorProto.FLOAT, [2])])
    error_case("scan8_padded_sequence_lens",
               [node("Scan", ["L", "S0", "X"], ["S", "Y"], name="scan8", body=body8, num_scan_inputs=1)],
               [("L", np.array([4, 2], np.int32)), ("S0", rand(2, 2)), ("X", rand(2, 4, 2))], [("S", rand(1)), ("Y", rand(1))],
               ["Scan node 'scan8'", "sequence_lens[1] = 2", "code=UNIMPLEMENTED"], opset=8)
    error_case("if_subgraph_reads_undefined", [node("If", ["C"], ["Y"], name="iff3", then_branch=bad, else_branch=bad)],
               [("C", np.array(True))], [("Y", rand(1))], ["nowhere"], opset=13)


if __name__ == "__main__":
    run([if_cases, loop_cases, scan_cases, scan8_cases, nonzero_cases, error_cases])
