#pragma once
// SAM's two-way transformer: prompt tokens and image tokens attend to each other in turn.
// Depth, MLP width and the cross-attention downsampling are read from the weights; the head count
// is not recoverable from shapes and is SAM's fixed 8.
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "lisa/models/sam/layers.h"
#include "lisa/models/weights.h"

namespace lisa::models::sam {

class TwoWayTransformer {
 public:
  static constexpr int64_t kNumHeads = 8;

  static TwoWayTransformer bind(const WeightScope& scope, int64_t dim);

  struct Output {
    at::Tensor tokens;  // [n, T, D]
    at::Tensor image;   // [n, HW, D]
  };
  // image [n, D, H, W], image_pe [n, D, H, W], tokens [n, T, D] (also their positional encoding).
  Output operator()(const at::Tensor& image, const at::Tensor& image_pe, const at::Tensor& tokens) const;
  int64_t depth() const { return static_cast<int64_t>(layers_.size()); }

 private:
  // Multi-head attention whose projections may narrow D to D / downsample_rate.
  struct Attention {
    Linear q_proj, k_proj, v_proj, out_proj;
    static Attention bind(const WeightScope& scope, int64_t dim);
    at::Tensor operator()(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const;
  };
  struct Layer {
    Attention self_attn, cross_attn_token_to_image, cross_attn_image_to_token;
    LayerNorm norm1, norm2, norm3, norm4;
    MlpBlock mlp;
    bool skip_first_layer_pe = false;
    // queries [n, T, D], keys [n, HW, D] -> updated (queries, keys)
    void operator()(at::Tensor& queries, at::Tensor& keys, const at::Tensor& query_pe,
                    const at::Tensor& key_pe) const;
  };

  std::vector<Layer> layers_;
  Attention final_attn_token_to_image_;
  LayerNorm norm_final_attn_;
};

}  // namespace lisa::models::sam
