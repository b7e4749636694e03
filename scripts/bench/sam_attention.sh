#!/usr/bin/env bash
# SAM's global attention alone, the engine's blocked computation against SDPA with the whole
# relative-position bias (its path before), for the mid preset's and ViT-H's global layers in fp32 and
# bf16: runs the disabled test SamAttentionBench.DISABLED_Report (tests/unit/test_sam_attention_bench.cpp)
# and prints its Markdown table.
#   scripts/bench/sam_attention.sh [THREADS]   (default 2; needs build/tests/lisa_tests)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTS="${LISA_TESTS_BIN:-$ROOT/build/tests/lisa_tests}"
[[ -x "$TESTS" ]] || { echo "sam_attention.sh: no test binary at $TESTS (run scripts/setup.sh)" >&2; exit 1; }
export LISA_BENCH_THREADS="${1:-2}" OMP_NUM_THREADS="${1:-2}"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$TESTS" --gtest_also_run_disabled_tests --gtest_filter='SamAttentionBench.DISABLED_Report' | grep -E '^(\||\[ sam attention \])'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
