#pragma once
// CLIP's image preprocessing as transformers 4.31 CLIPImageProcessor.preprocess does it on an
// RGB uint8 array (openai/clip-vit-large-patch14 settings by default), reproduced bit for bit:
//   1. Pillow resize (BICUBIC) so the shorter side is `shortest_edge` (see clip_resize_size);
//   2. center crop in uint8 with offsets floor((side - crop) / 2);
//   3. rescale: float32(double(v) * rescale_factor)  (numpy multiplies uint8 by a Python float
//      in float64, then casts to float32);
//   4. normalise in float32: (x - float32(mean)) / float32(std).
// The values come from preprocessor_config.json; this module only takes plain numbers.
// Reference quirk not reproduced: transformers guesses the channel axis from the shape and takes
// an image only 1 or 3 pixels high for channels-first, producing garbage; here every image is
// [H, W, 3].
#include <ATen/ATen.h>

#include <array>

#include "lisa/image/image.h"
#include "lisa/image/pil_resize.h"

namespace lisa::image {

struct ClipPreprocessConfig {
  int shortest_edge = 224;                            // "size": {"shortest_edge": ...}
  ImageSize crop_size{224, 224};                      // "crop_size"
  ResampleFilter resample = ResampleFilter::Bicubic;  // "resample": 3
  double rescale_factor = 1.0 / 255.0;                // "rescale_factor"
  std::array<float, 3> image_mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> image_std{0.26862954f, 0.26130258f, 0.27577711f};
};

// The size before cropping: the shorter side becomes `shortest_edge` and the longer one
// int(shortest_edge * long / short), truncated (transformers' get_resize_output_image_size with
// default_to_square=False); a square stays square.
ImageSize clip_resize_size(ImageSize in, int shortest_edge);

// [1, 3, crop_size.height, crop_size.width] float32 on the CPU.
// Throws lisa::Error when the crop is larger than `shortest_edge` (transformers would zero-pad,
// with an off-by-one for odd differences) or a parameter is out of range.
at::Tensor clip_preprocess(const Image& image, const ClipPreprocessConfig& config = {});

}  // namespace lisa::image
