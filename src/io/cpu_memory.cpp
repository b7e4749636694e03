#include "io/cpu_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

#include "io/checked_size.h"

namespace lisa::io {

namespace {
constexpr uint64_t kHugePage = 2ull << 20;
#ifndef MADV_POPULATE_READ
constexpr int MADV_POPULATE_READ = 22;  // Linux 5.14
#endif
}  // namespace

at::Tensor empty_cpu_tensor(at::IntArrayRef sizes, at::ScalarType dtype) {
  const auto nbytes = checked_nbytes(sizes, dtype).value();
  if (nbytes < kHugePage) return at::empty(sizes, at::TensorOptions().dtype(dtype));
  const uint64_t rounded = (nbytes + kHugePage - 1) / kHugePage * kHugePage;
  void* memory = std::aligned_alloc(kHugePage, rounded);
  if (!memory) throw std::bad_alloc();
  ::madvise(memory, rounded, MADV_HUGEPAGE);  // advice only: without THP this is plain memory
  return at::from_blob(memory, sizes, [](void* p) { std::free(p); }, at::TensorOptions().dtype(dtype));
}

void prefault(const at::Tensor& tensor) {
  const auto nbytes = tensor.storage().nbytes();
  if (nbytes == 0) return;
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(tensor.storage().data());
  const uintptr_t aligned = begin / page * page;
  ::madvise(reinterpret_cast<void*>(aligned), begin + nbytes - aligned, MADV_POPULATE_READ);
}

}  // namespace lisa::io
