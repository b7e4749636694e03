#pragma once
// Per-channel normalisation of uint8 pixels through a 256-entry table: every preprocessing
// formula of the reference maps one uint8 value of one channel to one float, so tabulating it
// reproduces the reference's rounding exactly and costs one load per sample.
#include <array>

#include "lisa/image/image.h"

namespace lisa::image {

using ChannelLut = std::array<std::array<float, 256>, Image::kChannels>;

// Writes lut[c][pixel] of every pixel of `image` into the top-left corner of plane c of `planes`,
// a contiguous [3, plane.height, plane.width] float buffer at least as large as the image; the
// rest of the planes is left as it is.
void write_planes(const Image& image, const ChannelLut& lut, ImageSize plane, float* planes);

}  // namespace lisa::image
