#pragma once
// Helpers shared by the render and eval tests: a scratch directory and whole-file reads.
#include <ftw.h>
#include <unistd.h>

#include <cstdio>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace lisa::testing {

// Deletes a directory tree. std::filesystem::remove_all must not be used in binaries linked with
// the torch wheel's libtorch: libtorch exports its own copy, built against GCC 13's libstdc++,
// which calls recursive_directory_iterator::__erase — absent from GCC 12's libstdc++, so the call
// jumps to address 0 on any non-empty directory.
inline void remove_tree(const std::filesystem::path& root) {
  ::nftw(
      root.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return std::remove(path); },
      16, FTW_DEPTH | FTW_PHYS);
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("lisa-" + std::string(info ? info->name() : "test") + "-" + std::to_string(::getpid()));
    remove_tree(path_);
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() { remove_tree(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace lisa::testing
