#pragma once
// Name -> tensor access to a model checkpoint in Hugging Face layout, whatever its file format:
// safetensors (single or sharded through model.safetensors.index.json) or PyTorch zip archives
// written by torch.save (single or sharded through pytorch_model.bin.index.json).
// Tensors are described eagerly (dtype, shape, file) and materialised lazily on request.
#include <ATen/ATen.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lisa::io {

struct TensorInfo {
  std::string name;
  at::ScalarType dtype;        // storage dtype in the file
  std::vector<int64_t> shape;
  std::filesystem::path file;  // the file that holds the bytes
  int64_t numel() const;
};

// One checkpoint file of some format. Implementations validate everything they read.
class TensorFile {
 public:
  virtual ~TensorFile() = default;
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  // The tensor as stored (CPU, storage dtype). Throws lisa::Error naming file and tensor.
  virtual at::Tensor read(const std::string& name) const = 0;
};

class Checkpoint {
 public:
  // `path` is a model directory (index file or single weights file inside) or one weights file.
  static Checkpoint open(const std::filesystem::path& path);

  const std::filesystem::path& path() const;
  const std::string& format() const;                      // "safetensors" or "pytorch"
  std::vector<std::string> names() const;                 // sorted
  bool contains(const std::string& name) const;
  const TensorInfo& info(const std::string& name) const;  // throws, naming the key
  // One tensor on `device`, converted to `dtype` when given, contiguous. On the CPU, when no
  // conversion is needed, the result is a view of the memory-mapped file: nothing is read until
  // it is used, and writes to it stay private to this process.
  at::Tensor load(const std::string& name, at::Device device = at::kCPU,
                  std::optional<at::ScalarType> dtype = std::nullopt) const;
  // Like load() on the CPU, but the result always owns a copy of the bytes.
  at::Tensor load_copy(const std::string& name, std::optional<at::ScalarType> dtype = std::nullopt) const;

 private:
  struct Impl;
  explicit Checkpoint(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace lisa::io
