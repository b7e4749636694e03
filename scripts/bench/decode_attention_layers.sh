#!/usr/bin/env bash
# The attention of a decoding step alone, the engine's kernel against SDPA row by row, at B = 1, 2, 4,
# 8, 16 sequences of the mid preset (issue 15): runs the disabled test DecodeAttentionBench.DISABLED_Report
# (tests/unit/test_decode_attention_bench.cpp) and prints its Markdown table.
#   scripts/bench/decode_attention_layers.sh [fp32|bf16] [SPAN] [THREADS]
#   (default: fp32 330 2; needs build/tests/lisa_tests)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTS="${LISA_TESTS_BIN:-$ROOT/build/tests/lisa_tests}"
[[ -x "$TESTS" ]] || { echo "decode_attention_layers.sh: no test binary at $TESTS (run scripts/setup.sh)" >&2; exit 1; }
export LISA_BENCH_DTYPE="${1:-fp32}" LISA_BENCH_SPAN="${2:-330}" LISA_BENCH_THREADS="${3:-2}" OMP_NUM_THREADS="${3:-2}"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$TESTS" --gtest_also_run_disabled_tests --gtest_filter='DecodeAttentionBench.DISABLED_Report' | grep -E '^(\||\[ attention \])'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
