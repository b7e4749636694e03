// The CPU block cache is libtorch's CPU allocator for the whole process: segment's worker threads,
// libtorch's own OpenMP threads and the engine's thread allocate and free through it at once. This
// test does that on purpose so that scripts/sanitize.sh thread has something to check, and checks
// the bookkeeping afterwards.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <thread>
#include <vector>

#include "lisa/pipeline/cpu_block_cache.h"

namespace lisa::pipeline {
namespace {

TEST(CpuBlockCache, ThreadsAllocatingAndFreeingAtOnceGetTheirOwnBlocks) {
  reuse_large_cpu_blocks();
  constexpr int kThreads = 4, kRounds = 40;
  const auto before = cpu_block_cache_stats();
  std::vector<std::thread> threads;
  std::vector<int> wrong(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int round = 0; round < kRounds; ++round) {
        // Sizes shared between threads (1 MiB + 4 KiB steps), so blocks move from one to another.
        const int64_t floats = ((int64_t{1} << 20) + 4096 * (round % 3)) / 4;
        at::Tensor block = at::full({floats}, static_cast<float>(t * 1000 + round));
        // Nobody else writes into a block this thread holds.
        if (block[0].item<float>() != t * 1000 + round || block[-1].item<float>() != t * 1000 + round) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
  const auto after = cpu_block_cache_stats();
  EXPECT_EQ((after.hits - before.hits) + (after.misses - before.misses), size_t{kThreads * kRounds});
  EXPECT_GT(after.hits, before.hits);  // blocks were reused
}

}  // namespace
}  // namespace lisa::pipeline
