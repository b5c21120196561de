"""What every model-export script of the repository shares (tools/models, tools/bench/models,
tools/benchsuite, tools/gnn): tensors written as ONNX TensorProto files, BatchNorm given non-trivial statistics,
the operators a graph uses, and the command line `SCRIPT OUTDIR [NAME...]`. Imported by path (each script puts
this folder on sys.path), so the genrules that run a script list this file among their sources."""

import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn


def write_tensor(path, array, name):
    tensor = onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
    with open(path, "wb") as f:
        f.write(tensor.SerializeToString())


def set_batchnorm_statistics(model, generator):
    """Non-trivial running statistics and affine parameters, so BatchNorm's arithmetic (and its folding) is
    exercised."""
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = module.num_features
            with torch.no_grad():
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.2)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)


def collect_ops(graph, out=None):
    """The (domain, op_type) pairs of `graph` and its subgraphs."""
    out = set() if out is None else out
    for node in graph.node:
        out.add((node.domain, node.op_type))
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                collect_ops(attr.g, out)
            for g in attr.graphs:
                collect_ops(g, out)
    return out


def main(argv, doc, prog, known, make_model):
    """`prog OUTDIR [NAME...]`: make_model(name, OUTDIR) for each NAME (default: every name of `known`, in its
    order), single-threaded and deterministic. Returns the exit status."""
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(doc.strip(), file=sys.stderr)
        return 2
    outdir = argv[1]
    names = argv[2:] or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"{prog}: unknown model(s) {unknown}; known: {list(known)}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for name in names:
        make_model(name, outdir)
    return 0
