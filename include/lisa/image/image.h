#pragma once
// The one in-memory picture type of the engine: 8-bit RGB, owning, rows top to bottom with the
// channels interleaved, i.e. the [H, W, 3] uint8 array the reference gets from
// cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB).
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lisa::image {

struct ImageSize {
  int height = 0;
  int width = 0;
  bool operator==(const ImageSize& other) const { return height == other.height && width == other.width; }
  bool operator!=(const ImageSize& other) const { return !(*this == other); }
};

class Image {
 public:
  static constexpr int kChannels = 3;

  Image() = default;
  // Black image; both sides must be >= 1.
  explicit Image(ImageSize size);
  // Takes `pixels` (size.height * size.width * 3 bytes, interleaved RGB) as its content.
  Image(ImageSize size, std::vector<uint8_t> pixels);

  ImageSize size() const { return size_; }
  int height() const { return size_.height; }
  int width() const { return size_.width; }
  bool empty() const { return pixels_.empty(); }

  uint8_t* data() { return pixels_.data(); }
  const uint8_t* data() const { return pixels_.data(); }
  size_t size_bytes() const { return pixels_.size(); }
  size_t row_bytes() const { return static_cast<size_t>(size_.width) * kChannels; }
  uint8_t* row(int y) { return pixels_.data() + static_cast<size_t>(y) * row_bytes(); }
  const uint8_t* row(int y) const { return pixels_.data() + static_cast<size_t>(y) * row_bytes(); }

  // [H, W, 3] uint8 copy on the CPU.
  at::Tensor to_tensor() const;

 private:
  ImageSize size_;
  std::vector<uint8_t> pixels_;
};

}  // namespace lisa::image
