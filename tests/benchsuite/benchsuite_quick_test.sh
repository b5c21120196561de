#!/usr/bin/env bash
# Runs `suite.py --quick` on the sofie runner (both tiers), then checks the results it wrote.
set -euo pipefail
src="${TEST_SRCDIR}/sofie"
out="${TEST_TMPDIR}/results"
work="${TEST_TMPDIR}/work"
export MPLCONFIGDIR="${TEST_TMPDIR}/matplotlib"  # matplotlib wants a writable config folder
export HOME="${HOME:-${TEST_TMPDIR}}"

/usr/bin/python3 "${src}/tools/benchsuite/suite.py" --quick --runtimes sofie_interp,sofie_jit \
  --seconds 0.05 --out "${out}" --work "${work}" --sofie-runner "${src}/tools/benchsuite/sofie_runner"
/usr/bin/python3 "${src}/tests/benchsuite/check_results.py" "${out}" sofie_interp,sofie_jit
