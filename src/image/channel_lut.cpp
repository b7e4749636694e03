#include "image/channel_lut.h"

#include <cstddef>

namespace lisa::image {

void write_planes(const Image& image, const ChannelLut& lut, ImageSize plane, float* planes) {
  const size_t plane_size = static_cast<size_t>(plane.height) * plane.width;
  for (int y = 0; y < image.height(); ++y) {
    const uint8_t* src = image.row(y);
    for (int c = 0; c < Image::kChannels; ++c) {
      float* dst = planes + c * plane_size + static_cast<size_t>(y) * plane.width;
      const auto& table = lut[c];
      for (int x = 0; x < image.width(); ++x) dst[x] = table[src[x * Image::kChannels + c]];
    }
  }
}

}  // namespace lisa::image
