#include <gtest/gtest.h>

#include "lisa/error.h"
#include "lisa/models/sam/postprocess.h"

namespace lisa::models::sam {
namespace {

TEST(SamPostprocess, ReturnsFloatLogitsAtTheOriginalSize) {
  const auto low_res = at::full({2, 1, 16, 16}, 3.0, at::kBFloat16);
  const auto out = postprocess_masks(low_res, {64, 64}, {48, 64}, {30, 41});
  EXPECT_EQ(out.scalar_type(), at::kFloat);
  ASSERT_EQ(out.sizes(), at::IntArrayRef({2, 1, 30, 41}));
  EXPECT_TRUE(at::allclose(out, at::full_like(out, 3.0)));
}

TEST(SamPostprocess, DropsThePaddedRegion) {
  // Positive logits only in the padding below the resized image: nothing of them may survive.
  auto low_res = at::full({1, 1, 16, 16}, -5.0);
  low_res.slice(2, 13).fill_(5.0);
  const auto out = postprocess_masks(low_res, {64, 64}, {48, 64}, {24, 32});
  EXPECT_EQ((out > 0).sum().item<int64_t>(), 0);
  // Without the crop the bottom rows would be positive.
  EXPECT_GT((postprocess_masks(low_res, {64, 64}, {64, 64}, {24, 32}) > 0).sum().item<int64_t>(), 0);
}

TEST(SamPostprocess, RejectsAResizedSizeOutsideTheInput) {
  const auto low_res = at::zeros({1, 1, 16, 16});
  EXPECT_THROW(postprocess_masks(low_res, {64, 64}, {65, 64}, {10, 10}), lisa::InternalError);
  EXPECT_THROW(postprocess_masks(low_res, {64, 64}, {64, 64}, {0, 10}), lisa::InternalError);
}

}  // namespace
}  // namespace lisa::models::sam
