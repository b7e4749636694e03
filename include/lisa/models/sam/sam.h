#pragma once
// Segment Anything as LISA drives it: encode the image once, then decode one mask per [SEG]
// embedding and bring the logits back to the original image size.
//
//   WeightBinder binder(checkpoint, device, dtype);         // dtype: kFloat, kBFloat16 or kHalf
//   auto sam = Sam::load(binder);                           // binds model.visual_model.*, strictly
//   auto embedding = sam.encode_image(pixels);              // [1, 3, 1024, 1024] -> [1, 256, 64, 64]
//   auto pred = sam.decode(embedding, seg_embeddings);      // [n, 256] -> low_res [n, 1, 256, 256], iou [n]
//   auto logits = sam.postprocess(pred.low_res_logits, resized, original);  // float32, mask = logits > 0
#include <ATen/ATen.h>

#include <string>

#include "lisa/models/sam/image_encoder.h"
#include "lisa/models/sam/mask_decoder.h"
#include "lisa/models/sam/postprocess.h"
#include "lisa/models/sam/prompt_encoder.h"
#include "lisa/models/weights.h"

namespace lisa::models::sam {

class Sam {
 public:
  // Binds image_encoder.*, prompt_encoder.* and mask_decoder.* under `prefix` on the binder's device
  // and dtype, then fails on any key under `prefix` that was neither bound nor declared unused.
  static Sam load(WeightBinder& binder, const std::string& prefix = "model.visual_model.");

  // pixels [B, 3, image_h, image_w]: normalised and zero-padded (see input_size()), any float dtype
  // -> [B, D, grid_h, grid_w] in the model dtype.
  at::Tensor encode_image(const at::Tensor& pixels) const;
  // image_embedding [1, D, grid_h, grid_w] from encode_image, seg_embeddings [n, D]
  // -> low-resolution mask logits [n, 1, 4 * grid_h, 4 * grid_w] and IoU predictions [n], model dtype.
  MaskPrediction decode(const at::Tensor& image_embedding, const at::Tensor& seg_embeddings) const;
  // float32 logits [n, 1, original.height, original.width]; `resized` is the image size before
  // padding (image::SamInput's resize_size and original_size fit as they are).
  at::Tensor postprocess(const at::Tensor& low_res_logits, ImageSize resized, ImageSize original) const;

  ImageSize input_size() const;  // the padded encoder input, 1024 x 1024 for SAM
  const ImageEncoderGeometry& encoder_geometry() const { return image_encoder_.geometry(); }
  at::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }

 private:
  Sam(ImageEncoder image_encoder, PromptEncoder prompt_encoder, MaskDecoder mask_decoder, at::Device device,
      at::ScalarType dtype);

  ImageEncoder image_encoder_;
  PromptEncoder prompt_encoder_;
  MaskDecoder mask_decoder_;
  at::Tensor dense_pe_;  // [1, D, grid_h, grid_w], fixed by the weights
  at::Device device_;
  at::ScalarType dtype_;
};

}  // namespace lisa::models::sam
