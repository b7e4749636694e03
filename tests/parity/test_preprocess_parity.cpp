// CLIP and SAM preprocessing of every golden chat / eval case against what the reference
// (transformers 4.31 CLIPImageProcessor, LISA's ResizeLongestSide + chat.preprocess) recorded:
// clip_pixels must be bit-identical, sam_pixels_uint8 identical, and the sizes equal.
// The CLIP settings are the ClipPreprocessConfig defaults, which are those of the
// preprocessor_config.json the golden CLIP directory ships (openai/clip-vit-large-patch14's).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "lisa/image/clip_preprocess.h"
#include "lisa/image/read_image.h"
#include "lisa/image/sam_preprocess.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/json_file.h"

namespace lisa::image {
namespace {

namespace fs = std::filesystem;

const fs::path& golden_root() {
  static const fs::path root = fs::path(LISA_TEST_DATA_DIR) / "golden";
  return root;
}

std::vector<fs::path> golden_cases() {
  std::vector<fs::path> cases;
  for (const char* kind : {"chat", "eval"}) {
    const fs::path dir = golden_root() / kind;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir))
      if (fs::is_regular_file(entry.path() / "case.json")) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

ImageSize size_of(const nlohmann::json& pair) { return {pair.at(0).get<int>(), pair.at(1).get<int>()}; }

TEST(PreprocessParity, GoldenCasesMatchTheReference) {
  const auto cases = golden_cases();
  if (cases.empty()) GTEST_SKIP() << "no golden chat/eval cases under " << golden_root();
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.string());
    const auto meta = io::read_json_file(dir / "case.json");
    const auto tensors = io::Checkpoint::open(dir / meta.at("tensors").get<std::string>());
    const Image image = read_image(golden_root() / meta.at("image").get<std::string>());
    EXPECT_EQ(image.size(), size_of(meta.at("original_size")));

    const at::Tensor clip = clip_preprocess(image);
    const at::Tensor clip_golden = tensors.load("clip_pixels").contiguous();
    ASSERT_EQ(clip_golden.scalar_type(), at::kFloat);
    ASSERT_EQ(clip.sizes(), clip_golden.sizes());
    const float clip_diff = (clip - clip_golden).abs().max().item<float>();
    EXPECT_EQ(std::memcmp(clip.data_ptr(), clip_golden.data_ptr(), clip.nbytes()), 0) << "max abs diff " << clip_diff;

    const SamInput sam = sam_preprocess(image);
    EXPECT_EQ(sam.resize_size, size_of(meta.at("resize_size")));
    const at::Tensor sam_golden = tensors.load("sam_pixels_uint8");
    ASSERT_EQ(sam_golden.scalar_type(), at::kByte);
    const at::Tensor sam_ours = sam.resized.to_tensor();
    ASSERT_EQ(sam_ours.sizes(), sam_golden.sizes());
    const int sam_diff = (sam_ours.to(at::kInt) - sam_golden.to(at::kInt)).abs().max().item<int>();
    EXPECT_EQ(sam_diff, 0);
    std::cout << "[ parity   ] " << dir.parent_path().filename().string() << "/" << dir.filename().string() << " "
              << image.height() << "x" << image.width() << ": clip max|diff| " << clip_diff
              << ", sam uint8 max|diff| " << sam_diff << "\n";
  }
}

}  // namespace
}  // namespace lisa::image
