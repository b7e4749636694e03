#!/usr/bin/env python3
"""Writes a random-weight LISA checkpoint and CLIP vision tower for benchmarking.

    make_random_lisa.py --preset {tiny,mid,7b} --out DIR [--dtype bf16|fp32] [--seed S]

DIR/lisa is a LISA checkpoint directory as the merge script leaves it (config.json,
generation_config.json, sharded model-*.safetensors + index, the tokenizer files) and
DIR/clip a CLIP directory (config.json, preprocessor_config.json, model.safetensors).

Two phases, so that the large preset can be written where LISA's code cannot run:
1. skeleton (needs LISA's checkout and transformers 4.31): the configs and tokenizer,
   and the list of tensors (names, shapes) of the models built with LISA's own classes
   through scripts/reference/tiny_models.py, on the meta device (no memory);
2. weights (needs only torch and safetensors): random tensors written shard by shard,
   so peak host memory stays near one shard.
`--skeleton-only` stops after phase 1; `--from-skeleton DIR` runs phase 2 alone.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GOLDEN_TOKENIZER = ROOT / "tests/data/golden/models/lisa-tiny-safetensors/tokenizer.model"
SPEC_NAME = "weights_spec.json"
DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}
DEFAULT_SEED = 1234


@dataclass(frozen=True)
class Preset:
    sizes: object          # tiny_models.ModelSizes
    sentencepiece_pieces: int  # 0: the golden tokenizer as it is
    shard_mb: int


def presets():
    from tiny_models import TINY, ClipVisionSize, LlamaSize, ModelSizes, SamSize

    return {
        "tiny": Preset(TINY, 0, 6),
        # CPU benchmarking: SAM's prompt encoder and mask decoder at their real width.
        "mid": Preset(
            ModelSizes(
                clip=ClipVisionSize(hidden=256, intermediate=1024, layers=6, heads=4),
                sam=SamSize(embed=256, depth=8, heads=4, global_attn_indexes=(3, 7), decoder_mlp=2048),
                llama=LlamaSize(hidden=1024, intermediate=2816, layers=8, heads=16),
            ),
            0,
            64,
        ),
        # LISA-7B's shapes: LLaMA-7B, SAM ViT-H, CLIP ViT-L/14, a 32000-piece vocabulary.
        "7b": Preset(
            ModelSizes(
                clip=ClipVisionSize(hidden=1024, intermediate=4096, layers=24, heads=16),
                sam=SamSize(embed=1280, depth=32, heads=16, global_attn_indexes=(7, 15, 23, 31), decoder_mlp=2048),
                llama=LlamaSize(hidden=4096, intermediate=11008, layers=32, heads=32),
            ),
            32000,
            4000,
        ),
    }


def log(start, message):
    print(f"[{time.time() - start:7.1f}s] {message}", flush=True)


# ---------------------------------------------------------------- phase 1: skeleton

def extended_sentencepiece(model_bytes, pieces):
    """The golden SentencePiece model grown to `pieces` entries. The extra pieces are
    letter bigrams and trigrams (with and without the "▁" word prefix), scored below
    every trained piece: a valid BPE model of LLaMA's vocabulary size, for timing."""
    from itertools import product
    from string import ascii_lowercase

    from sentencepiece import sentencepiece_model_pb2 as sp_pb2

    model = sp_pb2.ModelProto()
    model.ParseFromString(model_bytes)
    known = {p.piece for p in model.pieces}
    score = min(p.score for p in model.pieces)

    def candidates():
        for length in (2, 3):
            for prefix in ("\u2581", ""):
                for letters in product(ascii_lowercase, repeat=length):
                    yield prefix + "".join(letters)

    for text in candidates():
        if len(model.pieces) >= pieces:
            break
        if text in known:
            continue
        score -= 1.0
        model.pieces.add(piece=text, score=score, type=sp_pb2.ModelProto.SentencePiece.NORMAL)
    if len(model.pieces) != pieces:
        raise RuntimeError(f"could only reach {len(model.pieces)} SentencePiece pieces, not {pieces}")
    model.trainer_spec.vocab_size = pieces
    return model.SerializeToString()


def make_tokenizer(preset, workdir):
    """LISA's tokenizer (tiny_tokenizer.build_lisa_tokenizer) on the golden model,
    grown to the preset's vocabulary size where it asks for one."""
    import tiny_tokenizer
    from utils.utils import DEFAULT_IM_END_TOKEN, DEFAULT_IM_START_TOKEN

    model_bytes = GOLDEN_TOKENIZER.read_bytes()
    if preset.sentencepiece_pieces:
        model_bytes = extended_sentencepiece(model_bytes, preset.sentencepiece_pieces)
    sp_path = Path(workdir) / "tokenizer.model"
    sp_path.write_bytes(model_bytes)
    special = {"im_start": DEFAULT_IM_START_TOKEN, "im_end": DEFAULT_IM_END_TOKEN}
    return tiny_tokenizer.build_lisa_tokenizer(sp_path, special)


def tensor_list(state_dict):
    return [[key, list(t.shape)] for key, t in state_dict.items()]


def write_spec(out_dir, tensors, dtype_name, shard_mb, single_file):
    """One tensor a line: {"dtype", "shard_mb", "single_file", "tensors": [[name, shape], ...]}."""
    head = json.dumps({"dtype": dtype_name, "shard_mb": shard_mb, "single_file": single_file})
    rows = ",\n".join(json.dumps(t) for t in tensors)
    (Path(out_dir) / SPEC_NAME).write_text(head[:-1] + ', "tensors": [\n' + rows + "\n]}\n")


def set_saved_dtype(config, dtype_name):
    """What save_pretrained records about the weights it writes."""
    config.torch_dtype = {"bf16": "bfloat16", "fp32": "float32"}[dtype_name]


def make_skeleton(preset, out, dtype_name, lisa_repo):
    """Configs, tokenizer and tensor lists of the preset's models, from LISA's classes."""
    sys.path.insert(0, str(ROOT / "scripts" / "reference"))
    import reference_env

    reference_env.setup(lisa_repo, DEFAULT_SEED)
    import model.LISA
    import tiny_models
    from model.segment_anything import modeling
    from transformers import CLIPModel

    sizes = preset.sizes
    clip_dir, lisa_dir = out / "clip", out / "lisa"
    clip_dir.mkdir(parents=True)
    lisa_dir.mkdir(parents=True)

    clip_config = tiny_models.clip_config(sizes.clip)
    with torch.device("meta"):
        clip = CLIPModel(clip_config)
    clip_config.architectures = ["CLIPModel"]
    set_saved_dtype(clip_config, dtype_name)
    clip_config.save_pretrained(clip_dir)
    tiny_models.write_clip_preprocessor_config(clip_dir)
    write_spec(clip_dir, tensor_list(clip.state_dict()), dtype_name, preset.shard_mb, single_file=True)

    with tempfile.TemporaryDirectory() as workdir:
        tokenizer = make_tokenizer(preset, workdir)
        tokenizer.save_pretrained(lisa_dir)
    base_vocab = tokenizer.sp_model.get_piece_size()
    seg_token_idx = tokenizer("[SEG]", add_special_tokens=False).input_ids[0]
    model.LISA.build_sam_vit_h = tiny_models.make_tiny_sam_builder(modeling, sizes.sam)
    with torch.device("meta"):
        lisa = tiny_models.construct_lisa(
            tokenizer, base_vocab, clip_dir, seg_token_idx, sizes, load_vision_tower=False
        )
    lisa.config.architectures = [type(lisa).__name__]
    set_saved_dtype(lisa.config, dtype_name)
    with tiny_models.saved_as_released(lisa.config):
        lisa.config.save_pretrained(lisa_dir)
    lisa.generation_config.save_pretrained(lisa_dir)
    write_spec(
        lisa_dir, tensor_list(tiny_models.lisa_state_dict(lisa)), dtype_name, preset.shard_mb, single_file=False
    )


# ---------------------------------------------------------------- phase 2: weights

def rope_inv_freq(shape, config):
    """The rotary frequencies LLaMA's checkpoints store (transformers 4.31 keeps them
    in the state dict): base^(-2i/d) for a head dimension d = 2 * shape[0]."""
    base = float(config.get("rope_theta", 10000.0))
    dim = 2 * shape[0]
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))


def random_tensor(key, shape, seed, device, config):
    """Values at the scales of a trained model's initialisation: linear and conv
    weights, embeddings and relative positions N(0, 0.02²); norm scales 1 + N(0, 0.1²);
    biases N(0, 0.02²); SAM's Fourier matrix N(0, 1) as SAM draws it. Each tensor has
    its own generator (seed, name), so the values do not depend on the shard layout."""
    if key.endswith("rotary_emb.inv_freq"):
        return rope_inv_freq(shape, config)
    if key.endswith("position_ids"):
        return torch.arange(shape[-1], dtype=torch.int64).expand(shape).contiguous()
    generator = torch.Generator(device=device).manual_seed((seed << 32) ^ zlib.crc32(key.encode()))
    values = torch.randn(shape, generator=generator, device=device, dtype=torch.float32)
    parts = key.split(".")
    if parts[-1] == "positional_encoding_gaussian_matrix":
        return values
    if parts[-1] == "weight" and len(parts) > 1 and "norm" in parts[-2]:
        return 1.0 + 0.1 * values
    return 0.02 * values


def plan_shards(tensors, dtype, shard_bytes):
    """Consecutive groups of tensors of at most shard_bytes each (a larger tensor alone)."""
    element = torch.empty((), dtype=dtype).element_size()
    shards, current, size = [], [], 0
    for key, shape in tensors:
        nbytes = element * int(torch.Size(shape).numel())
        if current and size + nbytes > shard_bytes:
            shards.append(current)
            current, size = [], 0
        current.append((key, shape))
        size += nbytes
    if current:
        shards.append(current)
    return shards


def write_weights(model_dir, seed, device, start):
    """Replaces model_dir's weights_spec.json by the random weights it lists."""
    from safetensors.torch import save_file

    model_dir = Path(model_dir)
    spec = json.loads((model_dir / SPEC_NAME).read_text())
    dtype = DTYPES[spec["dtype"]]
    config = json.loads((model_dir / "config.json").read_text())
    shards = plan_shards(spec["tensors"], dtype, spec["shard_mb"] * 2**20)
    if spec["single_file"]:
        shards = [[t for shard in shards for t in shard]]
    names = (
        ["model.safetensors"]
        if len(shards) == 1
        else [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    )
    weight_map, total = {}, 0
    for name, shard in zip(names, shards):
        tensors = {}
        for key, shape in shard:
            value = random_tensor(key, shape, seed, device, config)
            tensors[key] = value.to(dtype if value.is_floating_point() else value.dtype).cpu().contiguous()
            weight_map[key] = name
            total += tensors[key].numel() * tensors[key].element_size()
        save_file(tensors, str(model_dir / name), metadata={"format": "pt"})
        del tensors
        log(start, f"{model_dir.name}/{name}: {len(shard)} tensors")
    if len(names) > 1:
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        (model_dir / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    (model_dir / SPEC_NAME).unlink()
    return total


# ---------------------------------------------------------------- command line

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["tiny", "mid", "7b"], help="model sizes (needed unless --from-skeleton)")
    parser.add_argument("--out", required=True, type=Path, help="output directory (gets lisa/ and clip/)")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="bf16", help="dtype of the stored weights")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--lisa-repo", type=Path, default=Path(os.environ.get("LISA_REPO", "/work/ref/LISA")),
                        help="checkout of dvlab-research/LISA (phase 1)")
    parser.add_argument("--skeleton-only", action="store_true", help="write configs, tokenizer and tensor lists only")
    parser.add_argument("--from-skeleton", type=Path, help="a --skeleton-only output to fill with weights")
    parser.add_argument("--device", default="auto", help="where random values are drawn: auto | cpu | cuda")
    args = parser.parse_args()
    if not args.from_skeleton and not args.preset:
        parser.error("--preset is required unless --from-skeleton is given")
    if args.from_skeleton and args.skeleton_only:
        parser.error("--from-skeleton and --skeleton-only exclude each other")
    return args


def main():
    args = parse_args()
    start = time.time()
    out = args.out.resolve()
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not empty; remove it or choose another --out")
    if args.from_skeleton:
        shutil.copytree(args.from_skeleton, out, dirs_exist_ok=True)
    else:
        sys.path.insert(0, str(ROOT / "scripts" / "reference"))
        make_skeleton(presets()[args.preset], out, args.dtype, args.lisa_repo.resolve())
        log(start, f"skeleton of preset {args.preset} in {out}")
        if args.skeleton_only:
            return
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    total = sum(write_weights(out / name, args.seed, device, start) for name in ("clip", "lisa"))
    log(start, f"done: {total / 2**30:.2f} GiB of weights in {out} (values drawn on {device})")


if __name__ == "__main__":
    main()
