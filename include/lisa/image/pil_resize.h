#pragma once
// Pillow 9.4.0's Image.resize(size, filter) of an RGB image (box and reducing_gap left at their
// defaults, as both transformers' CLIPImageProcessor and SAM's ResizeLongestSide call it),
// reproduced bit for bit: a separable convolution whose kernel widens with the reduction factor
// (so shrinking is antialiased), horizontal pass first, each pass rounding to uint8 with
// fixed-point weights. The weights are computed in double exactly as Pillow does; this relies on
// the compiler not fusing multiply-adds (no -ffp-contract=fast together with FMA code generation).
#include "lisa/image/image.h"

namespace lisa::image {

enum class ResampleFilter {
  Bilinear,  // triangle kernel, support 1 (Pillow's Image.BILINEAR)
  Bicubic,   // Keys cubic kernel with a = -0.5, support 2 (Pillow's Image.BICUBIC)
};

// The filter for a PIL resampling code as written in preprocessor_config.json ("resample": 3).
ResampleFilter resample_filter_from_pil_code(int code);

// `in` resized to `out_size` (both sides >= 1); the same size returns a copy, as Pillow does.
Image pil_resize(const Image& in, ImageSize out_size, ResampleFilter filter);

// A rectangle of a picture: rows [top, top + size.height), columns [left, left + size.width).
struct Window {
  int top = 0;
  int left = 0;
  ImageSize size;
};

// The `window` of pil_resize(in, out_size, filter), computed without the rest: every output
// sample depends only on its own weights, so this is bit-identical to resizing and cropping,
// and a long thin picture does not have to be resized in full to crop its middle.
Image pil_resize_window(const Image& in, ImageSize out_size, Window window, ResampleFilter filter);

}  // namespace lisa::image
