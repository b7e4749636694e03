#!/usr/bin/env bash
# Builds everything with one sanitizer into its own folder and runs the whole suite there.
#
#   scripts/sanitize.sh address|undefined|thread|address,undefined [ctest options...]
#
# Folders: build-asan, build-ubsan, build-tsan, build-asan-ubsan (git-ignored). Each is a full
# build (own compile flags; ccache helps from the second run). Every report a sanitizer makes, in
# the test binary or in a `lisa` process a test starts, is written to <folder>/sanitizer-logs/;
# the run fails when that folder is not empty after the suite, even if every test passed.
# See docs/reliability.md for what each mode covers and the suppressions used.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODE="${1:-}"
case "$MODE" in
  address) BUILD=build-asan ;;
  undefined) BUILD=build-ubsan ;;
  thread) BUILD=build-tsan ;;
  address,undefined) BUILD=build-asan-ubsan ;;
  *) echo "usage: scripts/sanitize.sh address|undefined|thread|address,undefined [ctest options...]" >&2; exit 2 ;;
esac
shift
BUILD="$ROOT/$BUILD"
LOGS="$BUILD/sanitizer-logs"
say() { printf '\033[1m[sanitize %s]\033[0m %s\n' "$MODE" "$*"; }

scripts/setup.sh --no-build
source scripts/build_env.sh
START=$SECONDS
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  lisa_cmake_args "$ROOT"
  # -O1: fast enough for the suite, and the reports' line numbers still point at the right code.
  cmake -S "$ROOT" -B "$BUILD" "${LISA_CMAKE_COMMON[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DLISA_SANITIZE="$MODE" -DLISA_WARNINGS_AS_ERRORS=ON
fi
JOBS="${LISA_JOBS:-$(nproc)}"
nice -n 10 cmake --build "$BUILD" -j "$JOBS"
say "built in $((SECONDS - START)) s"

rm -rf "$LOGS" && mkdir -p "$LOGS"
common="log_path=$LOGS/report:print_stacktrace=1"
# LeakSanitizer runs at exit; scripts/lsan.supp may only name allocations inside the dependencies.
# allocator_may_return_null: an impossible allocation fails as it does without ASan (null, so
# libtorch throws) instead of aborting; the suite checks that out-of-memory is reported per item.
export ASAN_OPTIONS="$common:detect_leaks=1:check_initialization_order=1:strict_init_order=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="$common:halt_on_error=1"
export TSAN_OPTIONS="$common:halt_on_error=1:second_deadlock_stack=1:allocator_may_return_null=1:suppressions=$ROOT/scripts/tsan.supp"
# libtorch's OpenMP threads synchronise inside the uninstrumented libgomp, which ThreadSanitizer
# cannot see: one OpenMP thread, so parallel_for bodies run on the thread that calls them (the
# tests' engines use one thread already). docs/reliability.md says what that leaves unchecked.
if [[ $MODE == thread ]]; then export OMP_NUM_THREADS=1; fi

START=$SECONDS
status=0
(cd "$BUILD" && ctest --output-on-failure -j "$JOBS" "$@") || status=$?
say "suite ran in $((SECONDS - START)) s (ctest exit $status)"
# With allocator_may_return_null, ASan and TSan note each impossible allocation they refused (the
# suite makes one on purpose): a log holding only such notes is not a finding.
for report in "$LOGS"/report*; do
  [[ -f "$report" ]] || continue
  if ! grep -qv -E -e '^==[0-9]*==WARNING: (Address|Thread)Sanitizer failed to allocate 0x[0-9a-f]* bytes$' -e '^$' "$report"; then
    say "expected: $(head -1 "$report")"
    rm "$report"
  fi
done
if compgen -G "$LOGS/report*" >/dev/null; then
  say "sanitizer reports:"
  for report in "$LOGS"/report*; do echo "== $report"; head -60 "$report"; done
  exit 1
fi
say "no sanitizer report"
exit "$status"
