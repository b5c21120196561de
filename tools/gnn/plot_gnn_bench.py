#!/usr/bin/python3
"""Plots of bench_gnn's CSV: time and peak memory versus graph size, one PNG per model.

    plot_gnn_bench.py RESULTS.csv OUTDIR

Writes OUTDIR/bench_<model>.png (left: median µs per inference, log-log, with a line of slope 1 for models
with edges; right: peak resident memory of the process in MB while the timed calls ran) for every model in
the CSV. Needs Debian's python3-matplotlib.
"""

import csv
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SIZE_LABEL = {"lhcb_toy": "nodes (edges = 4 x nodes)", "message_passing": "nodes (edges = 4 x nodes)",
              "particlenet": "points", "atlas_tracks": "tracks"}
TITLE = {"lhcb_toy": "GraphNets LHCb-like toy (encoder, 3 steps, decoder; MLPs 2 x 64 + LayerNorm)",
         "message_passing": "Message passing (index_add / scatter_add), ONNX",
         "particlenet": "ParticleNet-Lite-style EdgeConv, batch 1, ONNX",
         "atlas_tracks": "ATLAS-style track network with attention pooling, batch 1, ONNX"}


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rows = defaultdict(lambda: defaultdict(list))  # model -> tier -> rows
    with open(argv[1]) as f:
        for r in csv.DictReader(f):
            rows[r["model"]][r["tier"]].append(r)
    os.makedirs(argv[2], exist_ok=True)
    for model, tiers in rows.items():
        fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(12, 4.5))
        for tier, rs in sorted(tiers.items()):
            rs.sort(key=lambda r: int(r["size"]))
            size = [int(r["size"]) for r in rs]
            label = {"interp": "sofie interpreter", "jit": "sofie JIT", "libtorch": "LibTorch (TorchScript)",
                     "ort": "ONNX Runtime (via Node.js)",
                     "ort_identity": "ORT's Node.js binding alone (Identity)"}.get(tier, tier)
            style = ":" if tier == "ort_identity" else "o-"
            ax_t.plot(size, [float(r["median_us"]) for r in rs], style, label=label)
            if tier == "ort_identity":
                continue  # no memory figure of its own
            # A JIT process that compiled (not served by the on-disk cache) keeps the compiler library mapped.
            compiled = sum(float(r["compile_ms"]) > 50 for r in rs)
            note = f", {compiled} of {len(rs)} compiled in process: LLVM mapped" if compiled else ""
            ax_m.plot(size, [float(r["peak_rss_mb"]) for r in rs], "o-", label=label + note)
        ax_t.set_xscale("log")
        ax_t.set_yscale("log")
        ax_t.set_xlabel(SIZE_LABEL.get(model, "size"))
        ax_t.set_ylabel("median time per inference (µs)")
        ax_t.grid(True, which="both", alpha=0.3)
        if model in ("lhcb_toy", "message_passing"):
            first = sorted(tiers.get("interp", next(iter(tiers.values()))), key=lambda r: int(r["size"]))
            x0, y0 = int(first[0]["size"]), float(first[0]["median_us"])
            ax_t.plot([x0, x0 * 200], [y0, y0 * 200], "k:", alpha=0.5, label="linear in E")
        ax_t.legend()
        ax_m.set_xscale("log")
        ax_m.set_xlabel(SIZE_LABEL.get(model, "size"))
        ax_m.set_ylabel("peak resident memory of the process (MB)")
        ax_m.set_yscale("log")
        ax_m.grid(True, which="both", alpha=0.3)
        ax_m.legend()
        fig.suptitle(TITLE.get(model, model) + ", single thread")
        fig.tight_layout()
        fig.savefig(os.path.join(argv[2], f"bench_{model}.png"), dpi=90)
        plt.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
