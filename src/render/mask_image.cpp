#include "lisa/render/mask_image.h"

#include <ATen/ATen.h>

#include "lisa/error.h"

namespace lisa::render {

cv::Mat mask_image(const at::Tensor& mask) {
  // The masks are SAM's thresholded logits, made inside lisa.
  LISA_INTERNAL_ASSERT(mask.dim() == 2 && (mask.scalar_type() == at::kBool || mask.scalar_type() == at::kByte),
                       "mask tensor: expected [H, W] bool or uint8, got ", c10::toString(mask.scalar_type()), " with ",
                       mask.dim(), " dimensions");
  const at::Tensor binary = mask.ne(0).to(at::kCPU, at::kByte).contiguous();
  cv::Mat image(static_cast<int>(binary.size(0)), static_cast<int>(binary.size(1)), CV_8UC1);
  std::memcpy(image.data, binary.data_ptr<uint8_t>(), binary.numel());
  return image;
}

}  // namespace lisa::render
