#pragma once
// The bridge from the pipeline's mask tensors to the images render/ and eval/ work on.
#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

namespace lisa::render {

// mask: [H, W] bool or uint8 tensor on any device (nonzero = foreground)
// -> [H, W] CV_8UC1 with values 0 / 1, owning its data.
cv::Mat mask_image(const at::Tensor& mask);

}  // namespace lisa::render
