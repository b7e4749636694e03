#!/usr/bin/env bash
# Engine vs reference on this CPU: the random 'mid' checkpoint (made under build/bench/models if
# missing), a real photo, an 8-token and a 64-token answer, fp32, 2 threads. Builds nothing:
# build `lisa` first. Any setting of compare.sh can be overridden through the environment.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PRESET="${PRESET:-mid}" DEVICE=cpu PRECISION="${PRECISION:-fp32}" THREADS="${THREADS:-2}"
export ANSWER_TOKENS="${ANSWER_TOKENS:-8 64}" REPS="${REPS:-3}"
exec "$HERE/compare.sh" "$@"
