#pragma once
// A small RAM file system for tests of a full disk, mounted for the life of the object. Mounting
// needs root (CI runs as root); where the kernel refuses it for want of privilege, refused() is true
// and the test must GTEST_SKIP with why_not(); any other failure to mount must fail the test:
//   if (fs.refused()) GTEST_SKIP() << fs.why_not();
//   ASSERT_TRUE(fs.mounted()) << fs.why_not();
#include <cstddef>
#include <filesystem>
#include <string>

namespace lisa::testing {

class ScopedTmpfs {
 public:
  explicit ScopedTmpfs(size_t bytes);
  ~ScopedTmpfs();
  ScopedTmpfs(const ScopedTmpfs&) = delete;
  ScopedTmpfs& operator=(const ScopedTmpfs&) = delete;

  bool mounted() const { return mounted_; }
  bool refused() const { return refused_; }
  const std::string& why_not() const { return why_not_; }
  const std::filesystem::path& path() const { return path_; }
  // Grows (or shrinks) the file system to `bytes` (remount); false when refused.
  bool resize(size_t bytes);

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
  bool refused_ = false;
  std::string why_not_;
};

}  // namespace lisa::testing
