#!/usr/bin/env bash
# Quantized decoding against llama.cpp on this CPU (issue 12), in one run:
#   llama.cpp   the checkpoint's LLaMA converted to GGUF and quantized to Q8_0 and Q4_0 with
#               llama.cpp's own tools (convert_hf_to_gguf.py, llama-quantize); `llama-bench`
#               text generation of GEN_TOKENS tokens (tg128) at THREADS threads
#   lisa        `lisa bench --quantize int8|int4 --precision bf16` decode tokens/s of the same
#               weights at the same thread count, GEN_TOKENS answer tokens
# and prints a Markdown table with the ratios. Rounds alternate the engines (ROUNDS=N) so that a slow
# spell of a shared machine hits both.
#
# The decoding contexts differ: lisa decodes after its prompt (about 300 positions: the image's 256
# tokens and the question), tg128 from an empty cache. DEPTHS="0 N" adds llama-bench runs at a cache
# depth of N positions (`-d N`), the like-for-like comparison.
#
# llama.cpp's source is the one PyPI's llama-cpp-python source distribution vendors
# (LLAMA_CPP_PYTHON_VERSION), downloaded by pip and built here with CMake into WORK (git-ignored),
# nothing of it committed. The GGUF files are made once per checkpoint and kept in WORK/models; the
# intermediate LLaMA-only folder and the f16 GGUF are deleted once the quantized files exist.
# The converter runs in PYTHON (the project's .venv: torch, safetensors, sentencepiece, numpy,
# transformers) with llama.cpp's own gguf-py on PYTHONPATH.
#
# Usage: scripts/bench/compare_llamacpp.sh CHECKPOINT_DIR
#   CHECKPOINT_DIR holds lisa/ and clip/ as make_random_lisa.py writes them (bf16), e.g.
#   make_random_lisa.py --preset 7b --dtype bf16 --lisa-repo /tmp/LISA --out build/bench/models/7b-bf16
# Settings (environment): THREADS=2  GEN_TOKENS=128  REPS=3  ROUNDS=1  DEPTHS=0  MODES="int8 int4"
#   LLAMA_CPP_PYTHON_VERSION=0.3.36  WORK=build/bench/llamacpp  LISA_BIN=build/lisa  IMAGE=<photo>
#   PREPARE_ONLY=1: build the tools and write the GGUF files, time nothing
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPT=compare_llamacpp.sh
source "$ROOT/scripts/bench/checkpoint_bench_args.sh"
THREADS="${THREADS:-2}"
GEN_TOKENS="${GEN_TOKENS:-128}"
REPS="${REPS:-3}"
ROUNDS="${ROUNDS:-1}"
DEPTHS="${DEPTHS:-0}"
MODES="${MODES:-int8 int4}"
VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
WORK="${WORK:-$ROOT/build/bench/llamacpp}"
RESULTS_DIR="${RESULTS_DIR:-$ROOT/build/bench/results/llamacpp-$NAME}"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
BIN="$WORK/build/bin"
GGUF_DIR="$WORK/models/$NAME"
mkdir -p "$WORK" "$GGUF_DIR" "$RESULTS_DIR"

# 1. llama.cpp's source and its two tools --------------------------------------------------------
if [[ ! -f "$SRC/CMakeLists.txt" ]]; then
  echo "downloading llama-cpp-python $VERSION's source distribution" >&2
  "$PYTHON" -m pip download --no-binary :all: --no-deps -d "$WORK" "llama-cpp-python==$VERSION" >&2
  tar -xzf "$WORK/llama_cpp_python-$VERSION.tar.gz" -C "$WORK"
fi
if [[ ! -x "$BIN/llama-bench" || ! -x "$BIN/llama-quantize" ]]; then
  echo "building llama-bench and llama-quantize (CPU, -march=native)" >&2
  cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >&2
  cmake --build "$WORK/build" -j "$(nproc)" --target llama-bench llama-quantize >&2
fi

# 2. The same LLaMA weights as GGUF Q8_0 and Q4_0 ------------------------------------------------
if [[ ! -f "$GGUF_DIR/q8_0.gguf" || ! -f "$GGUF_DIR/q4_0.gguf" ]]; then
  HF_DIR="$GGUF_DIR/llama-hf"
  echo "extracting the LLaMA weights of $CKPT/lisa into $HF_DIR" >&2
  "$PYTHON" "$ROOT/scripts/bench/extract_llama.py" "$CKPT/lisa" "$HF_DIR" >&2
  PYTHONPATH="$SRC/gguf-py" "$PYTHON" "$SRC/convert_hf_to_gguf.py" "$HF_DIR" --outtype f16 \
    --outfile "$GGUF_DIR/f16.gguf" >&2
  rm -rf "$HF_DIR"
  # Each file under a temporary name, renamed when complete: an interrupted run leaves no GGUF
  # that a later run would take for finished.
  for type in q8_0 q4_0; do
    "$BIN/llama-quantize" "$GGUF_DIR/f16.gguf" "$GGUF_DIR/$type.gguf.part" "${type^^}" "$THREADS" >&2
    mv "$GGUF_DIR/$type.gguf.part" "$GGUF_DIR/$type.gguf"
  done
  rm -f "$GGUF_DIR/f16.gguf"
fi

[[ "${PREPARE_ONLY:-0}" == 1 ]] && { echo "GGUF files ready in $GGUF_DIR" >&2; exit 0; }

# 3. Decode speed, rounds alternating the engines ----------------------------------------------
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$RESULTS_DIR/context.txt"
export OMP_NUM_THREADS="$THREADS"
depth_args=()
for depth in $DEPTHS; do depth_args+=(-d "$depth"); done
for round in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    type="$([[ $mode == int8 ]] && echo q8_0 || echo q4_0)"
    command=("$BIN/llama-bench" -m "$GGUF_DIR/$type.gguf" -p 0 -n "$GEN_TOKENS" -t "$THREADS"
             -r "$REPS" "${depth_args[@]}" -o json)
    echo "${command[*]}" >> "$RESULTS_DIR/context.txt"
    echo "round $round: llama-bench $type ..." >&2
    "${command[@]}" > "$RESULTS_DIR/llamacpp-$type-$round.json"
    command=("$LISA_BIN" bench -m "$CKPT/lisa" --vision-tower "$CKPT/clip" -i "$IMAGE" -p "$PROMPT"
             -r "$REPS" -w 1 -n "$GEN_TOKENS" -o json --device cpu --precision bf16 --threads "$THREADS"
             --quantize "$mode")
    echo "${command[*]}" >> "$RESULTS_DIR/context.txt"
    echo "round $round: lisa bench --quantize $mode ..." >&2
    "${command[@]}" > "$RESULTS_DIR/lisa-$mode-$round.json"
  done
done

"$PYTHON" - "$RESULTS_DIR" "$ROUNDS" $MODES <<'PY'
import json, statistics, sys
results, rounds, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print("| lisa mode | llama.cpp type | depth | llama.cpp tok/s | lisa tok/s | lisa / llama.cpp (per round) |")
print("|---|---|---:|---:|---:|---|")
for mode in modes:
    gguf = "q8_0" if mode == "int8" else "q4_0"
    lisa = [json.load(open(f"{results}/lisa-{mode}-{r}.json"))["decode_tokens_per_s"]["mean"]
            for r in range(1, rounds + 1)]
    llama = [json.load(open(f"{results}/llamacpp-{gguf}-{r}.json")) for r in range(1, rounds + 1)]
    for depth in sorted({row.get("n_depth", 0) for row in llama[0]}):
        theirs = [next(row["avg_ts"] for row in run if row.get("n_depth", 0) == depth) for run in llama]
        ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(lisa, theirs))
        print(f"| {mode} | {gguf.upper()} | {depth} | {statistics.mean(theirs):.2f} | "
              f"{statistics.mean(lisa):.2f} | {ratios} |")
PY
