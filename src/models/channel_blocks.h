#pragma once
// How the few-rows kernels (few_rows_linear.cpp, few_rows_avx512.cpp) split a product's output
// channels: blocks of NR channels over the intra-op threads, then the N % NR last ones one by one.
#include <ATen/Parallel.h>

#include <cstdint>

namespace lisa::models {

// block(first) computes channels [first, first + NR); single(n) computes channel n alone.
template <int NR, typename Block, typename Single>
void for_each_channel_block(int64_t N, const Block& block, const Single& single) {
  const int64_t blocks = N / NR;
  // 64 blocks of 4 rows of a 1024-wide fp32 layer are 1 MiB per task.
  at::parallel_for(0, blocks, 256 / NR, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) block(b * NR);
  });
  for (int64_t n = blocks * NR; n < N; ++n) single(n);
}

}  // namespace lisa::models
