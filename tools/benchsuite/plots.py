#!/usr/bin/python3
"""PNG plots of the benchmark suite's results, like the study's: plots.py DIR (reads DIR/results.json).

    time_batch1.png, time_batch64.png       time per inference per model and runtime (log scale, spread bars)
    memory_batch1.png, memory_batch64.png   peak RSS per model and runtime (baselines dashed)
    linear_time.png, linear_memory.png      time and peak RSS versus N for Linear N x N, batch 1 and 64

Needs Debian's python3-matplotlib (Agg backend, no display).
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["sofie_interp", "sofie_jit", "ort", "ort_identity", "libtorch"]
LABELS = {"sofie_interp": "sofie interp", "sofie_jit": "sofie JIT", "ort": "ONNX Runtime (node)",
          "ort_identity": "ORT Identity (binding)", "libtorch": "LibTorch"}
COLORS = {"sofie_interp": "#4c9be8", "sofie_jit": "#1f4e9c", "ort": "#e8894c", "ort_identity": "#f5c9a8",
          "libtorch": "#5aa55a"}
BASE = {"sofie_interp": "sofie", "sofie_jit": "sofie", "ort": "ort", "libtorch": "libtorch"}


def good(fig):
    return fig is not None and not fig.get("error")


def bars(doc, batch, what, path):
    rows = [r for r in doc["rows"] if r["batch"] == batch]
    if not rows:
        return False
    runtimes = [r for r in ORDER if r in doc["runtimes"] and (what == "time" or r != "ort_identity")]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(rows) + 2), 4.5))
    width = 0.8 / len(runtimes)
    for k, rt in enumerate(runtimes):
        xs, ys, lo, hi = [], [], [], []
        for i, row in enumerate(rows):
            f = row["figures"].get(rt)
            if not good(f):
                continue
            xs.append(i + (k - (len(runtimes) - 1) / 2) * width)
            if what == "time":
                ys.append(f["median_us"])
                lo.append(f["median_us"] - f["lo_us"])
                hi.append(f["hi_us"] - f["median_us"])
            else:
                ys.append(f["peak_rss_mb"])
        if what == "time":
            ax.bar(xs, ys, width, label=LABELS[rt], color=COLORS[rt], yerr=[lo, hi], capsize=2,
                   error_kw={"elinewidth": 0.8})
        else:
            ax.bar(xs, ys, width, label=LABELS[rt], color=COLORS[rt])
    if what == "memory":
        for rt in runtimes:
            b = doc["baseline_rss_mb"].get(BASE[rt])
            if b is not None and rt in ("sofie_interp", "ort", "libtorch"):
                ax.axhline(b, color=COLORS[rt], linestyle="--", linewidth=0.8)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r["model"] for r in rows], rotation=30, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("time per inference (µs)" if what == "time" else "peak RSS (MB); dashed: baseline")
    ax.set_title(f"{'Time' if what == 'time' else 'Peak memory'} per model, batch {batch}, one thread")
    ax.legend(fontsize=8)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def linear(doc, what, path):
    rows = [r for r in doc["rows"] if r["model"].startswith("linear_")]
    batches = sorted({r["batch"] for r in rows})
    if not rows:
        return False
    runtimes = [r for r in ORDER if r in doc["runtimes"] and (what == "time" or r != "ort_identity")]
    fig, axes = plt.subplots(1, len(batches), figsize=(5.5 * len(batches), 4.2), squeeze=False)
    for ax, batch in zip(axes[0], batches):
        for rt in runtimes:
            pts = sorted((int(r["model"].split("_")[1]), r["figures"].get(rt)) for r in rows
                         if r["batch"] == batch and good(r["figures"].get(rt)))
            if not pts:
                continue
            ns = [n for n, _ in pts]
            if what == "time":
                ys = [f["median_us"] for _, f in pts]
                err = [[f["median_us"] - f["lo_us"] for _, f in pts], [f["hi_us"] - f["median_us"] for _, f in pts]]
                ax.errorbar(ns, ys, yerr=err, marker="o", label=LABELS[rt], color=COLORS[rt], capsize=2)
            else:
                ax.plot(ns, [f["peak_rss_mb"] for _, f in pts], marker="o", label=LABELS[rt], color=COLORS[rt])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("N (Linear N x N)")
        ax.set_ylabel("time per inference (µs)" if what == "time" else "peak RSS (MB)")
        ax.set_title(f"batch {batch}")
        ax.grid(which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Linear N x N: {'time' if what == 'time' else 'peak memory'}, one thread")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = argv[1]
    with open(os.path.join(out, "results.json")) as f:
        doc = json.load(f)
    written = []
    for batch in (1, 64):
        for what in ("time", "memory"):
            path = os.path.join(out, f"{what}_batch{batch}.png")
            if bars(doc, batch, what, path):
                written.append(path)
    for what in ("time", "memory"):
        path = os.path.join(out, f"linear_{what}.png")
        if linear(doc, what, path):
            written.append(path)
    print("plots: wrote " + ", ".join(os.path.basename(p) for p in written), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
