#pragma once
// Shared helpers of the image tests: fixture paths and pixel comparisons.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "lisa/image/image.h"

namespace lisa::image::testing {

inline std::filesystem::path fixture(const std::string& relative) {
  return std::filesystem::path(LISA_TEST_DATA_DIR) / "image" / relative;
}

// Largest |a - b| over all samples; -1 when the sizes differ.
inline int max_abs_diff(const Image& a, const Image& b) {
  if (a.size() != b.size()) return -1;
  int worst = 0;
  for (size_t i = 0; i < a.size_bytes(); ++i) worst = std::max(worst, std::abs(a.data()[i] - b.data()[i]));
  return worst;
}

}  // namespace lisa::image::testing
