#include "lisa/io/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lisa/error.h"

namespace lisa::io {

namespace {
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "an unknown kind of file";
}

std::string errno_text() { return std::strerror(errno); }
}  // namespace

RegularFile RegularFile::open(const std::filesystem::path& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    LISA_CHECK(error != ENOENT, path.string(), ": no such file");
    errno = error;
    throw Error(detail::concat(path.string(), ": cannot open (", errno_text(), ")"));
  }
  RegularFile file(path, fd, 0);  // closes fd on the errors below
  struct stat st {};
  LISA_CHECK(::fstat(fd, &st) == 0, path.string(), ": cannot stat (", errno_text(), ")");
  LISA_CHECK(S_ISREG(st.st_mode), path.string(), ": not a regular file (", kind_of(st.st_mode), ")");
  // Back to blocking reads: on a regular file the flag changes nothing, but say what is meant.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  file.size_ = static_cast<uint64_t>(st.st_size);
  return file;
}

RegularFile::RegularFile(std::filesystem::path path, int fd, uint64_t size)
    : path_(std::move(path)), fd_(fd), size_(size) {}

RegularFile::RegularFile(RegularFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), size_(other.size_) {
  other.fd_ = -1;
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

size_t RegularFile::read_prefix(void* buffer, size_t count) const {
  size_t done = 0;
  while (done < count) {
    const ssize_t n = ::pread(fd_, static_cast<char*>(buffer) + done, count - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    LISA_CHECK(n >= 0, path_.string(), ": cannot read (", errno_text(), ")");
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void RegularFile::read_exactly(void* buffer, size_t count) const {
  const size_t got = read_prefix(buffer, count);
  LISA_CHECK(got == count, path_.string(), ": ends after ", got, " bytes, expected ", count,
             " (was it changed while being read?)");
}

std::string read_regular_file(const std::filesystem::path& path, uint64_t max_bytes, const std::string& what) {
  const RegularFile file = RegularFile::open(path);
  LISA_CHECK(file.size() <= max_bytes, path.string(), ": ", file.size(), " bytes is too large for ", what,
             " (at most ", max_bytes, ")");
  std::string bytes(file.size(), '\0');
  file.read_exactly(bytes.data(), bytes.size());
  return bytes;
}

}  // namespace lisa::io
