"""Models for the graph-pass tests, in the ONNX backend layout, with numpy/PyTorch reference outputs.

usage: make_pass_models.py OUT_DIR
Each case: OUT_DIR/<name>/model.onnx, test_data_set_0/input_K.pb, output_K.pb.
"""
import os
import sys

import numpy as np
import torch
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.uniform(-1, 1, size=shape).astype(np.float32)


def save(out, name, nodes, inputs, outputs, inits, opset=13):
    g = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch"] + list(a.shape[1:])) for n, a in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n, _ in outputs],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(m.SerializeToString())
    for k, (n, a) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for k, (n, a) in enumerate(outputs):
        with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a.astype(np.float32), n).SerializeToString())


def bn(y, scale, shift, mean, var, eps, axis=1):
    shape = [1] * y.ndim
    shape[axis] = -1
    r = lambda v: v.astype(np.float64).reshape(shape)
    return (y - r(mean)) / np.sqrt(r(var) + eps) * r(scale) + r(shift)


def main():
    out = sys.argv[1]
    x = rand(3, 8)
    w1, b1, w2, b2 = rand(8, 4), rand(4), rand(4, 3), rand(1, 3)
    h = np.maximum(x.astype(np.float64) @ w1 + b1, 0)
    save(out, "matmul_add", [
        helper.make_node("MatMul", ["X", "W1"], ["m1"]), helper.make_node("Add", ["m1", "B1"], ["a1"]),
        helper.make_node("Relu", ["a1"], ["r1"]),
        helper.make_node("MatMul", ["r1", "W2"], ["m2"]), helper.make_node("Add", ["B2", "m2"], ["Y"])],
        [("X", x)], [("Y", h @ w2 + b2)], {"W1": w1, "B1": b1, "W2": w2, "B2": b2})

    # Not fusable: the bias is a graph input; the MatMul output is also a graph output.
    bias = rand(3, 4)
    m = x.astype(np.float64) @ w1
    save(out, "matmul_add_not_fused", [
        helper.make_node("MatMul", ["X", "W1"], ["M"]), helper.make_node("Add", ["M", "B"], ["Y"])],
        [("X", x), ("B", bias)], [("Y", m + bias), ("M", m)], {"W1": w1})

    xc = rand(2, 3, 8, 8)
    wc, bc = rand(4, 3, 3, 3), rand(4)
    scale, shift, mean, var = rand(4), rand(4), rand(4), RNG.uniform(0.5, 2, 4).astype(np.float32)
    conv = torch.nn.functional.conv2d(torch.from_numpy(xc).double(), torch.from_numpy(wc).double(),
                                      torch.from_numpy(bc).double(), padding=1).numpy()
    save(out, "conv_bn", [
        helper.make_node("Conv", ["X", "W", "Bc"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "t", "mu", "var"], ["b"], epsilon=1e-3),
        helper.make_node("Relu", ["b"], ["Y"])],
        [("X", xc)], [("Y", np.maximum(bn(conv, scale, shift, mean, var, 1e-3), 0))],
        {"W": wc, "Bc": bc, "s": scale, "t": shift, "mu": mean, "var": var})

    xg = rand(4, 6)
    wg, cg = rand(5, 6), rand(5)
    s5, t5, m5, v5 = rand(5), rand(5), rand(5), RNG.uniform(0.5, 2, 5).astype(np.float32)
    gemm = 0.7 * (xg.astype(np.float64) @ wg.T) + 0.5 * cg
    save(out, "gemm_bn", [
        helper.make_node("Gemm", ["X", "W", "C"], ["g"], transB=1, alpha=0.7, beta=0.5),
        helper.make_node("BatchNormalization", ["g", "s", "t", "mu", "var"], ["Y"])],
        [("X", xg)], [("Y", bn(gemm, s5, t5, m5, v5, 1e-5))], {"W": wg, "C": cg, "s": s5, "t": t5, "mu": m5, "var": v5})

    # Dead code: a branch no output needs, and a node computed from initializers only (folded at load).
    save(out, "dead_nodes", [
        helper.make_node("Mul", ["X", "X"], ["unused"]), helper.make_node("Relu", ["unused"], ["unused2"]),
        helper.make_node("Add", ["K1", "K2"], ["k"]),
        helper.make_node("Add", ["X", "k"], ["Y"])],
        [("X", x)], [("Y", x + (w1[:, 0] + w1[:, 1]))], {"K1": w1[:, 0].copy(), "K2": w1[:, 1].copy()})


if __name__ == "__main__":
    main()
