#pragma once
// Typed configurations read from a checkpoint directory's JSON files. Sizes that define an
// architecture are required (a missing one is an error naming the file and field); fields with a
// fixed meaning in the reference code get the reference's default.
#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "lisa/image/clip_preprocess.h"

namespace lisa {

// config.json of a merged LISA checkpoint: a LLaVA-LLaMA config plus LISA's additions.
struct LisaConfig {
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // defaults to num_attention_heads
  int64_t intermediate_size = 0;
  double rms_norm_eps = 0;
  // Default 10000. transformers 4.31 ignores this field and always uses 10000; LISA configs
  // written by it do not carry the field, so reading it only matters for other exports.
  double rope_theta = 10000;
  int64_t max_position_embeddings = 0;
  int64_t vocab_size = 0;
  int64_t out_dim = 0;                 // SEG embedding size (text_hidden_fcs output), 256 in LISA
  int64_t mm_vision_select_layer = 0;  // CLIP hidden state fed to the projector, -2 in LISA
  bool mm_use_im_start_end = false;    // llava reads it with getattr(..., False)
  int64_t mm_hidden_size = 0;          // CLIP width, the projector's input
  std::string vision_tower;            // `vision_tower`, else `mm_vision_tower` (as LISA's loader does)
  std::string torch_dtype;             // "" when absent

  int64_t head_dim() const { return hidden_size / num_attention_heads; }

  // `path` is config.json or the directory that holds it.
  static LisaConfig load(const std::filesystem::path& path);
  // `source` names the JSON's origin in error messages.
  static LisaConfig from_json(const nlohmann::json& json, const std::string& source);
};

// The vision half of a CLIP config: a CLIPVisionModel config.json, or the `vision_config` object
// of a full CLIPModel config.json (as in openai/clip-vit-large-patch14).
struct ClipVisionConfig {
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t patch_size = 0;
  // Defaults shared by every OpenAI CLIP, as in transformers' CLIPVisionConfig.
  int64_t image_size = 224;
  int64_t num_channels = 3;
  double layer_norm_eps = 1e-5;
  std::string hidden_act = "quick_gelu";

  int64_t patches_per_side() const { return image_size / patch_size; }

  static ClipVisionConfig load(const std::filesystem::path& path);
  static ClipVisionConfig from_json(const nlohmann::json& json, const std::string& source);
};

// preprocessor_config.json of a CLIP image processor, as the parameters of image::clip_preprocess.
// Absent fields take CLIPImageProcessor's defaults (transformers 4.31); `size` and `crop_size` may
// be integers (older files) or objects. Only the full pipeline (resize, center crop, rescale,
// normalize, RGB) is supported: a do_* flag set to false is an error naming the file and field.
image::ClipPreprocessConfig load_clip_preprocess_config(const std::filesystem::path& path);
image::ClipPreprocessConfig clip_preprocess_config_from_json(const nlohmann::json& json, const std::string& source);

}  // namespace lisa
