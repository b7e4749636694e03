#!/usr/bin/env bash
# Batched answering's throughput on this CPU (issue 15): `lisa bench --batch-size B` on the random
# 'mid' checkpoint (build/bench/models/mid-fp32, as compare_cpu.sh makes it), one photo opened
# once per question (CLIP and the SAM encoder run for every question), a forced mask per question,
# exactly ANSWER_TOKENS tokens per answer. Prints a Markdown table: decode tokens/s summed over the
# batch and questions (images) per minute end to end, per precision and batch size. Builds nothing.
#
# CPU_LINEARS="few-rows gemm" also runs every case with libtorch's GEMM for the decoding steps'
# products (`lisa bench --cpu-linear gemm`), for comparison in the same run; ratios are to the first.
# CPU_ATTENTIONS="kernel sdpa" does the same for the decoding steps' attention (`--cpu-attention sdpa`).
#
# ROUNDS=N runs the whole sweep N times, one after the other, so that a slow spell of a shared
# machine hits every case alike; each ratio is taken within its round, and the table gives the mean
# over rounds with its smallest and largest value.
#
# Settings (environment): PRECISIONS="fp32 bf16"  BATCH_SIZES="1 2 4 8 16"  ANSWER_TOKENS=64  ROUNDS=1
#   CPU_LINEARS="few-rows"  CPU_ATTENTIONS="kernel"
#   THREADS=2  REPS=2  WARMUP=1  IMAGE=<photo>  PROMPT=<question>  LISA_BIN=build/lisa
#   MODELS_DIR=build/bench/models  RESULTS_DIR=build/bench/results/batch
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/scripts/bench"
PRECISIONS="${PRECISIONS:-fp32 bf16}"
BATCH_SIZES="${BATCH_SIZES:-1 2 4 8 16}"
CPU_LINEARS="${CPU_LINEARS:-few-rows}"
CPU_ATTENTIONS="${CPU_ATTENTIONS:-kernel}"
ANSWER_TOKENS="${ANSWER_TOKENS:-64}"
THREADS="${THREADS:-2}"
REPS="${REPS:-2}"
ROUNDS="${ROUNDS:-1}"
WARMUP="${WARMUP:-1}"
LISA_BIN="${LISA_BIN:-$ROOT/build/lisa}"
MODELS_DIR="${MODELS_DIR:-$ROOT/build/bench/models}"
RESULTS_DIR="${RESULTS_DIR:-$ROOT/build/bench/results/batch}"
PROMPT="${PROMPT:-Can you segment the dog with the horn in this image? Please output segmentation mask.}"
source "$BENCH/reference_python.sh"
[[ -n "${IMAGE:-}" ]] || IMAGE="$ROOT/shared/images/dog_with_horn.jpg"
[[ -f "$IMAGE" ]] || IMAGE=/work/shared/images/dog_with_horn.jpg
die() { echo "batch_throughput.sh: $*" >&2; exit 1; }
[[ -x "$LISA_BIN" ]] || die "no lisa binary at $LISA_BIN (build it first, or set LISA_BIN)"
"$LISA_BIN" bench --help 2>/dev/null | grep -q -- --batch-size || die "$LISA_BIN bench has no --batch-size"
[[ -f "$IMAGE" ]] || die "image $IMAGE not found (set IMAGE)"
CKPT="$MODELS_DIR/mid-fp32"  # bf16 runs convert it at load
[[ -f "$CKPT/lisa/config.json" && -f "$CKPT/clip/model.safetensors" ]] ||
  die "no checkpoint at $CKPT: make it with scripts/bench/compare_cpu.sh (once) or" \
      "make_random_lisa.py --preset mid --dtype fp32 --out $CKPT"

mkdir -p "$RESULTS_DIR"
if (( THREADS > 0 )); then export OMP_NUM_THREADS="$THREADS"; fi
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$RESULTS_DIR/context.txt"
for round in $(seq 1 "$ROUNDS"); do
for precision in $PRECISIONS; do
  for linear in $CPU_LINEARS; do
  for attention in $CPU_ATTENTIONS; do
  for batch in $BATCH_SIZES; do
    command=("$LISA_BIN" bench -m "$CKPT/lisa" --vision-tower "$CKPT/clip" -i "$IMAGE" -p "$PROMPT"
             -r "$REPS" -w "$WARMUP" -n "$ANSWER_TOKENS" -o json --device cpu --precision "$precision"
             --threads "$THREADS" --batch-size "$batch" --cpu-linear "$linear"
             --cpu-attention "$attention")
    echo "${command[*]}" >> "$RESULTS_DIR/context.txt"
    "${command[@]}" > "$RESULTS_DIR/$precision-$linear-$attention-b$batch-r$round.json"
    echo "  round $round: $precision $linear $attention B=$batch done at $(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RESULTS_DIR/context.txt"
  done
  done
  done
done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS_DIR/context.txt"

"$PYTHON" - "$RESULTS_DIR" "$ROUNDS" $PRECISIONS -- $CPU_LINEARS -- $CPU_ATTENTIONS -- $BATCH_SIZES <<'PY'
import itertools, json, statistics, sys
from pathlib import Path
rounds = range(1, int(sys.argv[2]) + 1)
args = sys.argv[3:]
axes, current = [], []
for arg in args + ["--"]:
    if arg == "--":
        axes.append(current)
        current = []
    else:
        current.append(arg)
precisions, linears, attentions, batches = axes
results = Path(sys.argv[1])

def summary(values):
    mean = statistics.fmean(values)
    return f"{mean:.2f}" if len(values) == 1 else f"{mean:.2f} ({min(values):.2f}-{max(values):.2f})"

print("| precision | CPU linear | CPU attention | B | decode tok/s (sum over batch) | x first B=1 | images/min | x first B=1 | decode ms per step |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|")
for precision in precisions:
    reports = {}
    for linear, attention, batch, r in itertools.product(linears, attentions, batches, rounds):
        reports[linear, attention, batch, r] = json.loads(
            (results / f"{precision}-{linear}-{attention}-b{batch}-r{r}.json").read_text())
    first = (linears[0], attentions[0], batches[0])
    for linear, attention in itertools.product(linears, attentions):
        for batch in batches:
            runs = [reports[linear, attention, batch, r] for r in rounds]
            bases = [reports[first + (r,)] for r in rounds]
            rate = [run["decode_tokens_per_s"]["mean"] for run in runs]
            images = [run["images_per_minute"]["mean"] for run in runs]
            rate_ratio = [run["decode_tokens_per_s"]["mean"] / base["decode_tokens_per_s"]["mean"] for run, base in zip(runs, bases)]
            image_ratio = [run["images_per_minute"]["mean"] / base["images_per_minute"]["mean"] for run, base in zip(runs, bases)]
            steps = runs[0]["answer_tokens"] - 1
            step_ms = [run["stages"]["decode"]["mean_ms"] / steps for run in runs] if steps > 0 else [float("nan")]
            # fp32 and bf16 only: fp16 uses libtorch's kernels whatever --cpu-linear / --cpu-attention say.
            used = runs[0].get("cpu_linear", linear) + " | " + runs[0].get("cpu_attention", attention)
            print(f"| {precision} | {used} | {batch} | {summary(rate)} | {summary(rate_ratio)} | {summary(images)} "
                  f"| {summary(image_ratio)} | {summary(step_ms)} |")
PY
