#!/usr/bin/env python3
"""Generates tests/data/golden: tiny LISA checkpoints built with the reference code,
and reference outputs of LISA's chat and ReasonSeg-validation paths on CPU in fp32.

    python scripts/reference/make_goldens.py --lisa-repo /path/to/LISA --out tests/data/golden

See scripts/reference/README.md for the environment and what each file holds.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reference_env  # noqa: E402

SEED = 20240611
MAX_NEW_TOKENS = 32
# lm_head row of [SEG] = SEG_LOGIT_SCALE * (unit direction); see README "Making [SEG] appear".
# Output-behaviour shaping of the random LLM (README, "Making [SEG] appear"):
# lm_head[SEG] = SEG_LOGIT * u; embed[SEG] = FOLLOW_EMBED * v, lm_head["."] += SEG_TO_DOT * v;
# embed["."] = FOLLOW_EMBED * w, lm_head[EOS] += DOT_TO_EOS * w (u, v, w random unit vectors).
SHAPING_SEED = 11
SEG_LOGIT = 1.0
FOLLOW_EMBED = 0.35
SEG_TO_DOT = 0.15
DOT_TO_EOS = 0.5

# (case name, image, conversation template, user text)
CHAT_CASES = [
    ("astronaut_wide", "astronaut_wide.jpg", "llava_v1",
     "Who is the person in this picture? Please output segmentation mask."),
    ("coffee", "coffee.jpg", "llava_v1", "Can you segment the cup of coffee in this image?"),
    ("chelsea_small", "chelsea_small.png", "llava_v1", "Please segment the cat in this image."),
    ("camera_gray_tall", "camera_gray_tall.jpg", "llava_v1",
     "What is the man holding? Please respond with segmentation mask and explain why."),
    ("rocket_tall", "rocket_tall.jpg", "llava_v1",
     "Where would the astronauts sit before launch? Please output segmentation mask."),
    ("motorcycle_large", "motorcycle_large.jpg", "llava_llama_2",
     "What could a person ride here? Please output segmentation mask."),
    ("coins_strip", "coins_strip.png", "llava_v1", "Describe the image in one sentence."),
    ("ihc_odd", "ihc_odd.jpg", "llava_v1",
     "Segment the brownish café-coloured  stains — déjà vu 🙂\tplease."),
    # evaluate() looks for [SEG] in the whole output sequence, the prompt included.
    ("seg_in_prompt", "chelsea_small.png", "llava_v1", "Answer like this: the cat is [SEG]."),
]

GENERATED_DIRS = ("models", "images", "tokenizer", "chat", "eval", "reasonseg")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lisa-repo", required=True, type=Path, help="checkout of dvlab-research/LISA")
    parser.add_argument("--out", required=True, type=Path, help="output directory (tests/data/golden)")
    return parser.parse_args()


def log(start, message):
    print(f"[{time.time() - start:7.1f}s] {message}", flush=True)


def build_tokenizer(workdir, out_models):
    import tiny_tokenizer
    from utils.utils import (ANSWER_LIST, DEFAULT_IM_END_TOKEN, DEFAULT_IM_START_TOKEN,
                             EXPLANATORY_QUESTION_LIST, LONG_QUESTION_LIST,
                             SHORT_QUESTION_LIST)

    lines = tiny_tokenizer.corpus_lines(
        SHORT_QUESTION_LIST + LONG_QUESTION_LIST + EXPLANATORY_QUESTION_LIST + ANSWER_LIST
    )
    sp_path = Path(workdir) / "tokenizer.model"
    sp_path.write_bytes(tiny_tokenizer.train_sentencepiece(lines))
    special = {"im_start": DEFAULT_IM_START_TOKEN, "im_end": DEFAULT_IM_END_TOKEN}
    tokenizer = tiny_tokenizer.build_lisa_tokenizer(sp_path, special)
    return tokenizer, special


def shape_seg_behaviour(model, tokenizer, seg_token_idx):
    """A random LLM never picks [SEG] on its own. This gives the [SEG] output row a
    fixed length so that some prompts' hidden states select it, and makes "[SEG]" tend
    to be followed by "." and "." by </s> (a larger input embedding for both tokens
    makes the next prediction depend mostly on them), as in LISA's "[SEG]." answers."""
    import torch

    dot = tokenizer.convert_tokens_to_ids(".")
    eos = tokenizer.eos_token_id
    generator = torch.Generator().manual_seed(SHAPING_SEED)
    u, v, w = (x / x.norm() for x in torch.randn(3, model.config.hidden_size, generator=generator))
    head = model.lm_head.weight
    embed = model.get_model().embed_tokens.weight
    with torch.no_grad():
        head[seg_token_idx] = SEG_LOGIT * u
        embed[seg_token_idx] = FOLLOW_EMBED * v
        head[dot] += SEG_TO_DOT * v
        embed[dot] = FOLLOW_EMBED * w
        head[eos] += DOT_TO_EOS * w


def reload_like_chat(lisa_dir, clip_dir, precision="fp32"):
    """chat.py's loading sequence with --precision fp32 or bf16 (CPU: .cuda() is a
    no-op). low_cpu_mem_usage is left out (it needs accelerate); every weight comes from
    the checkpoint either way, which output_loading_info confirms."""
    import torch
    from transformers import AutoTokenizer, CLIPImageProcessor
    from model.LISA import LISAForCausalLM

    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]

    tokenizer = AutoTokenizer.from_pretrained(
        str(lisa_dir), cache_dir=None, model_max_length=512, padding_side="right", use_fast=False
    )
    tokenizer.pad_token = tokenizer.unk_token
    seg_token_idx = tokenizer("[SEG]", add_special_tokens=False).input_ids[0]
    model, info = LISAForCausalLM.from_pretrained(
        str(lisa_dir), vision_tower=str(clip_dir), seg_token_idx=seg_token_idx,
        torch_dtype=torch_dtype, output_loading_info=True,
    )
    missing = [k for k in info["missing_keys"] if "vision_tower" not in k]
    if missing or info["unexpected_keys"] or info["mismatched_keys"]:
        raise RuntimeError(f"checkpoint does not cover the model: {info}")
    model.config.eos_token_id = tokenizer.eos_token_id
    model.config.bos_token_id = tokenizer.bos_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.get_model().initialize_vision_modules(model.get_model().config)
    model.get_model().get_vision_tower().to(dtype=torch_dtype)
    model = (model.bfloat16() if precision == "bf16" else model.float()).cuda()
    clip_processor = CLIPImageProcessor.from_pretrained(model.config.vision_tower)
    model.eval()
    return tokenizer, model, clip_processor


def check_seg_counts(out):
    """The [SEG] mix the engine tests rely on (README, "Making [SEG] appear")."""
    counts = [json.loads(p.read_text())["seg_count"] for p in sorted((out / "chat").glob("*/case.json"))]
    if not (counts.count(0) >= 1 and counts.count(1) >= 3 and any(c >= 2 for c in counts)):
        raise RuntimeError(f"chat cases lost the required [SEG] mix: {counts}")


def main():
    args = parse_args()
    start = time.time()
    lisa_repo = args.lisa_repo.resolve()
    out = args.out.resolve()
    reference_env.setup(lisa_repo, SEED)

    import cv2
    import golden_images
    import reference_runs
    import tiny_models
    import tiny_tokenizer
    import model.LISA
    from model.segment_anything import modeling

    for name in GENERATED_DIRS:
        shutil.rmtree(out / name, ignore_errors=True)
    models_dir = out / "models"
    clip_dir = models_dir / tiny_models.CLIP_DIR_NAME
    bin_dir = models_dir / "lisa-tiny-bin"
    st_dir = models_dir / "lisa-tiny-safetensors"

    chat_images = golden_images.make_chat_images(out / "images")
    stems = golden_images.make_reasonseg_split(out / "reasonseg" / "val")
    log(start, f"images: {len(chat_images)} chat, {len(stems)} reasonseg")

    model.LISA.build_sam_vit_h = tiny_models.make_tiny_sam_builder(modeling)
    with tempfile.TemporaryDirectory() as workdir:
        tokenizer, special = build_tokenizer(workdir, models_dir)
        base_vocab = tokenizer.sp_model.get_piece_size()
        seg_token_idx = tokenizer("[SEG]", add_special_tokens=False).input_ids[0]
        tiny_models.build_clip(clip_dir, SEED)
        lisa = tiny_models.build_lisa(tokenizer, base_vocab, clip_dir, seg_token_idx, SEED)
        shape_seg_behaviour(lisa, tokenizer, seg_token_idx)
        tiny_models.save_lisa(lisa, tokenizer, bin_dir, safetensors=False)
        tiny_models.save_lisa(lisa, tokenizer, st_dir, safetensors=True)
        del lisa
    log(start, "checkpoints saved")

    tokenizer, lisa, clip_processor = reload_like_chat(bin_dir, clip_dir)
    assert lisa.seg_token_idx == seg_token_idx

    prompts = []
    for name, image, conv_type, user_text in CHAT_CASES:
        meta, tensors, masks = reference_runs.run_chat_case(
            lisa, tokenizer, clip_processor, out, f"images/{image}", user_text, conv_type, MAX_NEW_TOKENS
        )
        reference_runs.write_case(out / "chat" / name, meta, tensors, masks)
        prompts.append(meta["prompt"])
        log(start, f"chat/{name}: seg_count={meta['seg_count']} margin={meta['greedy_min_margin']:.4f} "
                   f"text={meta['text'][-120:]!r}")

    cases, expected = reference_runs.run_reasonseg_validation(lisa, tokenizer, clip_dir, out, stems)
    prompts += [meta["prompt"] for _, meta, _, _, _ in cases]
    (out / "reasonseg" / "gt").mkdir(parents=True, exist_ok=True)
    for stem, meta, tensors, masks, gt_mask in cases:
        reference_runs.write_case(out / "eval" / stem, meta, tensors, masks)
        cv2.imwrite(str(out / "reasonseg" / "gt" / f"{stem}.png"), gt_mask, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    tiny_tokenizer.write_json(out / "reasonseg" / "expected.json", expected)
    log(start, f"eval: {len(cases)} cases, giou={expected['giou']:.4f} ciou={expected['ciou']:.4f}")

    check_seg_counts(out)
    (out / "tokenizer").mkdir(parents=True, exist_ok=True)
    tiny_tokenizer.write_json(
        out / "tokenizer" / "cases.json",
        tiny_tokenizer.tokenizer_cases(tokenizer, prompts, special, seg_token_idx),
    )
    log(start, "done")


if __name__ == "__main__":
    main()
