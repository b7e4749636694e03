# Sourced by the bench scripts that time `lisa bench` on one random checkpoint folder given as their
# only argument (quant_table.sh, compare_llamacpp.sh). Needs ROOT and SCRIPT (the caller's name, for
# messages); takes the arguments. Sets die, CKPT (absolute), NAME (its folder name), LISA_BIN,
# IMAGE, PROMPT and PYTHON (reference_python.sh), honouring the caller's environment, and checks them.
die() { echo "$SCRIPT: $*" >&2; exit 1; }
(( $# == 1 )) || die "usage: scripts/bench/$SCRIPT CHECKPOINT_DIR"
[[ -f "$1/lisa/config.json" && -d "$1/clip" ]] || die "$1: no lisa/config.json or clip/ in it"
CKPT="$(cd "$1" && pwd)"
NAME="$(basename "$CKPT")"
LISA_BIN="${LISA_BIN:-$ROOT/build/lisa}"
PROMPT="${PROMPT:-Can you segment the dog with the horn in this image? Please output segmentation mask.}"
source "$ROOT/scripts/bench/reference_python.sh"
[[ -n "${IMAGE:-}" ]] || IMAGE="$ROOT/shared/images/dog_with_horn.jpg"
[[ -f "$IMAGE" ]] || IMAGE=/work/shared/images/dog_with_horn.jpg
[[ -x "$LISA_BIN" ]] || die "no lisa binary at $LISA_BIN (build it first, or set LISA_BIN)"
[[ -f "$IMAGE" ]] || die "image $IMAGE not found (set IMAGE)"
