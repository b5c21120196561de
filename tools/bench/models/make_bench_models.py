#!/usr/bin/python3
"""Builds the benchmark models of `sofie bench` and `bench_tiers` with PyTorch, in the ONNX backend test layout.

    make_bench_models.py OUTDIR [names...]

For each model NAME (all of them when none are named) this writes
    OUTDIR/NAME/model.onnx                                 (opset 13, dimension 0 dynamic, named "batch")
    OUTDIR/NAME/test_data_set_0/input_0.pb, output_0.pb    (batch 1)
    OUTDIR/NAME/test_data_set_1/input_0.pb, output_0.pb    (batch 3: the dynamic batch, checked too)
The expected outputs are computed by PyTorch, never by sofie. Weights, BatchNorm statistics and inputs come
from fixed seeds, and the export runs single-threaded in eval mode, so the files are the same on every run.

The models:
    linear_64    one nn.Linear 64 -> 64 (a single Gemm: the per-call overhead floor)
    mlp          Higgs-style 7 -> 64 -> 64 -> 64 -> 64 -> 1, ReLU between, Sigmoid out
    mlp_dense    the mlp with weights |w| and biases 3 (first layer) and 0.1: every ReLU output is positive for
                 inputs in [-1, 1) (the JIT's dense layers then have no zero input to skip: their worst case)
    vae_decoder  Par04-like calorimeter VAE decoder: 14 -> 50 -> 100 -> 150 (Linear, BatchNorm1d, ReLU each)
                 -> 40500, Sigmoid (a large output: memory traffic dominates at batch 64)
    cnn          Conv2d net on 1x32x32: Conv 1->8 3x3 pad 1, ReLU, MaxPool 2, Conv 8->16 3x3 pad 1, ReLU,
                 MaxPool 2, Flatten, Linear 1024 -> 10

Needs Debian's Python (torch 1.13, onnx 1.12, numpy): run it with /usr/bin/python3.
"""

import os
import sys

import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../models"))
import export_util  # noqa: E402  (tools/models/export_util.py)
from export_util import set_batchnorm_statistics, collect_ops, write_tensor  # noqa: E402

OPSET = 13
BATCH_SIZES = (1, 3)  # one per test_data_set_N

# What the exporter may emit for these models; anything else is a failure of this script (an exporter
# change, or a model edit that drifted), caught here rather than as a confusing benchmark error.
ALLOWED_OPS = {
    "Gemm", "MatMul", "Add", "Relu", "Sigmoid", "BatchNormalization", "Conv", "MaxPool", "Flatten", "Reshape",
    "Identity", "Constant", "Shape", "Gather", "Unsqueeze", "Concat",
}


class Linear64(nn.Module):
    input_shape = (64,)

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 64)

    def forward(self, x):
        return self.fc(x)


class Mlp(nn.Module):
    input_shape = (7,)

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


class MlpDense(Mlp):
    def __init__(self):
        super().__init__()
        with torch.no_grad():
            linears = [m for m in self.net if isinstance(m, nn.Linear)]
            for i, linear in enumerate(linears):
                linear.weight.abs_()
                # |first layer's weights| <= 1/sqrt(7) (PyTorch's init): |W x| < 2.7 for x in [-1, 1)^7.
                linear.bias.fill_(3.0 if i == 0 else 0.1)


class VaeDecoder(nn.Module):
    """The decoder of the Par04 calorimeter VAE (Geant4's ML fast simulation example): latent 10 + 4
    conditions in, 18 x 50 x 45 = 40500 cell energies out."""

    input_shape = (14,)

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


class Cnn(nn.Module):
    input_shape = (1, 32, 32)

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 8 * 8, 10),
        )

    def forward(self, x):
        return self.net(x)


MODELS = {
    "linear_64": Linear64,
    "mlp": Mlp,
    "mlp_dense": MlpDense,
    "vae_decoder": VaeDecoder,
    "cnn": Cnn,
}


# Seeds by position here: a new model goes at the end, so that the others keep their weights and inputs.
SEED_ORDER = ["cnn", "linear_64", "mlp", "vae_decoder", "mlp_dense"]


def make_model(name, outdir):
    seed = 4321 + SEED_ORDER.index(name)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = MODELS[name]()
    set_batchnorm_statistics(model, generator)
    model.eval()

    case_dir = os.path.join(outdir, name)
    os.makedirs(case_dir, exist_ok=True)
    model_path = os.path.join(case_dir, "model.onnx")

    def random_input(batch):
        return torch.rand((batch,) + model.input_shape, generator=generator) * 2 - 1

    torch.onnx.export(
        model,
        (random_input(2),),
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
    unexpected = sorted(op for domain, op in collect_ops(proto.graph)
                        if domain not in ("", "ai.onnx") or op not in ALLOWED_OPS)
    if unexpected:
        raise SystemExit(f"make_bench_models.py: model '{name}' exported ops outside the allowed set: {unexpected}")

    for index, batch in enumerate(BATCH_SIZES):
        data_dir = os.path.join(case_dir, f"test_data_set_{index}")
        os.makedirs(data_dir, exist_ok=True)
        x = random_input(batch)
        with torch.no_grad():
            y = model(x)
        write_tensor(os.path.join(data_dir, "input_0.pb"), x.numpy(), "input")
        write_tensor(os.path.join(data_dir, "output_0.pb"), y.numpy(), "output")


def main(argv):
    return export_util.main(argv, __doc__, "make_bench_models.py", sorted(MODELS), make_model)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
