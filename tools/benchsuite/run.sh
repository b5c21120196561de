#!/usr/bin/env bash
# Runs the whole benchmark suite with one command, from any directory of the repository:
#
#   tools/benchsuite/run.sh [--quick] [more suite.py flags, e.g. --repeats 5 --models mlp,conv2d]
#
# Sets up ONNX Runtime (setup.sh), builds the sofie and LibTorch runners with Bazel, then runs suite.py with
# Debian's Python. The full run writes tools/benchsuite/results/ (results.md, results.json, PNG plots; these
# are committed); --quick (a few models, one repeat, under two minutes) writes tools/benchsuite/work/quick/
# instead, so it never overwrites the published results. Models and scratch files go to tools/benchsuite/work/
# (ignored by git). Needs the packages of tools/install_deps.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

out="$here/results"
for arg in "$@"; do
  if [[ "$arg" == "--quick" ]]; then out="$here/work/quick"; fi
done

"$here/setup.sh"
bazel build //tools/benchsuite:sofie_runner //tools/benchsuite:libtorch_runner
bin="$(bazel info bazel-bin 2>/dev/null)/tools/benchsuite"
exec /usr/bin/python3 "$here/suite.py" --out "$out" --work "$here/work" \
  --sofie-runner "$bin/sofie_runner" --libtorch-runner "$bin/libtorch_runner" "$@"
