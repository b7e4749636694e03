#include "lisa/models/sam/sam.h"

#include <sstream>
#include <utility>

#include "lisa/error.h"

namespace lisa::models::sam {

namespace {
std::string shape_string(const at::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}
}  // namespace

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
  if (prompt_encoder.embed_dim() != g.out_channels || mask_decoder.transformer_dim() != g.out_channels)
    throw Error(binder.checkpoint().path().string() + ": SAM widths disagree: image encoder neck " +
                std::to_string(g.out_channels) + ", prompt encoder " + std::to_string(prompt_encoder.embed_dim()) +
                ", mask decoder " + std::to_string(mask_decoder.transformer_dim()) + " (under '" + prefix + "')");
  binder.finish(prefix);
  return Sam(std::move(image_encoder), std::move(prompt_encoder), std::move(mask_decoder), binder.device(),
             binder.dtype());
}

ImageSize Sam::input_size() const {
  return {static_cast<int>(encoder_geometry().image_h()), static_cast<int>(encoder_geometry().image_w())};
}

at::Tensor Sam::encode_image(const at::Tensor& pixels) const {
  const auto size = input_size();
  if (pixels.dim() != 4 || pixels.size(1) != 3 || pixels.size(2) != size.height || pixels.size(3) != size.width)
    throw Error("SAM image encoder: pixels have shape " + shape_string(pixels) + ", expected [B, 3, " +
                std::to_string(size.height) + ", " + std::to_string(size.width) + "]");
  return image_encoder_(pixels.to(device_, dtype_));
}

MaskPrediction Sam::decode(const at::Tensor& image_embedding, const at::Tensor& seg_embeddings) const {
  const auto& g = encoder_geometry();
  if (image_embedding.dim() != 4 || image_embedding.size(0) != 1 || image_embedding.size(1) != g.out_channels ||
      image_embedding.size(2) != g.grid_h || image_embedding.size(3) != g.grid_w)
    throw Error("SAM mask decoder: image embedding has shape " + shape_string(image_embedding) + ", expected [1, " +
                std::to_string(g.out_channels) + ", " + std::to_string(g.grid_h) + ", " + std::to_string(g.grid_w) +
                "]");
  if (seg_embeddings.dim() != 2 || seg_embeddings.size(1) != g.out_channels)
    throw Error("SAM mask decoder: [SEG] embeddings have shape " + shape_string(seg_embeddings) + ", expected [n, " +
                std::to_string(g.out_channels) + "]");
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
