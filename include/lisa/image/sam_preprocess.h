#pragma once
// SAM's image preprocessing as LISA's chat.py does it, reproduced bit for bit:
//   1. ResizeLongestSide.apply_image: scale = target / max(H, W), each side int(side * scale + 0.5)
//      (see sam_resize_size), Pillow BILINEAR resize of the uint8 picture (torchvision's
//      resize of a PIL image), back to uint8;
//   2. (x - pixel_mean) / pixel_std in float32;
//   3. zero padding on the right and bottom up to target x target.
#include <ATen/ATen.h>

#include <array>

#include "lisa/image/image.h"

namespace lisa::image {

struct SamPreprocessConfig {
  int target_length = 1024;
  std::array<float, 3> pixel_mean{123.675f, 116.28f, 103.53f};
  std::array<float, 3> pixel_std{58.395f, 57.12f, 57.375f};
};

struct SamInput {
  at::Tensor pixels;         // [1, 3, target, target] float32 on the CPU
  Image resized;             // [h, w, 3] uint8: the picture after step 1
  ImageSize original_size;   // (H, W) of the input picture
  ImageSize resize_size;     // (h, w) = resized.size()
};

// Throws lisa::Error when a side would round to 0 pixels (a picture over 2 * target : 1 in
// aspect ratio), which Pillow refuses as well.
ImageSize sam_resize_size(ImageSize in, int target_length);

SamInput sam_preprocess(const Image& image, const SamPreprocessConfig& config = {});

}  // namespace lisa::image
