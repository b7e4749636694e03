"""libtorch's SDPA for the attention of a batched decoding step on the CPU (issue 15), alone.

One query per sequence against its own KV cache, as LlamaModel::attention calls it for each row of a
step: ROWS sequences x LAYERS layers calls, HEADS heads of HEAD_DIM, SPAN cached positions of a cache
with CAPACITY rows (the caches do not fit the last-level cache together). Prints ms per step and the
K/V bytes per second. Run with the project's Python (the torch wheel the engine links):
    .venv/bin/python scripts/bench/decode_attention.py [ROWS] [SPAN]      (defaults: 8 330, mid preset)
"""
import sys
import time

import torch

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
SPAN = int(sys.argv[2]) if len(sys.argv) > 2 else 330
LAYERS, HEADS, HEAD_DIM, CAPACITY, THREADS, STEPS = 8, 16, 64, 512, 2, 20

torch.set_num_threads(THREADS)
caches = [(torch.randn(1, HEADS, CAPACITY, HEAD_DIM), torch.randn(1, HEADS, CAPACITY, HEAD_DIM))
          for _ in range(ROWS * LAYERS)]
query = torch.randn(1, HEADS, 1, HEAD_DIM)


def step():
    for keys, values in caches:
        torch.nn.functional.scaled_dot_product_attention(query, keys[:, :, :SPAN], values[:, :, :SPAN])


step()
start = time.perf_counter()
for _ in range(STEPS):
    step()
ms = (time.perf_counter() - start) / STEPS * 1e3
kv_bytes = ROWS * LAYERS * 2 * HEADS * SPAN * HEAD_DIM * 4
print(f"{ROWS} rows x {LAYERS} layers, span {SPAN}, {THREADS} threads: {ms:.1f} ms per step, "
      f"{kv_bytes / 1e6:.0f} MB of K/V, {kv_bytes / ms / 1e6:.1f} GB/s")
