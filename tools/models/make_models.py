#!/usr/bin/python3
"""Builds sofie's demonstration and test models with PyTorch and writes them in the ONNX backend test layout.

    make_models.py OUTDIR [names...]

For each model NAME (all of them when none are named) this writes
    OUTDIR/NAME/model.onnx
    OUTDIR/NAME/test_data_set_0/input_0.pb, output_0.pb   (batch 1)
    OUTDIR/NAME/test_data_set_1/input_0.pb, output_0.pb   (batch 5)
The expected outputs are computed by PyTorch, never by sofie. Weights and inputs come from fixed seeds, and the
export runs single-threaded in eval mode, so the files are the same on every run.

Needs Debian's Python (torch 1.13, onnx 1.12, numpy): run it with /usr/bin/python3.
"""

import os
import sys

import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_util  # noqa: E402  (tools/models/export_util.py)
from export_util import set_batchnorm_statistics, collect_ops, write_tensor  # noqa: E402

OPSET = 13
BATCH_SIZES = (1, 5)  # one per test_data_set_N

# The ops the sofie runtime is meant to cover with these models; anything else in an exported graph is a
# failure of this script (an exporter change, or a model edit that drifted).
ALLOWED_OPS = {
    "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "Identity",
    "Constant", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Shape", "Gather", "Cast",
    "BatchNormalization",
}


class Mlp(nn.Module):
    """Higgs-style MLP: 7 -> 64 -> 64 -> 64 -> 64 -> 1, ReLU between, Sigmoid at the end."""

    num_features = 7

    def __init__(self):
        super().__init__()
        widths = [7, 64, 64, 64, 64]
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers += [nn.Linear(widths[-1], 1), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class DenseNet(nn.Module):
    """A small CNN-free network touching more of the runtime: BatchNorm, LeakyReLU, Tanh, a reshape whose
    target is computed from the input's shape (Shape/Gather/Unsqueeze/Concat), an attention-like block
    (Transpose, MatMul, Div, Softmax), Flatten, a skip branch joined by Concat, Sigmoid gating (Mul) and a
    Softmax output."""

    num_features = 16
    tokens, width = 4, 8

    def __init__(self):
        super().__init__()
        d = self.tokens * self.width
        self.fc1 = nn.Linear(self.num_features, d)
        self.bn1 = nn.BatchNorm1d(d)
        self.act1 = nn.LeakyReLU(0.1)
        self.fc2 = nn.Linear(d, d)
        self.skip = nn.Linear(self.num_features, 8)
        self.gate = nn.Linear(self.num_features, 8)
        self.head = nn.Linear(d + 8, 5)

    def forward(self, x):
        batch = x.shape[0]
        h = self.act1(self.bn1(self.fc1(x)))
        h = torch.tanh(self.fc2(h))
        t = h.reshape(batch, self.tokens, self.width)                 # [batch, 4, 8]
        scores = torch.matmul(t, t.transpose(1, 2)) / (self.width ** 0.5)  # [batch, 4, 4]
        attn = torch.softmax(scores, dim=-1)
        mixed = torch.matmul(attn, t) - t                              # [batch, 4, 8]
        flat = torch.flatten(mixed, 1)                                 # [batch, 32]
        skip = self.skip(x) * torch.sigmoid(self.gate(x))              # [batch, 8]
        joined = torch.cat([flat, skip], dim=1)                        # [batch, 40]
        return torch.softmax(self.head(joined), dim=1)                 # [batch, 5]


MODELS = {
    "mlp": Mlp,
    "dense_net": DenseNet,
}


def make_model(name, outdir):
    seed = 1234 + sorted(MODELS).index(name)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = MODELS[name]()
    set_batchnorm_statistics(model, generator)
    model.eval()

    case_dir = os.path.join(outdir, name)
    os.makedirs(case_dir, exist_ok=True)
    model_path = os.path.join(case_dir, "model.onnx")

    example = torch.rand(2, model.num_features, generator=generator) * 2 - 1
    torch.onnx.export(
        model,
        (example,),
        model_path,
        opset_version=OPSET,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL,
    )

    proto = onnx.load(model_path)
    onnx.checker.check_model(proto)
    ops = collect_ops(proto.graph, set())
    unexpected = sorted(op for domain, op in ops if domain not in ("", "ai.onnx") or op not in ALLOWED_OPS)
    if unexpected:
        raise SystemExit(f"make_models.py: model '{name}' exported ops outside the allowed set: {unexpected}")

    for index, batch in enumerate(BATCH_SIZES):
        data_dir = os.path.join(case_dir, f"test_data_set_{index}")
        os.makedirs(data_dir, exist_ok=True)
        x = torch.rand(batch, model.num_features, generator=generator) * 2 - 1
        with torch.no_grad():
            y = model(x)
        write_tensor(os.path.join(data_dir, "input_0.pb"), x.numpy(), "input")
        write_tensor(os.path.join(data_dir, "output_0.pb"), y.numpy(), "output")


def main(argv):
    return export_util.main(argv, __doc__, "make_models.py", sorted(MODELS), make_model)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
