#include "io/mapped_file.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "lisa/error.h"
#include "lisa/io/regular_file.h"

namespace lisa::io {

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
    : path_(std::move(path)), data_(data), size_(size) {}

MappedFile::~MappedFile() {
  if (data_) ::munmap(data_, size_);
}

at::Tensor MappedFile::tensor(uint64_t offset, int64_t numel, at::ScalarType dtype) const {
  auto keep_alive = shared_from_this();
  return at::from_blob(
      data_ + offset, {numel}, [keep_alive](void*) {}, at::TensorOptions().dtype(dtype));
}

}  // namespace lisa::io
