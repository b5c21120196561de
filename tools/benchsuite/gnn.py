#!/usr/bin/python3
"""The benchmark suite's GNN part: merges the CSV of tools/gnn's bench_gnn into the suite's results.

    gnn.py --csv BENCH_GNN.csv --out DIR [--no-plots]

bench_gnn (tools/gnn/bench_gnn.cc; run.sh runs it with `bazel run //tools/gnn:bench_gnn`) times the GNNs of
tools/gnn versus graph size, single-threaded, one process per (model, tier, size): sofie's interpreter and
JIT, LibTorch (TorchScript of the same modules) and ONNX Runtime through Node.js with an Identity model's time
(the binding's cost). This script reads that CSV and
  - adds it as "gnn" to DIR/results.json (which the suite's full run wrote; the rest is kept as it is),
  - rewrites DIR/results.md and DIR/summary.md from that JSON (suite.py's writers, which add the GNN tables),
  - writes DIR/gnn_summary.md (the short GNN table of README's Benchmarks section),
  - copies the CSV to DIR/gnn/bench_gnn.csv and, unless --no-plots, draws DIR/gnn/bench_<model>.png with
    tools/gnn/plot_gnn_bench.py (time and peak memory versus size).
"""

import argparse
import csv
import datetime
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLOTTER = os.path.join(ROOT, "tools", "gnn", "plot_gnn_bench.py")

TIERS = ["interp", "jit", "ort", "ort_identity", "libtorch"]
SIZE_UNIT = {"lhcb_toy": "nodes", "message_passing": "nodes", "particlenet": "points", "atlas_tracks": "tracks"}
DESCRIPTIONS = {
    "lhcb_toy": "GraphNets-style LHCb-like toy (encoder, 3 message-passing steps, decoder; MLPs 2 x 64 with "
                "LayerNorm), a text spec plus ONNX update functions; E = 4N edges; no ONNX Runtime figure (not "
                "one ONNX file)",
    "message_passing": "message-passing GNN with index_add / scatter_add, one ONNX file; E = 4N edges",
    "particlenet": "ParticleNet-Lite-style EdgeConv on a point cloud, batch 1",
    "atlas_tracks": "ATLAS-style track network with attention pooling, batch 1",
}


def read_csv(path):
    """bench_gnn's CSV -> rows: one per (model, size), figures per tier, in the CSV's order."""
    rows, index = [], {}
    with open(path) as f:
        for r in csv.DictReader(f):
            key = (r["model"], int(r["size"]))
            if key not in index:
                index[key] = {"model": r["model"], "size": int(r["size"]), "nodes": int(r["nodes"]),
                              "edges": int(r["edges"]), "figures": {}}
                rows.append(index[key])
            index[key]["figures"][r["tier"]] = {
                "median_us": float(r["median_us"]), "fastest_us": float(r["fastest_us"]),
                "peak_rss_mb": float(r["peak_rss_mb"]), "first_peak_mb": float(r["first_peak_mb"]),
                "loaded_rss_mb": float(r["loaded_rss_mb"]), "compile_ms": float(r["compile_ms"])}
    for row in rows:
        f = row["figures"]
        sofie = [(f[t]["median_us"], t) for t in ("interp", "jit") if t in f]
        row["sofie_best_tier"] = min(sofie)[1] if sofie else None
        best = f[row["sofie_best_tier"]]["median_us"] if sofie else None
        for other in ("ort", "libtorch"):
            row[f"sofie_over_{other}"] = best / f[other]["median_us"] if best and other in f else None
    return rows


def slower_rows(rows):
    out = []
    for row in rows:
        for other in ("ort", "libtorch"):
            r = row[f"sofie_over_{other}"]
            if r is not None and r > 1:
                out.append({"model": row["model"], "size": row["size"], "tier": row["sofie_best_tier"],
                            "other": other, "ratio": r})
    return out


def _fmt_us(x):
    import suite
    return suite.fmt_us(x)


def _t(row, tier):
    fig = row["figures"].get(tier)
    return _fmt_us(fig["median_us"]) if fig else "-"


def _mb(row, tier):
    fig = row["figures"].get(tier)
    return f"{fig['peak_rss_mb']:.0f}" if fig else "-"


def _ratio(x):
    return "-" if x is None else f"{x:.2f}"


def _size(row):
    return f"{row['size']}" + (f" ({row['edges']} edges)" if row["edges"] else "")


def _ort(row):
    return _t(row, "ort") + (f" ({_t(row, 'ort_identity')})" if "ort_identity" in row["figures"] else "")


TABLE_HEAD = ["model", "size", "sofie interp", "sofie JIT", "ONNX Runtime (Identity)", "LibTorch", "sofie/ORT",
              "sofie/LibTorch", "peak RSS MB: sofie interp, JIT, ORT, LibTorch"]


def _table_line(row):
    return ("| " + " | ".join([row["model"], _size(row), _t(row, "interp"), _t(row, "jit"), _ort(row),
                               _t(row, "libtorch"), _ratio(row["sofie_over_ort"]),
                               _ratio(row["sofie_over_libtorch"]),
                               ", ".join(_mb(row, t) for t in ("interp", "jit", "ort", "libtorch"))]) + " |")


def markdown_lines(gnn):
    """The GNN section of results.md (suite.write_markdown appends it when results.json has "gnn")."""
    m = gnn["machine"]
    lines = [
        "", "## Graph neural networks: time and memory versus size", "",
        f"From tools/gnn's `bench_gnn` (run by run.sh; raw CSV in `gnn/bench_gnn.csv`, plots "
        f"`gnn/bench_<model>.png`). Date: {gnn['date']}; machine: {m['cpu']} ({m['cores']} cores), {m['os']}; "
        "versions: " + ", ".join(f"{k} {v}" for k, v in gnn.get("versions", {}).items()) + ". "
        "The machine is shared with other jobs and was not quiet: expect noise of tens of percent, more on the "
        "small sizes; compare ratios and trends, not single figures.",
        "",
        "One process per (model, tier, size), batch 1, every runtime single-threaded. A figure is the median of "
        "that one process's chunk means (chunks of back-to-back calls of at least 2 ms, at least 11 chunks and "
        "300 ms in all); no repeats across processes. Ratios: sofie's faster tier over the other runtime (below "
        "1: sofie is faster). ONNX Runtime runs from Node.js; in brackets the time of an Identity model on the "
        "same input, the binding's cost that a C/C++ caller would not pay. Peak RSS: the peak while the timed "
        "calls ran. A JIT process is served by sofie's on-disk cache, which an untimed first run per model "
        "fills; a JIT process that still compiled maps LLVM and clang (~100 MB; see 'JIT compile').",
        "",
        "| " + " | ".join(TABLE_HEAD + ["JIT compile in process"]) + " |",
        "|" + "---|" * (len(TABLE_HEAD) + 1),
    ]
    for row in gnn["rows"]:
        jit = row["figures"].get("jit")
        compile_cell = "-" if not jit else ("cached" if jit["compile_ms"] < 50 else f"{jit['compile_ms']:.0f} ms")
        lines.append(_table_line(row)[:-2] + f" | {compile_cell} |")
    lines += ["", "### GNNs: where sofie is slower", ""]
    if not gnn["sofie_slower"]:
        lines.append("Nowhere in this run.")
    for s in gnn["sofie_slower"]:
        label = {"ort": "ONNX Runtime (with its Node.js binding)", "libtorch": "LibTorch"}[s["other"]]
        lines.append(f"- {s['model']} size {s['size']}: sofie's faster tier ({s['tier']}) is {s['ratio']:.2f}x "
                     f"{label}")
    lines += ["", "### GNN models", ""]
    for name in sorted({r["model"] for r in gnn["rows"]}, key=lambda n: list(DESCRIPTIONS).index(n)
                       if n in DESCRIPTIONS else 99):
        lines.append(f"- `{name}` (size: {SIZE_UNIT.get(name, 'size')}): {DESCRIPTIONS.get(name, name)}")
    return lines


def short_rows(rows):
    """Smallest, a middle and the largest size of every model: the README's table."""
    by_model = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
    out = []
    for rs in by_model.values():
        rs = sorted(rs, key=lambda r: r["size"])
        picks = sorted({0, len(rs) // 2, len(rs) - 1})
        out += [rs[i] for i in picks]
    return out


def write_summary(path, gnn):
    lines = ["| " + " | ".join(TABLE_HEAD) + " |", "|" + "---|" * len(TABLE_HEAD)]
    lines += [_table_line(r) for r in short_rows(gnn["rows"])]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-plots", action="store_true")
    a = ap.parse_args(argv[1:])
    sys.path.insert(0, HERE)
    import suite

    results = os.path.join(a.out, "results.json")
    if not os.path.exists(results):
        raise SystemExit(f"gnn.py: no {results}: run the suite's full mode first (tools/benchsuite/run.sh)")
    with open(results) as f:
        doc = json.load(f)
    rows = read_csv(a.csv)
    if not rows:
        raise SystemExit(f"gnn.py: no rows in {a.csv}")
    doc["gnn"] = {
        "source": "tools/gnn bench_gnn (bazel run //tools/gnn:bench_gnn)",
        # When bench_gnn wrote the CSV (copies keep that time).
        "date": datetime.datetime.fromtimestamp(os.path.getmtime(a.csv)).astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": suite.machine_info(),
        "versions": suite.versions([]),
        "rows": rows,
        "sofie_slower": slower_rows(rows),
    }
    with open(results, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    suite.write_markdown(os.path.join(a.out, "results.md"), doc)
    suite.write_summary(os.path.join(a.out, "summary.md"), doc)
    write_summary(os.path.join(a.out, "gnn_summary.md"), doc["gnn"])
    gnn_dir = os.path.join(a.out, "gnn")
    os.makedirs(gnn_dir, exist_ok=True)
    if os.path.abspath(a.csv) != os.path.abspath(os.path.join(gnn_dir, "bench_gnn.csv")):
        shutil.copy2(a.csv, os.path.join(gnn_dir, "bench_gnn.csv"))
    if not a.no_plots:
        subprocess.run([sys.executable, PLOTTER, os.path.join(gnn_dir, "bench_gnn.csv"), gnn_dir], check=True)
    print(f"gnn.py: {len(rows)} GNN rows into {results}, results.md, gnn_summary.md"
          + ("" if a.no_plots else f" and {gnn_dir}/bench_*.png"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
