"""Runs LISA's own inference entry points and records what they compute.

Intermediates are read with forward hooks on the reference modules; nothing of the
model is re-implemented here."""

import hashlib
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import torch
from safetensors.torch import save_file

from tiny_tokenizer import golden_json

# Strides of the sampled tensors (see README, "Size budget").
CLIP_PIXELS_STRIDE = 8
SAM_PIXELS_STRIDE = 16
SAM_EMBEDDING_STRIDE = 8
LOW_RES_MASK_STRIDE = 4


class Recorder:
    """Forward hooks on the modules whose outputs the goldens keep. With
    `per_top_call`, every call of the top-level model starts a new record (one per
    validation sample); otherwise one record collects a whole evaluate() run."""

    def __init__(self, model, per_top_call=False):
        inner = model.get_model()
        sam = inner.visual_model
        self.records = [defaultdict(list)]
        self.per_top_call = per_top_call

        def keep(key, fn):
            return lambda module, args, out: self.records[-1][key].append(fn(args, out))

        self.handles = [
            inner.mm_projector.register_forward_hook(keep("clip_features", lambda a, o: o.detach().clone())),
            model.lm_head.register_forward_hook(keep("last_logits", lambda a, o: o[0, -1].detach().clone())),
            inner.text_hidden_fcs[0].register_forward_hook(
                keep("text_hidden_fcs", lambda a, o: (a[0].detach().clone(), o.detach().clone()))
            ),
            sam.image_encoder.register_forward_hook(keep("image_embeddings", lambda a, o: o.detach().clone())),
            sam.prompt_encoder.register_forward_hook(
                lambda module, args, kwargs, out: self.records[-1]["text_embeds"].append(
                    kwargs["text_embeds"].detach().clone()
                ),
                with_kwargs=True,
            ),
            sam.mask_decoder.register_forward_hook(
                keep("mask_decoder", lambda a, o: (o[0].detach().clone(), o[1].detach().clone()))
            ),
        ]
        if per_top_call:
            self.handles.append(model.register_forward_pre_hook(self._start_record))
            self.handles.append(
                model.register_forward_hook(
                    lambda module, args, kwargs, out: self.records[-1]["top"].append((kwargs, out)),
                    with_kwargs=True,
                )
            )
            self.records = []

    def _start_record(self, module, args):
        self.records.append(defaultdict(list))

    def close(self):
        for handle in self.handles:
            handle.remove()


def greedy_min_margin(step_logits):
    """Smallest top-1 minus top-2 logit over the generation steps: how far the
    greedy choices are from a tie."""
    margins = []
    for logits in step_logits:
        top = torch.topk(logits.float(), 2).values
        margins.append(float(top[0] - top[1]))
    return min(margins)


def seg_rows(record, seg_mask):
    """The hidden states and SEG embeddings the reference selected with `seg_mask`;
    checks them against the text embeddings the prompt encoder actually received."""
    (hidden, projected), = record["text_hidden_fcs"]
    seg_hidden = hidden[seg_mask]
    seg_embeddings = projected[seg_mask]
    (text_embeds,) = record["text_embeds"]
    assert torch.equal(text_embeds[:, 0], seg_embeddings), "SEG row selection differs from the reference"
    return seg_hidden, seg_embeddings


def sha256_hex(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def input_tensors(clip_pixels, sam_pixels_uint8):
    """The two model inputs, as exact hashes plus small strided samples (for
    diagnostics): the full arrays (0.6 MB and up to 3 MB per case) do not fit the
    repository budget, and an engine whose preprocessing is bit-exact recomputes them
    from the image and checks them against the hashes (tests/support/golden.h)."""
    clip = clip_pixels.float().contiguous().numpy()
    assert clip.shape == (1, 3, 224, 224) and clip.dtype.byteorder in "=<"
    c, p = CLIP_PIXELS_STRIDE, SAM_PIXELS_STRIDE
    meta = {
        "clip_pixels_sha256": sha256_hex(clip),
        "sam_pixels_uint8_sha256": sha256_hex(sam_pixels_uint8),
        "clip_pixels_stride": c,
        "sam_pixels_stride": p,
    }
    tensors = {
        "clip_pixels_sample": torch.from_numpy(np.ascontiguousarray(clip[:, :, ::c, ::c])),
        "sam_pixels_uint8_sample": torch.from_numpy(np.ascontiguousarray(sam_pixels_uint8[::p, ::p])),
    }
    return meta, tensors


def model_tensors(record, prefill_logits, seg_hidden, seg_embeddings):
    """What every case keeps of the model's computation."""
    (image_embeddings,) = record["image_embeddings"]
    ((low_res, iou),) = record["mask_decoder"]
    e, m = SAM_EMBEDDING_STRIDE, LOW_RES_MASK_STRIDE
    return {
        "clip_features": record["clip_features"][0][0].contiguous(),
        "prefill_logits": prefill_logits.contiguous(),
        "seg_hidden": seg_hidden.contiguous(),
        "seg_embeddings": seg_embeddings.contiguous(),
        "sam_embedding_sample": image_embeddings[0, :, ::e, ::e].contiguous(),
        "low_res_masks_sample": low_res[:, 0, ::m, ::m].contiguous(),
        "iou_predictions": iou[:, 0].contiguous(),
    }


def sampling_meta():
    return {
        "sam_embedding_stride": SAM_EMBEDDING_STRIDE,
        "low_res_mask_stride": LOW_RES_MASK_STRIDE,
    }


class ResultRecorder:
    """Keeps what `obj.method` returns while installed (on the instance only)."""

    def __init__(self, obj, method):
        self.obj, self.method = obj, method
        self.results = []
        original = getattr(obj, method)

        def wrapper(*args, **kwargs):
            out = original(*args, **kwargs)
            self.results.append(out)
            return out

        setattr(obj, method, wrapper)

    def close(self):
        delattr(self.obj, self.method)


def write_case(case_dir, meta, tensors, pred_masks):
    case_dir = Path(case_dir)
    case_dir.mkdir(parents=True, exist_ok=True)
    mask_names = []
    for i, logits in enumerate(pred_masks):
        name = f"mask_{i}.png"
        binary = (logits > 0).numpy().astype(np.uint8) * 255
        cv2.imwrite(str(case_dir / name), binary, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        mask_names.append(name)
    save_file(tensors, str(case_dir / "tensors.safetensors"))
    meta = dict(meta, tensors="tensors.safetensors", masks=mask_names)
    (case_dir / "case.json").write_text(golden_json(meta), encoding="utf-8")


def run_chat_case(model, tokenizer, clip_processor, golden_root, image_rel, user_text, conv_type, max_new_tokens):
    """chat.py's per-request steps, then model.evaluate() as chat.py calls it."""
    import chat
    from model.llava import conversation as conversation_lib
    from model.llava.mm_utils import tokenizer_image_token
    from model.segment_anything.utils.transforms import ResizeLongestSide
    from utils.utils import (DEFAULT_IM_END_TOKEN, DEFAULT_IM_START_TOKEN,
                             DEFAULT_IMAGE_TOKEN, IMAGE_TOKEN_INDEX)

    conv = conversation_lib.conv_templates[conv_type].copy()
    conv.messages = []
    prompt = DEFAULT_IMAGE_TOKEN + "\n" + user_text
    prompt = prompt.replace(DEFAULT_IMAGE_TOKEN, DEFAULT_IM_START_TOKEN + DEFAULT_IMAGE_TOKEN + DEFAULT_IM_END_TOKEN)
    conv.append_message(conv.roles[0], prompt)
    conv.append_message(conv.roles[1], "")
    prompt = conv.get_prompt()

    image_np = cv2.imread(str(Path(golden_root) / image_rel))
    image_np = cv2.cvtColor(image_np, cv2.COLOR_BGR2RGB)
    original_size = image_np.shape[:2]
    image_clip = clip_processor.preprocess(image_np, return_tensors="pt")["pixel_values"][0].unsqueeze(0).float()
    sam_uint8 = ResizeLongestSide(1024).apply_image(image_np)
    resize = sam_uint8.shape[:2]
    image = chat.preprocess(torch.from_numpy(sam_uint8).permute(2, 0, 1).contiguous()).unsqueeze(0).float()
    input_ids = tokenizer_image_token(prompt, tokenizer, return_tensors="pt").unsqueeze(0)

    recorder = Recorder(model)
    try:
        output_ids, pred_masks = model.evaluate(
            image_clip, image, input_ids, [resize], [original_size],
            max_new_tokens=max_new_tokens, tokenizer=tokenizer,
        )
    finally:
        recorder.close()
    record = recorder.records[0]

    # evaluate(): SEG rows are those whose *next* output id is [SEG]; the 255 extra
    # rows account for the 256 image rows replacing the one -200 id.
    seg_mask = output_ids[:, 1:] == model.seg_token_idx
    seg_mask = torch.cat([torch.zeros((1, 255), dtype=torch.bool), seg_mask], dim=1)
    seg_hidden, seg_embeddings = seg_rows(record, seg_mask)

    sequence = output_ids[0]
    display_ids = sequence[sequence != IMAGE_TOKEN_INDEX]
    text = tokenizer.decode(display_ids, skip_special_tokens=False)
    text = text.replace("\n", "").replace("  ", " ")
    generated = sequence[input_ids.shape[1]:].tolist()
    meta = {
        "kind": "chat",
        "image": image_rel,
        "conv_type": conv_type,
        "user_text": user_text,
        "prompt": prompt,
        "input_ids": input_ids[0].tolist(),
        "max_new_tokens": max_new_tokens,
        "original_size": list(original_size),
        "resize_size": list(resize),
        "output_ids": sequence.tolist(),
        "generated_ids": generated,
        "text": text,
        "seg_count": int(seg_embeddings.shape[0]),
        "greedy_min_margin": greedy_min_margin(record["last_logits"]),
        **sampling_meta(),
    }
    input_meta, tensors = input_tensors(image_clip, sam_uint8)
    meta.update(input_meta)
    tensors.update(model_tensors(record, record["last_logits"][0], seg_hidden, seg_embeddings))
    return meta, tensors, pred_masks[0]


def _import_train_ds():
    """train_ds.py imports training-only packages at module level; validate() uses
    none of them."""
    import sys
    import types

    for name, attrs in {
        "deepspeed": {},
        "peft": {"LoraConfig": None, "get_peft_model": None},
        "torch.utils.tensorboard": {"SummaryWriter": None},
    }.items():
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__dict__.update(attrs)
            sys.modules[name] = module
    import train_ds

    return train_ds


class _NoWriter:
    def add_scalar(self, *args, **kwargs):
        pass


def run_reasonseg_validation(model, tokenizer, clip_dir, golden_root, stems):
    """ValDataset + collate_fn + train_ds.validate() on the split under
    golden_root/reasonseg/val, exactly as train_ds.py wires them (batch 1, fp32),
    recording each sample's teacher-forced forward with hooks."""
    import tempfile
    import torch.distributed as dist
    from model.llava import conversation as conversation_lib
    from utils.data_processing import get_mask_from_json
    from utils.dataset import ValDataset, collate_fn
    from utils.utils import intersectionAndUnionGPU

    train_ds = _import_train_ds()
    conversation_lib.default_conversation = conversation_lib.conv_templates["llava_v1"]
    golden_root = Path(golden_root)

    with tempfile.TemporaryDirectory() as base:
        # ValDataset globs <base>/reason_seg/ReasonSeg/val/*.jpg
        (Path(base) / "reason_seg").mkdir()
        (Path(base) / "reason_seg" / "ReasonSeg").symlink_to(golden_root / "reasonseg")
        dataset = ValDataset(base, tokenizer, str(clip_dir), "ReasonSeg|val", image_size=1024)
        dataset.images = sorted(dataset.images)  # glob order is not defined
        assert [Path(p).stem for p in dataset.images] == list(stems)
        resized = ResultRecorder(dataset.transform, "apply_image")
        try:
            items = [dataset[i] for i in range(len(dataset))]
        finally:
            resized.close()
        batches = [
            collate_fn([item], tokenizer=tokenizer, conv_type="llava_v1", use_mm_start_end=True, local_rank=0)
            for item in items
        ]

        recorder = Recorder(model, per_top_call=True)
        args = types_namespace(precision="fp32", local_rank=0)
        init_file = Path(base) / "process_group"
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=0, world_size=1)
        try:
            giou, ciou = train_ds.validate(batches, model, 0, _NoWriter(), args)
        finally:
            dist.destroy_process_group()
            recorder.close()

    cases, per_image = [], []
    for stem, batch, record, sam_uint8 in zip(stems, batches, recorder.records, resized.results):
        ((kwargs, output),) = record["top"]
        input_ids = batch["input_ids"]
        seg_mask = input_ids[:, 1:] == model.seg_token_idx
        seg_mask = torch.cat([seg_mask, torch.zeros((1, 1), dtype=torch.bool)], dim=1)
        seg_mask = torch.cat([torch.zeros((1, 255), dtype=torch.bool), seg_mask], dim=1)
        seg_hidden, seg_embeddings = seg_rows(record, seg_mask)
        pred_masks = output["pred_masks"][0]
        gt = output["gt_masks"][0].int()

        intersection, union, _ = intersectionAndUnionGPU(
            (pred_masks > 0).int()[0].contiguous().clone(), gt[0].contiguous(), 2, ignore_index=255
        )
        per_image.append({
            "stem": stem,
            "intersection": intersection.tolist(),
            "union": union.tolist(),
            "iou": float(1.0 if union[1] == 0 else intersection[1] / (union[1] + 1e-5)),
        })

        image_path = golden_root / "reasonseg" / "val" / f"{stem}.jpg"
        image = cv2.cvtColor(cv2.imread(str(image_path)), cv2.COLOR_BGR2RGB)
        gt_mask, texts, is_sentence = get_mask_from_json(str(image_path.with_suffix(".json")), image)
        assert np.array_equal(gt_mask, gt[0].numpy())
        meta = {
            "kind": "eval",
            "image": f"reasonseg/val/{stem}.jpg",
            "json": f"reasonseg/val/{stem}.json",
            "is_sentence": bool(is_sentence),
            "conv_type": "llava_v1",
            "user_text": texts[0].strip(),
            "answer": "[SEG].",
            "prompt": batch["conversation_list"][0],
            "input_ids": input_ids[0].tolist(),
            "original_size": list(gt_mask.shape),
            "resize_size": list(batch["resize_list"][0]),
            "seg_count": int(seg_embeddings.shape[0]),
            **sampling_meta(),
        }
        input_meta, tensors = input_tensors(batch["images_clip"], sam_uint8)
        meta.update(input_meta)
        tensors.update(model_tensors(record, record["last_logits"][0], seg_hidden, seg_embeddings))
        cases.append((stem, meta, tensors, pred_masks, gt_mask))

    expected = {
        "protocol": "teacher-forced ReasonSeg validation (train_ds.validate), fp32",
        "images": per_image,
        "giou": float(giou),
        "ciou": float(ciou),
    }
    return cases, expected


def types_namespace(**kwargs):
    import argparse

    return argparse.Namespace(**kwargs)
