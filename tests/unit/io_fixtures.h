#pragma once
// Shared helpers of the checkpoint-reader tests: fixture paths (tests/data/io, written by
// scripts/fixtures/make_io_fixtures.py) and the check that a file is rejected with a message
// naming it and the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "lisa/error.h"

namespace lisa::testing {

inline std::filesystem::path io_fixture(const std::string& relative) {
  return std::filesystem::path(LISA_TEST_DATA_DIR) / "io" / relative;
}

// Runs `action`, which must throw lisa::Error; returns its message ("" and a failure otherwise).
inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const lisa::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a lisa::Error";
  return "";
}

// A fixture under tests/data/io/bad and a phrase its rejection message must contain.
struct BadFile {
  const char* file;
  const char* problem;
};

inline void PrintTo(const BadFile& bad, std::ostream* out) { *out << bad.file; }

// Test names from the fixture's file stem.
inline std::string bad_file_test_name(const ::testing::TestParamInfo<BadFile>& info) {
  const std::string name = info.param.file;
  return name.substr(0, name.find('.'));
}

}  // namespace lisa::testing
