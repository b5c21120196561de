"""Writes the tensor files tensor_io_test.cc reads: NumPy .npy files (written by numpy itself) and ONNX
TensorProto .pb files (written by onnx.numpy_helper), valid and unsupported ones.

    make_tensor_files.py OUT_DIR

The values are simple formulas (arange), so the test can state them without reading a reference.
"""

import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

OUT = sys.argv[1]


def path(name):
    p = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def npy(name, array, version=None):
    with open(path(name), "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)


def pb(name, array, tensor_name):
    with open(path(name), "wb") as f:
        f.write(numpy_helper.from_array(array, tensor_name).SerializeToString())


def main():
    # Supported: values arange(n) reshaped, in each dtype.
    npy("f32_2x3.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    npy("f64_scalar.npy", np.array(2.5, dtype=np.float64))
    npy("i64_4.npy", np.arange(4, dtype=np.int64) - 2)
    npy("i32_2x2.npy", np.arange(4, dtype=np.int32).reshape(2, 2))
    npy("i8_3.npy", np.array([-1, 0, 1], dtype=np.int8))
    npy("u8_3.npy", np.array([0, 128, 255], dtype=np.uint8))
    npy("bool_3.npy", np.array([True, False, True]))
    npy("f32_0x3.npy", np.zeros((0, 3), dtype=np.float32))
    npy("f32_2x3_v2.npy", np.arange(6, dtype=np.float32).reshape(2, 3), version=(2, 0))

    # Unsupported: Fortran order, big-endian, float16, object arrays are not even writable without pickle.
    npy("f32_fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    npy("f32_big_endian.npy", np.arange(6, dtype=">f4").reshape(2, 3))
    npy("f16.npy", np.arange(3, dtype=np.float16))

    pb("f32_2x3.pb", np.arange(6, dtype=np.float32).reshape(2, 3), "values")
    pb("i64_4.pb", np.arange(4, dtype=np.int64) - 2, "indices")
    pb("bool_3.pb", np.array([True, False, True]), "mask")
    pb("f16.pb", np.arange(3, dtype=np.float16), "half")


if __name__ == "__main__":
    main()
