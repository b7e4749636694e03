// CLIP and SAM preprocessing against the reference run with small target sizes (fixtures from
// scripts/fixtures/make_image_fixtures.py: transformers' CLIPImageProcessor, and LISA's
// ResizeLongestSide + chat.preprocess): the float tensors must be bit-identical.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "lisa/error.h"
#include "lisa/image/clip_preprocess.h"
#include "lisa/image/read_image.h"
#include "lisa/image/sam_preprocess.h"
#include "lisa/io/json_file.h"
#include "test_image_support.h"

namespace lisa::image {
namespace {

using testing::fixture;

at::Tensor read_f32(const std::filesystem::path& path, const nlohmann::json& shape) {
  std::vector<int64_t> sizes = shape.get<std::vector<int64_t>>();
  at::Tensor t = at::empty(sizes, at::kFloat);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * sizeof(float)));
  if (!in) throw std::runtime_error("short read of " + path.string());
  return t;
}

bool bit_identical(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes() == b.sizes() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

nlohmann::json manifest() { return io::read_json_file(fixture("preprocess/manifest.json")); }

TEST(ClipPreprocess, ResizeSizeRuleMatchesTransformers) {
  const nlohmann::json rows = manifest();  // kept: a range-for over manifest()[...] would outlive it
  for (const auto& row : rows["clip_resize_sizes"]) {
    const ImageSize in{row[0].get<int>(), row[1].get<int>()};
    EXPECT_EQ(clip_resize_size(in, 224), (ImageSize{row[2].get<int>(), row[3].get<int>()})) << row;
  }
}

TEST(SamPreprocess, ResizeSizeRuleMatchesResizeLongestSide) {
  const nlohmann::json rows = manifest();
  for (const auto& row : rows["sam_resize_sizes"]) {
    const ImageSize in{row[0].get<int>(), row[1].get<int>()};
    EXPECT_EQ(sam_resize_size(in, 1024), (ImageSize{row[2].get<int>(), row[3].get<int>()})) << row;
  }
}

TEST(ClipPreprocess, BitIdenticalToClipImageProcessor) {
  const auto m = manifest();
  ClipPreprocessConfig config;
  config.shortest_edge = m["config"]["shortest_edge"];
  config.crop_size = {m["config"]["crop_height"].get<int>(), m["config"]["crop_width"].get<int>()};
  for (const auto& c : m["cases"]) {
    const Image image = read_image(fixture("preprocess/" + c["input"].get<std::string>()));
    const at::Tensor expected = read_f32(fixture("preprocess/" + c["clip"].get<std::string>()), c["clip_shape"]);
    const at::Tensor got = clip_preprocess(image, config);
    EXPECT_TRUE(bit_identical(got, expected))
        << c["input"] << ": max abs diff " << (got.sizes() == expected.sizes() ? (got - expected).abs().max().item<float>() : -1);
  }
}

TEST(SamPreprocess, BitIdenticalToLisaChatPreprocess) {
  const auto m = manifest();
  SamPreprocessConfig config;
  config.target_length = m["config"]["sam_target_length"];
  for (const auto& c : m["cases"]) {
    const Image image = read_image(fixture("preprocess/" + c["input"].get<std::string>()));
    const Image expected_resized = read_image(fixture("preprocess/" + c["sam_resized"].get<std::string>()));
    const at::Tensor expected = read_f32(fixture("preprocess/" + c["sam"].get<std::string>()), c["sam_shape"]);
    const SamInput got = sam_preprocess(image, config);
    EXPECT_EQ(got.original_size, image.size());
    EXPECT_EQ(got.resize_size, expected_resized.size());
    EXPECT_EQ(testing::max_abs_diff(got.resized, expected_resized), 0) << c["input"];
    EXPECT_TRUE(bit_identical(got.pixels, expected))
        << c["input"] << ": max abs diff "
        << (got.pixels.sizes() == expected.sizes() ? (got.pixels - expected).abs().max().item<float>() : -1);
  }
}

TEST(ClipPreprocess, DefaultsAreClipVitLargePatch14) {
  const Image image(ImageSize{300, 200});
  const at::Tensor out = clip_preprocess(image);
  EXPECT_EQ(out.sizes(), (at::IntArrayRef{1, 3, 224, 224}));
  // A black picture normalises to -mean / std in every channel.
  EXPECT_FLOAT_EQ(out[0][0][0][0].item<float>(), (0.0f - 0.48145466f) / 0.26862954f);
}

TEST(ClipPreprocess, RejectsACropLargerThanTheShortestEdge) {
  ClipPreprocessConfig config;
  config.crop_size = {225, 224};
  EXPECT_THROW(clip_preprocess(Image(ImageSize{300, 300}), config), Error);
}

TEST(ClipPreprocess, VeryElongatedPictureOnlyResizesTheCrop) {
  // 224 x 224000 after the shortest-edge resize; only the 224 x 224 middle is computed.
  const Image strip(ImageSize{2, 2000});
  EXPECT_EQ(clip_resize_size(strip.size(), 224), (ImageSize{224, 224000}));
  EXPECT_EQ(clip_preprocess(strip).sizes(), (at::IntArrayRef{1, 3, 224, 224}));
  EXPECT_THROW(clip_resize_size(ImageSize{1, 100'000'000}, 224), Error);
}

TEST(SamPreprocess, PadsWithZerosAndRejectsDegenerateSizes) {
  const SamInput in = sam_preprocess(Image(ImageSize{10, 20}), SamPreprocessConfig{});
  EXPECT_EQ(in.resize_size, (ImageSize{512, 1024}));
  EXPECT_EQ(in.pixels.sizes(), (at::IntArrayRef{1, 3, 1024, 1024}));
  EXPECT_FLOAT_EQ(in.pixels[0][1][511][0].item<float>(), (0.0f - 116.28f) / 57.12f);
  EXPECT_EQ(in.pixels[0][1][512][0].item<float>(), 0.0f);
  EXPECT_THROW(sam_resize_size(ImageSize{1, 3000}, 1024), Error);
}

}  // namespace
}  // namespace lisa::image
