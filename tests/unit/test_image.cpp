#include <gtest/gtest.h>

#include "lisa/error.h"
#include "lisa/image/image.h"

namespace lisa::image {
namespace {

TEST(Image, HoldsInterleavedRgbRows) {
  std::vector<uint8_t> pixels(2 * 3 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i);
  const Image image(ImageSize{2, 3}, pixels);
  EXPECT_EQ(image.row(1)[0], 9);
  const at::Tensor t = image.to_tensor();
  EXPECT_EQ(t.sizes(), (at::IntArrayRef{2, 3, 3}));
  EXPECT_EQ(t.scalar_type(), at::kByte);
  EXPECT_EQ(t[1][2][1].item<int>(), 16);
}

TEST(Image, RejectsEmptySizesAndWrongByteCounts) {
  EXPECT_THROW(Image(ImageSize{0, 3}), InternalError);
  EXPECT_THROW(Image(ImageSize{2, 2}, std::vector<uint8_t>(11)), InternalError);
  EXPECT_TRUE(Image().empty());
}

}  // namespace
}  // namespace lisa::image
