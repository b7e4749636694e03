#include "lisa/io/checkpoint.h"

#include <array>
#include <initializer_list>
#include <map>

#include "io/checked_size.h"
#include "io/cpu_memory.h"
#include "io/safetensors_file.h"
#include "io/shard_index.h"
#include "io/torch_zip_file.h"
#include "lisa/error.h"
#include "lisa/io/mapped_pages.h"
#include "lisa/io/regular_file.h"

namespace lisa::io {

int64_t TensorInfo::numel() const { return static_cast<int64_t>(checked_numel(shape).value()); }

namespace {
bool is_zip_archive(const std::filesystem::path& path) {
  std::array<char, 4> magic{};
  return RegularFile::open(path).read_prefix(magic.data(), magic.size()) == magic.size() &&
         magic == std::array<char, 4>{'P', 'K', '\x03', '\x04'};
}

struct OpenedFile {
  std::unique_ptr<TensorFile> file;
  std::string format;
};

bool has_extension(const std::filesystem::path& path, std::initializer_list<const char*> extensions) {
  for (const char* extension : extensions)
    if (path.extension() == extension) return true;
  return false;
}

// Named by extension when it says; otherwise a zip archive is torch.save's and anything else is
// read as safetensors, whose header check then reports what is wrong with the file.
OpenedFile open_tensor_file(const std::filesystem::path& path) {
  const bool zip = is_zip_archive(path);
  LISA_CHECK(!(has_extension(path, {".bin", ".pt", ".pth"}) && !zip), path.string(),
             ": not a zip archive; only torch.save's zip format (PyTorch 1.6 and later) is supported, not the "
             "legacy format or truncated files");
  if (zip && !has_extension(path, {".safetensors"})) return {TorchZipFile::open(path), "pytorch"};
  return {SafetensorsFile::open(path), "safetensors"};
}

// What a model directory is read from, in order of preference.
const std::array<const char*, 4> kDirectoryEntries = {"model.safetensors.index.json", "model.safetensors",
                                                      "pytorch_model.bin.index.json", "pytorch_model.bin"};

bool is_index(const std::filesystem::path& path) {
  const auto name = path.filename().string();
  const std::string suffix = ".index.json";
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

struct Checkpoint::Impl {
  std::filesystem::path path;
  std::string format;
  std::vector<std::unique_ptr<TensorFile>> files;
  std::map<std::string, std::pair<const TensorInfo*, const TensorFile*>> tensors;

  const std::pair<const TensorInfo*, const TensorFile*>& find(const std::string& name) const {
    auto found = tensors.find(name);
    LISA_CHECK(found != tensors.end(), path.string(), ": no tensor named '", name, "'");
    return found->second;
  }

  void add(OpenedFile opened) {
    if (files.empty()) format = opened.format;
    LISA_CHECK(opened.format == format, path.string(), ": mixes ", format, " and ", opened.format, " files");
    for (const auto& info : opened.file->tensors()) {
      auto [it, inserted] = tensors.emplace(info.name, std::make_pair(&info, opened.file.get()));
      LISA_CHECK(inserted, path.string(), ": tensor '", info.name, "' is in both ", it->second.first->file.string(),
                 " and ", info.file.string());
    }
    files.push_back(std::move(opened.file));
  }

  void add_shards(const std::filesystem::path& index_path) {
    const auto index = read_shard_index(index_path);
    for (const auto& shard : index.shards) add(open_tensor_file(shard));
    for (const auto& [name, shard] : index.weight_map) {
      auto found = tensors.find(name);
      LISA_CHECK(found != tensors.end() && found->second.first->file.filename() == shard, index_path.string(),
                 ": weight_map puts '", name, "' in ", shard, ", which does not hold it");
    }
  }
};

Checkpoint::Checkpoint(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Checkpoint Checkpoint::open(const std::filesystem::path& path) {
  auto impl = std::make_shared<Impl>();
  impl->path = path;
  std::filesystem::path source = path;
  if (std::filesystem::is_directory(path)) {
    source.clear();
    for (const char* entry : kDirectoryEntries)
      if (std::filesystem::is_regular_file(path / entry)) {
        source = path / entry;
        break;
      }
    if (source.empty()) {
      std::string looked_for;
      for (const char* entry : kDirectoryEntries) looked_for += std::string(looked_for.empty() ? "" : ", ") + entry;
      throw Error(detail::concat(path.string(), ": no checkpoint found (looked for ", looked_for, ")"));
    }
  } else {
    LISA_CHECK(std::filesystem::exists(path), path.string(), ": no such file or directory");
  }
  if (is_index(source))
    impl->add_shards(source);
  else
    impl->add(open_tensor_file(source));
  return Checkpoint(std::move(impl));
}

const std::filesystem::path& Checkpoint::path() const { return impl_->path; }
const std::string& Checkpoint::format() const { return impl_->format; }

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> names;
  names.reserve(impl_->tensors.size());
  for (const auto& entry : impl_->tensors) names.push_back(entry.first);
  return names;
}

bool Checkpoint::contains(const std::string& name) const { return impl_->tensors.count(name) > 0; }

const TensorInfo& Checkpoint::info(const std::string& name) const { return *impl_->find(name).first; }

namespace {
at::Tensor owned_copy(const at::Tensor& stored, at::ScalarType dtype) {
  prefault(stored);
  auto copy = empty_cpu_tensor(stored.sizes(), dtype);
  copy.copy_(stored);
  return copy;
}
}  // namespace

at::Tensor Checkpoint::load(const std::string& name, at::Device device, std::optional<at::ScalarType> dtype) const {
  const auto& [info, file] = impl_->find(name);
  const at::Tensor stored = file->read(name);
  const auto target = dtype.value_or(info->dtype);
  if (device.is_cpu() && target == info->dtype && stored.is_contiguous()) return stored;
  at::Tensor loaded;
  if (device.is_cpu()) {
    loaded = owned_copy(stored, target);
  } else {
    // On an accelerator the conversion runs there, after the (smaller or equal) stored bytes moved.
    prefault(stored);
    loaded = stored.to(device).to(target).contiguous();
  }
  release_mapped_pages(stored);  // copied: the file's pages need not stay resident
  return loaded;
}

at::Tensor Checkpoint::load_copy(const std::string& name, std::optional<at::ScalarType> dtype) const {
  const auto& [info, file] = impl_->find(name);
  const at::Tensor stored = file->read(name);
  at::Tensor copy = owned_copy(stored, dtype.value_or(info->dtype));
  release_mapped_pages(stored);
  return copy;
}

}  // namespace lisa::io
