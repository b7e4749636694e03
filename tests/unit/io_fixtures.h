#pragma once
// Shared helpers of the checkpoint-reader tests: fixture paths (tests/data/io, written by
// scripts/fixtures/make_io_fixtures.py) and the check that a file is rejected with a message
// naming it and the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace lisa::testing
