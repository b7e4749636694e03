#include "lisa/models/sam/prompt_encoder.h"

#include <cmath>

#include "models/sam/weight_shapes.h"

namespace lisa::models::sam {

PromptEncoder PromptEncoder::bind(const WeightScope& scope, int64_t grid_h, int64_t grid_w) {
  const auto no_mask = shape_with_rank(scope, "no_mask_embed.weight", 2);
  if (no_mask[0] != 1) throw_shape_error(scope, "no_mask_embed.weight", no_mask, "[1, D]");
  const int64_t dim = no_mask[1];
  PromptEncoder encoder;
  encoder.no_mask_embed_ = scope.bind("no_mask_embed.weight", {1, dim});
  encoder.gaussian_matrix_ = scope.bind("pe_layer.positional_encoding_gaussian_matrix", {2, dim / 2});
  encoder.grid_h_ = grid_h;
  encoder.grid_w_ = grid_w;
  // LISA prompts SAM with text embeddings only (points, boxes and masks are always None), so the
  // point / box embeddings and the mask-input downscaling network are never used.
  auto& binder = scope.binder();
  binder.ignore_prefix(scope.prefix() + "point_embeddings.");
  binder.ignore_prefix(scope.prefix() + "not_a_point_embed.");
  binder.ignore_prefix(scope.prefix() + "mask_downscaling.");
  return encoder;
}

PromptEmbeddings PromptEncoder::operator()(const at::Tensor& text_embeds) const {
  const int64_t n = text_embeds.size(0);
  // With text embeddings alone the reference concatenates them onto an empty sparse tensor:
  // no padding point is added.
  return {text_embeds.unsqueeze(1),
          no_mask_embed_.reshape({1, -1, 1, 1}).expand({n, -1, grid_h_, grid_w_})};
}

at::Tensor PromptEncoder::dense_positional_encoding() const {
  // Cell centres normalised to [0, 1]: (cumsum of ones - 0.5) / size, in the matrix dtype.
  const auto ones = at::ones({grid_h_, grid_w_}, gaussian_matrix_.options());
  const auto y = (ones.cumsum(0) - 0.5) / grid_h_;
  const auto x = (ones.cumsum(1) - 0.5) / grid_w_;
  const auto coords = 2 * at::stack({x, y}, -1) - 1;                   // [H, W, 2] in [-1, 1]
  const auto angles = (2 * M_PI) * at::matmul(coords, gaussian_matrix_);  // [H, W, D / 2]
  return at::cat({at::sin(angles), at::cos(angles)}, -1).permute({2, 0, 1}).unsqueeze(0);
}

}  // namespace lisa::models::sam
