// CLIP and SAM preprocessing of every golden chat / eval case against what the reference
// (transformers 4.31 CLIPImageProcessor, LISA's ResizeLongestSide + chat.preprocess) recorded:
// clip_pixels must be bit-identical, sam_pixels_uint8 identical, and the sizes equal.
// The CLIP settings are the ClipPreprocessConfig defaults, which are those of the
// preprocessor_config.json the golden CLIP directory ships (openai/clip-vit-large-patch14's).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "lisa/image/clip_preprocess.h"
#include "lisa/image/read_image.h"
#include "lisa/image/sam_preprocess.h"

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

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Just enough of safetensors (u64 little-endian header length, JSON header, raw data) to read
// two tensors; to be replaced by lisa::io::Checkpoint once the io reader is in main.
at::Tensor read_safetensor(const fs::path& path, const std::string& name, at::ScalarType dtype) {
  std::ifstream in(path, std::ios::binary);
  uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), sizeof header_size);
  std::string header(header_size, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  const auto entry = nlohmann::json::parse(header).at(name);
  const auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
  at::Tensor t = at::empty(entry.at("shape").get<std::vector<int64_t>>(), dtype);
  if (offsets[1] - offsets[0] != t.nbytes()) throw std::runtime_error(path.string() + ": bad size of " + name);
  in.seekg(static_cast<std::streamoff>(sizeof header_size + header_size + offsets[0]));
  in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  if (!in) throw std::runtime_error(path.string() + ": short read of " + name);
  return t;
}

ImageSize size_of(const nlohmann::json& pair) { return {pair.at(0).get<int>(), pair.at(1).get<int>()}; }

TEST(PreprocessParity, GoldenCasesMatchTheReference) {
  const auto cases = golden_cases();
  if (cases.empty()) GTEST_SKIP() << "no golden chat/eval cases under " << golden_root();
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.string());
    const auto meta = read_json(dir / "case.json");
    const fs::path tensors = dir / meta.at("tensors").get<std::string>();
    const Image image = read_image(golden_root() / meta.at("image").get<std::string>());
    EXPECT_EQ(image.size(), size_of(meta.at("original_size")));

    const at::Tensor clip = clip_preprocess(image);
    const at::Tensor clip_golden = read_safetensor(tensors, "clip_pixels", at::kFloat);
    ASSERT_EQ(clip.sizes(), clip_golden.sizes());
    const float clip_diff = (clip - clip_golden).abs().max().item<float>();
    EXPECT_EQ(std::memcmp(clip.data_ptr(), clip_golden.data_ptr(), clip.nbytes()), 0) << "max abs diff " << clip_diff;

    const SamInput sam = sam_preprocess(image);
    EXPECT_EQ(sam.resize_size, size_of(meta.at("resize_size")));
    const at::Tensor sam_golden = read_safetensor(tensors, "sam_pixels_uint8", at::kByte);
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
