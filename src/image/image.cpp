#include "lisa/image/image.h"

#include <string>

#include "lisa/error.h"

namespace lisa::image {

namespace {
size_t checked_byte_count(ImageSize size) {
  if (size.height < 1 || size.width < 1)
    throw Error("image size " + std::to_string(size.height) + "x" + std::to_string(size.width) +
                " is empty: both sides must be at least 1 pixel");
  return static_cast<size_t>(size.height) * static_cast<size_t>(size.width) * Image::kChannels;
}
}  // namespace

Image::Image(ImageSize size) : size_(size), pixels_(checked_byte_count(size), 0) {}

Image::Image(ImageSize size, std::vector<uint8_t> pixels) : size_(size), pixels_(std::move(pixels)) {
  const size_t expected = checked_byte_count(size);
  if (pixels_.size() != expected)
    throw Error("image of " + std::to_string(size.height) + "x" + std::to_string(size.width) + " needs " +
                std::to_string(expected) + " bytes of RGB pixels, got " + std::to_string(pixels_.size()));
}

at::Tensor Image::to_tensor() const {
  at::Tensor out = at::empty({size_.height, size_.width, kChannels}, at::kByte);
  std::copy(pixels_.begin(), pixels_.end(), out.data_ptr<uint8_t>());
  return out;
}

}  // namespace lisa::image
