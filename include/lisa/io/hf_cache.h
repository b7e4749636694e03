#pragma once
// Offline lookup of models in the local Hugging Face hub cache, as huggingface_hub lays it out:
// <cache>/models--<owner>--<name>/refs/main holds a revision, snapshots/<revision>/ the files.
#include <filesystem>
#include <string>

namespace lisa::io {

// The hub cache directory: $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
// else ~/.cache/huggingface/hub (the first variable that is set decides, as in huggingface_hub).
std::filesystem::path hf_hub_cache();

// `reference` is an existing directory (returned as is) or a model id "owner/name" (or "name"),
// resolved to its snapshot: the revision refs/main names, else the only or the newest snapshot.
// Nothing is downloaded. Throws lisa::Error listing every place it looked.
std::filesystem::path resolve_model_dir(const std::string& reference);

}  // namespace lisa::io
