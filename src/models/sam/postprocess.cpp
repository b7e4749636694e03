#include "lisa/models/sam/postprocess.h"

#include <string>

#include "lisa/error.h"

namespace lisa::models::sam {

at::Tensor postprocess_masks(const at::Tensor& low_res, ImageSize input, ImageSize resized, ImageSize original) {
  // The sizes are sam_preprocess's for a picture encode_image accepted.
  LISA_INTERNAL_ASSERT(!(resized.height <= 0 || resized.width <= 0 || resized.height > input.height ||
                         resized.width > input.width || original.height <= 0 || original.width <= 0),
                       "SAM postprocess: resized size ", resized.height, "x", resized.width,
                       " must lie within the input ", input.height, "x", input.width, " and the original size ",
                       original.height, "x", original.width, " must be positive");
  auto x = at::upsample_bilinear2d(low_res.to(at::kFloat), {input.height, input.width}, /*align_corners=*/false);
  x = x.slice(2, 0, resized.height).slice(3, 0, resized.width);
  return at::upsample_bilinear2d(x, {original.height, original.width}, /*align_corners=*/false);
}

}  // namespace lisa::models::sam
