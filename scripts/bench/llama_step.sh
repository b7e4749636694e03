#!/usr/bin/env bash
# A batched decoding step of the mid preset's LLaMA alone, at B = 1 and 8 sequences (issue 15): runs
# the disabled test LlamaStepBench.DISABLED_Report (tests/unit/test_llama_step_bench.cpp) and prints
# its Markdown table. No SAM, CLIP or prefill in the timing, so `perf record` of this script profiles
# decoding alone (LISA_BENCH_BATCHES=8 for B = 8 only).
#   scripts/bench/llama_step.sh [bf16|fp32] [SPAN] [STEPS] [THREADS]
#   (default: bf16 330 64 2; needs build/tests/lisa_tests)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTS="${LISA_TESTS_BIN:-$ROOT/build/tests/lisa_tests}"
[[ -x "$TESTS" ]] || { echo "llama_step.sh: no test binary at $TESTS (run scripts/setup.sh)" >&2; exit 1; }
export LISA_BENCH_DTYPE="${1:-bf16}" LISA_BENCH_SPAN="${2:-330}" LISA_BENCH_STEPS="${3:-64}"
export LISA_BENCH_THREADS="${4:-2}" OMP_NUM_THREADS="${4:-2}"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$TESTS" --gtest_also_run_disabled_tests --gtest_filter='LlamaStepBench.DISABLED_Report' | grep -E '^(\||\[ llama step \])'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
