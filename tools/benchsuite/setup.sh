#!/usr/bin/env bash
# The benchmark suite's own set-up: ONNX Runtime for Node.js into tools/benchsuite/ort/node_modules (ignored
# by git), at the version pinned in ort/package.json and package-lock.json. --ignore-scripts: the package's
# install script would try a download; the CPU library it needs ships in the package itself.
# Quick and silent when it is already installed.
set -euo pipefail
cd "$(dirname "$0")/ort"
if [[ -f node_modules/onnxruntime-node/package.json ]] &&
   node -e "require('onnxruntime-node')" 2>/dev/null; then
  exit 0
fi
command -v npm >/dev/null || { echo "setup.sh: npm is missing (tools/install_deps.sh installs it)" >&2; exit 1; }
echo "setup.sh: installing onnxruntime-node with npm" >&2
if [[ -f package-lock.json ]]; then
  npm ci --ignore-scripts --no-audit --no-fund
else
  npm install --ignore-scripts --no-audit --no-fund
fi
