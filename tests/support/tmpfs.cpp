#include "support/tmpfs.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lisa::testing {

namespace fs = std::filesystem;

ScopedTmpfs::ScopedTmpfs(size_t bytes) {
  std::string pattern = (fs::temp_directory_path() / "lisa_tmpfs_XXXXXX").string();
  if (!::mkdtemp(pattern.data())) {
    why_not_ = std::string("mkdtemp: ") + std::strerror(errno);
    return;
  }
  path_ = pattern;
  const std::string options = "size=" + std::to_string(bytes);
  if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    refused_ = errno == EPERM || errno == EACCES;
    why_not_ = std::string("cannot mount a tmpfs on ") + path_.string() + ": " + std::strerror(errno) +
               (refused_ ? " (it needs root, or CAP_SYS_ADMIN)" : "");
    return;
  }
  mounted_ = true;
}

ScopedTmpfs::~ScopedTmpfs() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  if (!path_.empty()) ::rmdir(path_.c_str());
}

bool ScopedTmpfs::resize(size_t bytes) {
  const std::string options = "size=" + std::to_string(bytes);
  return mounted_ && ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
}

}  // namespace lisa::testing
