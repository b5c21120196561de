#!/usr/bin/env bash
# gnn.py on a small bench_gnn CSV (testdata/, a slice of a real run) and a small suite results.json: the GNN
# rows must land in results.json, results.md (after the suite's tables, which stay) and gnn_summary.md, and
# the CSV under gnn/. No plots (they need tools/gnn's plotter) and nothing about speed.
set -euo pipefail
src="${TEST_SRCDIR}/sofie/tools/benchsuite"
out="${TEST_TMPDIR}/results"
mkdir -p "${out}"
cp "${src}/testdata/results_min.json" "${out}/results.json"
chmod u+w "${out}/results.json"
for pass in 1 2; do  # a second merge replaces the first
  /usr/bin/python3 "${src}/gnn.py" --csv "${src}/testdata/bench_gnn_small.csv" --out "${out}" --no-plots
done
/usr/bin/python3 - "${out}" <<'PY'
import json, os, sys
out = sys.argv[1]
doc = json.load(open(os.path.join(out, "results.json")))
md = open(os.path.join(out, "results.md")).read()
summary = open(os.path.join(out, "gnn_summary.md")).read()
problems = []
rows = {(r["model"], r["size"]): r for r in doc["gnn"]["rows"]}
expected = [("message_passing", 10), ("message_passing", 20), ("atlas_tracks", 5), ("atlas_tracks", 10),
            ("atlas_tracks", 20), ("lhcb_toy", 10)]
if sorted(rows) != sorted(expected):
    problems.append(f"GNN rows {sorted(rows)}")
mp = rows.get(("message_passing", 10))
if mp and abs(mp["sofie_over_ort"] - 14.16 / 58.99) > 1e-9:
    problems.append(f"sofie/ORT of message_passing 10: {mp['sofie_over_ort']}")
if rows.get(("lhcb_toy", 10), {}).get("sofie_over_ort", 0) is not None:
    problems.append("lhcb_toy has no ONNX Runtime figure, yet a ratio")
if md.count("## Graph neural networks") != 1:
    problems.append("results.md: not one GNN section")
for model, size in expected:
    if md.count(f"| {model} | {size}") != 1:
        problems.append(f"results.md: ({model}, {size}) not once")
for key in ([(r["model"], r["batch"]) for r in doc["rows"]]):
    if md.count(f"| {key[0]} | {key[1]} |") != 2:
        problems.append(f"results.md: suite row {key} lost")
# The README's short table: smallest, middle and largest size of each model.
for model, size in [("message_passing", 10), ("message_passing", 20), ("atlas_tracks", 5), ("atlas_tracks", 10),
                    ("atlas_tracks", 20), ("lhcb_toy", 10)]:
    if summary.count(f"| {model} | {size}") != 1:
        problems.append(f"gnn_summary.md: ({model}, {size}) not once")
if not os.path.exists(os.path.join(out, "gnn", "bench_gnn.csv")):
    problems.append("no gnn/bench_gnn.csv")
for p in problems:
    print("gnn_merge_test:", p)
sys.exit(1 if problems else 0)
PY
