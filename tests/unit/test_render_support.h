#pragma once
// Helpers shared by the render and eval tests: a scratch directory (and, from support/, whole-file reads).
#include <unistd.h>

#include <cstdio>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "support/file_bytes.h"

namespace lisa::testing {

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("lisa-" + std::string(info ? info->name() : "test") + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// tests/data/eval/reasonseg_edge: ReasonSeg annotations with their edge cases (cp1252 text, shapes
// the reference draws oddly), written by scripts/fixtures/make_reasonseg_fixture.py, with the
// reference's masks and metrics for them.
inline std::filesystem::path reasonseg_edge_split() {
  return std::filesystem::path(LISA_TEST_DATA_DIR) / "eval/reasonseg_edge";
}

}  // namespace lisa::testing
