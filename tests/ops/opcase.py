"""Shared helpers for the operator test cases (tests/ops/*_cases.py).

Each *_cases.py script writes, into one tar file, test cases in the ONNX backend layout:
cases/<name>/model.onnx + test_data_set_0/input_K.pb, output_K.pb: one small model per operator variant.
Expected outputs come from numpy or PyTorch formulas written in the script, never from sofie. Cases with
symbolic input dims may add expected_shape.txt: output 0's shape as inferred at load ("[batch,12]").
errors/<name>/model.onnx (+ test_data_set_0/input_K.pb) + expected_error.txt: a model that must fail at
load or at inference, with substrings (one per line) the error message must contain; a line "code=X"
instead names the absl status code (UNIMPLEMENTED for valid models sofie cannot run, INVALID_ARGUMENT for
bad models and bad data).

Deterministic: fixed seeds, and the tar has fixed timestamps, owners and order, so the genrule output is
stable across runs. Every *_cases.py under tests/ops/ becomes a test target by itself (tests/ops/BUILD.bazel).
"""

import io
import os
import sys
import tarfile

import numpy as np
import torch
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(20240611)

NP_TO_ONNX = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.int32): TensorProto.INT32,
    np.dtype(np.int8): TensorProto.INT8,
    np.dtype(np.uint8): TensorProto.UINT8,
    np.dtype(np.bool_): TensorProto.BOOL,
}

FILES = {}  # path inside the tar -> bytes


def rand(*shape, dtype=np.float32, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape).astype(dtype)


def randint(*shape, dtype=np.int64, low=-20, high=20):
    return RNG.integers(low, high, size=shape).astype(dtype)


def value_info(name, array, shape=None):
    return helper.make_tensor_value_info(name, NP_TO_ONNX[array.dtype], list(array.shape) if shape is None else shape)


def make_model(nodes, inputs, outputs, opset, initializers, input_shapes):
    graph_inputs = [value_info(n, a, (input_shapes or {}).get(n)) for n, a in inputs]
    graph_outputs = [helper.make_tensor_value_info(n, NP_TO_ONNX[a.dtype], None) for n, a in outputs]
    inits = [numpy_helper.from_array(np.asarray(a), n) for n, a in (initializers or {}).items()]
    graph = helper.make_graph(nodes, "op_case", graph_inputs, graph_outputs, initializer=inits)
    model = helper.make_model(graph, producer_name="sofie-op-cases", opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model.SerializeToString()


def write_data(folder, inputs, outputs):
    for k, (n, a) in enumerate(inputs):
        FILES[f"{folder}/test_data_set_0/input_{k}.pb"] = numpy_helper.from_array(np.asarray(a), n).SerializeToString()
    for k, (n, a) in enumerate(outputs):
        FILES[f"{folder}/test_data_set_0/output_{k}.pb"] = numpy_helper.from_array(np.asarray(a), n).SerializeToString()


def case(name, nodes, inputs, outputs, opset=17, initializers=None, input_shapes=None, expect_shape=None):
    """inputs/outputs: lists of (name, numpy array); outputs hold the expected values."""
    folder = f"cases/{name}"
    assert folder + "/model.onnx" not in FILES, name
    FILES[folder + "/model.onnx"] = make_model(nodes, inputs, outputs, opset, initializers, input_shapes)
    write_data(folder, inputs, outputs)
    if expect_shape is not None:
        FILES[folder + "/expected_shape.txt"] = (expect_shape + "\n").encode()


def error_case(name, nodes, inputs, outputs, expected, opset=17, initializers=None):
    """outputs: (name, array giving only the dtype); expected: substrings of the error message."""
    folder = f"errors/{name}"
    FILES[folder + "/model.onnx"] = make_model(nodes, inputs, outputs, opset, initializers, None)
    write_data(folder, inputs, [])
    FILES[folder + "/expected_error.txt"] = ("\n".join(expected) + "\n").encode()


def node(op, inputs, outputs, name=None, **attrs):
    return helper.make_node(op, inputs, outputs, name=name or f"{op.lower()}_node", **attrs)



def write_tar(path):
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(FILES):
            data = FILES[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))



def run(generators):
    """Seeds, runs each generator (functions that call case/error_case), writes the tar named in argv[1]."""
    if len(sys.argv) != 2:
        sys.exit("usage: %s OUT.tar" % sys.argv[0])
    torch.manual_seed(0)
    for g in generators:
        g()
    out = sys.argv[1]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write_tar(out)
