#pragma once
// glibc serves large allocations with mmap and returns them to the kernel on free, so every large
// CPU tensor first faults in fresh zeroed pages: building SAM's 268 MB global-attention bias took
// 71 ms that way against 5 ms in a reused buffer (mid preset, this project's CPU). This allocator
// keeps freed CPU blocks of 1 MiB or more and hands a block out again for a request of the same
// size; the shapes of a pass repeat across layers and questions, so most requests hit. At most a
// quarter of the machine's memory, and at most 4 GiB, stays cached (the largest blocks go first).
#include <cstddef>

namespace lisa::pipeline {

// Installs the cache as libtorch's CPU allocator, once per process (later calls do nothing).
void reuse_large_cpu_blocks();

// Frees every cached block. Engine::load calls it when done: the temporaries of loading
// (quantizing, unpacking and packing weights) have sizes inference never asks for again, and on
// LLaMA-7B in int4 they filled the cache's 4 GiB, a third of the process's peak memory.
void release_cached_cpu_blocks();

struct CpuBlockCacheStats {
  size_t hits = 0, misses = 0;  // requests of 1 MiB or more served from / not from the cache
  size_t cached_bytes = 0;      // freed blocks held for reuse
};
// All zeros until reuse_large_cpu_blocks() ran.
CpuBlockCacheStats cpu_block_cache_stats();

}  // namespace lisa::pipeline
