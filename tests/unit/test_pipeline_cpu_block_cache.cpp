// Large CPU blocks come back for the next request of the same size; small ones and other sizes are
// served as before.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <c10/core/CPUAllocator.h>

#include "lisa/pipeline/cpu_block_cache.h"

namespace lisa::pipeline {
namespace {

TEST(CpuBlockCache, HandsAFreedLargeBlockOutAgainForTheSameSize) {
  reuse_large_cpu_blocks();
  reuse_large_cpu_blocks();  // once per process
  const int64_t floats = (int64_t{3} << 20) / 4 + 7;  // just over 3 MiB, a size no other test uses
  const void* first = nullptr;
  {
    const at::Tensor big = at::empty({floats});
    first = big.data_ptr();
  }
  const auto before = cpu_block_cache_stats();
  EXPECT_GE(before.cached_bytes, static_cast<size_t>(floats) * 4);
  const at::Tensor again = at::ones({floats});
  EXPECT_EQ(again.data_ptr(), first);
  EXPECT_EQ(again.sum().item<double>(), static_cast<double>(floats));
  const auto after = cpu_block_cache_stats();
  EXPECT_EQ(after.hits, before.hits + 1);

  const at::Tensor other = at::empty({floats + 1});  // another size: a fresh block
  EXPECT_NE(other.data_ptr(), first);
  EXPECT_EQ(cpu_block_cache_stats().misses, after.misses + 1);

  const at::Tensor small = at::empty({16});  // below 1 MiB: the default allocator, not counted
  EXPECT_EQ(cpu_block_cache_stats().misses, after.misses + 1);
}

TEST(CpuBlockCache, ReleasingFreesEveryCachedBlock) {
  reuse_large_cpu_blocks();
  const int64_t floats = (int64_t{5} << 20) / 4 + 3;  // a size no other test uses
  { const at::Tensor big = at::empty({floats}); }
  EXPECT_GE(cpu_block_cache_stats().cached_bytes, static_cast<size_t>(floats) * 4);
  release_cached_cpu_blocks();
  EXPECT_EQ(cpu_block_cache_stats().cached_bytes, 0u);
  const auto before = cpu_block_cache_stats();
  const at::Tensor again = at::empty({floats});  // nothing left to hand out
  EXPECT_EQ(cpu_block_cache_stats().misses, before.misses + 1);
  EXPECT_EQ(cpu_block_cache_stats().hits, before.hits);
}

// raw_allocate / raw_deleter (used inside libtorch) work for small and large blocks alike.
TEST(CpuBlockCache, RawAllocationsRoundTrip) {
  reuse_large_cpu_blocks();
  c10::Allocator* allocator = c10::GetCPUAllocator();
  for (const size_t bytes : {size_t{64}, size_t{5} << 20}) {
    void* data = allocator->raw_allocate(bytes);
    ASSERT_NE(data, nullptr);
    static_cast<char*>(data)[bytes - 1] = 1;
    allocator->raw_deallocate(data);
  }
}

}  // namespace
}  // namespace lisa::pipeline
