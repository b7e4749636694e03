#!/usr/bin/env python3
"""Does batching pay for the compute-bound stages (issue 15)? Times the reference modules at the
mid preset's sizes with random weights, per item, at batch sizes 1, 2, 4 and 8 on this CPU:

    batched_stages.py --lisa-repo DIR [--threads 2] [--precisions fp32,bf16] [--batches 1,2,4,8]

  sam      SAM's image encoder (the LISA checkout's ImageEncoderViT: 256 wide, 8 blocks, 4 heads,
           global attention in blocks 3 and 7) over B images of 1024 x 1024
  clip     CLIP's vision tower (transformers' CLIPVisionModel: 256 wide, 6 layers, 4 heads) over
           B images of 224 x 224
  prefill  LLaMA (transformers' LlamaModel: 1024 wide, 8 layers, 16 heads, 2816 FFN) over B
           prompts of 330 tokens, the length of the benchmark's prompt with its image

These are the operations the engine batches or not (docs/batching.md): if a stage costs the same
per item at every B, batching it gains nothing on this machine. The engine's own modules run the
same ATen operations (GEMMs, convolutions) but are not what is timed here.
Prints a Markdown table: ms per item (median of --reps calls after one warm-up) and the ratio
to B = 1.
"""
import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lisa-repo", type=Path, required=True, help="checkout of dvlab-research/LISA")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--batches", default="1,2,4,8")
    parser.add_argument("--reps", type=int, default=3)
    return parser.parse_args()


def stages(torch, lisa_repo):
    sys.path.insert(0, str(lisa_repo / "model" / "segment_anything"))
    from modeling.image_encoder import ImageEncoderViT  # noqa: E402  (the LISA checkout's SAM)
    from transformers import CLIPVisionConfig, CLIPVisionModel, LlamaConfig, LlamaModel

    sam = ImageEncoderViT(depth=8, embed_dim=256, img_size=1024, mlp_ratio=4,
                          norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), num_heads=4, patch_size=16,
                          qkv_bias=True, use_rel_pos=True, global_attn_indexes=(3, 7), window_size=14,
                          out_chans=256)
    clip = CLIPVisionModel(CLIPVisionConfig(hidden_size=256, intermediate_size=1024, num_hidden_layers=6,
                                            num_attention_heads=4, image_size=224, patch_size=14))
    llama = LlamaModel(LlamaConfig(hidden_size=1024, intermediate_size=2816, num_hidden_layers=8,
                                   num_attention_heads=16, vocab_size=1003))
    return {
        "sam": (sam, lambda b, dtype: (torch.randn(b, 3, 1024, 1024).to(dtype),)),
        "clip": (clip, lambda b, dtype: (torch.randn(b, 3, 224, 224).to(dtype),)),
        "prefill": (llama, lambda b, dtype: (torch.randint(3, 1003, (b, 330)),)),
    }


def per_item_ms(torch, module, inputs, batch, reps):
    with torch.no_grad():
        module(*inputs)
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            module(*inputs)
            times.append((time.perf_counter() - start) * 1000 / batch)
    return statistics.median(times)


def main():
    args = parse_args()
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    batches = [int(b) for b in args.batches.split(",")]
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    print(f"torch {torch.__version__}, {args.threads} threads, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print("| stage | precision | " + " | ".join(f"B={b} ms/item" for b in batches) + " | " +
          " | ".join(f"x B=1 at {b}" for b in batches[1:]) + " |")
    print("|---|---|" + "---:|" * (2 * len(batches) - 1))
    for name, (module, make_inputs) in stages(torch, args.lisa_repo.resolve()).items():
        for precision in args.precisions.split(","):
            dtype = dtypes[precision]
            module = module.to(dtype).eval()
            times = [per_item_ms(torch, module, make_inputs(b, dtype), b, args.reps) for b in batches]
            print(f"| {name} | {precision} | " + " | ".join(f"{t:.0f}" for t in times) + " | " +
                  " | ".join(f"{times[0] / t:.2f}" for t in times[1:]) + " |", flush=True)


if __name__ == "__main__":
    main()
