#pragma once
// The validated tensor descriptions of one file, with lookup by name. Shared by the readers.
#include <string>
#include <unordered_map>
#include <vector>

#include "lisa/io/checkpoint.h"

namespace lisa::io {

class TensorTable {
 public:
  // Throws lisa::Error naming the file when `info.name` is already present.
  size_t add(TensorInfo info);
  const std::vector<TensorInfo>& all() const { return tensors_; }
  // Position of `name` in all(); throws lisa::Error naming `file` and the tensor when absent.
  size_t position(const std::string& name, const std::filesystem::path& file) const;

 private:
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> positions_;
};

}  // namespace lisa::io
