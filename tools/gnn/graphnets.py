"""Graph Nets' module vocabulary in PyTorch, and an exporter to sofie's GraphNets format.

The modules follow DeepMind's graph_nets.modules (same names, arguments, defaults and feature order):

    EdgeBlock(edge_model, use_edges=True, use_receiver_nodes=True, use_sender_nodes=True, use_globals=True)
    NodeBlock(node_model, use_received_edges=True, use_sent_edges=False, use_nodes=True, use_globals=True,
              received_edges_reducer="sum", sent_edges_reducer="sum")
    GlobalBlock(global_model, use_edges=True, use_nodes=True, use_globals=True, edges_reducer="sum",
                nodes_reducer="sum")
    GraphIndependent(edge_model=None, node_model=None, global_model=None)
    GraphNetwork(edge_model, node_model, global_model, reducer="sum", edge_block_opt=None, node_block_opt=None,
                 global_block_opt=None)
    EncodeProcessDecode(encoder, core, decoder=None, output_transform=None, processing_steps=1,
                        concat_encoded=True)
    GraphSequential(*blocks)

Every block takes a `name` (the block's name in the spec and in sofie's errors). A graph is a GraphsTuple
(one graph: nodes [N, Fn], edges [E, Fe], globals [1, Fg], senders and receivers [E] int64). Reducers "sum",
"mean", "max", "min"; an empty set reduces to zeros (Graph Nets' unsorted_segment_*_or_zero).

export(model, folder, input_widths) writes folder/model.pbtxt (graphnets/graphnets.proto, text format) and one
ONNX file per update function (opset 17, dynamic rows), named <block>_<edge|node|global>.onnx.
"""

import os
import warnings
from typing import NamedTuple

import torch
import torch.nn as nn

OPSET = 17  # LayerNorm exports as one LayerNormalization node from opset 17


class GraphsTuple(NamedTuple):
    nodes: torch.Tensor
    edges: torch.Tensor
    globals: torch.Tensor
    senders: torch.Tensor
    receivers: torch.Tensor


REDUCERS = ("sum", "mean", "max", "min")


def segment_reduce(data, index, num_segments, reducer):
    """Rows of data [E, W] reduced by segment index [E] into [num_segments, W]; empty segments give zeros."""
    width = data.shape[1]
    zeros = torch.zeros(num_segments, width, dtype=data.dtype)
    if reducer in ("sum", "mean"):
        out = zeros.index_add(0, index, data)
        if reducer == "mean":
            count = torch.zeros(num_segments, dtype=data.dtype).index_add(0, index, torch.ones(index.shape[0]))
            out = out / count.clamp(min=1).unsqueeze(1)
        return out
    if reducer in ("max", "min"):
        warnings.filterwarnings("ignore", message="scatter_reduce\\(\\) is in beta")
        return zeros.scatter_reduce(0, index.unsqueeze(1).expand(-1, width), data,
                                    "amax" if reducer == "max" else "amin", include_self=False)
    raise ValueError(f"unknown reducer '{reducer}'; expected one of {REDUCERS}")


def reduce_all(data, reducer):
    """All rows of data [R, W] reduced into [1, W]."""
    return segment_reduce(data, torch.zeros(data.shape[0], dtype=torch.int64), 1, reducer)


def broadcast_globals(graph, rows):
    return graph.globals.expand(rows, graph.globals.shape[1])


class EdgeBlock(nn.Module):
    def __init__(self, edge_model, use_edges=True, use_receiver_nodes=True, use_sender_nodes=True, use_globals=True,
                 name="edge_block"):
        super().__init__()
        self.edge_model = edge_model
        self.use_edges, self.use_receiver_nodes = use_edges, use_receiver_nodes
        self.use_sender_nodes, self.use_globals = use_sender_nodes, use_globals
        self.block_name = name

    def forward(self, graph):
        parts = []
        if self.use_edges:
            parts.append(graph.edges)
        if self.use_receiver_nodes:
            parts.append(graph.nodes[graph.receivers])
        if self.use_sender_nodes:
            parts.append(graph.nodes[graph.senders])
        if self.use_globals:
            parts.append(broadcast_globals(graph, graph.edges.shape[0]))
        return graph._replace(edges=self.edge_model(torch.cat(parts, dim=1)))

    def spec_fields(self, files):
        return [f'model: "{files[self.edge_model]}"'] + _flags(self, [
            ("use_edges", True), ("use_receiver_nodes", True), ("use_sender_nodes", True), ("use_globals", True)])


class NodeBlock(nn.Module):
    def __init__(self, node_model, use_received_edges=True, use_sent_edges=False, use_nodes=True, use_globals=True,
                 received_edges_reducer="sum", sent_edges_reducer="sum", name="node_block"):
        super().__init__()
        assert received_edges_reducer in REDUCERS and sent_edges_reducer in REDUCERS
        self.node_model = node_model
        self.use_received_edges, self.use_sent_edges = use_received_edges, use_sent_edges
        self.use_nodes, self.use_globals = use_nodes, use_globals
        self.received_edges_reducer, self.sent_edges_reducer = received_edges_reducer, sent_edges_reducer
        self.block_name = name

    def forward(self, graph):
        n = graph.nodes.shape[0]
        parts = []
        if self.use_received_edges:
            parts.append(segment_reduce(graph.edges, graph.receivers, n, self.received_edges_reducer))
        if self.use_sent_edges:
            parts.append(segment_reduce(graph.edges, graph.senders, n, self.sent_edges_reducer))
        if self.use_nodes:
            parts.append(graph.nodes)
        if self.use_globals:
            parts.append(broadcast_globals(graph, n))
        return graph._replace(nodes=self.node_model(torch.cat(parts, dim=1)))

    def spec_fields(self, files):
        return [f'model: "{files[self.node_model]}"'] + _flags(self, [
            ("use_received_edges", True), ("use_sent_edges", False), ("use_nodes", True), ("use_globals", True)]) + \
            _reducers(self, ["received_edges_reducer", "sent_edges_reducer"])


class GlobalBlock(nn.Module):
    def __init__(self, global_model, use_edges=True, use_nodes=True, use_globals=True, edges_reducer="sum",
                 nodes_reducer="sum", name="global_block"):
        super().__init__()
        assert edges_reducer in REDUCERS and nodes_reducer in REDUCERS
        self.global_model = global_model
        self.use_edges, self.use_nodes, self.use_globals = use_edges, use_nodes, use_globals
        self.edges_reducer, self.nodes_reducer = edges_reducer, nodes_reducer
        self.block_name = name

    def forward(self, graph):
        parts = []
        if self.use_edges:
            parts.append(reduce_all(graph.edges, self.edges_reducer))
        if self.use_nodes:
            parts.append(reduce_all(graph.nodes, self.nodes_reducer))
        if self.use_globals:
            parts.append(graph.globals)
        return graph._replace(globals=self.global_model(torch.cat(parts, dim=1)))

    def spec_fields(self, files):
        return [f'model: "{files[self.global_model]}"'] + _flags(self, [
            ("use_edges", True), ("use_nodes", True), ("use_globals", True)]) + \
            _reducers(self, ["edges_reducer", "nodes_reducer"])


class GraphIndependent(nn.Module):
    def __init__(self, edge_model=None, node_model=None, global_model=None, name="graph_independent"):
        super().__init__()
        self.edge_model, self.node_model, self.global_model = edge_model, node_model, global_model
        self.block_name = name

    def forward(self, graph):
        return graph._replace(
            edges=self.edge_model(graph.edges) if self.edge_model is not None else graph.edges,
            nodes=self.node_model(graph.nodes) if self.node_model is not None else graph.nodes,
            globals=self.global_model(graph.globals) if self.global_model is not None else graph.globals)

    def functions(self):
        return [(m, c) for m, c in ((self.edge_model, "edge"), (self.node_model, "node"), (self.global_model, "global"))
                if m is not None]

    def spec(self, files):
        fields = [f'{c}_model: "{files[m]}"' for m, c in self.functions()]
        return _block(self.block_name, "graph_independent", fields)


class GraphNetwork(nn.Module):
    def __init__(self, edge_model, node_model, global_model, reducer="sum", edge_block_opt=None, node_block_opt=None,
                 global_block_opt=None, name="graph_network"):
        super().__init__()
        node_opt = {"received_edges_reducer": reducer, "sent_edges_reducer": reducer, **(node_block_opt or {})}
        global_opt = {"edges_reducer": reducer, "nodes_reducer": reducer, **(global_block_opt or {})}
        self.edge_block = EdgeBlock(edge_model, **(edge_block_opt or {}))
        self.node_block = NodeBlock(node_model, **node_opt)
        self.global_block = GlobalBlock(global_model, **global_opt)
        self.block_name = name

    def forward(self, graph):
        return self.global_block(self.node_block(self.edge_block(graph)))

    def functions(self):
        return [(self.edge_block.edge_model, "edge"), (self.node_block.node_model, "node"),
                (self.global_block.global_model, "global")]

    def spec(self, files):
        fields = (_message("edge_block", self.edge_block.spec_fields(files)) +
                  _message("node_block", self.node_block.spec_fields(files)) +
                  _message("global_block", self.global_block.spec_fields(files)))
        return _block(self.block_name, "graph_network", fields)


# The single blocks as spec blocks.
EdgeBlock.functions = lambda self: [(self.edge_model, "edge")]
EdgeBlock.spec = lambda self, files: _block(self.block_name, "edge_block", self.spec_fields(files))
NodeBlock.functions = lambda self: [(self.node_model, "node")]
NodeBlock.spec = lambda self, files: _block(self.block_name, "node_block", self.spec_fields(files))
GlobalBlock.functions = lambda self: [(self.global_model, "global")]
GlobalBlock.spec = lambda self, files: _block(self.block_name, "global_block", self.spec_fields(files))


def concat_graphs(a, b):
    return a._replace(nodes=torch.cat((a.nodes, b.nodes), dim=1), edges=torch.cat((a.edges, b.edges), dim=1),
                      globals=torch.cat((a.globals, b.globals), dim=1))


class EncodeProcessDecode(nn.Module):
    def __init__(self, encoder, core, decoder=None, output_transform=None, processing_steps=1, concat_encoded=True):
        super().__init__()
        self.encoder, self.core, self.decoder, self.output_transform = encoder, core, decoder, output_transform
        self.processing_steps, self.concat_encoded = processing_steps, concat_encoded

    def forward(self, graph):
        latent0 = self.encoder(graph) if self.encoder is not None else graph
        latent = latent0
        for _ in range(self.processing_steps):
            latent = self.core(concat_graphs(latent0, latent) if self.concat_encoded else latent)
        if self.decoder is not None:
            latent = self.decoder(latent)
        if self.output_transform is not None:
            latent = self.output_transform(latent)
        return latent

    def blocks(self):
        return [b for b in (self.encoder, self.core, self.decoder, self.output_transform) if b is not None]

    def spec(self, files):
        fields = []
        for field in ("encoder", "core"):
            if getattr(self, field) is not None:
                fields += _message(field, getattr(self, field).spec(files))
        fields.append(f"processing_steps: {self.processing_steps}")
        if not self.concat_encoded:
            fields.append("concat_encoded: false")
        for field in ("decoder", "output_transform"):
            if getattr(self, field) is not None:
                fields += _message(field, getattr(self, field).spec(files))
        return _message("encode_process_decode", fields)


class GraphSequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        self.seq = nn.ModuleList(blocks)

    def forward(self, graph):
        for block in self.seq:
            graph = block(graph)
        return graph

    def blocks(self):
        return list(self.seq)

    def spec(self, files):
        lines = []
        for block in self.seq:
            lines += _message("blocks", block.spec(files))
        return lines


# ---------------------------------------------------------------------------------------------------------
# Spec text


def _message(field, lines):
    return [f"{field} {{"] + ["  " + line for line in lines] + ["}"]


def _block(name, kind, fields):
    return [f'name: "{name}"'] + _message(kind, fields)


def _flags(block, defaults):
    return [f"{flag}: {'true' if getattr(block, flag) else 'false'}" for flag, default in defaults
            if getattr(block, flag) != default]


def _reducers(block, fields):
    return [f"{field}: {getattr(block, field).upper()}" for field in fields if getattr(block, field) != "sum"]


# ---------------------------------------------------------------------------------------------------------
# Export


def export(model, folder, input_widths, example, name="model"):
    """Writes folder/model.pbtxt and the update functions' ONNX files; returns the file names written.

    input_widths: (node_features, edge_features, global_features); example: a GraphsTuple to trace the update
    functions' input widths with."""
    os.makedirs(folder, exist_ok=True)
    files, widths = {}, {}
    for block in model.blocks():
        for module, component in block.functions():
            if module not in files:
                files[module] = f"{block.block_name}_{component}.onnx"

    def record_width(module, inputs, output):
        widths[module] = inputs[0].shape[1]  # returns None: a forward hook's result would replace the output

    hooks = [m.register_forward_hook(record_width) for m in files]
    with torch.no_grad():
        model(example)
    for h in hooks:
        h.remove()
    for module, file_name in files.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (torch.zeros(3, widths[module]),), os.path.join(folder, file_name),
                              opset_version=OPSET, input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "rows"}, "y": {0: "rows"}}, do_constant_folding=True,
                              training=torch.onnx.TrainingMode.EVAL)
    nodes, edges, globals_ = input_widths
    lines = [f'name: "{name}"', f"input {{ node_features: {nodes} edge_features: {edges} global_features: {globals_} }}"]
    lines += model.spec(files)
    with open(os.path.join(folder, "model.pbtxt"), "w") as f:
        f.write("# Written by tools/gnn/graphnets.py; format: graphnets/graphnets.proto.\n")
        f.write("\n".join(lines) + "\n")
    return ["model.pbtxt"] + sorted(files.values())
