"""Tiny CLIP / SAM / LISA checkpoints built from the reference classes.

Shapes follow the real models' structure at a size that fits in the repository;
every parameter is made non-trivial (no all-zero biases, no all-one norm weights) so
that an engine that skips a bias or a norm scale fails the parity tests.
"""

import json
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

CLIP_DIR_NAME = "clip-tiny"
REAL_CLIP_NAME = "openai/clip-vit-large-patch14"

# The preprocessor_config.json shipped with openai/clip-vit-large-patch14 (old
# feature-extractor format: "size" and "crop_size" are plain ints).
OPENAI_CLIP_PREPROCESSOR = {
    "crop_size": 224,
    "do_center_crop": True,
    "do_normalize": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3,
    "size": 224,
}

SAM_PROMPT_DIM = 256


@dataclass(frozen=True)
class ClipVisionSize:
    hidden: int = 64
    intermediate: int = 256
    layers: int = 3
    heads: int = 4


@dataclass(frozen=True)
class SamSize:
    embed: int = 64
    depth: int = 4
    heads: int = 2
    global_attn_indexes: tuple = (1, 3)
    decoder_mlp: int = 512


@dataclass(frozen=True)
class LlamaSize:
    hidden: int = 128
    intermediate: int = 344
    layers: int = 3
    heads: int = 4


@dataclass(frozen=True)
class ModelSizes:
    """Widths and depths of the three towers; the defaults are the goldens' tiny models."""

    clip: ClipVisionSize = ClipVisionSize()
    sam: SamSize = SamSize()
    llama: LlamaSize = LlamaSize()


TINY = ModelSizes()


def give_realistic_scales(module, seed, skip=()):
    """Replaces the degenerate parts of the default initialisation (zero biases and
    embeddings, unit norm weights) by small random values, in parameter order."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if any(s in name for s in skip):
                continue
            noise = torch.randn(param.shape, generator=generator, dtype=torch.float32)
            if torch.all(param == 0):
                param.copy_(0.02 * noise)
            elif torch.all(param == 1):
                param.copy_(1.0 + 0.1 * noise)


def clip_config(vision=TINY.clip):
    """A CLIP config with a tiny (unused) text tower and the given vision tower."""
    from transformers import CLIPConfig

    return CLIPConfig(
        text_config={
            "vocab_size": 128, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 1, "num_attention_heads": 2,
            "max_position_embeddings": 16, "hidden_act": "quick_gelu",
        },
        vision_config={
            "image_size": 224, "patch_size": 14, "hidden_size": vision.hidden,
            "intermediate_size": vision.intermediate, "num_hidden_layers": vision.layers,
            "num_attention_heads": vision.heads, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
        },
        projection_dim=32,
    )


def write_clip_preprocessor_config(out_dir):
    (Path(out_dir) / "preprocessor_config.json").write_text(
        json.dumps(OPENAI_CLIP_PREPROCESSOR, indent=2) + "\n"
    )


def build_clip(out_dir, seed, vision=TINY.clip):
    """A CLIPModel (vision + unused text tower, like the real openai checkpoint) saved
    with save_pretrained; LISA loads only its vision half via CLIPVisionModel."""
    from transformers import CLIPModel

    torch.manual_seed(seed)
    model = CLIPModel(clip_config(vision)).eval()
    give_realistic_scales(model, seed + 1)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir, safe_serialization=True)
    write_clip_preprocessor_config(out_dir)
    return out_dir


def make_tiny_sam_builder(modeling, size=TINY.sam):
    """A stand-in for LISA's build_sam_vit_h: the same classes and wiring as
    segment_anything's _build_sam, with the image encoder and two-way transformer MLP
    of `size` (by default 64 wide, 4 blocks, MLP 512)."""

    def build_tiny_sam(checkpoint=None):
        assert checkpoint is None, "the random SAM has no pretrained weights"
        image_size, patch = 1024, 16
        sam = modeling.Sam(
            image_encoder=modeling.ImageEncoderViT(
                depth=size.depth,
                embed_dim=size.embed,
                img_size=image_size,
                mlp_ratio=4,
                norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
                num_heads=size.heads,
                patch_size=patch,
                qkv_bias=True,
                use_rel_pos=True,
                global_attn_indexes=list(size.global_attn_indexes),
                window_size=14,
                out_chans=SAM_PROMPT_DIM,
            ),
            prompt_encoder=modeling.PromptEncoder(
                embed_dim=SAM_PROMPT_DIM,
                image_embedding_size=(image_size // patch, image_size // patch),
                input_image_size=(image_size, image_size),
                mask_in_chans=16,
            ),
            mask_decoder=modeling.MaskDecoder(
                num_multimask_outputs=3,
                transformer=modeling.TwoWayTransformer(
                    depth=2, embedding_dim=SAM_PROMPT_DIM, mlp_dim=size.decoder_mlp, num_heads=8
                ),
                transformer_dim=SAM_PROMPT_DIM,
                iou_head_depth=3,
                iou_head_hidden_dim=256,
            ),
            pixel_mean=[123.675, 116.28, 103.53],
            pixel_std=[58.395, 57.12, 57.375],
        )
        sam.eval()
        return sam

    return build_tiny_sam


def sam_size_from_shapes(shapes, prefix="model.visual_model."):
    """The SamSize whose make_tiny_sam_builder model has these tensor shapes
    (name -> shape): the inverse of the builder, used to load a saved random LISA."""
    encoder = prefix + "image_encoder."
    embed = shapes[encoder + "pos_embed"][-1]
    depth = sum(1 for k in shapes if k.startswith(encoder + "blocks.") and k.endswith(".attn.rel_pos_h"))
    rel_pos = [shapes[f"{encoder}blocks.{i}.attn.rel_pos_h"] for i in range(depth)]
    window_rows = 2 * 14 - 1
    return SamSize(
        embed=embed,
        depth=depth,
        heads=embed // rel_pos[0][1],
        global_attn_indexes=tuple(i for i, shape in enumerate(rel_pos) if shape[0] != window_rows),
        decoder_mlp=shapes[prefix + "mask_decoder.transformer.layers.0.mlp.lin1.weight"][0],
    )


def llava_base_config(vocab_size, clip_dir, llama=TINY.llama, mm_hidden_size=TINY.clip.hidden):
    """The LLaVA config LISA starts from (as in a llava-llama checkpoint), of size `llama`."""
    from model.llava.model.language_model.llava_llama import LlavaConfig

    return LlavaConfig(
        vocab_size=vocab_size,
        hidden_size=llama.hidden,
        intermediate_size=llama.intermediate,
        num_hidden_layers=llama.layers,
        num_attention_heads=llama.heads,
        num_key_value_heads=llama.heads,
        hidden_act="silu",
        max_position_embeddings=2048,
        initializer_range=0.02,
        rms_norm_eps=1e-6,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        tie_word_embeddings=False,
        pretraining_tp=1,
        freeze_mm_mlp_adapter=False,
        image_aspect_ratio="square",
        image_grid_pinpoints=None,
        mm_hidden_size=mm_hidden_size,
        mm_use_im_patch_token=False,
        mm_use_im_start_end=False,
        mm_vision_select_feature="patch",
        mm_vision_select_layer=-2,
        mm_vision_tower=str(clip_dir),
        tune_mm_mlp_adapter=False,
        use_mm_proj=True,
        use_cache=True,
        architectures=["LlavaLlamaForCausalLM"],
    )


def build_lisa(tokenizer, base_vocab, clip_dir, seg_token_idx, seed, sizes=TINY):
    """LISA's own construction order (merge_lora_weights_and_save_hf_model.py),
    randomly initialised with realistic scales."""
    torch.manual_seed(seed)
    model = construct_lisa(tokenizer, base_vocab, clip_dir, seg_token_idx, sizes)
    give_realistic_scales(model, seed + 1, skip=("vision_tower",))
    return model.eval()


def construct_lisa(tokenizer, base_vocab, clip_dir, seg_token_idx, sizes=TINY, load_vision_tower=True):
    """Model with train_mask_decoder/out_dim, vision modules, LISA modules, resize.
    Without `load_vision_tower` the CLIP weights are not loaded (LISA's checkpoint
    holds none of them; only config.json of clip_dir is read), which lets the model be
    built on the meta device to list its state dict."""
    from model.LISA import LISAForCausalLM

    model = LISAForCausalLM(
        llava_base_config(base_vocab, clip_dir, sizes.llama, sizes.clip.hidden),
        train_mask_decoder=True,
        out_dim=SAM_PROMPT_DIM,
        seg_token_idx=seg_token_idx,
        vision_tower=str(clip_dir),
    )
    model.config.eos_token_id = tokenizer.eos_token_id
    model.config.bos_token_id = tokenizer.bos_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    if load_vision_tower:
        model.get_model().initialize_vision_modules(model.get_model().config)
    model.get_model().initialize_lisa_modules(model.get_model().config)
    model.resize_token_embeddings(len(tokenizer))
    return model


def lisa_state_dict(model):
    """What the merge script saves: everything but the vision tower."""
    return {k: v for k, v in model.state_dict().items() if "vision_tower" not in k}


@contextmanager
def saved_as_released(config):
    """The config as a released checkpoint has it (vision_tower names the hub CLIP)
    while saving; the local paths are restored afterwards."""
    saved = {k: getattr(config, k) for k in ("vision_tower", "mm_vision_tower")}
    config.vision_tower = config.mm_vision_tower = REAL_CLIP_NAME
    try:
        yield config
    finally:
        for k, v in saved.items():
            setattr(config, k, v)


def save_lisa(model, tokenizer, out_dir, safetensors):
    """bf16 save without the vision tower (as the merge script saves), sharded.
    Converts `model` to bf16 in place: callers reload the saved files anyway."""
    model.to(torch.bfloat16)
    with saved_as_released(model.config):
        model.save_pretrained(
            out_dir,
            state_dict=lisa_state_dict(model),
            max_shard_size="6MB",
            safe_serialization=safetensors,
        )
    tokenizer.save_pretrained(out_dir)
