#pragma once
// SAM's postprocess_masks, in float32: low-resolution logits back to the original image size.
#include <ATen/ATen.h>

#include "lisa/image/image.h"

namespace lisa::models::sam {

using image::ImageSize;

// low_res [n, 1, h0, w0] (any float dtype) -> float32 logits [n, 1, original.height, original.width]:
// bilinear (align_corners=false) to the encoder's input size, crop to the resized image (the rest is
// padding), bilinear to the original size. Mask pixels are the logits > 0.
at::Tensor postprocess_masks(const at::Tensor& low_res, ImageSize input, ImageSize resized, ImageSize original);

}  // namespace lisa::models::sam
