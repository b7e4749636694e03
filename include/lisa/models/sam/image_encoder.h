#pragma once
// SAM's ViT image encoder (ViTDet backbone): patch embedding, absolute positions, transformer blocks
// with windowed or global attention and decomposed relative positions, and a convolutional neck.
// SAM has no config file: the geometry is read off the weight shapes (ViT-H and small test models alike).
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "lisa/models/sam/layers.h"
#include "lisa/models/weights.h"

namespace lisa::models::sam {

struct ImageEncoderGeometry {
  int64_t patch_size = 0;     // patch_embed.proj.weight [embed, 3, patch, patch]
  int64_t grid_h = 0;         // pos_embed [1, grid_h, grid_w, embed]
  int64_t grid_w = 0;
  int64_t embed_dim = 0;
  int64_t num_heads = 0;      // embed_dim / head_dim, head_dim = rel_pos_h.shape[1]
  int64_t mlp_dim = 0;        // blocks.0.mlp.lin1.weight [mlp, embed]
  int64_t out_channels = 0;   // neck.0.weight [out, embed, 1, 1]
  std::vector<int64_t> block_windows;  // per block: window size, 0 for global attention

  int64_t depth() const { return static_cast<int64_t>(block_windows.size()); }
  int64_t image_h() const { return grid_h * patch_size; }
  int64_t image_w() const { return grid_w * patch_size; }
  std::vector<int64_t> global_blocks() const;

  // `scope` is the encoder's prefix, e.g. "model.visual_model.image_encoder.".
  static ImageEncoderGeometry infer(const WeightScope& scope);
};

class ImageEncoder {
 public:
  static ImageEncoder bind(const WeightScope& scope);

  // pixels [B, 3, image_h, image_w] (normalised, padded), in the model dtype -> [B, out, grid_h, grid_w]
  at::Tensor operator()(const at::Tensor& pixels) const;
  const ImageEncoderGeometry& geometry() const { return geometry_; }

 private:
  struct Attention {
    Linear qkv, proj;
    at::Tensor rel_pos_h, rel_pos_w;  // [2 * size - 1, head_dim]
    int64_t num_heads = 0;
    at::Tensor operator()(const at::Tensor& x) const;  // [B, H, W, C] -> [B, H, W, C]
  };
  struct Block {
    LayerNorm norm1, norm2;
    Attention attn;
    MlpBlock mlp;
    int64_t window = 0;
    at::Tensor operator()(const at::Tensor& x) const;  // [B, H, W, C]
  };

  ImageEncoderGeometry geometry_;
  at::Tensor patch_weight_, patch_bias_;  // [embed, 3, patch, patch], [embed]
  at::Tensor pos_embed_;                  // [1, grid_h, grid_w, embed]
  std::vector<Block> blocks_;
  at::Tensor neck_conv1_, neck_conv2_;    // [out, embed, 1, 1], [out, out, 3, 3]
  LayerNorm2d neck_norm1_, neck_norm2_;
};

}  // namespace lisa::models::sam
