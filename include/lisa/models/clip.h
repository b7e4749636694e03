#pragma once
// The CLIP vision tower as LLaVA/LISA use it: the patch features of one intermediate hidden state.
// Keys `vision_model.*` of a Hugging Face CLIPVisionModel / CLIPModel checkpoint.
#include <ATen/ATen.h>

#include <vector>

#include "lisa/config.h"
#include "lisa/models/layer_norm.h"
#include "lisa/models/linear.h"
#include "lisa/models/weights.h"

namespace lisa::models {

// What the weights cannot tell: from the CLIP config.json, and the LISA config's select layer.
struct ClipVisionOptions {
  int64_t num_heads = 16;
  double layer_norm_eps = 1e-5;
  // Index into transformers' `hidden_states` tuple (0 = after pre_layrnorm, i = output of layer i);
  // negative counts from the end, as LLaVA's `mm_vision_select_layer` (-2) does.
  int64_t select_layer = -2;

  // `select_layer` is the LISA config's mm_vision_select_layer.
  static ClipVisionOptions from_config(const ClipVisionConfig& config, int64_t select_layer) {
    return {config.num_attention_heads, config.layer_norm_eps, select_layer};
  }
};

class ClipVisionTower {
 public:
  struct EncoderLayer {
    LayerNorm layer_norm1, layer_norm2;
    Linear q_proj, k_proj, v_proj, out_proj;  // [C, C] with bias
    Linear fc1, fc2;                          // [F, C], [C, F] with bias
  };

  // Binds the layers up to the selected hidden state; sizes (width, patch, image, FFN, depth) are read
  // from the weights' shapes. Declares as ignored what LLaVA never runs: the layers after the selected
  // hidden state, post_layernorm, the text model and the CLIPModel projection heads.
  static ClipVisionTower bind(WeightBinder& binder, const ClipVisionOptions& options);

  // pixels [B, 3, S, S] (any dtype/device; converted to the weights') -> [B, N, C] patch rows of the
  // selected hidden state, CLS dropped, in the weights' dtype.
  at::Tensor forward(const at::Tensor& pixels) const;

  int64_t hidden_size() const { return class_embedding_.size(0); }
  int64_t image_size() const { return patch_size_ * grid_size_; }
  int64_t num_patches() const { return grid_size_ * grid_size_; }

 private:
  at::Tensor attention(const EncoderLayer& layer, const at::Tensor& x) const;

  ClipVisionOptions options_;
  int64_t patch_size_ = 0;
  int64_t grid_size_ = 0;
  at::Tensor patch_embedding_;     // [C, 3, P, P], no bias
  at::Tensor class_embedding_;     // [C]
  at::Tensor position_embedding_;  // [N + 1, C]
  LayerNorm pre_layrnorm_;         // (sic: the checkpoint's spelling)
  std::vector<EncoderLayer> layers_;  // only those the selected hidden state depends on
};

}  // namespace lisa::models
