#!/usr/bin/env bash
# Runs the whole benchmark suite with one command, from any directory of the repository:
#
#   tools/benchsuite/run.sh [--quick] [--no-gnn] [more suite.py flags, e.g. --repeats 5 --models mlp,conv2d]
#   tools/benchsuite/run.sh --gnn-only
#
# Sets up ONNX Runtime (setup.sh), builds the sofie and LibTorch runners with Bazel, then runs suite.py with
# Debian's Python. The full run writes tools/benchsuite/results/ (results.md, results.json, PNG plots; these
# are committed); --quick (a few models, one repeat, under two minutes) writes tools/benchsuite/work/quick/
# instead, so it never overwrites the published results. Models and scratch files go to tools/benchsuite/work/
# (ignored by git). Needs the packages of tools/install_deps.sh.
#
# The full run then runs the GNN benchmark of tools/gnn (bench_gnn: time and peak memory versus graph size,
# sofie's interpreter and JIT against LibTorch and ONNX Runtime) and merges it with gnn.py: its rows go into
# results.md and results.json, a short table into gnn_summary.md, its CSV and plots (tools/gnn's
# plot_gnn_bench.py) into results/gnn/. --no-gnn skips that part (the previous GNN part of results.json is
# kept); --gnn-only runs just that part, into the existing results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

out="$here/results"
quick=0 gnn=1 suite=1
suite_args=()
for arg in "$@"; do
  case "$arg" in
    --quick) out="$here/work/quick"; quick=1; gnn=0; suite_args+=("$arg") ;;
    --no-gnn) gnn=0 ;;
    --gnn-only) suite=0 ;;
    *) suite_args+=("$arg") ;;
  esac
done
if [[ $suite == 0 && ( $quick == 1 || $gnn == 0 || ${#suite_args[@]} -gt 0 ) ]]; then
  echo "run.sh: --gnn-only takes no other flag" >&2
  exit 2
fi

"$here/setup.sh"
targets=()
[[ $suite == 1 ]] && targets+=(//tools/benchsuite:sofie_runner //tools/benchsuite:libtorch_runner)
[[ $gnn == 1 ]] && targets+=(//tools/gnn:bench_gnn)
bazel build "${targets[@]}"

if [[ $suite == 1 ]]; then
  bin="$(bazel info bazel-bin 2>/dev/null)/tools/benchsuite"
  /usr/bin/python3 "$here/suite.py" --out "$out" --work "$here/work" \
    --sofie-runner "$bin/sofie_runner" --libtorch-runner "$bin/libtorch_runner" "${suite_args[@]}"
fi

if [[ $gnn == 1 ]]; then
  # bench_gnn: one process per (model, tier, size); its JIT processes are served by sofie's on-disk cache,
  # here an empty one of this run (filled by bench_gnn's untimed first run per model).
  gnn_work="$here/work/gnn"
  rm -rf "$gnn_work"
  mkdir -p "$gnn_work/jit-cache"
  echo "run.sh: GNN benchmark (tools/gnn bench_gnn), a few minutes" >&2
  SOFIE_CACHE_DIR="$gnn_work/jit-cache" bazel run //tools/gnn:bench_gnn -- \
    --out "$gnn_work/bench_gnn.csv" --ort-module "$here/ort/node_modules/onnxruntime-node"
  /usr/bin/python3 "$here/gnn.py" --csv "$gnn_work/bench_gnn.csv" --out "$out"
fi
