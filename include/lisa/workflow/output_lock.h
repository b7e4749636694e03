#pragma once
// One batch run per output folder at a time: two runs appending to one results.jsonl would both
// do every item and record it twice.
#include <filesystem>
#include <string>

namespace lisa::workflow {

class OutputLock {
 public:
  // Creates `dir` if needed and takes an exclusive lock (flock) on `dir`/`lock_name`, writing this
  // process's pid into it. The lock lasts as long as this object, and ends with the process however
  // it ends (even SIGKILL), so a stale lock file never blocks a later run. Throws lisa::Error,
  // writing nothing: when another process holds the lock (naming its pid), when `dir` exists and is
  // not a folder, or when it cannot be created.
  static OutputLock acquire(const std::filesystem::path& dir, const std::string& lock_name);

  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&& other) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();

  // When acquire() created the folder and it holds nothing but the lock file, removes both: a run
  // that fails before doing anything (a model that cannot load) leaves nothing behind.
  void remove_if_unused();

  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& lock_file() const { return lock_file_; }

 private:
  OutputLock(std::filesystem::path dir, std::filesystem::path lock_file, int fd, bool created_dir);
  std::filesystem::path dir_;
  std::filesystem::path lock_file_;
  int fd_ = -1;
  bool created_dir_ = false;
};

}  // namespace lisa::workflow
