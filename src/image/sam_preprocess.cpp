#include "lisa/image/sam_preprocess.h"

#include <algorithm>
#include <string>

#include "image/channel_lut.h"
#include "lisa/error.h"
#include "lisa/image/pil_resize.h"

namespace lisa::image {

namespace {

ChannelLut sam_lut(const SamPreprocessConfig& config) {
  ChannelLut lut;
  for (int c = 0; c < Image::kChannels; ++c)
    for (int v = 0; v < 256; ++v) lut[c][v] = (static_cast<float>(v) - config.pixel_mean[c]) / config.pixel_std[c];
  return lut;
}

}  // namespace

ImageSize sam_resize_size(ImageSize in, int target_length) {
  LISA_CHECK(target_length >= 1, "SAM preprocessing: target length must be >= 1, got ", target_length);
  const double scale = target_length * 1.0 / std::max(in.height, in.width);
  const ImageSize out{static_cast<int>(in.height * scale + 0.5), static_cast<int>(in.width * scale + 0.5)};
  LISA_CHECK(out.height >= 1 && out.width >= 1, "SAM preprocessing: a ", in.height, "x", in.width,
             " picture resized to longest side ", target_length, " would be ", out.height, "x", out.width, " pixels");
  return out;
}

SamInput sam_preprocess(const Image& image, const SamPreprocessConfig& config) {
  SamInput result;
  result.original_size = image.size();
  result.resize_size = sam_resize_size(image.size(), config.target_length);
  result.resized = pil_resize(image, result.resize_size, ResampleFilter::Bilinear);
  const ImageSize padded{config.target_length, config.target_length};
  result.pixels = at::zeros({1, Image::kChannels, padded.height, padded.width}, at::kFloat);
  write_planes(result.resized, sam_lut(config), padded, result.pixels.data_ptr<float>());
  return result;
}

}  // namespace lisa::image
