#include "lisa/io/safetensors_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <map>

#include "lisa/error.h"
#include "lisa/io/mapped_pages.h"

namespace lisa::io {

namespace {

std::string dtype_name(at::ScalarType dtype, const std::string& tensor) {
  static const std::map<at::ScalarType, std::string> names = {
      {at::kDouble, "F64"}, {at::kFloat, "F32"}, {at::kHalf, "F16"},  {at::kBFloat16, "BF16"},
      {at::kLong, "I64"},   {at::kInt, "I32"},   {at::kShort, "I16"}, {at::kChar, "I8"},
      {at::kByte, "U8"},    {at::kBool, "BOOL"},
  };
  const auto found = names.find(dtype);
  LISA_CHECK(found != names.end(), "tensor '", tensor, "': dtype ", at::toString(dtype),
             " cannot be stored in safetensors");
  return found->second;
}

// A file descriptor that reports every failure with the file's name and errno's text.
class OutputFile {
 public:
  explicit OutputFile(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    LISA_CHECK(fd_ >= 0, path_.string(), ": cannot create: ", std::strerror(errno));
  }
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* data, size_t size) {
    const char* bytes = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t written = ::write(fd_, bytes, size);
      if (written < 0 && errno == EINTR) continue;
      LISA_CHECK(written > 0, path_.string(), ": cannot write: ", std::strerror(written < 0 ? errno : ENOSPC));
      bytes += written;
      size -= static_cast<size_t>(written);
    }
  }
  void close() {
    LISA_CHECK(::fsync(fd_) == 0, path_.string(), ": cannot sync: ", std::strerror(errno));
    const int fd = fd_;
    fd_ = -1;
    LISA_CHECK(::close(fd) == 0, path_.string(), ": cannot close: ", std::strerror(errno));
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

std::string header_json(const std::vector<TensorToWrite>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  int64_t offset = 0;
  for (const auto& tensor : tensors) {
    LISA_INTERNAL_ASSERT(!header.contains(tensor.name), "tensor '", tensor.name, "' declared twice");
    header[tensor.name] = {{"dtype", dtype_name(tensor.dtype, tensor.name)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.nbytes()}}};
    offset += tensor.nbytes();
  }
  std::string text = header.dump();
  // The data starts 8-byte aligned: the header is padded with spaces, as the format allows.
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  return text;
}

}  // namespace

int64_t TensorToWrite::nbytes() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count * static_cast<int64_t>(c10::elementSize(dtype));
}

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors) {
  const std::string header = header_json(tensors);
  OutputFile file(path);
  const uint64_t header_size = header.size();
  unsigned char size_bytes[8];
  for (int i = 0; i < 8; ++i) size_bytes[i] = static_cast<unsigned char>(header_size >> (8 * i));  // little-endian
  file.write(size_bytes, sizeof size_bytes);
  file.write(header.data(), header.size());
  for (const auto& tensor : tensors) {
    const at::Tensor data = tensor.produce().to(at::kCPU).contiguous();
    LISA_INTERNAL_ASSERT(data.scalar_type() == tensor.dtype && data.sizes().vec() == tensor.shape, "tensor '",
                         tensor.name, "' produced as ", at::toString(data.scalar_type()), " ", data.sizes(),
                         ", declared as ", at::toString(tensor.dtype), " ", at::IntArrayRef(tensor.shape));
    file.write(data.data_ptr(), static_cast<size_t>(tensor.nbytes()));
    release_mapped_pages(data);  // a tensor read in place from a checkpoint: written, so done with
  }
  file.close();
}

}  // namespace lisa::io
