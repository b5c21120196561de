#!/usr/bin/python3
"""Dynamic-shape graph neural networks exported from PyTorch, in the ONNX backend test layout.

    make_gnn_models.py OUTDIR [names...]

For each model NAME (all of them when none are named) this writes
    OUTDIR/NAME/model.onnx
    OUTDIR/NAME/test_data_set_K/input_J.pb, output_J.pb    one data set per graph size in SIZES[NAME]
The expected outputs are computed by PyTorch, never by sofie. Weights and inputs come from fixed seeds and
the export runs single-threaded in eval mode, so the files are the same on every run.

The models (see each class):
    particlenet      ParticleNet-Lite-style: two EdgeConv blocks (kNN through TopK on pairwise distances,
                     neighbour Gather, 1x1-conv edge MLP, mean / max aggregation), global pooling, classifier;
                     inputs points (batch, 2, points) and features (batch, 7, points), opset 13.
    atlas_tracks     ATLAS DIPS/GN1-style: per-track MLP, attention pooling (softmax over a dynamic number of
                     tracks), jet-level classifier; inputs tracks (batch, tracks, 21), jet (batch, 2), opset 14.
    message_passing  two rounds of message passing written with index_add (sum) and scatter_add (mean), i.e.
                     ONNX ScatterElements with reduction add, and Gather on the senders/receivers inputs;
                     dynamic nodes and edges, opset 16. index_add is exported by index_add_symbolic below,
                     since PyTorch 1.13's own export of it loses duplicate indices.

Needs Debian's Python (torch 1.13, onnx 1.12, numpy): run it with /usr/bin/python3.
"""

import os
import sys
import warnings

import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../models"))
import export_util  # noqa: E402  (tools/models/export_util.py)
from export_util import set_batchnorm_statistics, write_tensor  # noqa: E402


# ---------------------------------------------------------------------------------------------------------
# ParticleNet-style EdgeConv (after weaver's ParticleNet, "Lite" configuration: k = 7, two blocks)


def knn(x, k):
    """x: (batch, channels, points) -> indices (batch, points, k) of each point's k nearest other points."""
    inner = -2 * torch.matmul(x.transpose(2, 1), x)
    xx = torch.sum(x ** 2, dim=1, keepdim=True)
    pairwise_distance = -xx - inner - xx.transpose(2, 1)
    return pairwise_distance.topk(k=k + 1, dim=-1)[1][:, :, 1:]  # the nearest one is the point itself


def edge_features(x, k, idx):
    """(batch, channels, points) -> (batch, 2 * channels, points, k): [x_i, x_j - x_i] for the k neighbours j."""
    batch_size, num_dims, num_points = x.size()
    idx_base = torch.arange(0, batch_size).view(-1, 1, 1) * num_points
    idx = (idx + idx_base).view(-1)
    fts = x.transpose(2, 1).reshape(-1, num_dims)
    fts = fts[idx, :].view(batch_size, num_points, k, num_dims)
    fts = fts.permute(0, 3, 1, 2)
    x = x.view(batch_size, num_dims, num_points, 1).repeat(1, 1, 1, k)
    return torch.cat((x, fts - x), dim=1)


class EdgeConvBlock(nn.Module):
    def __init__(self, k, in_feat, out_feats, aggregation):
        super().__init__()
        self.k = k
        self.aggregation = aggregation
        layers = []
        for i, out in enumerate(out_feats):
            layers += [nn.Conv2d(2 * in_feat if i == 0 else out_feats[i - 1], out, kernel_size=1, bias=False),
                       nn.BatchNorm2d(out), nn.ReLU()]
        self.edge_mlp = nn.Sequential(*layers)
        self.shortcut = nn.Sequential(nn.Conv1d(in_feat, out_feats[-1], kernel_size=1, bias=False),
                                      nn.BatchNorm1d(out_feats[-1]))
        self.act = nn.ReLU()

    def forward(self, points, features):
        idx = knn(points, self.k)
        x = self.edge_mlp(edge_features(features, self.k, idx))
        x = x.mean(dim=-1) if self.aggregation == "mean" else x.max(dim=-1)[0]
        return self.act(x + self.shortcut(features))


class ParticleNet(nn.Module):
    k = 7
    coordinates = 2
    features = 7
    min_points = k + 1  # TopK takes k + 1 neighbours, the point itself among them

    def __init__(self):
        super().__init__()
        self.bn_fts = nn.BatchNorm1d(self.features)
        self.block1 = EdgeConvBlock(self.k, self.features, (32, 32, 32), "mean")
        self.block2 = EdgeConvBlock(self.k, 32, (64, 64, 64), "max")
        self.fusion = nn.Sequential(nn.Conv1d(96, 128, kernel_size=1, bias=False), nn.BatchNorm1d(128), nn.ReLU())
        self.fc = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))

    def forward(self, points, features):
        fts = self.bn_fts(features)
        f1 = self.block1(points, fts)
        f2 = self.block2(f1, f1)  # the second block's graph is built in the first block's feature space
        x = self.fusion(torch.cat((f1, f2), dim=1)).mean(dim=-1)
        return torch.softmax(self.fc(x), dim=1)


def knn_margin(x, k):
    """Smallest gap, over all points, between the squared distances of the k-th and (k+1)-th nearest other
    point (x as in knn); infinite when there are no more than k other points."""
    x = x.double()
    d = (x.unsqueeze(3) - x.unsqueeze(2)).pow(2).sum(dim=1)  # (batch, points, points)
    s = torch.sort(d, dim=-1)[0]  # s[..., 0] is the point itself
    return (s[:, :, k + 1] - s[:, :, k]).min().item() if s.shape[-1] > k + 1 else float("inf")


# ---------------------------------------------------------------------------------------------------------
# ATLAS-style per-track network (DIPS / GN1 family: deep sets with attention pooling)


class AtlasTracks(nn.Module):
    track_features = 21
    jet_features = 2

    def __init__(self):
        super().__init__()
        self.track_net = nn.Sequential(nn.Linear(self.track_features, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                       nn.Linear(64, 64), nn.ReLU())
        self.attention = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
        self.head = nn.Sequential(nn.Linear(64 + self.jet_features, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                                  nn.Linear(32, 3))

    def forward(self, tracks, jet):
        h = self.track_net(tracks)                             # (batch, tracks, 64)
        weights = torch.softmax(self.attention(h), dim=1)      # (batch, tracks, 1): softmax over the tracks
        pooled = torch.sum(weights * h, dim=1)                 # (batch, 64)
        return torch.softmax(self.head(torch.cat((pooled, jet), dim=1)), dim=1)


# ---------------------------------------------------------------------------------------------------------
# Message passing with index_add / scatter_add


def mlp(widths, final_activation=True):
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if final_activation or i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MessagePassing(nn.Module):
    node_features = 6
    edge_features = 3
    hidden = 32

    def __init__(self):
        super().__init__()
        f, e, h = self.node_features, self.edge_features, self.hidden
        self.message1 = mlp([2 * f + e, h, h])
        self.update1 = mlp([f + h, h, h])
        self.message2 = mlp([2 * h, h, h])
        self.update2 = mlp([2 * h, h, 4], final_activation=False)
        self.readout = mlp([h, h, 2], final_activation=False)

    def forward(self, x, edge_attr, senders, receivers):
        n = x.shape[0]
        # Round 1: sum of incoming messages through index_add (ScatterElements, reduction add).
        m = self.message1(torch.cat((x[senders], x[receivers], edge_attr), dim=1))
        agg = torch.zeros(n, self.hidden).index_add(0, receivers, m)
        h = self.update1(torch.cat((x, agg), dim=1))
        # Round 2: mean of incoming messages through scatter_add (sum and count).
        m = self.message2(torch.cat((h[senders], h[receivers]), dim=1))
        index = receivers.unsqueeze(1).expand(-1, self.hidden)
        total = torch.zeros(n, self.hidden).scatter_add(0, index, m)
        count = torch.zeros(n, 1).scatter_add(0, receivers.unsqueeze(1), torch.ones_like(m[:, :1]))
        mean = total / torch.clamp(count, min=1.0)
        node_out = self.update2(torch.cat((h, mean), dim=1))
        graph_out = self.readout(h.mean(dim=0, keepdim=True))
        return node_out, graph_out


# ---------------------------------------------------------------------------------------------------------
# Export


def index_add_symbolic(g, self, dim, index, source, alpha=None):
    """aten::index_add as one ScatterElements with reduction add.

    PyTorch 1.13 exports index_add at every opset through its opset-9 scatter_add, a ScatterElements *without*
    reduction added to the input: duplicate indices (several edges into one node) then keep only one message,
    which is wrong for message passing (it warns "does not support duplicated values in 'index'"). From
    opset 16 ONNX has reduction="add", which is what this emits."""
    from torch.onnx import symbolic_helper

    if alpha is not None and symbolic_helper._scalar(symbolic_helper._maybe_get_scalar(alpha)) != 1:
        return symbolic_helper._unimplemented("index_add", "alpha != 1", self)
    dim = symbolic_helper._get_const(dim, "i", "dim")
    rank = symbolic_helper._get_tensor_rank(source)
    axes = [a for a in range(rank) if a != dim]  # index (E,) -> source's rank, then expanded to its shape
    if axes:
        index = symbolic_helper._unsqueeze_helper(g, index, axes)
    index = g.op("Expand", index, g.op("Shape", source))
    return g.op("ScatterElements", self, index, source, axis_i=dim, reduction_s="add")


def particlenet_data(generator, size):
    """Inputs with a clear gap between each point's k-th and (k+1)-th neighbour in both kNN spaces (the
    coordinates for block 1, block 1's output for block 2), so float rounding cannot change which neighbours
    TopK picks."""
    batch, points = size
    model = MODEL_CACHE["particlenet"]
    for _ in range(1000):
        pts = torch.rand(batch, ParticleNet.coordinates, points, generator=generator) * 2 - 1
        fts = torch.randn(batch, ParticleNet.features, points, generator=generator)
        with torch.no_grad():
            f1 = model.block1(pts, model.bn_fts(fts))
        if knn_margin(pts, ParticleNet.k) > 1e-4 and knn_margin(f1, ParticleNet.k) > 1e-3:
            return (pts, fts)
    raise SystemExit("make_gnn_models.py: no ParticleNet input with well-separated neighbours found")


def atlas_data(generator, size):
    batch, tracks = size
    return (torch.randn(batch, AtlasTracks.track_features, tracks, generator=generator).transpose(1, 2).contiguous(),
            torch.randn(batch, AtlasTracks.jet_features, generator=generator))


def message_passing_data(generator, size):
    nodes, edges = size
    x = torch.randn(nodes, MessagePassing.node_features, generator=generator)
    edge_attr = torch.randn(edges, MessagePassing.edge_features, generator=generator)
    senders = torch.randint(0, nodes, (edges,), generator=generator)
    receivers = torch.randint(0, nodes, (edges,), generator=generator)
    return (x, edge_attr, senders, receivers)


# name -> (module class, opset, input names, output names, dynamic axes, data maker, sizes, example size)
MODELS = {
    "particlenet": (
        ParticleNet, 13, ["points", "features"], ["scores"],
        {"points": {0: "batch", 2: "points"}, "features": {0: "batch", 2: "points"}, "scores": {0: "batch"}},
        particlenet_data,
        # (batch, points): the smallest meaningful size (k + 1 points) and up to 100 points.
        [(1, 8), (1, 16), (2, 9), (2, 33), (1, 64), (3, 100)],
        (2, 20),
    ),
    "atlas_tracks": (
        AtlasTracks, 14, ["tracks", "jet"], ["scores"],
        {"tracks": {0: "batch", 1: "tracks"}, "jet": {0: "batch"}, "scores": {0: "batch"}},
        atlas_data,
        # (batch, tracks): one track, a jet without tracks, and up to 80 tracks.
        [(1, 1), (1, 0), (1, 5), (2, 20), (1, 40), (4, 80)],
        (2, 10),
    ),
    "message_passing": (
        MessagePassing, 16, ["x", "edge_attr", "senders", "receivers"], ["node_out", "graph_out"],
        {"x": {0: "nodes"}, "edge_attr": {0: "edges"}, "senders": {0: "edges"}, "receivers": {0: "edges"},
         "node_out": {0: "nodes"}},
        message_passing_data,
        # (nodes, edges): one node without edges, one node with a self-loop, nodes without edges, and graphs
        # with many repeated receivers.
        [(1, 0), (1, 1), (5, 0), (10, 40), (50, 200), (200, 800)],
        (7, 20),
    ),
}

MODEL_CACHE = {}


def num_data_sets(name):
    return len(MODELS[name][6])


def build_model(name):
    """The model with its weights (fixed seed), in eval mode, and the generator that then makes its data."""
    seed = 4321 + sorted(MODELS).index(name)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = MODELS[name][0]()
    set_batchnorm_statistics(model, generator)
    model.eval()
    MODEL_CACHE[name] = model
    return model, generator


def make_model(name, outdir):
    _, opset, input_names, output_names, dynamic_axes, make_data, sizes, example_size = MODELS[name]
    model, generator = build_model(name)

    case_dir = os.path.join(outdir, name)
    os.makedirs(case_dir, exist_ok=True)
    model_path = os.path.join(case_dir, "model.onnx")
    example = make_data(generator, example_size)
    with warnings.catch_warnings():
        # The exporter's shape inference notes prim::Constant nodes it has no rule for (harmless: onnx's
        # checker and the reference outputs below check the result).
        warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
        torch.onnx.export(model, example, model_path, opset_version=opset, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL)
    onnx.checker.check_model(onnx.load(model_path))

    for index, size in enumerate(sizes):
        data_dir = os.path.join(case_dir, f"test_data_set_{index}")
        os.makedirs(data_dir, exist_ok=True)
        inputs = make_data(generator, size)
        with torch.no_grad():
            outputs = model(*inputs)
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs,)
        for j, (n, t) in enumerate(zip(input_names, inputs)):
            write_tensor(os.path.join(data_dir, f"input_{j}.pb"), t.numpy(), n)
        for j, (n, t) in enumerate(zip(output_names, outputs)):
            write_tensor(os.path.join(data_dir, f"output_{j}.pb"), t.numpy(), n)


def main(argv):
    torch.onnx.register_custom_op_symbolic("aten::index_add", index_add_symbolic, 16)
    return export_util.main(argv, __doc__, "make_gnn_models.py", sorted(MODELS), make_model)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
