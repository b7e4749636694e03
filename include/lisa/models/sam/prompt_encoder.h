#pragma once
// SAM's prompt encoder as LISA uses it: the only prompts are the [SEG] embeddings (no points, boxes
// or mask inputs), plus the random-Fourier positional encoding of the image-embedding grid.
#include <ATen/ATen.h>

#include <cstdint>

#include "lisa/models/weights.h"

namespace lisa::models::sam {

struct PromptEmbeddings {
  at::Tensor sparse;  // [n, 1, D]: the text embeddings themselves
  at::Tensor dense;   // [n, D, grid_h, grid_w]: no_mask_embed broadcast (an expanded view)
};

class PromptEncoder {
 public:
  // `scope` is the prompt encoder's prefix; grid_h x grid_w is the image encoder's output grid.
  // The point, box and mask-input weights are declared ignored on the scope's binder.
  static PromptEncoder bind(const WeightScope& scope, int64_t grid_h, int64_t grid_w);

  // text_embeds [n, D] -> sparse [n, 1, D] and dense [n, D, grid_h, grid_w].
  PromptEmbeddings operator()(const at::Tensor& text_embeds) const;
  // [1, D, grid_h, grid_w]: sin / cos of random projections of the normalised grid cell centres,
  // computed in the dtype of the stored Gaussian matrix (the model dtype) as the reference does.
  at::Tensor dense_positional_encoding() const;
  int64_t embed_dim() const { return no_mask_embed_.size(1); }

 private:
  at::Tensor no_mask_embed_;     // [1, D]
  at::Tensor gaussian_matrix_;   // [2, D / 2]
  int64_t grid_h_ = 0, grid_w_ = 0;
};

}  // namespace lisa::models::sam
