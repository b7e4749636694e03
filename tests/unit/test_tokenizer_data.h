#pragma once
// Where the tokenizer tests find the golden tokenizer (tests/data/golden, produced by
// scripts/reference). Without the golden tree the tests that need it are skipped, with the path.
#include <gtest/gtest.h>

#include <filesystem>

#include "lisa/tokenizer/tokenizer.h"

namespace lisa_test {

inline std::filesystem::path golden_dir() { return std::filesystem::path(LISA_TEST_DATA_DIR) / "golden"; }
inline std::filesystem::path golden_model_dir() { return golden_dir() / "models" / "lisa-tiny-bin"; }

// Loaded once for the whole test binary.
inline const lisa::tokenizer::Tokenizer& golden_tokenizer() {
  static const lisa::tokenizer::Tokenizer tokenizer = lisa::tokenizer::Tokenizer::load(golden_model_dir());
  return tokenizer;
}

}  // namespace lisa_test

// The goldens are committed: their absence is a failure, never a skip.
#define LISA_REQUIRE_GOLDENS() \
  ASSERT_TRUE(std::filesystem::exists(lisa_test::golden_dir())) << "no golden data at " << lisa_test::golden_dir()
