#include "lisa/models/sam/postprocess.h"

#include <string>

#include "lisa/error.h"

namespace lisa::models::sam {

at::Tensor postprocess_masks(const at::Tensor& low_res, ImageSize input, ImageSize resized, ImageSize original) {
  if (resized.h <= 0 || resized.w <= 0 || resized.h > input.h || resized.w > input.w || original.h <= 0 ||
      original.w <= 0)
    throw Error("SAM postprocess: resized size " + std::to_string(resized.h) + "x" + std::to_string(resized.w) +
                " must lie within the input " + std::to_string(input.h) + "x" + std::to_string(input.w) +
                " and the original size " + std::to_string(original.h) + "x" + std::to_string(original.w) +
                " must be positive");
  auto x = at::upsample_bilinear2d(low_res.to(at::kFloat), {input.h, input.w}, /*align_corners=*/false);
  x = x.slice(2, 0, resized.h).slice(3, 0, resized.w);
  return at::upsample_bilinear2d(x, {original.h, original.w}, /*align_corners=*/false);
}

}  // namespace lisa::models::sam
