#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lisa/models/sam/relative_position.h"

namespace lisa::models::sam {
namespace {

// [q, k, 1] table -> its values row by row.
std::vector<float> values(const at::Tensor& table) {
  const auto flat = table.contiguous().flatten();
  return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

TEST(SamRelativePosition, IndexesByQueryKeyOffset) {
  const auto rel_pos = at::arange(5, at::kFloat).unsqueeze(1) * 10;  // offsets -2..2 -> rows 0..4
  const auto table = relative_position_table(3, 3, rel_pos);
  ASSERT_EQ(table.sizes(), at::IntArrayRef({3, 3, 1}));
  // row i - j + 2
  EXPECT_EQ(values(table), (std::vector<float>{20, 10, 0, 30, 20, 10, 40, 30, 20}));
}

TEST(SamRelativePosition, ResizesATableOfTheWrongLength) {
  // 3 rows for 5 offsets: linear, align_corners=false, source x = (i + 0.5) * 3 / 5 - 0.5 clamped
  // to [0, 2] -> 0, 0.4, 1.0, 1.6, 2 (as F.interpolate(mode="linear") gives).
  const auto rel_pos = at::arange(3, at::kFloat).unsqueeze(1);
  const auto table = relative_position_table(3, 3, rel_pos);
  const std::vector<float> expected{1.0f, 0.4f, 0.0f, 1.6f, 1.0f, 0.4f, 2.0f, 1.6f, 1.0f};
  const auto actual = values(table);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-6) << i;
}

TEST(SamRelativePosition, StretchesTheShorterAxis) {
  // q 2, k 4: query coordinates are stretched by 2, offsets q * 2 - k + 3 index 7 rows.
  const auto rel_pos = at::arange(7, at::kFloat).unsqueeze(1);
  EXPECT_EQ(values(relative_position_table(2, 4, rel_pos)), (std::vector<float>{3, 2, 1, 0, 5, 4, 3, 2}));
}

TEST(SamRelativePosition, DecomposedBiasMatchesItsDefinition) {
  const int64_t b = 2, qh = 2, qw = 3, c = 4;
  const auto q = at::randn({b, qh * qw, c}, at::kDouble);
  const auto rel_h = at::randn({2 * qh - 1, c}, at::kDouble);
  const auto rel_w = at::randn({2 * qw - 1, c}, at::kDouble);
  const auto bias = decomposed_relative_bias(q, rel_h, rel_w, qh, qw, qh, qw);
  ASSERT_EQ(bias.sizes(), at::IntArrayRef({b, qh * qw, qh * qw}));
  for (int64_t n = 0; n < b; ++n)
    for (int64_t i = 0; i < qh; ++i)
      for (int64_t j = 0; j < qw; ++j)
        for (int64_t k = 0; k < qh; ++k)
          for (int64_t l = 0; l < qw; ++l) {
            const auto query = q[n][i * qw + j];
            const double expected = (query * rel_h[i - k + qh - 1]).sum().item<double>() +
                                    (query * rel_w[j - l + qw - 1]).sum().item<double>();
            EXPECT_NEAR(bias[n][i * qw + j][k * qw + l].item<double>(), expected, 1e-12);
          }
}

// The attention made a few heads at a time (a small bias budget) is the attention of all heads at
// once up to float rounding (the products block differently), and both are
// softmax(q k^T / sqrt(d) + bias) v.
TEST(SamRelativePosition, AttentionByChunksOfHeadsIsTheSame) {
  const int64_t b = 2, heads = 5, h = 3, w = 4, d = 8, tokens = h * w;
  for (const auto dtype : {at::kFloat, at::kBFloat16}) {
    SCOPED_TRACE(c10::toString(dtype));
    const double rounding = dtype == at::kFloat ? 1e-5 : 2e-2;  // a few units of the last place at O(1)
    const auto q = at::randn({b, heads, tokens, d}).to(dtype), k = at::randn({b, heads, tokens, d}).to(dtype),
               v = at::randn({b, heads, tokens, d}).to(dtype);
    const auto rel_h = at::randn({2 * h - 1, d}).to(dtype), rel_w = at::randn({2 * w - 1, d}).to(dtype);
    const auto whole = relative_position_attention(q, k, v, rel_h, rel_w, h, w);
    const int64_t one_head = b * tokens * tokens * static_cast<int64_t>(q.element_size());
    for (const int64_t budget : {int64_t{0}, one_head, 2 * one_head + 1}) {  // 1, 1 and 2 heads per chunk
      const auto chunked = relative_position_attention(q, k, v, rel_h, rel_w, h, w, budget);
      ASSERT_EQ(chunked.sizes(), whole.sizes());
      EXPECT_LT((chunked.to(at::kDouble) - whole.to(at::kDouble)).abs().max().item<double>(), rounding) << budget;
    }
    const auto bias = decomposed_relative_bias(q.reshape({b * heads, tokens, d}).to(at::kDouble), rel_h.to(at::kDouble),
                                               rel_w.to(at::kDouble), h, w, h, w)
                          .view({b, heads, tokens, tokens});
    const auto logits = at::matmul(q.to(at::kDouble), k.to(at::kDouble).transpose(-1, -2)) / std::sqrt(double(d)) + bias;
    const auto expected = at::matmul(at::softmax(logits, -1), v.to(at::kDouble));
    EXPECT_LT((whole.to(at::kDouble) - expected).abs().max().item<double>(), 5 * rounding);
  }
}

}  // namespace
}  // namespace lisa::models::sam
