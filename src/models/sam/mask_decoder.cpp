#include "lisa/models/sam/mask_decoder.h"

#include "models/sam/weight_shapes.h"

namespace lisa::models::sam {

MaskDecoder MaskDecoder::bind(const WeightScope& scope) {
  const auto iou_shape = shape_with_rank(scope, "iou_token.weight", 2);
  if (iou_shape[0] != 1) throw_shape_error(scope, "iou_token.weight", iou_shape, "[1, D]");
  const int64_t dim = iou_shape[1];
  const int64_t num_masks = shape_with_rank(scope, "mask_tokens.weight", 2)[0];
  if (dim % 8 != 0) throw_shape_error(scope, "iou_token.weight", iou_shape, "[1, D] with D divisible by 8");

  MaskDecoder decoder;
  decoder.transformer_ = TwoWayTransformer::bind(scope.sub("transformer"), dim);
  decoder.iou_token_ = scope.bind("iou_token.weight", {1, dim});
  decoder.mask_tokens_ = scope.bind("mask_tokens.weight", {num_masks, dim});
  decoder.upscale1_weight_ = scope.bind("output_upscaling.0.weight", {dim, dim / 4, 2, 2});
  decoder.upscale1_bias_ = scope.bind("output_upscaling.0.bias", {dim / 4});
  decoder.upscale_norm_ = LayerNorm2d::bind(scope.sub("output_upscaling.1"), dim / 4);
  decoder.upscale2_weight_ = scope.bind("output_upscaling.3.weight", {dim / 4, dim / 8, 2, 2});
  decoder.upscale2_bias_ = scope.bind("output_upscaling.3.bias", {dim / 8});
  decoder.hypernetwork_ = Mlp::bind(scope.sub("output_hypernetworks_mlps.0"), dim, dim / 8);
  decoder.iou_prediction_head_ = Mlp::bind(scope.sub("iou_prediction_head"), dim, num_masks);
  // multimask_output=False keeps mask 0 only: the other tokens' hypernetworks never contribute.
  for (int64_t i = 1; i < num_masks; ++i)
    scope.binder().ignore_prefix(scope.prefix() + "output_hypernetworks_mlps." + std::to_string(i) + ".");
  return decoder;
}

MaskPrediction MaskDecoder::operator()(const at::Tensor& image_embedding, const at::Tensor& image_pe,
                                       const at::Tensor& sparse, const at::Tensor& dense) const {
  const int64_t n = sparse.size(0);
  // Output tokens first (IoU, then the mask tokens), then the prompts: [n, 1 + M + S, D].
  const auto output_tokens = at::cat({iou_token_, mask_tokens_}, 0).unsqueeze(0).expand({n, -1, -1});
  const auto tokens = at::cat({output_tokens, sparse}, 1);
  // One copy of the image per mask.
  const auto src = at::repeat_interleave(image_embedding, n, 0) + dense;
  const auto pos = at::repeat_interleave(image_pe, n, 0);
  const int64_t d = src.size(1), h = src.size(2), w = src.size(3);

  const auto out = transformer_(src, pos, tokens);
  const auto iou_token_out = out.tokens.select(1, 0);   // [n, D]
  const auto mask_token_out = out.tokens.select(1, 1);  // [n, D]: mask token 0

  // [n, HW, D] -> [n, D, H, W] -> upscaled [n, D / 8, 4H, 4W]
  auto up = at::conv_transpose2d(out.image.transpose(1, 2).reshape({n, d, h, w}), upscale1_weight_, upscale1_bias_,
                                 /*stride=*/2);
  up = at::gelu(upscale_norm_(up));
  up = at::gelu(at::conv_transpose2d(up, upscale2_weight_, upscale2_bias_, /*stride=*/2));
  const int64_t c = up.size(1), uh = up.size(2), uw = up.size(3);

  const auto hyper = hypernetwork_(mask_token_out).unsqueeze(1);  // [n, 1, D / 8]
  const auto masks = at::matmul(hyper, up.reshape({n, c, uh * uw})).view({n, 1, uh, uw});
  const auto iou = iou_prediction_head_(iou_token_out).select(1, 0);
  return {masks, iou};
}

}  // namespace lisa::models::sam
