#pragma once
// Reader of the zip archives that torch.save writes (PyTorch >= 1.6, e.g. pytorch_model.bin):
// <archive>/data.pkl describes the dict of tensors (read by a restricted interpreter) and
// <archive>/data/<key> holds each storage's bytes. The file is memory-mapped; read() returns a
// view of the mapped storage with the saved offset and strides, copying nothing.
#include <filesystem>
#include <memory>

#include "io/mapped_file.h"
#include "io/state_dict_pickle.h"
#include "io/tensor_table.h"
#include "io/zip_archive.h"
#include "lisa/io/checkpoint.h"

namespace lisa::io {

class TorchZipFile : public TensorFile {
 public:
  // Validates the archive, the pickle and every tensor's extent within its storage record.
  static std::unique_ptr<TorchZipFile> open(const std::filesystem::path& path);

  const std::vector<TensorInfo>& tensors() const override { return table_.all(); }
  at::Tensor read(const std::string& name) const override;

 private:
  explicit TorchZipFile(std::shared_ptr<const MappedFile> file) : archive_(file) {}

  ZipArchive archive_;
  TensorTable table_;
  PickledStateDict pickled_;          // tensors in the table's order
  std::vector<uint64_t> storage_at_;  // file offset of each storage's bytes
};

}  // namespace lisa::io
