#pragma once
// SAM's mask decoder with multimask_output=False, as LISA calls it: only the first mask token's
// mask and IoU prediction are produced.
#include <ATen/ATen.h>

#include <cstdint>

#include "lisa/models/sam/layers.h"
#include "lisa/models/sam/two_way_transformer.h"
#include "lisa/models/weights.h"

namespace lisa::models::sam {

struct MaskPrediction {
  at::Tensor low_res_logits;  // [n, 1, 4 * grid_h, 4 * grid_w]
  at::Tensor iou;             // [n]
};

class MaskDecoder {
 public:
  // `scope` is the decoder's prefix. The hypernetwork MLPs of the other mask tokens (multimask output)
  // are declared ignored on the scope's binder.
  static MaskDecoder bind(const WeightScope& scope);

  // image_embedding [1, D, H, W], image_pe [1, D, H, W], sparse [n, S, D], dense [n, D, H, W].
  MaskPrediction operator()(const at::Tensor& image_embedding, const at::Tensor& image_pe,
                            const at::Tensor& sparse, const at::Tensor& dense) const;
  int64_t transformer_dim() const { return iou_token_.size(1); }

 private:
  TwoWayTransformer transformer_;
  at::Tensor iou_token_;    // [1, D]
  at::Tensor mask_tokens_;  // [M, D]: M = 3 multimask outputs + the single-mask token
  at::Tensor upscale1_weight_, upscale1_bias_;  // ConvTranspose2d [D, D / 4, 2, 2], [D / 4]
  LayerNorm2d upscale_norm_;
  at::Tensor upscale2_weight_, upscale2_bias_;  // ConvTranspose2d [D / 4, D / 8, 2, 2], [D / 8]
  Mlp hypernetwork_;         // for mask token 0
  Mlp iou_prediction_head_;  // -> [M]
};

}  // namespace lisa::models::sam
