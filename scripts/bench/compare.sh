#!/usr/bin/env bash
# Engine (`lisa bench`) vs reference (reference_bench.py: LISA's own evaluate()) on one random
# checkpoint, one photo and several answer lengths; prints a Markdown table of the stages and the
# peak memory with reference/engine ratios. Builds nothing: needs a built `lisa` (LISA_BIN) and the golden
# generator's Python (PYTHON: transformers 4.31 and LISA's checkout at LISA_REPO).
#
# Settings (environment, defaults for a CPU run):
#   PRESET=mid  DEVICE=cpu  PRECISION=fp32  DTYPE=fp32 (stored weights)  THREADS=2 (0: all cores)
#   REPS=3  WARMUP=1  ANSWER_TOKENS="8 64"  IMAGE=<photo>  PROMPT=<question>
#   REFERENCE_KV_CACHE=off  the reference's generation: off (LISA's settings, no KV cache), on
#                           (generate() with use_cache=True), or off,on (both, one reference
#                           process; the table then has a column pair for each)
#   MODELS_DIR=build/bench/models (git-ignored)  RESULTS_DIR=build/bench/results
#   SKELETON=<dir>  fill the checkpoint from a make_random_lisa.py --skeleton-only output
#   LISA_BIN=build/lisa  PYTHON=<python with the reference's packages>
# The checkpoint is made once (MODELS_DIR/PRESET-DTYPE) and reused.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/scripts/bench"

PRESET="${PRESET:-mid}"
DEVICE="${DEVICE:-cpu}"
PRECISION="${PRECISION:-fp32}"
DTYPE="${DTYPE:-$PRECISION}"
THREADS="${THREADS:-2}"
REPS="${REPS:-3}"
WARMUP="${WARMUP:-1}"
ANSWER_TOKENS="${ANSWER_TOKENS:-8 64}"
REFERENCE_KV_CACHE="${REFERENCE_KV_CACHE:-off}"
MODELS_DIR="${MODELS_DIR:-$ROOT/build/bench/models}"
RESULTS_DIR="${RESULTS_DIR:-$ROOT/build/bench/results}"
LISA_BIN="${LISA_BIN:-$ROOT/build/lisa}"
PROMPT="${PROMPT:-Can you segment the dog with the horn in this image? Please output segmentation mask.}"

source "$BENCH/reference_python.sh"
if [[ -z "${IMAGE:-}" ]]; then
  IMAGE="$ROOT/shared/images/dog_with_horn.jpg"
  for candidate in "$ROOT/shared/images/dog_with_horn.jpg" /work/shared/images/dog_with_horn.jpg \
                   "$ROOT/tests/data/golden/images/coffee.jpg"; do
    if [[ -f "$candidate" ]]; then IMAGE="$candidate"; break; fi
  done
fi

die() { echo "compare.sh: $*" >&2; exit 1; }
[[ -x "$LISA_BIN" ]] || die "no lisa binary at $LISA_BIN (build it first, or set LISA_BIN)"
"$LISA_BIN" bench --help >/dev/null 2>&1 || die "$LISA_BIN has no 'bench' command"
[[ -f "$IMAGE" ]] || die "image $IMAGE not found"
case "$REFERENCE_KV_CACHE" in
  off|on|off,on|on,off) ;;
  *) die "REFERENCE_KV_CACHE must be off, on or off,on (got '$REFERENCE_KV_CACHE')" ;;
esac

CKPT="$MODELS_DIR/$PRESET-$DTYPE"
if [[ ! -f "$CKPT/lisa/config.json" || ! -f "$CKPT/clip/model.safetensors" ]]; then
  rm -rf "$CKPT.partial"
  if [[ -n "${SKELETON:-}" ]]; then
    "$PYTHON" "$BENCH/make_random_lisa.py" --from-skeleton "$SKELETON" --out "$CKPT.partial"
  else
    "$PYTHON" "$BENCH/make_random_lisa.py" --preset "$PRESET" --dtype "$DTYPE" --out "$CKPT.partial"
  fi
  rm -rf "$CKPT"
  mv "$CKPT.partial" "$CKPT"
fi

mkdir -p "$RESULTS_DIR"
if (( THREADS > 0 )); then export OMP_NUM_THREADS="$THREADS"; fi
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -n), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "checkpoint: $CKPT ($PRESET, stored $DTYPE); image: $IMAGE; device $DEVICE, $PRECISION, $THREADS threads"
  echo "reference KV cache: $REFERENCE_KV_CACHE"
  echo "prompt: $PROMPT"
} | tee "$RESULTS_DIR/context.txt"

table_args=()
for n in $ANSWER_TOKENS; do
  engine_cmd=("$LISA_BIN" bench -m "$CKPT/lisa" --vision-tower "$CKPT/clip" -i "$IMAGE" -p "$PROMPT"
              -r "$REPS" -w "$WARMUP" -n "$n" -o json --device "$DEVICE" --precision "$PRECISION"
              --threads "$THREADS")
  echo "engine:    $(printf '%q ' "${engine_cmd[@]}")" | tee -a "$RESULTS_DIR/context.txt"
  "${engine_cmd[@]}" >"$RESULTS_DIR/engine-n$n.json" 2>"$RESULTS_DIR/engine-n$n.log" \
    || { cat "$RESULTS_DIR/engine-n$n.log" >&2; die "lisa bench failed (n=$n)"; }
  table_args+=("n=$n" "$RESULTS_DIR/engine-n$n.json")
  if [[ ",$REFERENCE_KV_CACHE," == *,off,* ]]; then table_args+=("$RESULTS_DIR/reference-n$n.json"); fi
  if [[ ",$REFERENCE_KV_CACHE," == *,on,* ]]; then table_args+=("$RESULTS_DIR/reference-kv-n$n.json"); fi
done
# One reference process for every length and variant: loading the reference model is slow.
lengths="$(echo $ANSWER_TOKENS | tr ' ' ',')"
reference_cmd=("$PYTHON" "$BENCH/reference_bench.py" --model "$CKPT/lisa" --vision-tower "$CKPT/clip"
               --image "$IMAGE" --prompt "$PROMPT" -r "$REPS" -w "$WARMUP" -n "$lengths" -o md
               --json-dir "$RESULTS_DIR" --device "$DEVICE" --precision "$PRECISION" --threads "$THREADS"
               --kv-cache "$REFERENCE_KV_CACHE")
echo "reference: $(printf '%q ' "${reference_cmd[@]}")" | tee -a "$RESULTS_DIR/context.txt"
"${reference_cmd[@]}" >"$RESULTS_DIR/reference.md" 2>"$RESULTS_DIR/reference.log" \
  || { tail -30 "$RESULTS_DIR/reference.log" >&2; die "reference_bench.py failed"; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS_DIR/context.txt"
echo
"$PYTHON" "$BENCH/compare_table.py" "${table_args[@]}" | tee "$RESULTS_DIR/table.md"
