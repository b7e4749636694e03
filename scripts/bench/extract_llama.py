#!/usr/bin/env python3
"""Writes the LLaMA part of a LISA checkpoint as a plain Hugging Face LlamaForCausalLM folder.

    extract_llama.py LISA_DIR OUT_DIR

For tools that know LLaMA but not LISA (llama.cpp's convert_hf_to_gguf.py, in compare_llamacpp.sh):
the tensors model.embed_tokens, model.layers.*, model.norm and lm_head, unchanged in name, dtype and
value, sharded as the input is; config.json with LLaMA's architecture and the checkpoint's sizes
(vocabulary included: LISA's added tokens stay, as added_tokens.json lists them); the tokenizer files
copied. The CLIP tower, SAM, mm_projector and text_hidden_fcs are left out.
"""

import json
import shutil
import sys
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save_file

LLAMA_PREFIXES = ("model.embed_tokens.", "model.layers.", "model.norm.", "lm_head.")
TOKENIZER_FILES = ("tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")
CONFIG_KEYS = ("bos_token_id", "eos_token_id", "pad_token_id", "hidden_act", "hidden_size", "initializer_range",
               "intermediate_size", "max_position_embeddings", "num_attention_heads", "num_hidden_layers",
               "num_key_value_heads", "rms_norm_eps", "rope_scaling", "tie_word_embeddings", "torch_dtype",
               "vocab_size")


def shard_files(lisa_dir: Path) -> list:
    index = lisa_dir / "model.safetensors.index.json"
    if index.is_file():
        return sorted(set(json.loads(index.read_text())["weight_map"].values()))
    return sorted(p.name for p in lisa_dir.glob("*.safetensors"))


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lisa_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    config = json.loads((lisa_dir / "config.json").read_text())
    llama_config = {key: config[key] for key in CONFIG_KEYS if key in config}
    llama_config.update(architectures=["LlamaForCausalLM"], model_type="llama")
    (out_dir / "config.json").write_text(json.dumps(llama_config, indent=2))
    for name in TOKENIZER_FILES:
        if (lisa_dir / name).is_file():
            shutil.copy(lisa_dir / name, out_dir / name)

    shards = shard_files(lisa_dir)
    weight_map = {}
    total = 0
    for number, shard in enumerate(shards, start=1):
        with safe_open(str(lisa_dir / shard), framework="pt") as source:
            tensors = {key: source.get_tensor(key) for key in source.keys() if key.startswith(LLAMA_PREFIXES)}
        if not tensors:
            continue
        out_name = f"model-{number:05d}-of-{len(shards):05d}.safetensors"
        save_file(tensors, str(out_dir / out_name), metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(tensors, out_name))
        total += sum(t.numel() * t.element_size() for t in tensors.values())
        print(f"{out_name}: {len(tensors)} tensors", flush=True)
    if not weight_map:
        sys.exit(f"extract_llama.py: no LLaMA tensors in {lisa_dir}")
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (out_dir / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))


if __name__ == "__main__":
    main()
