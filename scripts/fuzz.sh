#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/) with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, seeds each target's corpus from the test data
# (tests/fuzz/seeds.txt) and fuzzes each target for SECONDS (default 120).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 pickle safetensors
#
# LISA_JOBS targets run at a time (default: the number of cores). The corpus grows across runs
# (build-fuzz/corpus/TARGET); a crash, leak or timeout leaves its input in build-fuzz/crashes/
# and makes the script fail. build-fuzz/summary.md gets executions and time per target.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_EACH="${1:-120}"
shift || true
ALL_TARGETS=(safetensors torch_zip pickle config reasonseg tokenizer image_probe)
TARGETS=("${@:-${ALL_TARGETS[@]}}")
BUILD="$ROOT/build-fuzz"
JOBS="${LISA_JOBS:-$(nproc)}"
say() { printf '\033[1m[fuzz]\033[0m %s\n' "$*"; }

# clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev).
fuzzer_runtime() { clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null; }
if ! command -v clang++ >/dev/null || [[ ! -f "$(fuzzer_runtime)" ]]; then
  say "installing clang and its libFuzzer runtime"
  SUDO=""; [[ $(id -u) != 0 ]] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi
scripts/setup.sh --no-build

source scripts/build_env.sh
START=$SECONDS
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  lisa_cmake_args "$ROOT"
  CXX=clang++ cmake -S "$ROOT/tests/fuzz" -B "$BUILD" "${LISA_CMAKE_COMMON[@]}" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1" -DLISA_WARNINGS_AS_ERRORS=ON
fi
nice -n 10 cmake --build "$BUILD" -j "$JOBS"
say "built in $((SECONDS - START)) s"

# Seed corpora: the files tests/fuzz/seeds.txt names (the data.pkl records are taken out of the
# .bin archives that the zip reader accepts).
seed_corpus() {
  local target="$1" corpus="$BUILD/corpus/$1"
  mkdir -p "$corpus"
  grep -v '^#' tests/fuzz/seeds.txt | while read -r name folder suffix record; do
    [[ "$name" == "$target" ]] || continue
    find "tests/data/$folder" -type f -name "*$suffix" | while read -r file; do
      local seed="$corpus/seed-$(echo "$file" | tr '/' '_')"
      if [[ -z "$record" ]]; then
        cp "$file" "$seed"
      else
        python3 - "$file" "$record" "$seed" <<'PY' || true
import sys, zipfile
path, record, seed = sys.argv[1:]
try:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(record):
                open(seed, "wb").write(archive.read(name))
                break
except (zipfile.BadZipFile, OSError, ValueError):
    pass
PY
      fi
    done
  done
}

run_target() {
  local target="$1" log="$BUILD/logs/$1.log"
  seed_corpus "$target"
  local scratch; scratch="$(mktemp -d "${TMPDIR:-/tmp}/lisa-fuzz-$target.XXXXXX")"
  local started=$SECONDS status=0
  TMPDIR="$scratch" nice -n 10 "$BUILD/fuzz_$target" "$BUILD/corpus/$target" \
      -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$BUILD/crashes/$target-" >"$log" 2>&1 || status=$?
  rm -rf "$scratch"
  local runs; runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  local verdict=clean; [[ $status != 0 ]] && verdict="FAILED (exit $status, see $log)"
  printf '| %s | %s | %s | %s | %s |\n' "$target" "${runs:-?}" "$((SECONDS - started))" \
      "$(find "$BUILD/corpus/$target" -type f | wc -l)" "$verdict" >"$BUILD/logs/$target.row"
  return "$status"
}

rm -rf "$BUILD/logs" && mkdir -p "$BUILD/logs" "$BUILD/crashes"
failed=0
running=0
for target in "${TARGETS[@]}"; do
  say "fuzzing $target for $SECONDS_EACH s"
  run_target "$target" &
  running=$((running + 1))
  if ((running >= JOBS)); then wait -n || failed=1; running=$((running - 1)); fi
done
while ((running > 0)); do wait -n || failed=1; running=$((running - 1)); done

{
  echo "| target | executions | seconds | corpus files | result |"
  echo "|---|---:|---:|---:|---|"
  for target in "${TARGETS[@]}"; do cat "$BUILD/logs/$target.row"; done
} >"$BUILD/summary.md"
cat "$BUILD/summary.md"
exit "$failed"
