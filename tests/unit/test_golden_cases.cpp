// The goldens (tests/data/golden) are complete and self-consistent: every case has its keys,
// files and tensors with shapes that agree with each other and with the checkpoint config, the
// two checkpoint formats hold the same weights, and the inputs the goldens store only as hashes
// are what the engine's preprocessing recomputes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "lisa/image/read_image.h"
#include "lisa/image/sam_preprocess.h"
#include "lisa/io/json_file.h"
#include "support/golden.h"

namespace lisa::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kImageToken = -200;
constexpr int64_t kSamEmbeddingSide = 64;
constexpr int64_t kLowResMaskSide = 256;
constexpr int64_t kClipSide = 224;

int64_t strided(int64_t size, int64_t stride) { return (size + stride - 1) / stride; }

struct ModelFacts {
  int64_t vocab;
  int64_t hidden;
  int64_t out_dim;
  int64_t seg_id;
  int64_t eos_id;
};

ModelFacts model_facts() {
  const json config = io::read_json_file(golden_lisa_bin_dir() / "config.json");
  return {config.at("vocab_size"), config.at("hidden_size"), config.at("out_dim"),
          io::read_json_file(golden_lisa_bin_dir() / "added_tokens.json").at("[SEG]"),
          io::read_json_file(golden_lisa_bin_dir() / "generation_config.json").at("eos_token_id")};
}

void expect_keys(const GoldenCase& c, const std::vector<std::string>& keys) {
  for (const auto& key : keys) EXPECT_TRUE(c.meta.contains(key)) << c.dir << " lacks " << key;
}

void expect_shape(const GoldenCase& c, const std::string& key, at::ScalarType dtype, std::vector<int64_t> shape) {
  ASSERT_TRUE(c.tensors.contains(key)) << c.dir << " lacks tensor " << key;
  const auto& info = c.tensors.info(key);
  EXPECT_EQ(info.dtype, dtype) << c.dir << " " << key;
  EXPECT_EQ(info.shape, shape) << c.dir << " " << key;
}

int64_t count_id(const std::vector<int64_t>& ids, int64_t id, size_t from) {
  return std::count(ids.begin() + std::min(from, ids.size()), ids.end(), id);
}

void check_common(const GoldenCase& c, const ModelFacts& m) {
  SCOPED_TRACE(c.dir.string());
  expect_keys(c, {"kind", "image", "conv_type", "user_text", "prompt", "input_ids", "original_size", "resize_size",
                  "seg_count", "tensors", "masks", "clip_pixels_sha256", "sam_pixels_uint8_sha256",
                  "clip_pixels_stride", "sam_pixels_stride", "sam_embedding_stride", "low_res_mask_stride"});
  EXPECT_TRUE(fs::is_regular_file(c.image_path()));
  const auto ids = c.ids();
  EXPECT_EQ(count_id(ids, kImageToken, 0), 1);
  EXPECT_EQ(c.meta.at("clip_pixels_sha256").get<std::string>().size(), 64u);
  EXPECT_EQ(c.meta.at("sam_pixels_uint8_sha256").get<std::string>().size(), 64u);

  const image::ImageSize original{c.meta.at("original_size").at(0), c.meta.at("original_size").at(1)};
  const image::ImageSize resized{c.meta.at("resize_size").at(0), c.meta.at("resize_size").at(1)};
  EXPECT_EQ(image::sam_resize_size(original, 1024), resized);

  const int64_t n = c.meta.at("seg_count");
  const int64_t clip_stride = c.meta.at("clip_pixels_stride"), sam_stride = c.meta.at("sam_pixels_stride");
  const int64_t embedding_stride = c.meta.at("sam_embedding_stride"), mask_stride = c.meta.at("low_res_mask_stride");
  expect_shape(c, "clip_pixels_sample", at::kFloat,
               {1, 3, strided(kClipSide, clip_stride), strided(kClipSide, clip_stride)});
  expect_shape(c, "sam_pixels_uint8_sample", at::kByte,
               {strided(resized.height, sam_stride), strided(resized.width, sam_stride), 3});
  expect_shape(c, "clip_features", at::kFloat, {256, m.hidden});
  expect_shape(c, "prefill_logits", at::kFloat, {m.vocab});
  expect_shape(c, "seg_hidden", at::kFloat, {n, m.hidden});
  expect_shape(c, "seg_embeddings", at::kFloat, {n, m.out_dim});
  expect_shape(c, "sam_embedding_sample", at::kFloat,
               {256, strided(kSamEmbeddingSide, embedding_stride), strided(kSamEmbeddingSide, embedding_stride)});
  expect_shape(c, "low_res_masks_sample", at::kFloat,
               {n, strided(kLowResMaskSide, mask_stride), strided(kLowResMaskSide, mask_stride)});
  expect_shape(c, "iou_predictions", at::kFloat, {n});

  const auto masks = c.mask_paths();
  ASSERT_EQ(static_cast<int64_t>(masks.size()), n);
  for (const auto& path : masks) {
    const at::Tensor mask = image::read_image(path).to_tensor();
    EXPECT_EQ(mask.size(0), original.height) << path;
    EXPECT_EQ(mask.size(1), original.width) << path;
    EXPECT_TRUE(((mask == 0) | (mask == 255)).all().item<bool>()) << path << " is not 0/255";
  }
}

TEST(GoldenCases, ThereAreEnoughOfEachKind) {
  EXPECT_GE(golden_cases("chat").size(), 8u);
  EXPECT_GE(golden_cases("eval").size(), 4u);
}

TEST(GoldenCases, ChatCasesAreComplete) {
  const ModelFacts m = model_facts();
  std::set<int64_t> seg_counts;
  for (const auto& c : golden_cases("chat")) {
    check_common(c, m);
    SCOPED_TRACE(c.dir.string());
    expect_keys(c, {"max_new_tokens", "output_ids", "generated_ids", "text", "greedy_min_margin"});
    EXPECT_EQ(c.meta.at("kind"), "chat");
    const auto input = c.ids();
    const auto output = c.meta.at("output_ids").get<std::vector<int64_t>>();
    const auto generated = c.meta.at("generated_ids").get<std::vector<int64_t>>();
    ASSERT_EQ(output.size(), input.size() + generated.size());
    EXPECT_TRUE(std::equal(input.begin(), input.end(), output.begin()));
    EXPECT_TRUE(std::equal(generated.begin(), generated.end(), output.begin() + input.size()));
    const int64_t max_new = c.meta.at("max_new_tokens");
    ASSERT_FALSE(generated.empty());
    EXPECT_TRUE(static_cast<int64_t>(generated.size()) == max_new || generated.back() == m.eos_id);
    // evaluate() counts [SEG] over the whole output after its first id, prompt included.
    EXPECT_EQ(count_id(output, m.seg_id, 1), c.meta.at("seg_count").get<int64_t>());
    seg_counts.insert(c.meta.at("seg_count").get<int64_t>());
  }
  EXPECT_TRUE(seg_counts.count(0) && seg_counts.count(1) && *seg_counts.rbegin() >= 2);
}

TEST(GoldenCases, EvalCasesAreComplete) {
  const ModelFacts m = model_facts();
  for (const auto& c : golden_cases("eval")) {
    check_common(c, m);
    SCOPED_TRACE(c.dir.string());
    expect_keys(c, {"json", "is_sentence", "answer"});
    EXPECT_EQ(c.meta.at("kind"), "eval");
    EXPECT_TRUE(c.meta.at("is_sentence").is_boolean());
    EXPECT_TRUE(fs::is_regular_file(golden_root() / c.meta.at("json").get<std::string>()));
    EXPECT_EQ(count_id(c.ids(), m.seg_id, 1), c.meta.at("seg_count").get<int64_t>());
  }
}

TEST(GoldenCases, HashedInputsAreWhatTheEnginePreprocessingGives) {
  for (const std::string kind : {"chat", "eval"})
    for (const auto& c : golden_cases(kind)) {
      SCOPED_TRACE(c.dir.string());
      const at::Tensor clip = c.clip_pixels();
      const int64_t cs = c.meta.at("clip_pixels_stride");
      EXPECT_TRUE(at::equal(clip.slice(2, 0, {}, cs).slice(3, 0, {}, cs), c.tensor("clip_pixels_sample")));
      const image::SamInput sam = c.sam_input();
      const int64_t ss = c.meta.at("sam_pixels_stride");
      EXPECT_TRUE(at::equal(sam.resized.to_tensor().slice(0, 0, {}, ss).slice(1, 0, {}, ss),
                            c.tensor("sam_pixels_uint8_sample")));
    }
}

TEST(GoldenCases, HashOfAKnownInput) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string long_input(1000, 'a');  // several blocks, padding into a new block
  EXPECT_EQ(sha256_hex(long_input.data(), long_input.size()),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(GoldenModels, BinAndSafetensorsHoldTheSameBf16Weights) {
  const io::Checkpoint bin = io::Checkpoint::open(golden_lisa_bin_dir());
  const io::Checkpoint safetensors = io::Checkpoint::open(golden_lisa_safetensors_dir());
  EXPECT_EQ(bin.format(), "pytorch");
  EXPECT_EQ(safetensors.format(), "safetensors");
  ASSERT_EQ(bin.names(), safetensors.names());
  std::set<fs::path> bin_files, safetensors_files;
  for (const auto& name : bin.names()) {
    EXPECT_EQ(name.find("vision_tower"), std::string::npos) << name;
    EXPECT_EQ(bin.info(name).dtype, at::kBFloat16) << name;
    bin_files.insert(bin.info(name).file);
    safetensors_files.insert(safetensors.info(name).file);
    EXPECT_TRUE(at::equal(bin.load(name), safetensors.load(name))) << name;
  }
  EXPECT_GE(bin_files.size(), 2u);
  EXPECT_GE(safetensors_files.size(), 2u);
  for (const char* file : {"config.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json",
                           "added_tokens.json", "generation_config.json"}) {
    EXPECT_TRUE(fs::is_regular_file(golden_lisa_bin_dir() / file)) << file;
    EXPECT_TRUE(fs::is_regular_file(golden_lisa_safetensors_dir() / file)) << file;
  }
  const io::Checkpoint clip = io::Checkpoint::open(golden_clip_dir());
  EXPECT_TRUE(clip.contains("vision_model.embeddings.patch_embedding.weight"));
  EXPECT_TRUE(fs::is_regular_file(golden_clip_dir() / "preprocessor_config.json"));
}

TEST(GoldenReasonSeg, SplitGroundTruthAndExpectedScoresAgree) {
  const fs::path root = golden_root() / "reasonseg";
  std::vector<std::string> stems;
  for (const auto& entry : fs::directory_iterator(root / "val"))
    if (entry.path().extension() == ".jpg") stems.push_back(entry.path().stem().string());
  std::sort(stems.begin(), stems.end());
  ASSERT_GE(stems.size(), 6u);

  const json expected = io::read_json_file(root / "expected.json");
  ASSERT_EQ(expected.at("images").size(), stems.size());
  for (size_t i = 0; i < stems.size(); ++i) {
    const json& image = expected.at("images").at(i);
    const std::string& stem = stems[i];
    EXPECT_EQ(image.at("stem"), stem);
    EXPECT_TRUE(fs::is_regular_file(root / "val" / (stem + ".json"))) << stem;
    EXPECT_TRUE(fs::is_regular_file(golden_root() / "eval" / stem / "case.json")) << stem;
    EXPECT_EQ(image.at("intersection").size(), 2u);
    EXPECT_EQ(image.at("union").size(), 2u);
    const at::Tensor gt = image::read_image(root / "gt" / (stem + ".png")).to_tensor();
    EXPECT_TRUE(((gt == 0) | (gt == 1) | (gt == 255)).all().item<bool>()) << stem;
  }
  EXPECT_TRUE(expected.at("giou").is_number());
  EXPECT_TRUE(expected.at("ciou").is_number());
}

TEST(GoldenTokenizer, CasesFileIsComplete) {
  const json cases = io::read_json_file(golden_root() / "tokenizer" / "cases.json");
  EXPECT_GE(cases.at("encode").size(), 300u);
  EXPECT_EQ(cases.at("encode_no_bos").size(), cases.at("encode").size());
  for (const json& c : cases.at("encode")) EXPECT_TRUE(c.at("text").is_string() && c.at("ids").is_array());
  for (const json& c : cases.at("decode"))
    EXPECT_TRUE(c.at("ids").is_array() && c.at("text").is_string() && c.at("display_text").is_string());
  EXPECT_EQ(cases.at("seg_token_id"), model_facts().seg_id);
}

}  // namespace
}  // namespace lisa::testing
