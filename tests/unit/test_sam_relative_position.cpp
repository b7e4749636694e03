#include <gtest/gtest.h>

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

}  // namespace
}  // namespace lisa::models::sam
