#include "lisa/render/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "lisa/error.h"

namespace lisa::render {
namespace {

std::string describe_errno(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

// Closes the descriptor on every path out of a function.
class FileDescriptor {
 public:
  FileDescriptor(const std::filesystem::path& path, int flags, const char* purpose)
      : fd_(::open(path.c_str(), flags | O_CLOEXEC, 0666)) {
    if (fd_ < 0) throw Error(describe_errno(std::string("cannot open") + purpose, path));
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { ::close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes all of `bytes`, continuing after short writes and EINTR. Returns false with errno set.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      if (written == 0) errno = EIO;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

std::filesystem::path temporary_sibling(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  return directory_of(path) / ("." + path.filename().string() + ".tmp-" +
                               std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temporary = temporary_sibling(path);
  try {
    {
      FileDescriptor file(temporary, O_WRONLY | O_CREAT | O_EXCL, " a temporary file for");
      if (!write_all(file.get(), bytes)) throw Error(describe_errno("cannot write", temporary));
      if (::fsync(file.get()) != 0) throw Error(describe_errno("cannot fsync", temporary));
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
      throw Error(describe_errno("cannot rename " + temporary.string() + " to", path));
    }
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  // The rename itself becomes durable once the directory entry is on disk.
  FileDescriptor directory(directory_of(path), O_RDONLY | O_DIRECTORY, " the directory of");
  if (::fsync(directory.get()) != 0) throw Error(describe_errno("cannot fsync the directory of", path));
}

std::vector<std::string> read_complete_lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  if (!std::filesystem::exists(path)) return lines;
  FileDescriptor file(path, O_RDWR, "");
  std::string content;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(file.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(describe_errno("cannot read", path));
    if (got == 0) break;
    content.append(buffer, static_cast<size_t>(got));
  }
  const size_t complete = content.rfind('\n') == std::string::npos ? 0 : content.rfind('\n') + 1;
  if (complete != content.size()) {
    if (::ftruncate(file.get(), static_cast<off_t>(complete)) != 0 || ::fsync(file.get()) != 0) {
      throw Error(describe_errno("cannot cut the partial last line off", path));
    }
  }
  for (size_t begin = 0; begin < complete;) {
    const size_t end = content.find('\n', begin);
    lines.emplace_back(content, begin, end - begin);
    begin = end + 1;
  }
  return lines;
}

void append_line(const std::filesystem::path& path, std::string_view line) {
  if (line.find('\n') != std::string_view::npos) {
    throw Error("cannot append to " + path.string() + ": the record contains a line break");
  }
  std::string record(line);
  record.push_back('\n');
  FileDescriptor file(path, O_WRONLY | O_CREAT | O_APPEND, "");
  struct stat before {};
  if (::fstat(file.get(), &before) != 0) throw Error(describe_errno("cannot stat", path));
  // One write() call for the whole record; a short count means it was interrupted part way.
  ssize_t written;
  do {
    written = ::write(file.get(), record.data(), record.size());
  } while (written < 0 && errno == EINTR);
  if (written != static_cast<ssize_t>(record.size())) {
    const std::string problem = written < 0 ? describe_errno("cannot append a line to", path)
                                            : "cannot append a line to " + path.string() + ": only " +
                                                  std::to_string(written) + " of " +
                                                  std::to_string(record.size()) + " bytes were written";
    if (::ftruncate(file.get(), before.st_size) != 0) {
      throw Error(describe_errno("cannot remove a partly appended line from", path));
    }
    throw Error(problem);
  }
  if (::fsync(file.get()) != 0) throw Error(describe_errno("cannot fsync", path));
}

}  // namespace lisa::render
