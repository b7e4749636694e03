#pragma once
// A whole file mapped read-only into memory (copy-on-write, so a tensor that aliases it may be
// written to without touching the file). Tensors made from it keep the mapping alive.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <memory>

namespace lisa::io {

class MappedFile : public std::enable_shared_from_this<MappedFile> {
 public:
  // Throws lisa::Error naming the file when it cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

  // A CPU tensor viewing `numel` elements of `dtype` starting at byte `offset`; the caller has
  // checked the range. The tensor shares (and keeps alive) the mapping: no bytes are copied.
  at::Tensor tensor(uint64_t offset, int64_t numel, at::ScalarType dtype) const;

 private:
  MappedFile(std::filesystem::path path, uint8_t* data, uint64_t size);
  std::filesystem::path path_;
  uint8_t* data_;
  uint64_t size_;
};

}  // namespace lisa::io
