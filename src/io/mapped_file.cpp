#include "io/mapped_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "lisa/error.h"
#include "lisa/io/mapped_pages.h"
#include "lisa/io/regular_file.h"

namespace lisa::io {

namespace {

// The live mappings, begin -> end address, so that release_mapped_pages never advises memory that
// is not a file mapping (MADV_DONTNEED on heap memory would zero it).
struct LiveMappings {
  std::mutex mutex;
  std::map<uintptr_t, uintptr_t> ranges;
};

LiveMappings& live_mappings() {
  static LiveMappings* mappings = new LiveMappings();  // never destroyed: mappings may outlive statics
  return *mappings;
}

}  // namespace

int64_t release_mapped_pages(const at::Tensor& tensor) {
  if (!tensor.defined() || !tensor.device().is_cpu() || tensor.numel() == 0) return 0;
  // The tensor's own bytes, not its storage's: a tensor of a torch.save file may share its storage
  // with other tensors (tied weights, views), whose pages are not this caller's to give back.
  int64_t last_element = 0;
  for (int64_t dim = 0; dim < tensor.dim(); ++dim) last_element += (tensor.size(dim) - 1) * tensor.stride(dim);
  const auto begin = reinterpret_cast<uintptr_t>(tensor.data_ptr());
  const uintptr_t end = begin + static_cast<uintptr_t>((last_element + 1) * tensor.element_size());
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last <= first) return 0;
  auto& mappings = live_mappings();
  const std::lock_guard<std::mutex> lock(mappings.mutex);
  auto after = mappings.ranges.upper_bound(begin);
  if (after == mappings.ranges.begin()) return 0;
  const auto& [mapped_begin, mapped_end] = *std::prev(after);
  if (begin < mapped_begin || end > mapped_end) return 0;
  if (::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) != 0) return 0;
  return static_cast<int64_t>(last - first);
}

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const RegularFile file = RegularFile::open(path);
  const uint64_t size = file.size();
  uint8_t* data = nullptr;
  if (size > 0) {
    // MAP_PRIVATE + PROT_WRITE: in-place ops on an aliasing tensor copy the page instead of
    // faulting or writing to the checkpoint.
    void* mapped = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.descriptor(), 0);
    LISA_CHECK(mapped != MAP_FAILED, path.string(), ": cannot map (", std::strerror(errno), ")");
    data = static_cast<uint8_t*>(mapped);
  }
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size));
}

MappedFile::MappedFile(std::filesystem::path path, uint8_t* data, uint64_t size)
    : path_(std::move(path)), data_(data), size_(size) {
  if (!data_) return;
  auto& mappings = live_mappings();
  const std::lock_guard<std::mutex> lock(mappings.mutex);
  mappings.ranges[reinterpret_cast<uintptr_t>(data_)] = reinterpret_cast<uintptr_t>(data_) + size_;
}

MappedFile::~MappedFile() {
  if (!data_) return;
  {
    auto& mappings = live_mappings();
    const std::lock_guard<std::mutex> lock(mappings.mutex);
    mappings.ranges.erase(reinterpret_cast<uintptr_t>(data_));
  }
  ::munmap(data_, size_);
}

at::Tensor MappedFile::tensor(uint64_t offset, int64_t numel, at::ScalarType dtype) const {
  auto keep_alive = shared_from_this();
  return at::from_blob(
      data_ + offset, {numel}, [keep_alive](void*) {}, at::TensorOptions().dtype(dtype));
}

}  // namespace lisa::io
