"""Writes the ONNX backend node test suite (python3-onnx's own cases and reference outputs) as one tar file.

usage: make_onnx_node_suite.py OUT.tar

onnx 1.12's generator still uses numpy aliases that numpy 1.24 removed; they are restored here. Its inputs
are drawn from numpy's global generator, seeded here so the suite is the same on every build.
"""
import os
import runpy
import sys
import tarfile
import tempfile
import warnings

import numpy as np

warnings.simplefilter("ignore", FutureWarning)  # numpy's notes about the aliases restored below

for alias, value in [("float", float), ("int", int), ("bool", bool), ("object", object),
                     ("complex", complex), ("str", str)]:
    if not hasattr(np, alias):
        setattr(np, alias, value)


def main():
    out_tar = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        np.random.seed(0)
        sys.argv = ["cmd_tools", "generate-data", "-o", tmp]
        stdout = sys.stdout
        sys.stdout = open(os.devnull, "w")
        try:
            runpy.run_module("onnx.backend.test.cmd_tools", run_name="__main__")
        finally:
            sys.stdout.close()
            sys.stdout = stdout
        node_dir = os.path.join(tmp, "node")
        with tarfile.open(out_tar, "w") as tar:
            for name in sorted(os.listdir(node_dir)):
                tar.add(os.path.join(node_dir, name), arcname=os.path.join("node", name))


if __name__ == "__main__":
    main()
