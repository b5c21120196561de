#!/usr/bin/python3
"""GraphNets-style models (tools/gnn/graphnets.py) exported to sofie's format, with PyTorch reference outputs.

    make_graphnets_models.py OUTDIR [names...]

For each model NAME (all of them when none are named) this writes
    OUTDIR/NAME/model.pbtxt + OUTDIR/NAME/<block>_<edge|node|global>.onnx     (see graphnets/graphnets.proto)
    OUTDIR/NAME/test_data_set_K/input_J.pb    J = 0..4: nodes, edges, globals, senders, receivers
    OUTDIR/NAME/test_data_set_K/output_J.pb   J = 0..2: nodes, edges, globals (PyTorch's result)
one data set per (nodes, edges) size in SIZES, among them one node without edges and one node with a
self-loop. Weights and graphs come from fixed seeds, so the files are the same on every run.

The models:
    lhcb_toy   the LHCb-like toy of SOFIE's GNN benchmark: encoder (GraphIndependent) -> 3 processing steps of
               a GraphNetwork with skip concatenation -> decoder (GraphIndependent); every update function an
               MLP of 2 x 64 with ReLU and LayerNorm; input widths nodes 4, edges 4, globals 1.
    blocks     a sequence exercising each block kind and option: EdgeBlock without globals, NodeBlock with
               received (mean) and sent (max) edges, GlobalBlock (edges min, nodes mean), a GraphIndependent
               leaving globals alone, and a GraphNetwork with max/min reducers and partial inputs.
    epd_plain  encode-process-decode without skip concatenation (2 steps, mean reducers), a decoder of the
               nodes only and an output transform of the globals only.

Needs Debian's Python (torch 1.13, onnx 1.12, numpy): run it with /usr/bin/python3.
"""

import os
import sys

import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../models"))
import export_util  # noqa: E402  (tools/models/export_util.py)
from export_util import write_tensor  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphnets as gn  # noqa: E402

SIZES = [(1, 0), (1, 1), (2, 0), (10, 40), (100, 400), (300, 1200)]  # (nodes, edges) per data set


def mlp(in_features, out_features=64, hidden=64, layer_norm=True):
    """Sonnet's MLP([hidden, out], activate_final=True) followed by LayerNorm, as in Graph Nets' demos."""
    layers = [nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, out_features), nn.ReLU()]
    if layer_norm:
        layers.append(nn.LayerNorm(out_features))
    return nn.Sequential(*layers)


def lhcb_toy():
    widths = (4, 4, 1)
    latent = 64
    encoder = gn.GraphIndependent(mlp(widths[1]), mlp(widths[0]), mlp(widths[2]), name="encoder")
    # Core inputs are concat(latent0, latent): 2 x 64 per component; the node and global models also see the
    # edges (and nodes) the core has just updated, 64 wide.
    c = 2 * latent
    core = gn.GraphNetwork(edge_model=mlp(c + c + c + c), node_model=mlp(latent + c + c),
                           global_model=mlp(latent + latent + c), name="core")
    decoder = gn.GraphIndependent(mlp(latent), mlp(latent), mlp(latent), name="decoder")
    return gn.EncodeProcessDecode(encoder, core, decoder, processing_steps=3), widths


def blocks():
    widths = (3, 2, 2)  # nodes, edges, globals
    edge = gn.EdgeBlock(mlp(2 + 3 + 3, 16, 16), use_globals=False, name="edge")
    node = gn.NodeBlock(mlp(16 + 16 + 3 + 2, 8, 16), use_sent_edges=True, received_edges_reducer="mean",
                        sent_edges_reducer="max", name="node")
    glob = gn.GlobalBlock(mlp(16 + 8 + 2, 4, 16), edges_reducer="min", nodes_reducer="mean", name="global")
    independent = gn.GraphIndependent(edge_model=mlp(16, 5, 16, layer_norm=False), node_model=mlp(8, 6, 16),
                                      name="independent")
    network = gn.GraphNetwork(
        edge_model=mlp(5 + 6 + 4, 8, 16), node_model=mlp(8 + 6, 7, 16), global_model=mlp(7 + 4, 3, 16),
        reducer="max", edge_block_opt=dict(use_sender_nodes=False),
        node_block_opt=dict(use_globals=False), global_block_opt=dict(use_edges=False, nodes_reducer="min"),
        name="network")
    return gn.GraphSequential(edge, node, glob, independent, network), widths


def epd_plain():
    widths = (5, 3, 2)
    latent = 16
    encoder = gn.GraphIndependent(edge_model=mlp(3, latent, 32), node_model=mlp(5, latent, 32), name="encoder")
    core = gn.GraphNetwork(edge_model=mlp(latent * 3 + 2, latent, 32), node_model=mlp(latent * 2 + 2, latent, 32),
                           global_model=mlp(latent * 2 + 2, 2, 32), reducer="mean", name="core")
    decoder = gn.GraphIndependent(node_model=mlp(latent, 3, 32, layer_norm=False), name="decoder")
    output_transform = gn.GraphIndependent(global_model=nn.Linear(2, 1), name="output_transform")
    return gn.EncodeProcessDecode(encoder, core, decoder, output_transform, processing_steps=2,
                                  concat_encoded=False), widths


MODELS = {"lhcb_toy": lhcb_toy, "blocks": blocks, "epd_plain": epd_plain}


def randomise_layer_norms(model, generator):
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)


def random_graph(generator, widths, nodes, edges):
    return gn.GraphsTuple(
        nodes=torch.randn(nodes, widths[0], generator=generator),
        edges=torch.randn(edges, widths[1], generator=generator),
        globals=torch.randn(1, widths[2], generator=generator),
        senders=torch.randint(0, nodes, (edges,), generator=generator),
        receivers=torch.randint(0, nodes, (edges,), generator=generator))


def build_model(name):
    """The model with its weights (fixed seed), in eval mode, its input widths, and the generator that then
    makes its data."""
    seed = 9876 + sorted(MODELS).index(name)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model, widths = MODELS[name]()
    randomise_layer_norms(model, generator)
    model.eval()
    return model, widths, generator


def make_model(name, outdir):
    model, widths, generator = build_model(name)
    folder = os.path.join(outdir, name)
    gn.export(model, folder, widths, random_graph(generator, widths, 7, 20), name=name)
    for f in os.listdir(folder):
        if f.endswith(".onnx"):
            onnx.checker.check_model(onnx.load(os.path.join(folder, f)))
    for k, (nodes, edges) in enumerate(SIZES):
        data_dir = os.path.join(folder, f"test_data_set_{k}")
        os.makedirs(data_dir, exist_ok=True)
        graph = random_graph(generator, widths, nodes, edges)
        if (nodes, edges) == (1, 1):
            assert graph.senders.tolist() == [0] and graph.receivers.tolist() == [0]  # a self-loop
        with torch.no_grad():
            out = model(graph)
        for j, field in enumerate(("nodes", "edges", "globals", "senders", "receivers")):
            write_tensor(os.path.join(data_dir, f"input_{j}.pb"), getattr(graph, field).numpy(), field)
        for j, field in enumerate(("nodes", "edges", "globals")):
            write_tensor(os.path.join(data_dir, f"output_{j}.pb"), getattr(out, field).numpy(), field)


def main(argv):
    return export_util.main(argv, __doc__, "make_graphnets_models.py", sorted(MODELS), make_model)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
