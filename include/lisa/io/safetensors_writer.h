#pragma once
// Writing safetensors files (the format io::Checkpoint reads), tensor by tensor so that a checkpoint
// larger than memory can be written: the header comes from the declared names, dtypes and shapes,
// then each tensor is produced in turn, its bytes written and released.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace lisa::io {

struct TensorToWrite {
  std::string name;
  at::ScalarType dtype;
  std::vector<int64_t> shape;
  // Called once, when the tensor's bytes are due; must return a tensor of `dtype` and `shape` (on
  // any device: it is copied to the CPU).
  std::function<at::Tensor()> produce;

  int64_t nbytes() const;
};

// Writes `tensors` in the given order to `path` (created or truncated), fsynced. A produced tensor
// that views a memory-mapped checkpoint has its pages given back once written
// (release_mapped_pages): copying a 7B checkpoint then keeps no more than one tensor resident. The header lists
// them sorted by name with 8-byte aligned data, as the safetensors library writes. Throws
// lisa::Error naming the file and the cause (e.g. "No space left on device"); a dtype the format
// cannot hold is a lisa::Error naming the tensor.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors);

}  // namespace lisa::io
