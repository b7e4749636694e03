#pragma once
// LLaVA's splice of one image into the token stream (prepare_inputs_labels_for_multimodal for one
// image and one placeholder): embeddings of the ids before the placeholder, the projected CLIP
// rows, then the embeddings of the ids after it.
#include <ATen/ATen.h>

#include <vector>

#include "lisa/models/llama.h"

namespace lisa::models {

// LLaVA's IMAGE_TOKEN_INDEX: the id tokenizer_image_token puts where `<image>` was.
inline constexpr int64_t kImagePlaceholderId = -200;

struct MultimodalSequence {
  std::vector<int64_t> ids;  // as given, with at most one kImagePlaceholderId
  at::Tensor embeds;         // [1, T, H], T = ids.size() - 1 + image_rows with an image, else ids.size()
  int64_t image_rows = 0;    // rows the placeholder became (0: no image)

  // The row whose final hidden state LISA takes for the token ids[k], k >= 1: the state that predicts it.
  int64_t predicting_row(size_t k) const;
};

// Checks the ids (each in [0, V) or the placeholder; a placeholder exactly when `image_rows` is given)
// and embeds them. `image_rows` [N, H] are the projected CLIP features, or an undefined tensor.
MultimodalSequence splice_image(const LlamaModel& model, std::vector<int64_t> ids, const at::Tensor& image_rows);

}  // namespace lisa::models
