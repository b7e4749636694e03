// CLIP and SAM preprocessing of every golden chat / eval case against what the reference
// (transformers 4.31 CLIPImageProcessor, LISA's ResizeLongestSide + chat.preprocess) recorded.
// The goldens keep the full inputs as SHA-256 hashes (identity, byte for byte) plus strided samples
// (to show where a difference is when the hash fails); sizes must be equal too.
// The CLIP settings are the ClipPreprocessConfig defaults, which are those of the
// preprocessor_config.json the golden CLIP directory ships (openai/clip-vit-large-patch14's).
#include <gtest/gtest.h>

#include <iostream>

#include "lisa/image/clip_preprocess.h"
#include "lisa/image/read_image.h"
#include "lisa/image/sam_preprocess.h"
#include "support/golden.h"

namespace lisa::image {
namespace {

using lisa::testing::GoldenCase;

ImageSize size_of(const nlohmann::json& pair) { return {pair.at(0).get<int>(), pair.at(1).get<int>()}; }

at::Tensor strided(const at::Tensor& t, int64_t first_spatial_dim, int64_t stride) {
  return t.slice(first_spatial_dim, 0, c10::nullopt, stride).slice(first_spatial_dim + 1, 0, c10::nullopt, stride);
}

TEST(PreprocessParity, GoldenCasesMatchTheReference) {
  std::vector<GoldenCase> cases = lisa::testing::golden_cases("chat");
  for (auto& c : lisa::testing::golden_cases("eval")) cases.push_back(std::move(c));
  ASSERT_GE(cases.size(), 12u) << "golden chat/eval cases under " << lisa::testing::golden_root();
  for (const auto& golden : cases) {
    SCOPED_TRACE(golden.kind + "/" + golden.name);
    const Image image = read_image(golden.image_path());
    EXPECT_EQ(image.size(), size_of(golden.meta.at("original_size")));

    const at::Tensor clip = clip_preprocess(image);
    const at::Tensor clip_sample = strided(clip, 2, golden.meta.at("clip_pixels_stride").get<int64_t>());
    const float clip_diff = (clip_sample - golden.tensor("clip_pixels_sample")).abs().max().item<float>();
    EXPECT_EQ(lisa::testing::sha256_hex(clip), golden.meta.at("clip_pixels_sha256").get<std::string>())
        << "CLIP pixels differ; sampled max abs diff " << clip_diff;

    const SamInput sam = sam_preprocess(image);
    EXPECT_EQ(sam.resize_size, size_of(golden.meta.at("resize_size")));
    const at::Tensor resized = sam.resized.to_tensor();
    const at::Tensor sam_sample = strided(resized, 0, golden.meta.at("sam_pixels_stride").get<int64_t>());
    const int sam_diff =
        (sam_sample.to(at::kInt) - golden.tensor("sam_pixels_uint8_sample").to(at::kInt)).abs().max().item<int>();
    EXPECT_EQ(lisa::testing::sha256_hex(resized), golden.meta.at("sam_pixels_uint8_sha256").get<std::string>())
        << "SAM resized image differs; sampled max abs diff " << sam_diff;
    std::cout << "[ parity   ] " << golden.kind << "/" << golden.name << " " << image.height() << "x" << image.width()
              << ": clip sampled max|diff| " << clip_diff << ", sam uint8 sampled max|diff| " << sam_diff << "\n";
  }
}

}  // namespace
}  // namespace lisa::image
