#pragma once
// Reader of the safetensors format: an 8-byte little-endian header length, a JSON header that
// describes every tensor (dtype, shape, byte range in the data section), then the data section.
// The whole file is memory-mapped; read() returns tensors that alias the mapping.
#include <filesystem>
#include <memory>

#include "io/mapped_file.h"
#include "io/tensor_table.h"
#include "lisa/io/checkpoint.h"

namespace lisa::io {

class SafetensorsFile : public TensorFile {
 public:
  // Validates the whole header; throws lisa::Error naming the file and the problem.
  static std::unique_ptr<SafetensorsFile> open(const std::filesystem::path& path);

  const std::vector<TensorInfo>& tensors() const override { return table_.all(); }
  at::Tensor read(const std::string& name) const override;

 private:
  explicit SafetensorsFile(std::shared_ptr<const MappedFile> file) : file_(std::move(file)) {}

  std::shared_ptr<const MappedFile> file_;
  TensorTable table_;
  std::vector<uint64_t> offsets_;  // absolute file offset of each tensor's bytes, by table position
};

}  // namespace lisa::io
