#include "lisa/pipeline/cpu_block_cache.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>
#include <unordered_map>

namespace lisa::pipeline {

namespace {

constexpr size_t kMinBlockBytes = size_t{1} << 20;

// A quarter of the machine's memory, at most 4 GiB: what freed blocks may hold on to.
size_t max_cached_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  const size_t quarter = pages > 0 && page_size > 0 ? static_cast<size_t>(pages) * page_size / 4 : 0;
  return std::min(quarter, size_t{4} << 30);
}

class BlockCache final : public c10::Allocator {
 public:
  explicit BlockCache(c10::Allocator* small_blocks) : small_blocks_(small_blocks), max_cached_bytes_(max_cached_bytes()) {}

  c10::DataPtr allocate(size_t bytes) override {
    if (bytes < kMinBlockBytes) return small_blocks_->allocate(bytes);
    void* data = take(bytes);
    if (!data) {  // allocated outside the lock, then recorded
      data = c10::alloc_cpu(bytes);
      const std::lock_guard<std::mutex> lock(mutex_);
      sizes_[data] = bytes;
    }
    return {data, data, &give_back, c10::Device(c10::kCPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &give_back; }

  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }

  CpuBlockCacheStats stats() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void release_all() {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [bytes, data] : free_) c10::free_cpu(data);
    free_.clear();
    stats_.cached_bytes = 0;
  }

  static BlockCache* instance;

 private:
  static void give_back(void* data) { instance->put(data); }

  // A cached block of exactly `bytes`, recorded as handed out; nullptr (a miss) when there is none.
  void* take(size_t bytes) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto found = free_.find(bytes);
    if (found == free_.end()) {
      ++stats_.misses;
      return nullptr;
    }
    void* data = found->second;
    free_.erase(found);
    sizes_[data] = bytes;
    stats_.cached_bytes -= bytes;
    ++stats_.hits;
    return data;
  }

  void put(void* data) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto entry = sizes_.find(data);
    if (entry == sizes_.end()) {
      // A small block handed out through raw_allocate() comes back through raw_deleter(): it is the
      // default allocator's, which frees with free_cpu.
      c10::free_cpu(data);
      return;
    }
    const size_t bytes = entry->second;
    sizes_.erase(entry);
    while (stats_.cached_bytes + bytes > max_cached_bytes_ && !free_.empty()) {
      const auto largest = std::prev(free_.end());
      c10::free_cpu(largest->second);
      stats_.cached_bytes -= largest->first;
      free_.erase(largest);
    }
    if (bytes > max_cached_bytes_) {
      c10::free_cpu(data);
      return;
    }
    free_.emplace(bytes, data);
    stats_.cached_bytes += bytes;
  }

  c10::Allocator* small_blocks_;
  const size_t max_cached_bytes_;
  std::mutex mutex_;
  std::multimap<size_t, void*> free_;        // size -> freed block
  std::unordered_map<void*, size_t> sizes_;  // block handed out -> its size
  CpuBlockCacheStats stats_;
};

BlockCache* BlockCache::instance = nullptr;

}  // namespace

void reuse_large_cpu_blocks() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    // Never destroyed: tensors freed during static destruction still give their blocks back.
    BlockCache::instance = new BlockCache(c10::GetDefaultCPUAllocator());
    c10::SetCPUAllocator(BlockCache::instance, /*priority=*/1);
  });
}

void release_cached_cpu_blocks() {
  if (BlockCache::instance) BlockCache::instance->release_all();
}

CpuBlockCacheStats cpu_block_cache_stats() {
  return BlockCache::instance ? BlockCache::instance->stats() : CpuBlockCacheStats{};
}

}  // namespace lisa::pipeline
