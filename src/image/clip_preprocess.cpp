#include "lisa/image/clip_preprocess.h"

#include <limits>
#include <string>

#include "image/channel_lut.h"
#include "lisa/error.h"

namespace lisa::image {

namespace {

void check_config(const ClipPreprocessConfig& config) {
  LISA_CHECK(config.shortest_edge >= 1, "CLIP preprocessing: shortest_edge must be >= 1, got ", config.shortest_edge);
  LISA_CHECK(!(config.crop_size.height < 1 || config.crop_size.width < 1 ||
               config.crop_size.height > config.shortest_edge || config.crop_size.width > config.shortest_edge),
             "CLIP preprocessing: crop size ", config.crop_size.height, "x", config.crop_size.width,
             " must be between 1 and shortest_edge (", config.shortest_edge, ")");
}

ChannelLut clip_lut(const ClipPreprocessConfig& config) {
  ChannelLut lut;
  for (int c = 0; c < Image::kChannels; ++c) {
    for (int v = 0; v < 256; ++v) {
      const float rescaled = static_cast<float>(v * config.rescale_factor);
      lut[c][v] = (rescaled - config.image_mean[c]) / config.image_std[c];
    }
  }
  return lut;
}

}  // namespace

ImageSize clip_resize_size(ImageSize in, int shortest_edge) {
  LISA_CHECK(in.height >= 1 && in.width >= 1 && shortest_edge >= 1, "CLIP preprocessing: cannot resize a ", in.height,
             "x", in.width, " picture to shortest edge ", shortest_edge);
  const bool portrait = in.width <= in.height;
  const int64_t short_side = portrait ? in.width : in.height;
  const int64_t long_side = portrait ? in.height : in.width;
  // Python's int * int / int: an exact product, then one correctly rounded division.
  const double new_long = static_cast<double>(shortest_edge * long_side) / static_cast<double>(short_side);
  LISA_CHECK(new_long < std::numeric_limits<int>::max(), "CLIP preprocessing: a ", in.height, "x", in.width,
             " picture is too elongated to resize its shorter side to ", shortest_edge);
  const int long_out = static_cast<int>(new_long);
  return portrait ? ImageSize{long_out, shortest_edge} : ImageSize{shortest_edge, long_out};
}

at::Tensor clip_preprocess(const Image& image, const ClipPreprocessConfig& config) {
  check_config(config);
  const ImageSize resized = clip_resize_size(image.size(), config.shortest_edge);
  const ImageSize crop = config.crop_size;
  // Resizing only the center crop gives the same pixels (see pil_resize_window).
  const Window center{(resized.height - crop.height) / 2, (resized.width - crop.width) / 2, crop};
  const Image cropped = pil_resize_window(image, resized, center, config.resample);
  at::Tensor out = at::empty({1, Image::kChannels, crop.height, crop.width}, at::kFloat);
  write_planes(cropped, clip_lut(config), crop, out.data_ptr<float>());
  return out;
}

}  // namespace lisa::image
