#include "lisa/workflow/output_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "lisa/error.h"

namespace lisa::workflow {

namespace fs = std::filesystem;

namespace {

// The pid the holder wrote, or "" while it has not written it yet.
std::string holder_pid(int fd) {
  char buffer[32] = {};
  const ssize_t got = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string text(buffer, got > 0 ? static_cast<size_t>(got) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

OutputLock OutputLock::acquire(const fs::path& dir, const std::string& lock_name) {
  std::error_code error;
  LISA_CHECK(!fs::exists(dir, error) || fs::is_directory(dir, error), dir.string(),
             ": the output folder is a file (give --out a folder, new or existing)");
  const bool created_dir = !fs::exists(dir, error);
  fs::create_directories(dir, error);
  LISA_CHECK(!error, "cannot create the output folder ", dir.string(), ": ", error.message());
  const fs::path lock_file = dir / lock_name;
  const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  LISA_CHECK(fd >= 0, "cannot open the lock file ", lock_file.string(), ": ", std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int cause = errno;
    const std::string pid = holder_pid(fd);
    ::close(fd);
    LISA_CHECK(cause != EWOULDBLOCK, dir.string(), " is in use by another run (pid ", pid.empty() ? "unknown" : pid,
               ", holding ", lock_file.string(), "); wait for it to end or give another --out");
    throw Error(detail::concat("cannot lock ", lock_file.string(), ": ", std::strerror(cause)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int cause = errno;
    ::close(fd);
    throw Error(detail::concat("cannot write ", lock_file.string(), ": ", std::strerror(cause)));
  }
  return OutputLock(dir, lock_file, fd, created_dir);
}

OutputLock::OutputLock(fs::path dir, fs::path lock_file, int fd, bool created_dir)
    : dir_(std::move(dir)), lock_file_(std::move(lock_file)), fd_(fd), created_dir_(created_dir) {}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : dir_(std::move(other.dir_)),
      lock_file_(std::move(other.lock_file_)),
      fd_(std::exchange(other.fd_, -1)),
      created_dir_(std::exchange(other.created_dir_, false)) {}

void OutputLock::remove_if_unused() {
  if (!created_dir_ || fd_ < 0) return;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_, error))
    if (entry.path().filename() != lock_file_.filename()) return;
  fs::remove(lock_file_, error);
  fs::remove(dir_, error);  // fails, harmlessly, if something appeared meanwhile
}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    dir_ = std::move(other.dir_);
    lock_file_ = std::move(other.lock_file_);
    fd_ = std::exchange(other.fd_, -1);
    created_dir_ = std::exchange(other.created_dir_, false);
  }
  return *this;
}

// The file stays: removing it would let a third run lock a new file while a second still waits on
// the old one. Closing the descriptor releases the lock.
OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lisa::workflow
