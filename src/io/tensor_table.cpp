#include "io/tensor_table.h"

#include "lisa/error.h"

namespace lisa::io {

size_t TensorTable::add(TensorInfo info) {
  const size_t position = tensors_.size();
  const bool inserted = positions_.emplace(info.name, position).second;
  LISA_CHECK(inserted, info.file.string(), ": tensor '", info.name, "' appears twice");
  tensors_.push_back(std::move(info));
  return position;
}

size_t TensorTable::position(const std::string& name, const std::filesystem::path& file) const {
  auto found = positions_.find(name);
  LISA_CHECK(found != positions_.end(), file.string(), ": no tensor named '", name, "'");
  return found->second;
}

}  // namespace lisa::io
