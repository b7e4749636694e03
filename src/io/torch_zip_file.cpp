#include "io/torch_zip_file.h"

#include "io/checked_size.h"
#include "lisa/error.h"

namespace lisa::io {

namespace {
// A state dict's pickle is about 300 bytes per tensor; anything near this is not a checkpoint.
constexpr uint64_t kMaxPickleBytes = 64ull << 20;

// The archive's records share one top-level folder (named after the file when it was saved).
std::string record_prefix(const ZipArchive& archive, const std::string& where) {
  std::string prefix;
  for (const auto& [name, entry] : archive.entries()) {
    const auto slash = name.find('/');
    if (slash == std::string::npos || name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    LISA_CHECK(prefix.empty(), where, ": holds more than one data.pkl");
    prefix = name.substr(0, slash + 1);
  }
  LISA_CHECK(!prefix.empty(), where, ": no <archive>/data.pkl record (not written by torch.save?)");
  return prefix;
}

// Elements a strided view reaches, counted from the storage start; nullopt on overflow.
std::optional<uint64_t> view_extent(const PickledTensor& tensor) {
  uint64_t extent = static_cast<uint64_t>(tensor.storage_offset) + 1;
  for (size_t d = 0; d < tensor.sizes.size(); ++d) {
    if (tensor.sizes[d] == 0) return 0;
    auto step = checked_mul(static_cast<uint64_t>(tensor.sizes[d] - 1), static_cast<uint64_t>(tensor.strides[d]));
    auto next = step ? checked_add(extent, *step) : std::nullopt;
    if (!next) return std::nullopt;
    extent = *next;
  }
  return extent;
}
}  // namespace

std::unique_ptr<TorchZipFile> TorchZipFile::open(const std::filesystem::path& path) {
  std::unique_ptr<TorchZipFile> file(new TorchZipFile(MappedFile::open(path)));
  const ZipArchive& archive = file->archive_;
  const std::string where = path.string();
  const std::string prefix = record_prefix(archive, where);

  if (const ZipEntry* byteorder = archive.find(prefix + "byteorder")) {
    const std::string order(reinterpret_cast<const char*>(archive.file().data() + byteorder->offset),
                            std::min<uint64_t>(byteorder->size, 16));
    LISA_CHECK(order == "little", where, ": tensors are stored '", order, "'-endian; only little-endian is supported");
  }

  const ZipEntry& pickle = *archive.find(prefix + "data.pkl");
  LISA_CHECK(pickle.size <= kMaxPickleBytes, where, ": data.pkl is ", pickle.size, " bytes, more than a state dict needs");
  file->pickled_ =
      read_state_dict_pickle(archive.file().data() + pickle.offset, pickle.size, where + ": " + prefix + "data.pkl");

  for (const auto& storage : file->pickled_.storages) {
    const std::string record = prefix + "data/" + storage.key;
    const ZipEntry* entry = archive.find(record);
    LISA_CHECK(entry, where, ": storage record '", record, "' is missing");
    auto needed = checked_mul(static_cast<uint64_t>(storage.numel), c10::elementSize(storage.dtype));
    LISA_CHECK(needed && *needed <= entry->size, where, ": storage record '", record, "' holds ", entry->size,
               " bytes but ", storage.numel, " elements of ", c10::toString(storage.dtype), " need more");
    file->storage_at_.push_back(entry->offset);
  }

  for (const auto& tensor : file->pickled_.tensors) {
    const auto& storage = file->pickled_.storages[tensor.storage];
    auto extent = view_extent(tensor);
    LISA_CHECK(extent && *extent <= static_cast<uint64_t>(storage.numel), where, ": tensor '", tensor.name,
               "' reaches past the ", storage.numel, " elements of its storage '", storage.key, "'");
    file->table_.add(TensorInfo{tensor.name, storage.dtype, tensor.sizes, path});
  }
  return file;
}

at::Tensor TorchZipFile::read(const std::string& name) const {
  const size_t position = table_.position(name, archive_.file().path());
  const auto& tensor = pickled_.tensors[position];
  const auto& storage = pickled_.storages[tensor.storage];
  return archive_.file()
      .tensor(storage_at_[tensor.storage], storage.numel, storage.dtype)
      .as_strided(tensor.sizes, tensor.strides, tensor.storage_offset);
}

}  // namespace lisa::io
