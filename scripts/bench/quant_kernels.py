#!/usr/bin/env python3
"""Times the compute paths of models::QuantizedLinear on LLaMA-7B-like layer shapes, through the
same ATen ops the engine calls (torch from .venv): bf16 and fp32 at::linear (unquantized), torch's
weight-only int8 / int4 CPU kernels (bf16 activations), and the dequantize path (64-row tiles of the
weight dequantized to fp32, fp32 GEMM; "bf16 GEMM": the same tiles in bf16, bf16 GEMM). Median of --reps runs per cell, in ms.

    .venv/bin/python scripts/bench/quant_kernels.py --threads 1 2 --rows 1 16 64 300
"""
import argparse
import os
import time

import torch

TILE = 64  # QuantizedLinear's kTileRows


def quantize_int8(w):
    scales = (w.abs().amax(1) / 127).clamp_min(1e-30).bfloat16()
    return (w / scales.float()[:, None]).round().clamp(-127, 127).to(torch.int8), scales


def quantize_int4(w, group):
    n, k = w.shape
    g = w.view(n, k // group, group)
    low, high = g.amin(-1), g.amax(-1)
    scales = ((high - low) / 15).clamp_min(1e-30).bfloat16()
    zeros = (low + 8 * scales.float()).bfloat16()
    levels = ((g - zeros.float()[..., None]) / scales.float()[..., None] + 8).round().clamp(0, 15)
    return levels.to(torch.uint8).view(n, k), scales, zeros


def median_ms(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return 1e3 * times[len(times) // 2]


def tiled(x, n, dequantize_rows, dtype=torch.float32):
    xg = x.to(dtype)
    out = torch.empty(x.shape[0], n, dtype=dtype)
    for begin in range(0, n, TILE):
        end = min(n, begin + TILE)
        torch.mm(xg, dequantize_rows(begin, end).to(dtype).t(), out=out[:, begin:end])
    return out.bfloat16()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 16, 64, 300])
    parser.add_argument("--group-size", type=int, default=64)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    shapes = [(4096, 4096), (11008, 4096), (4096, 11008)]
    G = args.group_size
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, {os.cpu_count()} cores")
    print("| threads | N x K | rows | bf16 linear | fp32 linear | int8 kernel | int8 dequant | int8 dequant, bf16 GEMM | int4 kernel | int4 dequant | load |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for n, k in shapes:
            torch.manual_seed(0)
            w = 0.02 * torch.randn(n, k)
            wb = w.bfloat16()
            q8, s8 = quantize_int8(w)
            q4, s4, z4 = quantize_int4(w, G)
            packed = torch._convert_weight_to_int4pack_for_cpu(q4.to(torch.int32), 2)
            scale_and_zeros = torch.stack([s4, z4], -1).transpose(0, 1).contiguous()
            s8f, s4f, z4f = s8.float()[:, None], s4.float()[..., None], z4.float()[..., None]

            def rows8(a, b):
                return q8[a:b].float() * s8f[a:b]

            def rows4(a, b):
                return torch.addcmul(z4f[a:b], q4[a:b].view(b - a, k // G, G).float() - 8, s4f[a:b]).view(b - a, k)

            for m in args.rows:
                x = torch.randn(m, k).bfloat16()
                reps = args.reps if m < 64 else max(3, args.reps // 2)
                cells = [
                    median_ms(lambda: torch.nn.functional.linear(x, wb), reps),
                    median_ms(lambda: torch.nn.functional.linear(x.float(), w), reps),
                    median_ms(lambda: torch._weight_int8pack_mm(x, q8, s8), reps),
                    median_ms(lambda: tiled(x, n, rows8), reps),
                    median_ms(lambda: tiled(x, n, rows8, torch.bfloat16), reps),
                    median_ms(lambda: torch._weight_int4pack_mm_for_cpu(x, packed, G, scale_and_zeros), reps),
                    median_ms(lambda: tiled(x, n, rows4), reps),
                ]
                print(f"| {threads} | {n} x {k} | {m} | " + " | ".join(f"{c:.1f}" for c in cells) +
                      f" | {os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
