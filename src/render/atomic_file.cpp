#include "lisa/render/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
    LISA_CHECK(fd_ >= 0, describe_errno(std::string("cannot open") + purpose, path));
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { ::close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Bytes left before fault_injection::ScopedDiskFull makes writes fail (negative: no limit), and the
// failures to go before the disk has room again (negative: never).
std::atomic<long long> disk_full_after{-1};
std::atomic<int> disk_full_failures{-1};

// ::write, cut short or failing with ENOSPC where a fault_injection::ScopedDiskFull says the disk is full.
ssize_t write_some(int fd, const char* data, size_t size) {
  // Reserve the bytes first: writers on other threads share the budget.
  const long long wanted = static_cast<long long>(size);
  long long left = disk_full_after.load();
  while (left > 0 && !disk_full_after.compare_exchange_weak(left, left - std::min(left, wanted))) {
  }
  if (left < 0) return ::write(fd, data, size);
  if (left == 0) {
    if (disk_full_failures.fetch_sub(1) == 1) disk_full_after.store(-1);
    errno = ENOSPC;
    return -1;
  }
  const size_t room = static_cast<size_t>(std::min(left, wanted));
  const ssize_t written = ::write(fd, data, room);
  if (written < static_cast<ssize_t>(room)) disk_full_after.fetch_add(room - std::max<ssize_t>(written, 0));
  return written;
}

// Writes all of `bytes`, continuing after short writes and EINTR. Returns false with errno set,
// which after a short write is the cause the next write reports (ENOSPC on a full disk).
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = write_some(fd, bytes.data(), bytes.size());
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

constexpr std::string_view kTemporaryMark = ".tmp-";

std::filesystem::path temporary_sibling(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  return directory_of(path) / ("." + path.filename().string() + std::string(kTemporaryMark) +
                               std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

bool is_temporary_file_name(const std::string& file_name) {
  // "." NAME ".tmp-" PID "-" N, NAME not empty
  const std::string_view name(file_name);
  const size_t mark = name.rfind(kTemporaryMark);
  if (name.size() < 2 || name[0] != '.' || mark == std::string_view::npos || mark < 2) return false;
  const std::string_view numbers = name.substr(mark + kTemporaryMark.size());
  const size_t dash = numbers.find('-');
  return dash != std::string_view::npos && all_digits(numbers.substr(0, dash)) && all_digits(numbers.substr(dash + 1));
}

std::vector<std::filesystem::path> remove_stale_temporaries(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> removed;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!is_temporary_file_name(entry.path().filename().string())) continue;
    std::error_code error;
    std::filesystem::remove(entry.path(), error);
    LISA_CHECK(!error, "cannot remove the stale temporary file ", entry.path().string(), ": ", error.message());
    removed.push_back(entry.path());
  }
  return removed;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temporary = temporary_sibling(path);
  try {
    {
      FileDescriptor file(temporary, O_WRONLY | O_CREAT | O_EXCL, " a temporary file for");
      LISA_CHECK(write_all(file.get(), bytes), describe_errno("cannot write", path));
      LISA_CHECK(::fsync(file.get()) == 0, describe_errno("cannot fsync", path));
    }
    LISA_CHECK(::rename(temporary.c_str(), path.c_str()) == 0,
               describe_errno("cannot rename " + temporary.string() + " to", path));
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  // The rename itself becomes durable once the directory entry is on disk.
  FileDescriptor directory(directory_of(path), O_RDONLY | O_DIRECTORY, " the directory of");
  LISA_CHECK(::fsync(directory.get()) == 0, describe_errno("cannot fsync the directory of", path));
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
    LISA_CHECK(got >= 0, describe_errno("cannot read", path));
    if (got == 0) break;
    content.append(buffer, static_cast<size_t>(got));
  }
  const size_t complete = content.rfind('\n') == std::string::npos ? 0 : content.rfind('\n') + 1;
  if (complete != content.size()) {
    LISA_CHECK(::ftruncate(file.get(), static_cast<off_t>(complete)) == 0 && ::fsync(file.get()) == 0,
               describe_errno("cannot cut the partial last line off", path));
  }
  for (size_t begin = 0; begin < complete;) {
    const size_t end = content.find('\n', begin);
    lines.emplace_back(content, begin, end - begin);
    begin = end + 1;
  }
  return lines;
}

void append_line(const std::filesystem::path& path, std::string_view line) {
  // Records are JSON dumped on one line by the workflows.
  LISA_INTERNAL_ASSERT(line.find('\n') == std::string_view::npos, "cannot append to ", path.string(),
                       ": the record contains a line break");
  std::string record(line);
  record.push_back('\n');
  FileDescriptor file(path, O_WRONLY | O_CREAT | O_APPEND, "");
  struct stat before {};
  LISA_CHECK(::fstat(file.get(), &before) == 0, describe_errno("cannot stat", path));
  // A line that is not wholly written, or not known to be on disk, is cut off again.
  if (!write_all(file.get(), record) || ::fsync(file.get()) != 0) {
    const std::string problem = describe_errno("cannot append a line to", path);
    LISA_CHECK(::ftruncate(file.get(), before.st_size) == 0, problem,
               "; and cannot remove the part of it that was written: ", std::strerror(errno));
    throw Error(problem);
  }
}

namespace fault_injection {

ScopedDiskFull::ScopedDiskFull(long long bytes, int failures) {
  disk_full_failures.store(failures);
  disk_full_after.store(bytes);
}
ScopedDiskFull::~ScopedDiskFull() { disk_full_after.store(-1); }

}  // namespace fault_injection

}  // namespace lisa::render
