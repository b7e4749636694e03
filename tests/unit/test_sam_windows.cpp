#include <gtest/gtest.h>

#include "lisa/models/sam/windows.h"

namespace lisa::models::sam {
namespace {

TEST(SamWindows, PartitionPadsAndRoundTrips) {
  const auto x = at::randn({2, 5, 7, 3});  // 5 x 7 grid, window 3 -> padded 6 x 9, 2 x 3 windows
  const auto partition = window_partition(x, 3);
  EXPECT_EQ(partition.padded_h, 6);
  EXPECT_EQ(partition.padded_w, 9);
  ASSERT_EQ(partition.windows.sizes(), at::IntArrayRef({2 * 2 * 3, 3, 3, 3}));

  // Window (b, i, j) holds rows 3i..3i+2 and columns 3j..3j+2 of the zero-padded grid.
  const auto padded = at::zeros({2, 6, 9, 3});
  padded.slice(1, 0, 5).slice(2, 0, 7).copy_(x);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j)
        EXPECT_TRUE(at::equal(partition.windows[b * 6 + i * 3 + j],
                              padded[b].slice(0, 3 * i, 3 * i + 3).slice(1, 3 * j, 3 * j + 3)))
            << "window " << b << "," << i << "," << j;

  const auto back = window_unpartition(partition.windows, 3, partition.padded_h, partition.padded_w, 5, 7);
  EXPECT_TRUE(at::equal(back, x));
}

TEST(SamWindows, NoPaddingWhenTheGridDivides) {
  const auto x = at::randn({1, 4, 6, 2});
  const auto partition = window_partition(x, 2);
  EXPECT_EQ(partition.padded_h, 4);
  EXPECT_EQ(partition.padded_w, 6);
  EXPECT_EQ(partition.windows.size(0), 6);
  EXPECT_TRUE(at::equal(partition.windows[4], x[0].slice(0, 2, 4).slice(1, 2, 4)));
  EXPECT_TRUE(at::equal(window_unpartition(partition.windows, 2, 4, 6, 4, 6), x));
}

TEST(SamWindows, WindowLargerThanGridIsOnePaddedWindow) {
  const auto x = at::randn({1, 3, 3, 4});
  const auto partition = window_partition(x, 5);
  ASSERT_EQ(partition.windows.sizes(), at::IntArrayRef({1, 5, 5, 4}));
  EXPECT_EQ(partition.windows.slice(1, 3).abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(at::equal(window_unpartition(partition.windows, 5, 5, 5, 3, 3), x));
}

}  // namespace
}  // namespace lisa::models::sam
