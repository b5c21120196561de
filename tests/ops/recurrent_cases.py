"""Operator cases of the recurrent family: RNN, GRU, LSTM. See opcase.py for the layout.

References: torch.nn.RNN/GRU/LSTM in float64 for what PyTorch expresses (default activations, Relu RNN,
bidirectional, batch_first = layout 1, initial states, packed sequences = sequence_lens, PyTorch's GRU =
linear_before_reset 1), and a plain per-step numpy implementation of the ONNX equations in float64 for
the rest (reverse direction, custom activations, clip, peepholes, input_forget, linear_before_reset 0,
zero-length sequences). The numpy reference is itself checked against PyTorch on every torch case.
"""

import numpy as np
import torch
from onnx import TensorProto, helper

from opcase import case, error_case, node, rand

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
# ONNX gate k is PyTorch's chunk ORDER[op][k]: LSTM i,o,f,c <- i,f,g,o; GRU z,r,h <- r,z,n.
ORDER = {"RNN": [0], "GRU": [1, 0, 2], "LSTM": [0, 3, 1, 2]}
DEFAULT_ACTS = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"]}
USES = {"relu": (0, 0), "tanh": (0, 0), "sigmoid": (0, 0), "affine": (1, 1), "leakyrelu": (1, 0),
        "thresholdedrelu": (1, 0), "scaledtanh": (1, 1), "hardsigmoid": (1, 1), "elu": (1, 0),
        "softsign": (0, 0), "softplus": (0, 0)}
DEFAULT_AB = {"affine": (1.0, 0.0), "leakyrelu": (0.01, 0.0), "thresholdedrelu": (1.0, 0.0),
              "scaledtanh": (1.0, 1.0), "hardsigmoid": (0.2, 0.5), "elu": (1.0, 0.0)}


def act_fn(name, alpha=None, beta=None):
    n = name.lower()
    da, db = DEFAULT_AB.get(n, (0.0, 0.0))
    a = da if alpha is None else alpha
    b = db if beta is None else beta
    return {
        "relu": lambda x: np.maximum(x, 0),
        "tanh": np.tanh,
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "affine": lambda x: a * x + b,
        "leakyrelu": lambda x: np.where(x >= 0, x, a * x),
        "thresholdedrelu": lambda x: np.where(x > a, x, 0),
        "scaledtanh": lambda x: a * np.tanh(b * x),
        "hardsigmoid": lambda x: np.clip(a * x + b, 0, 1),
        "elu": lambda x: np.where(x >= 0, x, a * (np.exp(x) - 1)),
        "softsign": lambda x: x / (1 + np.abs(x)),
        "softplus": lambda x: np.logaddexp(0, x),
    }[n]


def act_attrs(acts):
    """acts: list of (name, alpha, beta) -> ONNX attributes (alpha/beta consumed by the functions using them)."""
    attrs = {"activations": [a[0] for a in acts]}
    alphas = [a[1] for a in acts if USES[a[0].lower()][0] and a[1] is not None]
    betas = [a[2] for a in acts if USES[a[0].lower()][1] and a[2] is not None]
    if alphas:
        attrs["activation_alpha"] = alphas
    if betas:
        attrs["activation_beta"] = betas
    return attrs


# ------------------------------------------------------------------------------------------------------
# numpy reference of the ONNX equations (float64)

def ref(op, X, W, R, B=None, lens=None, h0=None, c0=None, P=None, direction="forward", layout=0, acts=None,
        clip=None, input_forget=0, lbr=0):
    f64 = lambda a: None if a is None else np.asarray(a, np.float64)
    X, W, R, B, h0, c0, P = map(f64, (X, W, R, B, h0, c0, P))
    if layout == 1:
        X = X.transpose(1, 0, 2)
        h0 = None if h0 is None else h0.transpose(1, 0, 2)
        c0 = None if c0 is None else c0.transpose(1, 0, 2)
    seq, batch, _ = X.shape
    nd = 2 if direction == "bidirectional" else 1
    H = R.shape[-1]
    G = GATES[op]
    per = len(DEFAULT_ACTS[op])
    if acts is None:
        acts = [(a, None, None) for a in DEFAULT_ACTS[op]] * nd
    fns = [act_fn(*a) for a in acts]
    cl = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
    lens = np.full(batch, seq) if lens is None else np.asarray(lens)
    Y = np.zeros((seq, nd, batch, H))
    Yh = np.zeros((nd, batch, H))
    Yc = np.zeros((nd, batch, H))
    for d in range(nd):
        fwd = direction == "forward" or (direction == "bidirectional" and d == 0)
        f = fns[d * per:(d + 1) * per]
        Bd = np.zeros(2 * G * H) if B is None else B[d]
        Wb, Rb = Bd[:G * H], Bd[G * H:]
        gate = lambda v, k: v[k * H:(k + 1) * H]
        for b in range(batch):
            h = np.zeros(H) if h0 is None else h0[d, b].copy()
            c = np.zeros(H) if c0 is None else c0[d, b].copy()
            L = int(lens[b])
            for t in (range(L) if fwd else range(L - 1, -1, -1)):
                xw = W[d] @ X[t, b] + Wb
                if op == "RNN":
                    h = f[0](cl(xw + R[d] @ h + Rb))
                elif op == "GRU":
                    hr = R[d] @ h + Rb
                    z = f[0](cl(gate(xw, 0) + gate(hr, 0)))
                    r = f[0](cl(gate(xw, 1) + gate(hr, 1)))
                    if lbr:
                        hh = f[1](cl(gate(xw, 2) + r * gate(hr, 2)))
                    else:
                        hh = f[1](cl(gate(xw, 2) + gate(R[d], 2) @ (r * h) + gate(Rb, 2)))
                    h = (1 - z) * hh + z * h
                else:
                    hr = R[d] @ h + Rb
                    p = np.zeros(3 * H) if P is None else P[d]
                    i = f[0](cl(gate(xw, 0) + gate(hr, 0) + gate(p, 0) * c))
                    fg = 1 - i if input_forget else f[0](cl(gate(xw, 2) + gate(hr, 2) + gate(p, 2) * c))
                    ct = f[1](cl(gate(xw, 3) + gate(hr, 3)))
                    c = fg * c + i * ct
                    o = f[0](cl(gate(xw, 1) + gate(hr, 1) + gate(p, 1) * c))
                    h = o * f[2](c)
                Y[t, d, b] = h
            if L > 0:
                Yh[d, b], Yc[d, b] = h, c
    if layout == 1:
        Y, Yh, Yc = Y.transpose(2, 0, 1, 3), Yh.transpose(1, 0, 2), Yc.transpose(1, 0, 2)
    out = [Y.astype(np.float32), Yh.astype(np.float32)]
    if op == "LSTM":
        out.append(Yc.astype(np.float32))
    return out


# ------------------------------------------------------------------------------------------------------
# PyTorch reference

def torch_ref(op, X, W, R, B, lens=None, h0=None, c0=None, bidirectional=False, layout=0, relu=False):
    """W, R, B in ONNX layout; returns [Y, Y_h(, Y_c)] in the ONNX layout of `layout`."""
    nd = 2 if bidirectional else 1
    H = R.shape[-1]
    I = W.shape[-1]
    cls = {"RNN": torch.nn.RNN, "GRU": torch.nn.GRU, "LSTM": torch.nn.LSTM}[op]
    kw = {"nonlinearity": "relu"} if (op == "RNN" and relu) else {}
    m = cls(I, H, bidirectional=bidirectional, batch_first=layout == 1, **kw).double()

    def to_torch(w):
        out = np.empty_like(w)
        for k, j in enumerate(ORDER[op]):
            out[j * H:(j + 1) * H] = w[k * H:(k + 1) * H]
        return torch.from_numpy(out.astype(np.float64))

    G = GATES[op]
    with torch.no_grad():
        for d, sfx in enumerate(["", "_reverse"][:nd]):
            getattr(m, "weight_ih_l0" + sfx).copy_(to_torch(W[d]))
            getattr(m, "weight_hh_l0" + sfx).copy_(to_torch(R[d]))
            getattr(m, "bias_ih_l0" + sfx).copy_(to_torch(B[d][:G * H]))
            getattr(m, "bias_hh_l0" + sfx).copy_(to_torch(B[d][G * H:]))
        x = torch.from_numpy(X.astype(np.float64))
        state = lambda s: None if s is None else torch.from_numpy(
            (s.transpose(1, 0, 2) if layout == 1 else s).astype(np.float64)).contiguous()
        hx = state(h0)
        if op == "LSTM":
            batch = X.shape[0 if layout == 1 else 1]
            zeros = torch.zeros(nd, batch, H, dtype=torch.float64)
            hx = (zeros if hx is None else hx, zeros if c0 is None else state(c0))
        seq = X.shape[1 if layout == 1 else 0]
        if lens is not None:
            x = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lens, dtype=torch.int64),
                                                        batch_first=layout == 1, enforce_sorted=False)
        out, hn = m(x, hx)
        if lens is not None:
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=layout == 1, total_length=seq)
    out = out.numpy()
    hs = list(hn) if op == "LSTM" else [hn]
    hs = [s.numpy() for s in hs]
    if layout == 1:
        Y = out.reshape(out.shape[0], seq, nd, H)
        hs = [s.transpose(1, 0, 2) for s in hs]
    else:
        Y = out.reshape(seq, out.shape[1], nd, H).transpose(0, 2, 1, 3)
    return [a.astype(np.float32) for a in [Y] + hs]


# ------------------------------------------------------------------------------------------------------
# Case building

def make_inputs(op, seq, batch, I, H, nd, layout=0, bias=True, init=True, peep=False, scale=1.0,
                dtype=np.float32):
    G = GATES[op]
    s = 1.0 / np.sqrt(H) * scale
    X = rand(batch, seq, I, dtype=dtype) if layout == 1 else rand(seq, batch, I, dtype=dtype)
    W = rand(nd, G * H, I, low=-s, high=s, dtype=dtype)
    R = rand(nd, G * H, H, low=-s, high=s, dtype=dtype)
    B = rand(nd, 2 * G * H, low=-s, high=s, dtype=dtype) if bias else None
    st = (batch, nd, H) if layout == 1 else (nd, batch, H)
    h0 = rand(*st, low=-1, high=1, dtype=dtype) if init else None
    c0 = rand(*st, low=-1, high=1, dtype=dtype) if init and op == "LSTM" else None
    P = rand(nd, 3 * H, low=-0.5, high=0.5, dtype=dtype) if peep else None
    return dict(X=X, W=W, R=R, B=B, h0=h0, c0=c0, P=P)


def rnn_case(name, op, data, expected, outputs=("Y", "Y_h", "Y_c"), lens=None, opset=17, initializers=None,
             input_shapes=None, expect_shape=None, lens_dtype=np.int32, **attrs):
    """Wires X, W, R and the optional inputs present in `data` into one node; `expected` = [Y, Y_h(, Y_c)]."""
    names = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
    values = [data["X"], data["W"], data["R"], data.get("B"),
              None if lens is None else np.asarray(lens, lens_dtype), data.get("h0"), data.get("c0"), data.get("P")]
    if op != "LSTM":
        names, values = names[:6], values[:6]
    while values and values[-1] is None:
        names, values = names[:-1], values[:-1]
    node_inputs = [n if v is not None else "" for n, v in zip(names, values)]
    inits = initializers or {}
    inputs = [(n, v) for n, v in zip(names, values) if v is not None and n not in inits]
    out_names = list(outputs) if op == "LSTM" else [o for o in outputs if o != "Y_c"]
    all_out = ["Y", "Y_h", "Y_c"][:len(expected)]
    node_outputs = [o if o in out_names else "" for o in all_out]
    while node_outputs and node_outputs[-1] == "":
        node_outputs.pop()
    exp = [(o, expected[k]) for k, o in enumerate(all_out) if o in out_names]
    if "hidden_size" not in attrs:
        attrs["hidden_size"] = data["R"].shape[-1]
    elif attrs["hidden_size"] is None:
        del attrs["hidden_size"]
    case(name, [node(op, node_inputs, node_outputs, **attrs)], inputs, exp, opset=opset,
         initializers={k: v for k, v in inits.items()}, input_shapes=input_shapes, expect_shape=expect_shape)


def np_kwargs(data):
    return dict(B=data.get("B"), h0=data.get("h0"), c0=data.get("c0"), P=data.get("P"))


def check_close(a, b, what):
    for x, y in zip(a, b):
        assert np.allclose(x, y, atol=1e-5, rtol=1e-5), what


# ------------------------------------------------------------------------------------------------------
# Cases

def torch_cases():
    for op in ("RNN", "GRU", "LSTM"):
        lbr = {"linear_before_reset": 1} if op == "GRU" else {}
        for opset in (7, 14):
            d = make_inputs(op, 5, 3, 4, 6, 1)
            exp = torch_ref(op, d["X"], d["W"], d["R"], d["B"], h0=d["h0"], c0=d["c0"])
            check_close(exp, ref(op, d["X"], d["W"], d["R"], lbr=1, **np_kwargs(d)), f"{op} numpy vs torch")
            rnn_case(f"{op.lower()}_torch_forward_opset{opset}", op, d, exp, opset=opset, **lbr)
        d = make_inputs(op, 4, 2, 3, 5, 2, layout=1)
        exp = torch_ref(op, d["X"], d["W"], d["R"], d["B"], h0=d["h0"], c0=d["c0"], bidirectional=True, layout=1)
        check_close(exp, ref(op, d["X"], d["W"], d["R"], direction="bidirectional", layout=1, lbr=1,
                             **np_kwargs(d)), f"{op} bidirectional numpy vs torch")
        rnn_case(f"{op.lower()}_torch_bidirectional_layout1", op, d, exp, opset=14, direction="bidirectional",
                 layout=1, **lbr)
        for layout in (0, 1):
            lens = [5, 2, 3, 1]
            d = make_inputs(op, 5, 4, 3, 4, 2, layout=layout)
            exp = torch_ref(op, d["X"], d["W"], d["R"], d["B"], lens=lens, h0=d["h0"], c0=d["c0"],
                            bidirectional=True, layout=layout)
            check_close(exp, ref(op, d["X"], d["W"], d["R"], lens=lens, direction="bidirectional", layout=layout,
                                 lbr=1, **np_kwargs(d)), f"{op} sequence_lens numpy vs torch")
            rnn_case(f"{op.lower()}_torch_seq_lens_bidirectional_layout{layout}", op, d, exp, lens=lens, opset=14,
                     direction="bidirectional", layout=layout, **lbr)
        # Sizes on both GEMM paths: batch 1 (GEMV) and batch 20 (BLIS), hidden sizes off the vector width,
        # weights as initializers.
        for batch, H in ((1, 33), (20, 17)):
            d = make_inputs(op, 6, batch, 9, H, 1)
            exp = torch_ref(op, d["X"], d["W"], d["R"], d["B"], h0=d["h0"], c0=d["c0"])
            rnn_case(f"{op.lower()}_torch_batch{batch}_hidden{H}", op, d, exp, opset=14,
                     initializers={"W": d["W"], "R": d["R"], "B": d["B"]}, **lbr)
    d = make_inputs("RNN", 5, 3, 4, 6, 2, scale=0.5)
    exp = torch_ref("RNN", d["X"], d["W"], d["R"], d["B"], h0=d["h0"], bidirectional=True, relu=True)
    rnn_case("rnn_torch_relu_bidirectional", "RNN", d, exp, direction="bidirectional", activations=["Relu", "Relu"])


def numpy_cases():
    for op in ("RNN", "GRU", "LSTM"):
        lo = op.lower()
        # Reverse, no B, no initial state, only Y_h.
        d = make_inputs(op, 5, 3, 4, 6, 1, bias=False, init=False)
        exp = ref(op, d["X"], d["W"], d["R"], direction="reverse")
        rnn_case(f"{lo}_reverse_only_y_h", op, d, exp, outputs=("Y_h",), direction="reverse")
        # Only Y; hidden_size taken from R.
        d = make_inputs(op, 4, 2, 3, 5, 1)
        exp = ref(op, d["X"], d["W"], d["R"], **np_kwargs(d))
        rnn_case(f"{lo}_only_y_no_hidden_size_attr", op, d, exp, outputs=("Y",), hidden_size=None)
        # Clip, bidirectional, weights large enough for the clip to bite.
        d = make_inputs(op, 5, 3, 4, 6, 2, scale=4.0)
        exp = ref(op, d["X"], d["W"], d["R"], direction="bidirectional", clip=0.75, **np_kwargs(d))
        rnn_case(f"{lo}_clip_bidirectional", op, d, exp, direction="bidirectional", clip=0.75)
        # Sequence lengths with a zero-length row, reverse direction, layout 1.
        lens = [3, 0, 5, 1]
        d = make_inputs(op, 5, 4, 3, 4, 1, layout=1)
        exp = ref(op, d["X"], d["W"], d["R"], lens=lens, direction="reverse", layout=1, **np_kwargs(d))
        rnn_case(f"{lo}_seq_lens_zero_reverse_layout1", op, d, exp, lens=lens, opset=14, direction="reverse",
                 layout=1)
        # int64 sequence lengths (ONNX says int32; exporters sometimes write int64), all rows full or empty.
        lens = [4, 0, 4]
        d = make_inputs(op, 4, 3, 3, 5, 2)
        exp = ref(op, d["X"], d["W"], d["R"], lens=lens, direction="bidirectional", **np_kwargs(d))
        rnn_case(f"{lo}_seq_lens_int64", op, d, exp, lens=lens, lens_dtype=np.int64, direction="bidirectional")
        # Zero-sized sequence and batch.
        for name, seq, batch in (("zero_seq", 0, 2), ("zero_batch", 3, 0)):
            d = make_inputs(op, seq, batch, 3, 4, 1)
            exp = ref(op, d["X"], d["W"], d["R"], **np_kwargs(d))
            rnn_case(f"{lo}_{name}", op, d, exp)
        # Empty input features: only the recurrence and the biases.
        d = make_inputs(op, 3, 2, 0, 4, 1)
        rnn_case(f"{lo}_zero_input_size", op, d, ref(op, d["X"], d["W"], d["R"], **np_kwargs(d)))
        # Symbolic sequence and batch.
        d = make_inputs(op, 5, 3, 4, 6, 1)
        exp = ref(op, d["X"], d["W"], d["R"], **np_kwargs(d))
        rnn_case(f"{lo}_symbolic_dims", op, d, exp, outputs=("Y",), input_shapes={"X": ["seq", "batch", 4]},
                 expect_shape="[seq,1,batch,6]")
        # float64.
        d = make_inputs(op, 5, 3, 4, 6, 2, dtype=np.float64, peep=op == "LSTM")
        exp = ref(op, d["X"], d["W"], d["R"], direction="bidirectional", **np_kwargs(d))
        rnn_case(f"{lo}_f64_bidirectional", op, d, [e.astype(np.float64) for e in exp], direction="bidirectional")
        # Latest opset, layout 1.
        d = make_inputs(op, 3, 2, 4, 5, 1, layout=1)
        exp = ref(op, d["X"], d["W"], d["R"], layout=1, **np_kwargs(d))
        rnn_case(f"{lo}_opset21_layout1", op, d, exp, opset=21, layout=1)
        # One activation list for both directions.
        acts = [(a, None, None) for a in DEFAULT_ACTS[op]]
        if op == "RNN":
            acts = [("Softsign", None, None)]
        d = make_inputs(op, 4, 2, 3, 4, 2)
        exp = ref(op, d["X"], d["W"], d["R"], direction="bidirectional", acts=acts * 2, **np_kwargs(d))
        rnn_case(f"{lo}_one_activation_list_bidirectional", op, d, exp, direction="bidirectional",
                 activations=[a[0] for a in acts])


# Each activation with explicit (alpha, beta) where it takes them; RNN uses it directly.
ALL_ACTS = [("Relu", None, None), ("Tanh", None, None), ("Sigmoid", None, None), ("Affine", 0.7, -0.2),
            ("LeakyRelu", 0.3, None), ("ThresholdedRelu", 0.2, None), ("ScaledTanh", 1.5, 0.6),
            ("HardSigmoid", 0.3, 0.4), ("Elu", 0.8, None), ("Softsign", None, None), ("Softplus", None, None)]


def activation_cases():
    for a in ALL_ACTS:
        d = make_inputs("RNN", 5, 3, 4, 6, 1, scale=0.6)
        exp = ref("RNN", d["X"], d["W"], d["R"], acts=[a], **np_kwargs(d))
        rnn_case(f"rnn_activation_{a[0].lower()}", "RNN", d, exp, **act_attrs([a]))
    # Defaults of alpha/beta (LeakyRelu 0.01, HardSigmoid 0.2/0.5, Elu 1.0) and mixed per direction.
    acts = [("LeakyRelu", None, None), ("HardSigmoid", None, None)]
    d = make_inputs("RNN", 5, 3, 4, 6, 2)
    exp = ref("RNN", d["X"], d["W"], d["R"], direction="bidirectional", acts=acts, **np_kwargs(d))
    rnn_case("rnn_activation_defaults_bidirectional", "RNN", d, exp, direction="bidirectional", **act_attrs(acts))
    # One list for both directions: its alpha/beta apply to both.
    acts = [("LeakyRelu", 0.3, None), ("ScaledTanh", 1.4, 0.7)]
    d = make_inputs("GRU", 4, 2, 3, 5, 2)
    exp = ref("GRU", d["X"], d["W"], d["R"], direction="bidirectional", acts=acts * 2, **np_kwargs(d))
    rnn_case("gru_one_activation_list_with_alpha_bidirectional", "GRU", d, exp, direction="bidirectional",
             **act_attrs(acts))
    acts = [("HardSigmoid", 0.25, 0.45), ("Softsign", None, None), ("Sigmoid", None, None),
            ("ScaledTanh", 1.2, 0.8)]
    d = make_inputs("GRU", 5, 3, 4, 6, 2)
    exp = ref("GRU", d["X"], d["W"], d["R"], direction="bidirectional", acts=acts, **np_kwargs(d))
    rnn_case("gru_activations_bidirectional", "GRU", d, exp, direction="bidirectional", **act_attrs(acts))
    acts = [("HardSigmoid", 0.3, 0.5), ("Elu", 0.9, None), ("Softplus", None, None),
            ("Sigmoid", None, None), ("Affine", 0.5, 0.1), ("LeakyRelu", 0.2, None)]
    d = make_inputs("LSTM", 5, 3, 4, 6, 2)
    exp = ref("LSTM", d["X"], d["W"], d["R"], direction="bidirectional", acts=acts, **np_kwargs(d))
    rnn_case("lstm_activations_bidirectional", "LSTM", d, exp, direction="bidirectional", **act_attrs(acts))
    acts = [("ThresholdedRelu", 0.1, None), ("Relu", None, None), ("Tanh", None, None)]
    d = make_inputs("LSTM", 4, 2, 3, 5, 1, scale=0.5)
    exp = ref("LSTM", d["X"], d["W"], d["R"], acts=acts, **np_kwargs(d))
    rnn_case("lstm_activations_relu_family", "LSTM", d, exp, **act_attrs(acts))


def gru_lstm_cases():
    # GRU linear_before_reset = 0 (the ONNX default) and 1, with clip and sequence lengths.
    for lbr in (0, 1):
        d = make_inputs("GRU", 6, 3, 4, 5, 2)
        lens = [6, 4, 2]
        exp = ref("GRU", d["X"], d["W"], d["R"], lens=lens, direction="bidirectional", lbr=lbr, clip=1.5,
                  **np_kwargs(d))
        rnn_case(f"gru_lbr{lbr}_clip_seq_lens", "GRU", d, exp, lens=lens, direction="bidirectional",
                 linear_before_reset=lbr, clip=1.5)
        d = make_inputs("GRU", 5, 2, 3, 4, 1, layout=1, init=False)
        exp = ref("GRU", d["X"], d["W"], d["R"], B=d["B"], lbr=lbr, layout=1)
        rnn_case(f"gru_lbr{lbr}_layout1", "GRU", d, exp, opset=14, layout=1, linear_before_reset=lbr)
    for batch in (1, 12):
        d = make_inputs("GRU", 5, batch, 7, 10, 1)
        exp = ref("GRU", d["X"], d["W"], d["R"], **np_kwargs(d))
        rnn_case(f"gru_lbr0_batch{batch}", "GRU", d, exp)
    # LSTM peepholes, input_forget, clip, each alone and together.
    for name, peep, forget, clip, direction in (
            ("peephole", True, 0, None, "forward"),
            ("input_forget", False, 1, None, "forward"),
            ("peephole_input_forget", True, 1, None, "reverse"),
            ("peephole_clip_bidirectional", True, 0, 0.5, "bidirectional")):
        nd = 2 if direction == "bidirectional" else 1
        lens = [5, 3, 4]
        d = make_inputs("LSTM", 5, 3, 4, 6, nd, peep=peep, scale=2.0 if clip else 1.0)
        exp = ref("LSTM", d["X"], d["W"], d["R"], lens=lens, direction=direction, input_forget=forget, clip=clip,
                  **np_kwargs(d))
        attrs = {"direction": direction, "input_forget": forget}
        if clip:
            attrs["clip"] = clip
        rnn_case(f"lstm_{name}", "LSTM", d, exp, lens=lens, **attrs)
    # Peepholes on larger batches (the per-plane activations with many rows), P as an initializer.
    d = make_inputs("LSTM", 4, 11, 5, 9, 1, peep=True)
    exp = ref("LSTM", d["X"], d["W"], d["R"], **np_kwargs(d))
    rnn_case("lstm_peephole_batch11", "LSTM", d, exp, initializers={"P": d["P"]})
    # Outputs: only Y_c; Y and Y_c without Y_h.
    d = make_inputs("LSTM", 4, 2, 3, 5, 1)
    exp = ref("LSTM", d["X"], d["W"], d["R"], **np_kwargs(d))
    rnn_case("lstm_only_y_c", "LSTM", d, exp, outputs=("Y_c",))
    rnn_case("lstm_y_and_y_c", "LSTM", d, exp, outputs=("Y", "Y_c"))
    # Only initial_c given.
    d = make_inputs("LSTM", 4, 2, 3, 5, 1)
    d["h0"] = None
    exp = ref("LSTM", d["X"], d["W"], d["R"], **np_kwargs(d))
    rnn_case("lstm_only_initial_c", "LSTM", d, exp)


def error_cases():
    d = make_inputs("LSTM", 3, 2, 4, 5, 1)
    xs = [("X", d["X"]), ("W", d["W"]), ("R", d["R"])]
    out = [("Y", d["X"])]
    error_case("lstm_bad_direction", [node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=5, direction="sideways")],
               xs, out, ["LSTM node 'lstm_node'", "direction is 'sideways'"])
    error_case("lstm_hidden_size_mismatch", [node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=4)], xs, out,
               ["LSTM node 'lstm_node'", "W is [1,20,4]", "should be 16"])
    error_case("gru_unknown_activation",
               [node("GRU", ["X", "W", "R"], ["Y"], hidden_size=5, activations=["Sigmoid", "Swish"])],
               xs, out, ["GRU node 'gru_node'", "activation 'Swish' is not supported"])
    error_case("rnn_activation_count",
               [node("RNN", ["X", "W", "R"], ["Y"], hidden_size=5, activations=["Tanh", "Tanh", "Tanh"])],
               xs, out, ["RNN node 'rnn_node'", "activations has 3 entries; expected 1"])
    error_case("rnn_layout_before_opset14", [node("RNN", ["X", "W", "R"], ["Y"], hidden_size=5, layout=1)],
               xs, out, ["attribute 'layout' exists from opset 14"], opset=13)
    error_case("gru_negative_clip", [node("GRU", ["X", "W", "R"], ["Y"], hidden_size=5, clip=-1.0)], xs, out,
               ["GRU node 'gru_node'", "clip is -1"])
    error_case("gru_too_many_outputs", [node("GRU", ["X", "W", "R"], ["Y", "Y_h", "Y_c"], hidden_size=5)], xs,
               [("Y", d["X"]), ("Y_h", d["X"]), ("Y_c", d["X"])],
               ["GRU node 'gru_node'", "has 3 outputs; expected at most 2"])
    xi = np.zeros((3, 2, 4), np.int32)
    error_case("rnn_int32_unsupported", [node("RNN", ["X", "W", "R"], ["Y"], hidden_size=5)],
               [("X", xi), ("W", xi), ("R", xi)], [("Y", xi)], ["code=UNIMPLEMENTED"])
    d = make_inputs("RNN", 3, 2, 4, 5, 1)
    error_case("rnn_seq_lens_out_of_range",
               [node("RNN", ["X", "W", "R", "", "L"], ["Y"], hidden_size=5)],
               [("X", d["X"]), ("W", d["W"]), ("R", d["R"]), ("L", np.array([3, 9], np.int32))], out,
               ["RNN node 'rnn_node'", "sequence_lens[1] is 9", "[0, 3]"])
    error_case("lstm_bad_initial_h_shape", [node("LSTM", ["X", "W", "R", "", "", "h0"], ["Y"], hidden_size=5)],
               xs + [("h0", np.zeros((1, 3, 5), np.float32))], out,
               ["LSTM node 'lstm_node'", "initial_h is [1,3,5]", "expected [1,2,5]"])


if __name__ == "__main__":
    from opcase import run
    run([torch_cases, numpy_cases, activation_cases, gru_lstm_cases, error_cases])
