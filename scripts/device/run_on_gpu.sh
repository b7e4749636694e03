#!/usr/bin/env bash
# Runs on the GPU machine (H100/H200), in the repository root, with .bundle/ carried (bundle.sh):
#   deps   unpack the bundled static libraries (or build them from the bundled sources when the
#          compiler is older than g++ 12, which built the archives)
#   build  configure with the machine's own torch (CUDA), CMAKE_CUDA_ARCHITECTURES=90, ninja
#   test   the test suite (ctest)
#   bench  make_random_lisa.py (7b preset, from the bundled skeleton, bf16), then `lisa bench` and
#          reference_bench.py (LISA's evaluate() under transformers 4.31 from the bundled wheels,
#          without and with the KV cache) at bf16 on cuda, 8- and 64-token answers; table of
#          reference/engine ratios per stage and of peak GPU memory
#
#   scripts/device/run_on_gpu.sh            all stages
#   STAGES="deps build test" scripts/device/run_on_gpu.sh
#
# Everything is logged under $OUT (the device tool brings back at most 8 files): run.log, env.txt,
# ctest.log, table.md, results.tar.gz (bench JSON + logs). BUDGET_S (default 540) bounds the whole
# run, so it ends inside the tool's 10-minute limit: a stage that would start with too little time
# left is skipped and said so. The build folder (build-gpu/) and the checkpoint
# (build-gpu/bench/models) stay on a warm machine, so a second call skips what is done.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export OUT="${OUT:-$ROOT/build-gpu/out}"
export STAGES="${STAGES:-deps build test bench}"
export BUDGET_S="${BUDGET_S:-540}"
export JOBS="${JOBS:-$(nproc)}"
export DEPS="${DEPS_PREFIX:-/tmp/lisa-deps}"
export BUILD="$ROOT/build-gpu"
export BUNDLE="$ROOT/.bundle"
export PY="${PYTHON:-python3}"
export TEST_SHARDS="${TEST_SHARDS:-8}"  # gtest shards run as parallel ctest entries
START=$SECONDS
say() { printf '[run_on_gpu %4ds] %s\n' "$((SECONDS - START))" "$*"; }
left() { echo $((BUDGET_S - (SECONDS - START))); }
wants() { [[ " $STAGES " == *" $1 "* ]]; }
# runs "$@" under a timeout of min(cap, time left - margin); skips it when under `need` seconds remain
bounded() {
  local name="$1" cap="$2" need="$3"; shift 3
  local budget=$(( $(left) - 15 ))
  (( budget < cap )) || budget=$cap
  if (( budget < need )); then say "SKIPPED $name: ${budget}s left, needs ${need}s"; return 99; fi
  say "$name (at most ${budget}s)"
  timeout --kill-after=10 "$budget" "$@"
  local rc=$?
  (( rc == 0 )) && say "$name: ok" || say "$name: FAILED (exit $rc)"
  return $rc
}

deps_stage() {
  if [[ -f "$DEPS/.ready" ]]; then say "deps already in $DEPS"; return 0; fi
  rm -rf "$DEPS" && mkdir -p "$DEPS" || return 1
  if (( gxx_major >= 12 )); then
    tar -C "$DEPS" -xJf "$BUNDLE/deps-prefix.tar.xz" || return 1
  else
    say "g++ $gxx_major < 12: building the dependencies from the bundled sources"
    mkdir -p /tmp/lisa-deps-src && tar -C /tmp/lisa-deps-src -xJf "$BUNDLE/deps-src.tar.xz" || return 1
    scripts/device/build_deps.sh /tmp/lisa-deps-src "$DEPS" "$JOBS" || return 1
    # header-only deps and gtest come from the prebuilt archive either way
    tar -C "$DEPS" -xJf "$BUNDLE/deps-prefix.tar.xz" ./include/gtest ./include/gmock ./include/nlohmann \
      ./include/CLI ./lib/x86_64-linux-gnu ./share/cmake || return 1
  fi
  touch "$DEPS/.ready"
}

build_stage() {
  local torch_prefix
  torch_prefix="$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$DEPS" -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DLISA_SENTENCEPIECE_ROOT="$DEPS" -DOpenCV_DIR="$DEPS/lib/cmake/opencv4" \
    -DGTest_DIR="$DEPS/lib/x86_64-linux-gnu/cmake/GTest" -DCLI11_DIR="$DEPS/share/cmake/CLI11" \
    -Dnlohmann_json_DIR="$DEPS/share/cmake/nlohmann_json" -DLISA_TEST_SHARDS="$TEST_SHARDS" && \
  cmake --build "$BUILD" -j "$JOBS"
}

test_stage() {
  (cd "$BUILD" && ctest --output-on-failure -j "$TEST_SHARDS") >"$OUT/ctest.log" 2>&1
  local rc=$?
  tail -5 "$OUT/ctest.log"
  return $rc
}

bench_stage() {
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/lisa-site \
    "$BUNDLE"/wheels/*.whl || return 1
  PYTHONPATH="/tmp/lisa-site${PYTHONPATH:+:$PYTHONPATH}" LISA_REPO="$BUNDLE/LISA" PYTHON="$PY" \
  PRESET=7b DTYPE=bf16 DEVICE=cuda PRECISION=bf16 THREADS=0 REPS="${REPS:-3}" WARMUP=1 \
  ANSWER_TOKENS="${ANSWER_TOKENS:-8 64}" REFERENCE_KV_CACHE="${REFERENCE_KV_CACHE:-off,on}" SKELETON="$BUNDLE/lisa-7b-skeleton" \
  IMAGE="$BUNDLE/images/dog_with_horn.jpg" LISA_BIN="$BUILD/lisa" \
  MODELS_DIR="$BUILD/bench/models" RESULTS_DIR="$BUILD/bench/results" \
    scripts/bench/compare.sh
  local rc=$?
  # What the CUDA graph of the decoding step buys: the engine again, launching every kernel.
  if (( rc == 0 )); then
    local ckpt="$BUILD/bench/models/7b-bf16"
    "$BUILD/lisa" bench -m "$ckpt/lisa" --vision-tower "$ckpt/clip" -i "$BUNDLE/images/dog_with_horn.jpg" \
      -r "${REPS:-3}" -w 1 -n 64 -o json --device cuda --precision bf16 --no-cuda-graphs \
      >"$BUILD/bench/results/engine-nographs-n64.json" 2>"$BUILD/bench/results/engine-nographs-n64.log" || rc=1
  fi
  cp "$BUILD/bench/results/table.md" "$OUT/table.md" 2>/dev/null
  tar -C "$BUILD/bench" -czf "$OUT/results.tar.gz" results 2>/dev/null
  return $rc
}

# A stage runs in a child process of this script, so that `timeout` can bound it.
if [[ "${1:-}" == "--stage" ]]; then
  gxx_major="$(g++ -dumpversion | cut -d. -f1)"
  "${2}_stage"
  exit $?
fi

mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  g++ --version | head -1
  cmake --version | head -1
  nvcc --version 2>/dev/null | tail -1
  "$PY" -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda)'
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

status=0
for stage in deps build test bench; do
  wants "$stage" || continue
  case "$stage" in
    deps) cap=240 need=20 ;;
    build) cap=330 need=60 ;;
    test) cap=180 need=60 ;;
    bench) cap=420 need=150 ;;
  esac
  bounded "$stage" "$cap" "$need" "$0" --stage "$stage" || status=1
done
say "finished (status $status); files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
exit $status
