"""Writes the small ONNX models the loader tests use, valid and deliberately invalid, with onnx.helper.

    make_bad_models.py OUT_DIR

Valid models pass onnx.checker; invalid ones are written with onnx.save and never checked (the checker would
reject them, which is the point). Deterministic: fixed seeds, no timestamps. The expected outcome of each
model is stated next to it and checked by loader_test.cc.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
OUT = sys.argv[1] if len(sys.argv) > 1 else "."


def path(name):
    p = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def model(nodes, inputs, outputs, initializers=(), opsets=None, ir_version=8, check=True, value_info=()):
    graph = helper.make_graph(list(nodes), "test_graph", list(inputs), list(outputs),
                              initializer=list(initializers), value_info=list(value_info))
    m = helper.make_model(graph, producer_name="sofie-tests",
                          opset_imports=[helper.make_opsetid(d, v) for d, v in (opsets or {"": OPSET}).items()])
    m.ir_version = ir_version
    if check:
        onnx.checker.check_model(m)
    return m


def save(m, name):
    onnx.save(m, path(name))


def float_input(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def write_tensor(name, array, tensor_name):
    with open(path(name), "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), tensor_name).SerializeToString())


def raw_initializer(name, dims, raw, data_type=TensorProto.FLOAT):
    """An initializer whose dims and raw_data are set independently (make_tensor checks they agree)."""
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(dims)
    if raw is not None:
        t.raw_data = raw
    return t


def external_initializer(name, dims, location, offset=None, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for k, v in entries:
        e = t.external_data.add()
        e.key = k
        e.value = v
    return t


def relu_model(shape, input_name="x"):
    return ([helper.make_node("Relu", [input_name], ["y"], name="relu")], [float_input(input_name, shape)],
            [float_input("y", shape)])


def main():
    rng = np.random.RandomState(7)

    # --- Valid models -------------------------------------------------------------------------------------
    # tiny: x [batch,3] -> Relu (named) -> y [batch,3]; Shape (unnamed) -> s int64 [2].
    save(model([helper.make_node("Relu", ["x"], ["y"], name="relu"), helper.make_node("Shape", ["x"], ["s"])],
               [float_input("x", ["batch", 3])],
               [float_input("y", ["batch", 3]), helper.make_tensor_value_info("s", TensorProto.INT64, [2])]),
         "tiny.onnx")

    # An initializer also listed as a graph input (IR 3 style): not one of the model's inputs.
    w = numpy_helper.from_array(np.array([1.0, -2.0, 3.0], np.float32), "w")
    save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
               [float_input("x", ["batch", 3]), float_input("w", [3])], [float_input("y", ["batch", 3])],
               initializers=[w], ir_version=3),
         "initializer_as_input.onnx")

    # Nodes listed in reverse order. The ONNX checker insists on topological order; sofie's loader sorts
    # (runtime/graph.h), so this loads. y = relu(x) * 2 - 1.
    save(model([helper.make_node("Sub", ["m", "one"], ["y"], name="sub"),
                helper.make_node("Mul", ["r", "two"], ["m"], name="mul"),
                helper.make_node("Relu", ["x"], ["r"], name="relu")],
               [float_input("x", ["n"])], [float_input("y", ["n"])],
               initializers=[numpy_helper.from_array(np.array(2.0, np.float32), "two"),
                             numpy_helper.from_array(np.array(1.0, np.float32), "one")], check=False),
         "unsorted.onnx")

    # Initializers in typed fields (float_data, int64_data), not raw_data: y = reshape(x, [-1,3,2]) + bias.
    shape = helper.make_tensor("shape", TensorProto.INT64, [3], [-1, 3, 2])
    bias = helper.make_tensor("bias", TensorProto.FLOAT, [2], [0.5, -1.5])
    save(model([helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
                helper.make_node("Add", ["r", "bias"], ["y"], name="add")],
               [float_input("x", ["batch", 6])], [float_input("y", ["batch", 3, 2])], initializers=[shape, bias]),
         "typed_fields/model.onnx")
    x = rng.randn(2, 6).astype(np.float32)
    write_tensor("typed_fields/test_data_set_0/input_0.pb", x, "x")
    write_tensor("typed_fields/test_data_set_0/output_0.pb",
                 x.reshape(-1, 3, 2) + np.array([0.5, -1.5], np.float32), "y")

    # A 4 MiB weight: x [batch,1024] MatMul w [1024,1024]. Reference computed in float64 by numpy.
    big_w = (rng.randn(1024, 1024) / 32.0).astype(np.float32)
    save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
               [float_input("x", ["batch", 1024])], [float_input("y", ["batch", 1024])],
               initializers=[numpy_helper.from_array(big_w, "w")]),
         "big/model.onnx")
    x = rng.randn(3, 1024).astype(np.float32)
    write_tensor("big/test_data_set_0/input_0.pb", x, "x")
    write_tensor("big/test_data_set_0/output_0.pb",
                 (x.astype(np.float64) @ big_w.astype(np.float64)).astype(np.float32), "y")

    # External data in the model's folder, at an offset: w = [0.5, 1.5, 2.5, 3.5]; y = x + w.
    ext_w = np.array([0.5, 1.5, 2.5, 3.5], np.float32)
    with open(path("ext_ok/weights.bin"), "wb") as f:
        f.write(b"\xde\xad\xbe\xef\x00\x00\x00\x00" + ext_w.tobytes())
    save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [float_input("x", [4])],
               [float_input("y", [4])], initializers=[external_initializer("w", [4], "weights.bin", 8, 16)],
               check=False),
         "ext_ok/model.onnx")

    # Two inputs sharing the symbol "batch": y = a + b.
    save(model([helper.make_node("Add", ["a", "b"], ["y"], name="add")],
               [float_input("a", ["batch", 3]), float_input("b", ["batch", 3])], [float_input("y", ["batch", 3])]),
         "shared_symbol.onnx")

    # A graph output that is a graph input, and one that is an Identity of it.
    save(model([helper.make_node("Identity", ["x"], ["copy"], name="identity")], [float_input("x", ["n"])],
               [float_input("x", ["n"]), float_input("copy", ["n"])]),
         "passthrough.onnx")

    # No inputs at all: the output is a Constant.
    save(model([helper.make_node("Constant", [], ["c"], name="const",
                                 value=helper.make_tensor("v", TensorProto.FLOAT, [2], [1.5, -2.5]))],
               [], [float_input("c", [2])]),
         "no_inputs.onnx")

    # A location that climbs into a subfolder and back: still inside the model's folder, so it loads.
    with open(path("ext_dotdot_inside/sub/unused.bin"), "wb") as f:
        f.write(b"\x00" * 16)
    with open(path("ext_dotdot_inside/weights.bin"), "wb") as f:
        f.write(ext_w.tobytes())
    save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [float_input("x", [4])],
               [float_input("y", [4])], initializers=[external_initializer("w", [4], "sub/../weights.bin")],
               check=False),
         "ext_dotdot_inside/model.onnx")

    # --- Invalid models (never checked) ----------------------------------------------------------------------
    with open(path("empty.onnx"), "wb"):
        pass

    # Unknown operator in the default domain and in a custom domain.
    save(model([helper.make_node("FooBar", ["x"], ["y"], name="mystery")], [float_input("x", [2])],
               [float_input("y", [2])], check=False),
         "unknown_op.onnx")
    save(model([helper.make_node("Frobnicate", ["x"], ["y"], name="frob", domain="com.example")],
               [float_input("x", [2])], [float_input("y", [2])], opsets={"": OPSET, "com.example": 3},
               check=False),
         "unknown_domain_op.onnx")

    # Node input that nothing defines (a missing initializer).
    save(model([helper.make_node("Add", ["x", "missing_weight"], ["y"], name="add_bias")], [float_input("x", [2])],
               [float_input("y", [2])], check=False),
         "dangling_input.onnx")

    # Graph output that nothing produces.
    save(model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [float_input("x", [2])],
               [float_input("y", [2]), float_input("ghost_output", [2])], check=False),
         "dangling_output.onnx")

    # Cycle: a = x + c; b = relu(a); c = relu(b); output b.
    save(model([helper.make_node("Add", ["x", "c"], ["a"], name="cycle_add"),
                helper.make_node("Relu", ["a"], ["b"], name="cycle_relu1"),
                helper.make_node("Relu", ["b"], ["c"], name="cycle_relu2")],
               [float_input("x", [2])], [float_input("b", [2])], check=False),
         "cyclic.onnx")

    # A node reading its own output.
    save(model([helper.make_node("Add", ["x", "y"], ["y"], name="self_loop")], [float_input("x", [2])],
               [float_input("y", [2])], check=False),
         "self_loop.onnx")

    # Two nodes producing the same value.
    save(model([helper.make_node("Relu", ["x"], ["dup"], name="producer_a"),
                helper.make_node("Sigmoid", ["x"], ["dup"], name="producer_b")],
               [float_input("x", [2])], [float_input("dup", [2])], check=False),
         "duplicate_output.onnx")

    # A node output that shadows a graph input.
    save(model([helper.make_node("Relu", ["x"], ["x"], name="shadow")], [float_input("x", [2])],
               [float_input("x", [2])], check=False),
         "output_shadows_input.onnx")

    # Two initializers with one name.
    save(model([helper.make_node("Add", ["x", "twice"], ["y"], name="add")], [float_input("x", [1])],
               [float_input("y", [1])],
               initializers=[numpy_helper.from_array(np.array([1.0], np.float32), "twice"),
                             numpy_helper.from_array(np.array([2.0], np.float32), "twice")], check=False),
         "duplicate_initializer.onnx")

    # A Reshape target whose element count overflows int64: [2, INT64_MAX] for a [2,3] input.
    save(model([helper.make_node("Reshape", ["x", "target"], ["y"], name="overflowing_reshape")],
               [float_input("x", [2, 3])], [float_input("y", None)],
               initializers=[numpy_helper.from_array(np.array([2, np.iinfo(np.int64).max], np.int64), "target")],
               check=False),
         "reshape_overflow.onnx")

    # raw_data of 20 bytes for a float [2,3] (24 bytes expected).
    save(model([helper.make_node("Add", ["x", "bad_weight"], ["y"], name="add")], [float_input("x", [2, 3])],
               [float_input("y", [2, 3])], initializers=[raw_initializer("bad_weight", [2, 3], b"\x00" * 20)],
               check=False),
         "raw_data_wrong_size.onnx")

    # External data outside the model's folder; OUT/outside.bin exists so only the location is at fault.
    with open(path("outside.bin"), "wb") as f:
        f.write(ext_w.tobytes())
    for folder, location in (("ext_escape", "../outside.bin"), ("ext_absolute", "/etc/passwd"),
                             ("ext_missing", "not_there.bin"), ("ext_short", "weights.bin"),
                             ("ext_directory", "blobs")):
        if folder == "ext_directory":
            with open(path("ext_directory/blobs/weights.bin"), "wb") as f:
                f.write(ext_w.tobytes())  # the location names the folder, not this file
        length = 64 if folder == "ext_short" else 16
        if folder == "ext_short":
            with open(path("ext_short/weights.bin"), "wb") as f:
                f.write(ext_w.tobytes())  # 16 bytes where 64 are promised
        save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [float_input("x", [4])],
                   [float_input("y", [4])],
                   initializers=[external_initializer("w", [4] if length == 16 else [16], location, 0, length)],
                   check=False),
             folder + "/model.onnx")

    # Huge, overflowing and negative dimensions, with no data behind them.
    def add_initializer_model(dims, init_name, file_name):
        save(model([helper.make_node("Add", ["x", init_name], ["y"], name="add")], [float_input("x", [1])],
                   [float_input("y", [1])], initializers=[raw_initializer(init_name, dims, None)], check=False),
             file_name)
    add_initializer_model([1 << 40], "huge_w", "huge_initializer.onnx")
    add_initializer_model([1 << 32, 1 << 32, 1 << 32], "overflow_w", "overflow_initializer.onnx")
    add_initializer_model([1 << 28], "no_data_w", "missing_data_initializer.onnx")  # 1 GiB if allocated
    add_initializer_model([-3], "neg_w", "negative_initializer.onnx")
    save(model(*relu_model([1 << 40], "huge_in"), check=False), "huge_input.onnx")
    save(model(*relu_model([1 << 21, 1 << 21], "huge_in_2d"), check=False), "huge_input_2d.onnx")
    save(model(*relu_model([-2, 3], "neg_in"), check=False), "negative_input.onnx")

    # Opsets outside what sofie supports (7..21), and no opset at all.
    save(model(*relu_model([2]), opsets={"": 6}, check=False), "opset6.onnx")
    save(model(*relu_model([2]), opsets={"": 22}, check=False), "opset22.onnx")
    no_opset = model(*relu_model([2]), check=False)
    del no_opset.opset_import[:]
    save(no_opset, "no_opset.onnx")

    # An input of a type sofie does not support.
    save(model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
               [helper.make_tensor_value_info("half_input", TensorProto.FLOAT16, [2])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [2])], check=False),
         "float16_input.onnx")


if __name__ == "__main__":
    main()
