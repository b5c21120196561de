#!/usr/bin/python3
"""Builds every model of the benchmark suite from PyTorch modules, with the inputs and reference outputs.

    make_models.py OUTDIR [NAME...]

For each model NAME (all of them when none are named) this writes, deterministically (fixed seeds, one thread,
eval mode):
    OUTDIR/NAME/model.onnx        opset 13, dimension 0 dynamic ("batch")
    OUTDIR/NAME/model.pt          torch.jit.trace of the same module and weights (for LibTorch C++)
    OUTDIR/NAME/identity.onnx     an Identity of the same input (dynamic batch): ONNX Runtime's binding cost
    OUTDIR/NAME/input_bB.f32      the input at batch B, raw little-endian float32, uniform in [-1, 1)
    OUTDIR/NAME/ref_bB.f32        PyTorch's (eager) output for it, raw float32
    OUTDIR/NAME/meta.json         input and output shapes per batch, the batches, a one-line description
Every runner of the suite reads the same input_bB.f32 and must reproduce ref_bB.f32 before it is timed.

Needs Debian's Python (torch 1.13, onnx 1.12, numpy): run it with /usr/bin/python3. torchvision is not
needed: the ResNets are written out here.
"""

import json
import os
import sys

import onnx
import onnx.helper
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../models"))
import export_util  # noqa: E402  (tools/models/export_util.py)
from export_util import set_batchnorm_statistics  # noqa: E402

OPSET = 13
DEFAULT_BATCHES = (1, 64)


class Linear(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.input_shape = (n,)
        self.description = f"one Linear {n} x {n} (a single Gemm)"
        self.fc = nn.Linear(n, n)

    def forward(self, x):
        return self.fc(x)


class HiggsMlp(nn.Module):
    input_shape = (7,)
    description = "Higgs MLP 7 -> 4 x 64 (ReLU) -> 1 (Sigmoid)"

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


class VaeDecoder(nn.Module):
    """The decoder of Geant4's Par04 calorimeter VAE: latent 10 + 4 conditions in, 18 x 50 x 45 cells out."""

    input_shape = (14,)
    description = "Par04 VAE decoder 14 -> 50 -> 100 -> 150 (BatchNorm, ReLU) -> 40500 (Sigmoid)"

    def __init__(self):
        super().__init__()
        widths = [14, 50, 100, 150]
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
        layers += [nn.Linear(widths[-1], 40500), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class Conv2dNet(nn.Module):
    input_shape = (1, 32, 32)
    description = "Conv2d 1->8 3x3, ReLU, MaxPool 2, Conv2d 8->16 3x3, ReLU, MaxPool 2, Linear 1024 -> 10"

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 8 * 8, 10),
        )

    def forward(self, x):
        return self.net(x)


class Conv3dNet(nn.Module):
    input_shape = (1, 16, 16, 16)
    description = "Conv3d 1->4 3x3x3, ReLU, MaxPool 2, Conv3d 4->8 3x3x3, ReLU, MaxPool 2, Linear 512 -> 10"

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv3d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
            nn.Conv3d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
            nn.Flatten(), nn.Linear(8 * 4 * 4 * 4, 10),
        )

    def forward(self, x):
        return self.net(x)


class BasicBlock(nn.Module):
    """ResNet's basic block: two 3x3 convolutions with BatchNorm, a 1x1 projection when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + self.shortcut(x))


class ResNetSmall(nn.Module):
    input_shape = (3, 32, 32)
    description = "small ResNet (CIFAR style): 3x3 stem 16, basic blocks 16, 32/2, 64/2, average pool, Linear 64 -> 10"

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 32, 2), BasicBlock(32, 64, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


class ResNet18(nn.Module):
    """torchvision's resnet18 layout, written out (torchvision is not installed)."""

    input_shape = (3, 224, 224)
    description = "ResNet-18 on 3x224x224 (1000 classes)"

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers = []
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


class Recurrent(nn.Module):
    """One LSTM or GRU layer over a sequence of 20 steps of 16 features (batch first); the output sequence."""

    def __init__(self, cell, hidden):
        super().__init__()
        self.input_shape = (20, 16)
        self.description = f"{cell.__name__} sequence 20, input 16, hidden {hidden}; the output sequence"
        self.rnn = cell(16, hidden, batch_first=True)

    def forward(self, x):
        return self.rnn(x)[0]


# name -> (factory, batches)
MODELS = {
    "linear_16": (lambda: Linear(16), DEFAULT_BATCHES),
    "linear_64": (lambda: Linear(64), DEFAULT_BATCHES),
    "linear_256": (lambda: Linear(256), DEFAULT_BATCHES),
    "linear_1024": (lambda: Linear(1024), DEFAULT_BATCHES),
    "linear_4096": (lambda: Linear(4096), DEFAULT_BATCHES),
    "higgs_mlp": (HiggsMlp, DEFAULT_BATCHES),
    "vae_decoder": (VaeDecoder, DEFAULT_BATCHES),
    "conv2d": (Conv2dNet, DEFAULT_BATCHES),
    "conv3d": (Conv3dNet, DEFAULT_BATCHES),
    "resnet_small": (ResNetSmall, DEFAULT_BATCHES),
    "resnet18": (ResNet18, (1,)),
    "lstm_h8": (lambda: Recurrent(nn.LSTM, 8), DEFAULT_BATCHES),
    "lstm_h64": (lambda: Recurrent(nn.LSTM, 64), DEFAULT_BATCHES),
    "gru_h8": (lambda: Recurrent(nn.GRU, 8), DEFAULT_BATCHES),
    "gru_h64": (lambda: Recurrent(nn.GRU, 64), DEFAULT_BATCHES),
}


def write_identity(path, input_shape):
    dims = ["batch"] + list(input_shape)
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["input"], ["output"])], "identity",
        [onnx.helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, dims)],
        [onnx.helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, dims)])
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                   producer_name="sofie benchsuite")
    onnx.checker.check_model(proto)
    onnx.save(proto, path)


def make_model(name, outdir):
    factory, batches = MODELS[name]
    seed = 1000 + sorted(MODELS).index(name)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = factory()
    set_batchnorm_statistics(model, generator)
    model.eval()

    case_dir = os.path.join(outdir, name)
    os.makedirs(case_dir, exist_ok=True)
    input_shape = tuple(model.input_shape)

    def random_input(batch):
        return torch.rand((batch,) + input_shape, generator=generator) * 2 - 1

    example = random_input(2)
    torch.onnx.export(
        model, (example,), os.path.join(case_dir, "model.onnx"),
        opset_version=OPSET, input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    onnx.checker.check_model(onnx.load(os.path.join(case_dir, "model.onnx")))
    with torch.no_grad():
        traced = torch.jit.trace(model, (example,), check_trace=False)
    traced.save(os.path.join(case_dir, "model.pt"))
    write_identity(os.path.join(case_dir, "identity.onnx"), input_shape)

    meta = {"name": name, "description": model.description, "input_shape": list(input_shape),
            "batches": list(batches), "outputs": {}}
    for batch in batches:
        x = random_input(batch)
        with torch.no_grad():
            y = model(x)
            y_traced = traced(x)
        # The traced module must serve every batch (LibTorch runs it): same numbers as the eager module.
        if not torch.allclose(y, y_traced, rtol=1e-5, atol=1e-6):
            raise SystemExit(f"make_models.py: {name}: the traced module disagrees with the module at batch {batch}")
        x.numpy().astype("<f4").tofile(os.path.join(case_dir, f"input_b{batch}.f32"))
        y.numpy().astype("<f4").tofile(os.path.join(case_dir, f"ref_b{batch}.f32"))
        meta["outputs"][str(batch)] = list(y.shape)
    with open(os.path.join(case_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


def main(argv):
    return export_util.main(argv, __doc__, "make_models.py", list(MODELS), make_model)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
