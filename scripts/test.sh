#!/usr/bin/env bash
# Runs the whole test suite. Builds first (through the idempotent setup), so it works on a
# fresh clone too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" "$@"
cd "$ROOT/build"
ctest --output-on-failure -j "${LISA_JOBS:-$(nproc)}"
