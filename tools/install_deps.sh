#!/usr/bin/env bash
# Installs the Debian packages sofie's build and tests need. Idempotent: when everything is present it
# only checks (a second or so) and touches nothing. Run as root (or through sudo) on Debian 12.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap        # Bazel 4.2.3, used fully offline (see WORKSPACE)
  g++
  libabsl-dev            # Status, StatusOr, strings, containers
  libprotobuf-dev protobuf-compiler
  libonnx-dev            # onnx/onnx-ml.pb.h + libonnx_proto
  libblis-serial-dev     # BLIS without threads: sofie runs BLIS on the caller's thread
  libxxhash-dev
  catch2                 # Catch2 v2 (<catch2/catch.hpp>)
  llvm-16-dev libclang-cpp16-dev libclang-16-dev clang-16   # the JIT compiler (jit/compiler/)
  python3-numpy python3-onnx python3-torch   # test models and reference outputs (Debian's /usr/bin/python3)
  libtorch-dev python3-matplotlib nodejs     # the benchmark suite (tools/benchsuite/): LibTorch C++, plots, ORT in Node.js
)

missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm: Debian's package, unless the installed nodejs already brings one (NodeSource's does, and conflicts with it).
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install_deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) != 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
