#include <gtest/gtest.h>

#include "lisa/models/rms_norm.h"

namespace lisa::models {
namespace {

TEST(LlamaRmsNorm, NormalisesByRootMeanSquareThenScales) {
  const at::Tensor x = at::randn({3, 5, 16}, at::kDouble);
  const at::Tensor weight = at::randn({16}, at::kDouble);
  const double eps = 1e-6;
  const at::Tensor expected = x / at::sqrt((x * x).mean(-1, true) + eps) * weight;

  const at::Tensor out = rms_norm(x.to(at::kFloat), weight.to(at::kFloat), eps);
  EXPECT_EQ(out.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::allclose(out.to(at::kDouble), expected, 1e-5, 1e-6));
}

TEST(LlamaRmsNorm, EpsilonGuardsZeroRows) {
  const at::Tensor out = rms_norm(at::zeros({1, 8}), at::ones({8}), 1e-6);
  EXPECT_TRUE(at::equal(out, at::zeros({1, 8})));
}

// transformers 4.31: normalise in fp32, round to bf16, then multiply by the bf16 weight (rounding
// again). Rounding only once, or multiplying in fp32, gives different bits for some elements.
TEST(LlamaRmsNorm, Bf16RoundsBeforeTheWeightLikeTheReference) {
  const at::Tensor x = at::randn({64, 32}).to(at::kBFloat16);
  const at::Tensor weight = (1.0 + 0.3 * at::randn({32})).to(at::kBFloat16);
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor normalised = x32 * at::rsqrt(x32.pow(2).mean(-1, true) + 1e-6);
  const at::Tensor reference = weight * normalised.to(at::kBFloat16);
  const at::Tensor rounded_once = (weight.to(at::kFloat) * normalised).to(at::kBFloat16);

  const at::Tensor out = rms_norm(x, weight, 1e-6);
  EXPECT_EQ(out.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(out, reference));
  EXPECT_FALSE(at::equal(out, rounded_once));  // the test can tell the two orders apart
}

}  // namespace
}  // namespace lisa::models
