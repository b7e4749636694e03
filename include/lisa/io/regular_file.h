#pragma once
// The one way lisa-engine opens a file a user named (checkpoint files, configs, images, annotations,
// prompt files): only a regular file (symlinks followed) is read. A FIFO, socket, device or
// directory is refused at once with an error naming it: the file is opened non-blocking, so even a
// FIFO swapped in after a check cannot make the open wait for a writer, and its type is then taken
// from the open descriptor (fstat), not from the path.
#include <cstdint>
#include <filesystem>
#include <string>

namespace lisa::io {

class RegularFile {
 public:
  // Throws lisa::Error "PATH: no such file", "PATH: not a regular file (a FIFO)", ... naming `path`.
  static RegularFile open(const std::filesystem::path& path);
  ~RegularFile();
  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&&) = delete;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  int descriptor() const { return fd_; }
  uint64_t size() const { return size_; }  // at open

  // Reads up to `count` bytes from the start of the file; returns how many were read (fewer only at its end).
  size_t read_prefix(void* buffer, size_t count) const;
  // Reads exactly `count` bytes from the start; lisa::Error naming the file when it is shorter.
  void read_exactly(void* buffer, size_t count) const;

 private:
  RegularFile(std::filesystem::path path, int fd, uint64_t size);
  std::filesystem::path path_;
  int fd_;
  uint64_t size_;
};

// The whole content of a regular file of at most `max_bytes` bytes. A larger file is an error
// naming it and `what` ("a JSON metadata file", "an annotation", ...): nothing is allocated for it.
std::string read_regular_file(const std::filesystem::path& path, uint64_t max_bytes, const std::string& what);

}  // namespace lisa::io
