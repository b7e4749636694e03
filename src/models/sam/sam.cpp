#include "lisa/models/sam/sam.h"

#include <utility>

#include "lisa/error.h"

namespace lisa::models::sam {

Sam::Sam(ImageEncoder image_encoder, PromptEncoder prompt_encoder, MaskDecoder mask_decoder, at::Device device,
         at::ScalarType dtype)
    : image_encoder_(std::move(image_encoder)),
      prompt_encoder_(std::move(prompt_encoder)),
      mask_decoder_(std::move(mask_decoder)),
      dense_pe_(prompt_encoder_.dense_positional_encoding()),
      device_(device),
      dtype_(dtype) {}

Sam Sam::load(WeightBinder& binder, const std::string& prefix) {
  const WeightScope scope(binder, prefix);
  auto image_encoder = ImageEncoder::bind(scope.sub("image_encoder"));
  const auto& g = image_encoder.geometry();
  auto prompt_encoder = PromptEncoder::bind(scope.sub("prompt_encoder"), g.grid_h, g.grid_w);
  auto mask_decoder = MaskDecoder::bind(scope.sub("mask_decoder"));
  LISA_CHECK(prompt_encoder.embed_dim() == g.out_channels && mask_decoder.transformer_dim() == g.out_channels,
             binder.checkpoint().path().string(), ": SAM widths disagree: image encoder neck ", g.out_channels,
             ", prompt encoder ", prompt_encoder.embed_dim(), ", mask decoder ", mask_decoder.transformer_dim(),
             " (under '", prefix, "')");
  binder.finish(prefix);
  return Sam(std::move(image_encoder), std::move(prompt_encoder), std::move(mask_decoder), binder.device(),
             binder.dtype());
}

ImageSize Sam::input_size() const {
  return {static_cast<int>(encoder_geometry().image_h()), static_cast<int>(encoder_geometry().image_w())};
}

at::Tensor Sam::encode_image(const at::Tensor& pixels) const {
  const auto size = input_size();
  // A user error: the checkpoint's SAM may expect another input size than the preprocessing's 1024.
  LISA_CHECK(pixels.dim() == 4 && pixels.size(1) == 3 && pixels.size(2) == size.height && pixels.size(3) == size.width,
             "SAM image encoder: pixels have shape ", pixels.sizes(), ", expected [B, 3, ", size.height, ", ",
             size.width, "]");
  return image_encoder_(pixels.to(device_, dtype_));
}

MaskPrediction Sam::decode(const at::Tensor& image_embedding, const at::Tensor& seg_embeddings) const {
  const auto& g = encoder_geometry();
  // The image embedding is encode_image's; the [SEG] embeddings' width comes from the config's out_dim.
  LISA_INTERNAL_ASSERT(image_embedding.dim() == 4 && image_embedding.size(0) == 1 &&
                           image_embedding.size(1) == g.out_channels && image_embedding.size(2) == g.grid_h &&
                           image_embedding.size(3) == g.grid_w,
                       "SAM mask decoder: image embedding has shape ", image_embedding.sizes(), ", expected [1, ",
                       g.out_channels, ", ", g.grid_h, ", ", g.grid_w, "]");
  LISA_CHECK(seg_embeddings.dim() == 2 && seg_embeddings.size(1) == g.out_channels,
             "SAM mask decoder: [SEG] embeddings have shape ", seg_embeddings.sizes(), ", expected [n, ",
             g.out_channels, "]");
  const auto options = at::TensorOptions().device(device_).dtype(dtype_);
  const int64_t n = seg_embeddings.size(0);
  if (n == 0)
    return {at::empty({0, 1, 4 * g.grid_h, 4 * g.grid_w}, options), at::empty({0}, options)};
  const auto prompts = prompt_encoder_(seg_embeddings.to(device_, dtype_));
  return mask_decoder_(image_embedding.to(device_, dtype_), dense_pe_, prompts.sparse, prompts.dense);
}

at::Tensor Sam::postprocess(const at::Tensor& low_res_logits, ImageSize resized, ImageSize original) const {
  return postprocess_masks(low_res_logits, input_size(), resized, original);
}

}  // namespace lisa::models::sam
