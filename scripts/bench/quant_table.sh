#!/usr/bin/env bash
# Quantized LLM weights on this CPU (issue 12): `lisa bench` on one random checkpoint, each mode in
# its own process, so that every row's peak resident memory and load time are that mode's alone:
#   bf16        the checkpoint as it is (--quantize none)
#   int8, int4  quantized at load from the same checkpoint (--quantize int8|int4)
#   int8 file, int4 file
#               the folders `lisa quantize` writes from it (made once, under QUANT_DIR)
# all at --precision bf16 (quantized decoding on the CPU runs with bf16 activations), THREADS threads,
# exactly ANSWER_TOKENS tokens per answer, one photo. Prints a Markdown table: every stage's mean ms,
# decode tokens/s, peak resident memory (VmHWM: the mapped checkpoint pages a process touched count
# too) and load time (page cache warm: each checkpoint is read once before it is timed).
#
# Usage: scripts/bench/quant_table.sh CHECKPOINT_DIR
#   CHECKPOINT_DIR holds lisa/ and clip/ as make_random_lisa.py writes them, e.g.
#   make_random_lisa.py --preset 7b --dtype bf16 --lisa-repo /tmp/LISA --out build/bench/models/7b-bf16
# Settings (environment): MODES="bf16 int8 int4 int8-file int4-file"  GROUP_SIZE=64  ANSWER_TOKENS=32
#   THREADS=2  REPS=2  WARMUP=1  IMAGE=<photo>  LISA_BIN=build/lisa
#   QUANT_DIR=<CHECKPOINT_DIR>/quantized  RESULTS_DIR=build/bench/results/quant-<name>
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPT=quant_table.sh
source "$ROOT/scripts/bench/checkpoint_bench_args.sh"
MODES="${MODES:-bf16 int8 int4 int8-file int4-file}"
GROUP_SIZE="${GROUP_SIZE:-64}"
ANSWER_TOKENS="${ANSWER_TOKENS:-32}"
THREADS="${THREADS:-2}"
REPS="${REPS:-2}"
WARMUP="${WARMUP:-1}"
QUANT_DIR="${QUANT_DIR:-$CKPT/quantized}"
RESULTS_DIR="${RESULTS_DIR:-$ROOT/build/bench/results/quant-$NAME}"

mkdir -p "$RESULTS_DIR" "$QUANT_DIR"
quantized_dir() { echo "$QUANT_DIR/$1$([[ $1 == int4 ]] && echo "-g$GROUP_SIZE")"; }
for mode in int8 int4; do
  [[ " $MODES " == *" $mode-file "* ]] || continue
  out="$(quantized_dir "$mode")"
  [[ -f "$out/config.json" ]] && continue
  echo "writing $out (log: $RESULTS_DIR/quantize-$mode.log)" >&2
  /usr/bin/time -o "$RESULTS_DIR/quantize-$mode.time" -f "lisa quantize --mode $mode: %e s, peak resident %M KiB" \
    "$LISA_BIN" quantize -m "$CKPT/lisa" --mode "$mode" --group-size "$GROUP_SIZE" -o "$out" \
    > "$RESULTS_DIR/quantize-$mode.log" 2>&1 || die "lisa quantize failed: see $RESULTS_DIR/quantize-$mode.log"
  cat "$RESULTS_DIR/quantize-$mode.time" >&2
done

warm_page_cache() { find "$1" -name '*.safetensors' -exec cat {} + > /dev/null; }
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$RESULTS_DIR/context.txt"
export OMP_NUM_THREADS="$THREADS"
for mode in $MODES; do
  case "$mode" in
    bf16) model="$CKPT/lisa"; quantize=(--quantize none) ;;
    int8 | int4) model="$CKPT/lisa"; quantize=(--quantize "$mode" --group-size "$GROUP_SIZE") ;;
    int8-file | int4-file) model="$(quantized_dir "${mode%-file}")"; quantize=() ;;
    *) die "unknown mode '$mode' in MODES (bf16 int8 int4 int8-file int4-file)" ;;
  esac
  warm_page_cache "$model"
  warm_page_cache "$CKPT/clip"
  command=("$LISA_BIN" bench -m "$model" --vision-tower "$CKPT/clip" -i "$IMAGE" -p "$PROMPT"
           -r "$REPS" -w "$WARMUP" -n "$ANSWER_TOKENS" -o json --device cpu --precision bf16
           --threads "$THREADS" "${quantize[@]}")
  echo "${command[*]}" >> "$RESULTS_DIR/context.txt"
  echo "$mode ..." >&2
  "${command[@]}" > "$RESULTS_DIR/$mode.json"
done

"$PYTHON" - "$RESULTS_DIR" $MODES <<'PY'
import json, sys
results, modes = sys.argv[1], sys.argv[2:]
reports = {m: json.load(open(f"{results}/{m}.json")) for m in modes}
stages = list(next(iter(reports.values()))["stages"])
base = reports.get("bf16")
print("| stage (mean ms) | " + " | ".join(modes) + " |")
print("|---|" + "---:|" * len(modes))
for stage in stages:
    print(f"| {stage} | " + " | ".join(f"{reports[m]['stages'][stage]['mean_ms']:.0f}" for m in modes) + " |")
def rate(m):
    r = reports[m]["decode_tokens_per_s"]["mean"]
    return f"{r:.2f}" + (f" ({r / base['decode_tokens_per_s']['mean']:.2f}x)" if base and m != "bf16" else "")
print("| decode tok/s | " + " | ".join(rate(m) for m in modes) + " |")
print("| peak resident GiB | " + " | ".join(f"{reports[m]['peak_memory_gib']:.2f}" for m in modes) + " |")
print("| load s | " + " | ".join(f"{reports[m]['load_seconds']:.1f}" for m in modes) + " |")
PY
