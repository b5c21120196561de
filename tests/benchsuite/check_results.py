#!/usr/bin/python3
"""Checks what suite.py wrote: check_results.py DIR RUNTIMES (comma-separated).

Every model of the quick set at batch 1 and 64 must have a row in results.json and in results.md's time and
memory tables, every runtime a figure for it (output matched PyTorch's, time and peak RSS positive, the JIT
served by compiled code), a baseline RSS per runtime, and the plots must exist. Nothing about speed.
"""

import json
import os
import sys

QUICK_MODELS = ["linear_16", "linear_256", "higgs_mlp", "conv2d", "lstm_h8"]
BATCHES = [1, 64]
PLOTS = ["time_batch1.png", "time_batch64.png", "memory_batch1.png", "memory_batch64.png", "linear_time.png",
         "linear_memory.png"]


def main(argv):
    out, runtimes = argv[1], argv[2].split(",")
    problems = []
    with open(os.path.join(out, "results.json")) as f:
        doc = json.load(f)
    with open(os.path.join(out, "results.md")) as f:
        md = f.read()
    rows = {(r["model"], r["batch"]): r for r in doc["rows"]}
    expected = [(m, b) for m in QUICK_MODELS for b in BATCHES]
    if sorted(rows) != sorted(expected):
        problems.append(f"rows {sorted(rows)}, expected {sorted(expected)}")
    for key in expected:
        row = rows.get(key)
        if row is None:
            continue
        if md.count(f"| {key[0]} | {key[1]} |") != 2:  # the time table and the memory table
            problems.append(f"results.md: {key} is not in both tables")
        for rt in runtimes:
            fig = row["figures"].get(rt)
            if fig is None or fig.get("error"):
                problems.append(f"{key} {rt}: {fig and fig.get('error') or 'missing'}")
                continue
            if not (fig["median_us"] > 0 and fig["lo_us"] <= fig["median_us"] <= fig["hi_us"]):
                problems.append(f"{key} {rt}: bad time figures {fig}")
            if not fig["peak_rss_mb"] > 0:
                problems.append(f"{key} {rt}: bad peak RSS {fig['peak_rss_mb']}")
            if rt == "sofie_jit" and fig.get("tier_served") != ["jit"]:
                problems.append(f"{key} sofie_jit: served by {fig.get('tier_served')}")
    bases = {"sofie_interp": "sofie", "sofie_jit": "sofie", "ort": "ort", "ort_identity": "ort", "libtorch": "libtorch"}
    for base in sorted({bases[rt] for rt in runtimes}):
        if not doc["baseline_rss_mb"].get(base, 0) > 0:
            problems.append(f"no baseline RSS for {base}")
    for key in ("machine", "date", "versions"):
        if not doc.get(key):
            problems.append(f"results.json has no {key}")
    for plot in PLOTS:
        path = os.path.join(out, plot)
        if not (os.path.exists(path) and os.path.getsize(path) > 1000):
            problems.append(f"plot {plot} missing or empty")
    for p in problems:
        print(f"check_results: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_results: {len(expected)} rows x {len(runtimes)} runtimes, plots present")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
