"""Writes the PyTorch-exported models the runtime tests run, in the ONNX backend test layout.

    make_torch_models.py OUT_DIR

OUT_DIR/<model>/model.onnx and OUT_DIR/<model>/test_data_set_<n>/{input,output}_<i>.pb, with reference
outputs computed by PyTorch. Deterministic: fixed seeds, no timestamps.

  mlp          input [batch,7] -> Gemm/Relu/Gemm/Tanh/Gemm -> output [batch,1]; data sets at batch 1 and 5.
  mlp_static   the same network exported with a static input [2,7]; one data set.
  flatten_net  x [batch,4,3] -> view(batch,-1) (Shape/Gather/Unsqueeze/Concat/Reshape) -> Gemm -> Relu and
               Sigmoid branches -> Concat -> Softmax = probs [batch,12]; Gemm -> Tanh -> Transpose = t [4,batch].
               Data sets at batch 1, 3 and 2.
"""

import io
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(7, 16)
        self.fc2 = torch.nn.Linear(16, 8)
        self.fc3 = torch.nn.Linear(8, 1)

    def forward(self, x):
        return self.fc3(torch.tanh(self.fc2(torch.relu(self.fc1(x)))))


class FlattenNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(12, 6)
        self.head = torch.nn.Linear(6, 4)

    def forward(self, x):
        h = self.fc(x.view(x.size(0), -1))
        z = torch.cat([torch.relu(h), torch.sigmoid(h) * 2.0 - 1.0], dim=1)
        return torch.softmax(z, dim=1), torch.tanh(self.head(h)).transpose(0, 1)


def export(module, example, input_names, output_names, dynamic_axes):
    buf = io.BytesIO()
    torch.onnx.export(module, example, buf, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=13, do_constant_folding=True)
    model = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(model)
    return model


def write_tensor(path, array, name):
    with open(path, "wb") as f:
        f.write(onnx.numpy_helper.from_array(np.ascontiguousarray(array), name).SerializeToString())


def write_case(folder, module, model, inputs_per_set):
    os.makedirs(folder, exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    in_names = [i.name for i in model.graph.input]
    out_names = [o.name for o in model.graph.output]
    for n, inputs in enumerate(inputs_per_set):
        set_dir = os.path.join(folder, "test_data_set_%d" % n)
        os.makedirs(set_dir, exist_ok=True)
        with torch.no_grad():
            outs = module(*[torch.from_numpy(x) for x in inputs])
        if isinstance(outs, torch.Tensor):
            outs = (outs,)
        for i, x in enumerate(inputs):
            write_tensor(os.path.join(set_dir, "input_%d.pb" % i), x, in_names[i])
        for i, y in enumerate(outs):
            write_tensor(os.path.join(set_dir, "output_%d.pb" % i), y.numpy().astype(np.float32), out_names[i])


def main():
    out = sys.argv[1]
    torch.manual_seed(1234)
    rng = np.random.RandomState(42)

    mlp = Mlp().eval()
    dynamic = export(mlp, torch.randn(1, 7), ["input"], ["output"], {"input": {0: "batch"}, "output": {0: "batch"}})
    write_case(os.path.join(out, "mlp"), mlp, dynamic,
               [[rng.randn(1, 7).astype(np.float32)], [rng.randn(5, 7).astype(np.float32)]])

    static = export(mlp, torch.randn(2, 7), ["input"], ["output"], None)
    write_case(os.path.join(out, "mlp_static"), mlp, static, [[rng.randn(2, 7).astype(np.float32)]])

    net = FlattenNet().eval()
    flat = export(net, torch.randn(2, 4, 3), ["x"], ["probs", "t"],
                  {"x": {0: "batch"}, "probs": {0: "batch"}, "t": {1: "batch"}})
    write_case(os.path.join(out, "flatten_net"), net, flat,
               [[rng.randn(b, 4, 3).astype(np.float32)] for b in (1, 3, 2)])


if __name__ == "__main__":
    main()
