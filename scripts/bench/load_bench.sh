#!/usr/bin/env bash
# Checkpoint load speed against the page-cache read speed of the same file.
# Writes a ~2 GiB safetensors file (bf16 and fp32 tensors), warms the page cache, then times
#   cat FILE > /dev/null        the floor: every byte read once through a small buffer, none kept
#   lisa inspect FILE --load    every tensor materialised in CPU memory through Checkpoint::load_copy
#                               (the tool's own timer: process start-up and the summary excluded)
# alternately, REPEATS times each, and prints best and median wall and CPU times and their ratios
# (the target is a wall ratio <= 1.5). On a shared machine expect the wall times to scatter.
# Where the time goes (perf, 2-vCPU VM): ~70% is the kernel zeroing the fresh destination pages
# (clear_page) on first touch, ~4% the copy itself; cat allocates nothing, so the ratio mostly
# measures how cheap fresh memory is. Checkpoint::load without conversion maps the file instead
# and costs nothing up front.
# Usage: scripts/bench/load_bench.sh [LISA_BINARY] [REPEATS]    (env BENCH_FILE, PYTHON override)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LISA="${1:-$ROOT/build/lisa}"
REPEATS="${2:-7}"
PYTHON="${PYTHON:-/work/main/.venv/bin/python}"
FILE="${BENCH_FILE:-/tmp/lisa_load_bench.safetensors}"

if [[ ! -f "$FILE" ]]; then
  "$PYTHON" - "$FILE" <<'PY'
import sys, torch
from safetensors.torch import save_file
g = torch.Generator().manual_seed(0)
tensors = {}
for i in range(8):   # 8 x 128 MiB of bf16
    tensors[f"model.layers.{i}.mlp.weight"] = torch.rand(64 << 20, generator=g).to(torch.bfloat16)
for i in range(4):   # 4 x 256 MiB of fp32
    tensors[f"model.layers.{i}.proj.weight"] = torch.rand(64 << 20, generator=g).reshape(8192, 8192)
save_file(tensors, sys.argv[1])
PY
fi

"$PYTHON" - "$LISA" "$FILE" "$REPEATS" <<'PY'
import json, os, resource, statistics, subprocess, sys, time
lisa, path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = os.path.getsize(path)

def cat():
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(["cat", path], stdout=sink, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

def load():
    out = subprocess.run([lisa, "inspect", path, "--load", "--json"], capture_output=True, check=True, text=True)
    report = json.loads(out.stdout)["load"]
    assert report["bytes"] == size - 8 - int.from_bytes(open(path, "rb").read(8), "little")
    return report["seconds"], report["cpu_seconds"]

for _ in range(2):
    cat()  # warm the page cache
runs = {"cat": [], "load": []}
for _ in range(repeats):
    runs["cat"].append(cat())
    runs["load"].append(load())
print(f"file {path}: {size / 2**30:.2f} GiB; {repeats} alternating runs each; load avg {os.getloadavg()[0]:.1f}")
stats = {}
for name, label in (("cat", "cat FILE > /dev/null"), ("load", "Checkpoint load_copy, all tensors")):
    walls, cpus = [r[0] for r in runs[name]], [r[1] for r in runs[name]]
    stats[name] = (min(walls), statistics.median(walls), min(cpus))
    print(f"{label:34s} wall best {min(walls):.3f} s ({size / min(walls) / 1e9:.1f} GB/s), "
          f"median {statistics.median(walls):.3f} s; CPU best {min(cpus):.3f} s")
c, l = stats["cat"], stats["load"]
print(f"ratio load / cat: wall best {l[0] / c[0]:.2f}, wall median {l[1] / c[1]:.2f}, CPU best {l[2] / max(c[2], 1e-3):.2f}"
      "   (target: wall <= 1.5)")
PY
