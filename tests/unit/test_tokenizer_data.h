#pragma once
// Where the tokenizer tests find the golden tokenizer (tests/data/golden, produced by
// scripts/reference). Without the golden tree the tests that need it are skipped, with the path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lisa/tokenizer/tokenizer.h"

namespace lisa_test {

inline std::filesystem::path golden_dir() { return std::filesystem::path(LISA_TEST_DATA_DIR) / "golden"; }
inline std::filesystem::path golden_model_dir() { return golden_dir() / "models" / "lisa-tiny-bin"; }

inline nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  return nlohmann::json::parse(in);
}

// Loaded once for the whole test binary.
inline const lisa::tokenizer::Tokenizer& golden_tokenizer() {
  static const lisa::tokenizer::Tokenizer tokenizer = lisa::tokenizer::Tokenizer::load(golden_model_dir());
  return tokenizer;
}

}  // namespace lisa_test

#define LISA_SKIP_WITHOUT_GOLDENS()                                                               \
  if (!std::filesystem::exists(lisa_test::golden_dir())) GTEST_SKIP() << "no golden data at " \
                                                                      << lisa_test::golden_dir()
