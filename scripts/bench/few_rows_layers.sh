#!/usr/bin/env bash
# The linear layers of a decoding step alone, the engine's few-rows kernel against libtorch's GEMM,
# at B = 1, 2, 4, 8, 16 rows (issue 15): runs the disabled test FewRowsLinearBench.DISABLED_Report
# (tests/unit/test_few_rows_linear_bench.cpp) and prints its Markdown table.
#   scripts/bench/few_rows_layers.sh [mid|7b] [THREADS] [fp32|bf16]
#   (default: mid 2 fp32; needs build/tests/lisa_tests)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTS="${LISA_TESTS_BIN:-$ROOT/build/tests/lisa_tests}"
[[ -x "$TESTS" ]] || { echo "few_rows_layers.sh: no test binary at $TESTS (run scripts/setup.sh)" >&2; exit 1; }
export LISA_BENCH_SHAPES="${1:-mid}" LISA_BENCH_THREADS="${2:-2}" OMP_NUM_THREADS="${2:-2}" LISA_BENCH_DTYPE="${3:-fp32}"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$TESTS" --gtest_also_run_disabled_tests --gtest_filter='FewRowsLinearBench.DISABLED_Report' | grep -E '^(\||\[ few-rows \])'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
