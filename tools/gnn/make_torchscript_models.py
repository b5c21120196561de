#!/usr/bin/python3
"""TorchScript files of the benchmark GNNs, for the LibTorch comparison of bench_gnn.

    make_torchscript_models.py OUTDIR

Writes OUTDIR/<name>.pt (torch.jit.trace, eval mode, frozen) for particlenet, atlas_tracks and message_passing
(the PyTorch modules of make_gnn_models.py) and lhcb_toy (make_graphnets_models.py), with the same weights
as the ONNX and GraphNets files (same builders, same seeds). The GraphNets model takes (nodes, edges, globals,
senders, receivers) and returns (nodes, edges, globals). Each traced module is checked against the eager
module at sizes other than the tracing example, so a trace that froze a size fails here.

Needs Debian's Python (torch 1.13): run it with /usr/bin/python3.
"""

import os
import sys
import warnings

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphnets as gn  # noqa: E402
import make_gnn_models  # noqa: E402
import make_graphnets_models  # noqa: E402


class GraphModule(nn.Module):
    """A GraphNets model with plain tensors in and out (what TorchScript and C++ callers pass)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, nodes, edges, globals_, senders, receivers):
        out = self.model(gn.GraphsTuple(nodes, edges, globals_, senders, receivers))
        return out.nodes, out.edges, out.globals


def onnx_gnn(name):
    model, generator = make_gnn_models.build_model(name)
    make_data = make_gnn_models.MODELS[name][5]
    sizes = make_gnn_models.MODELS[name][6]
    example = make_data(generator, make_gnn_models.MODELS[name][7])
    return model, example, [make_data(generator, size) for size in sizes]


def lhcb_toy():
    model, widths, generator = make_graphnets_models.build_model("lhcb_toy")
    graphs = [make_graphnets_models.random_graph(generator, widths, n, e)
              for n, e in [(7, 20), (1, 0), (1, 1), (50, 200), (300, 1200)]]
    return GraphModule(model).eval(), tuple(graphs[0]), [tuple(g) for g in graphs[1:]]


def as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    makers = {name: (lambda n=name: onnx_gnn(n)) for name in ("particlenet", "atlas_tracks", "message_passing")}
    makers["lhcb_toy"] = lhcb_toy
    for name, maker in makers.items():
        model, example, checks = maker()
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on Python ints; the checks below decide
            traced = torch.jit.freeze(torch.jit.trace(model, example, check_trace=False))
            for inputs in checks:
                want, got = as_tuple(model(*inputs)), as_tuple(traced(*inputs))
                for w, g in zip(want, got):
                    if w.shape != g.shape or not torch.allclose(w, g, rtol=1e-4, atol=1e-5):
                        raise SystemExit(f"make_torchscript_models.py: the trace of '{name}' does not generalise "
                                         f"to input shapes {[tuple(t.shape) for t in inputs]}")
        traced.save(os.path.join(outdir, f"{name}.pt"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
