#include "lisa/image/image.h"

#include <string>

#include "lisa/error.h"

namespace lisa::image {

namespace {
size_t checked_byte_count(ImageSize size) {
  // Decoded pictures have a size the header probe checked; every other image is made inside lisa.
  LISA_INTERNAL_ASSERT(size.height >= 1 && size.width >= 1, "image size ", size.height, "x", size.width,
                       " is empty: both sides must be at least 1 pixel");
  return static_cast<size_t>(size.height) * static_cast<size_t>(size.width) * Image::kChannels;
}
}  // namespace

Image::Image(ImageSize size) : size_(size), pixels_(checked_byte_count(size), 0) {}

Image::Image(ImageSize size, std::vector<uint8_t> pixels) : size_(size), pixels_(std::move(pixels)) {
  const size_t expected = checked_byte_count(size);
  LISA_INTERNAL_ASSERT(pixels_.size() == expected, "image of ", size.height, "x", size.width, " needs ", expected,
                       " bytes of RGB pixels, got ", pixels_.size());
}

at::Tensor Image::to_tensor() const {
  at::Tensor out = at::empty({size_.height, size_.width, kChannels}, at::kByte);
  std::copy(pixels_.begin(), pixels_.end(), out.data_ptr<uint8_t>());
  return out;
}

}  // namespace lisa::image
