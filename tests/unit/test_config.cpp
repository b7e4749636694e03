// Typed configs: the fixture files, both CLIP config layouts, defaults, and errors that name the
// file and the field.
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "io_fixtures.h"
#include "lisa/config.h"

namespace lisa::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

json lisa_json() {
  return json::parse(R"({
    "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "intermediate_size": 11008,
    "rms_norm_eps": 1e-6, "max_position_embeddings": 2048, "vocab_size": 32003, "out_dim": 256,
    "mm_vision_select_layer": -2, "mm_use_im_start_end": true, "mm_hidden_size": 1024,
    "vision_tower": "openai/clip-vit-large-patch14", "torch_dtype": "bfloat16", "rope_scaling": null})");
}

TEST(LisaConfig, ReadsTheFixtureDirectory) {
  const auto c = LisaConfig::load(io_fixture("lisa-tiny-bin"));
  EXPECT_EQ(c.hidden_size, 16);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 2);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.intermediate_size, 24);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000);
  EXPECT_EQ(c.max_position_embeddings, 64);
  EXPECT_EQ(c.vocab_size, 20);
  EXPECT_EQ(c.out_dim, 8);
  EXPECT_EQ(c.mm_vision_select_layer, -2);
  EXPECT_TRUE(c.mm_use_im_start_end);
  EXPECT_EQ(c.mm_hidden_size, 8);
  EXPECT_EQ(c.vision_tower, "openai/clip-vit-large-patch14");  // from mm_vision_tower
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.head_dim(), 8);
}

TEST(LisaConfig, DefaultsAndOverrides) {
  auto j = lisa_json();
  auto c = LisaConfig::from_json(j, "config.json");
  EXPECT_EQ(c.num_key_value_heads, 32);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000);
  j["num_key_value_heads"] = 8;
  j["rope_theta"] = 500000.0;
  j["mm_vision_tower"] = "elsewhere";  // vision_tower wins, as in LISA's loader
  j.erase("mm_use_im_start_end");
  c = LisaConfig::from_json(j, "config.json");
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_EQ(c.vision_tower, "openai/clip-vit-large-patch14");
  EXPECT_FALSE(c.mm_use_im_start_end);
}

TEST(LisaConfig, EveryRequiredFieldIsNamedWhenMissing) {
  for (const char* field : {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                            "rms_norm_eps", "max_position_embeddings", "vocab_size", "out_dim",
                            "mm_vision_select_layer", "mm_hidden_size", "vision_tower"}) {
    auto j = lisa_json();
    j.erase(field);
    EXPECT_THAT(error_of([&] { LisaConfig::from_json(j, "/models/x/config.json"); }),
                HasSubstr(std::string("/models/x/config.json: field '") + field + "' is missing"));
  }
}

TEST(LisaConfig, WrongTypesAndInconsistentSizesAreErrors) {
  auto j = lisa_json();
  j["hidden_size"] = "4096";
  EXPECT_THAT(error_of([&] { LisaConfig::from_json(j, "c.json"); }),
              HasSubstr("c.json: field 'hidden_size' must be an integer, not string \"4096\""));
  j = lisa_json();
  j["num_attention_heads"] = 30;
  EXPECT_THAT(error_of([&] { LisaConfig::from_json(j, "c.json"); }), HasSubstr("does not divide hidden_size"));
  j = lisa_json();
  j["num_key_value_heads"] = 5;
  EXPECT_THAT(error_of([&] { LisaConfig::from_json(j, "c.json"); }), HasSubstr("'num_key_value_heads' (5) must divide"));
  j = lisa_json();
  j["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  EXPECT_THAT(error_of([&] { LisaConfig::from_json(j, "c.json"); }), HasSubstr("'rope_scaling' is set"));
  j = lisa_json();
  j["vocab_size"] = 0;
  EXPECT_THAT(error_of([&] { LisaConfig::from_json(j, "c.json"); }),
              HasSubstr("c.json: field 'vocab_size' is 0; it must be between 1 and "));
}

// Every size the engine uses is bounded, so that a broken file is named instead of sizing an
// allocation (max_position_embeddings of 10^12 used to end in "can't allocate 4000000000000 bytes").
TEST(LisaConfig, OutOfRangeValuesNameTheField) {
  const auto error_with = [](const char* field, const json& value) {
    auto j = lisa_json();
    j[field] = value;
    return error_of([&] { LisaConfig::from_json(j, "/m/config.json"); });
  };
  const json huge = 1'000'000'000'000;
  for (const char* field : {"hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                            "intermediate_size", "max_position_embeddings", "vocab_size", "out_dim", "mm_hidden_size",
                            "mm_vision_select_layer"}) {
    SCOPED_TRACE(field);
    EXPECT_THAT(error_with(field, huge),
                HasSubstr(std::string("/m/config.json: field '") + field + "' is 1000000000000; it must be between"));
    const int64_t negative = std::string(field) == "mm_vision_select_layer" ? -2000 : -3;  // -2 is the usual layer
    EXPECT_THAT(error_with(field, negative),
                HasSubstr(std::string("field '") + field + "' is " + std::to_string(negative) + "; it must be between"));
    EXPECT_THAT(error_with(field, 2.5), HasSubstr(std::string("field '") + field + "' must be an integer, not number"));
    EXPECT_THAT(error_with(field, json::array()), HasSubstr(std::string("field '") + field + "' must be an integer"));
  }
  for (const char* field : {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                            "max_position_embeddings", "vocab_size", "out_dim", "mm_hidden_size"})
    EXPECT_THAT(error_with(field, 0), HasSubstr(std::string("field '") + field + "' is 0; it must be between 1 and"));
  EXPECT_THAT(error_with("hidden_size", 18446744073709551615ull), HasSubstr("field 'hidden_size' is too large"));
  for (const char* field : {"rms_norm_eps", "rope_theta"}) {
    SCOPED_TRACE(field);
    EXPECT_THAT(error_with(field, 0), HasSubstr(std::string("field '") + field + "' is 0; it must be above 0"));
    EXPECT_THAT(error_with(field, -1e-6), HasSubstr(std::string("field '") + field + "' is -1e-06; it must be above 0"));
    EXPECT_THAT(error_with(field, 1e300), HasSubstr(std::string("field '") + field + "' is 1e+300"));
    EXPECT_THAT(error_with(field, "1e-6"), HasSubstr(std::string("field '") + field + "' must be a number, not string"));
  }
  // In range one by one, but the rotary table (positions x head dimension) would not be.
  auto j = lisa_json();
  j["max_position_embeddings"] = 1 << 20;
  EXPECT_NO_THROW(LisaConfig::from_json(j, "c.json"));  // head dimension 128: 2^27 entries
  j["num_attention_heads"] = 8;                          // head dimension 512
  EXPECT_THAT(error_of([&] { LisaConfig::from_json(j, "c.json"); }),
              HasSubstr("field 'max_position_embeddings' (1048576) times the head dimension (512) is more than"));
  j = lisa_json();
  j["num_attention_heads"] = 1024;  // head dimension 4
  EXPECT_NO_THROW(LisaConfig::from_json(j, "c.json"));
  j["hidden_size"] = 4095;
  j["num_attention_heads"] = 819;
  j["num_key_value_heads"] = 819;
  EXPECT_THAT(error_of([&] { LisaConfig::from_json(j, "c.json"); }), HasSubstr("odd head dimension (5)"));
}

// A checkpoint directory's token ids must be rows of the embedding: added_tokens.json's and
// generation_config.json's eos_token_id against config.json's vocab_size.
TEST(LisaConfig, TokenIdsOfTheOtherFilesMustFitTheVocabulary) {
  const auto dir = std::filesystem::temp_directory_path() / ("lisa_config_ids_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto write = [&](const char* name, const json& value) { std::ofstream(dir / name) << value.dump(); };
  auto config = lisa_json();
  config["vocab_size"] = 1003;
  write("config.json", config);
  write("added_tokens.json", {{"[SEG]", 1000}, {"<im_start>", 1001}, {"<im_end>", 1002}});
  write("generation_config.json", {{"eos_token_id", 2}});
  EXPECT_EQ(LisaConfig::load(dir).vocab_size, 1003);
  write("generation_config.json", {{"eos_token_id", json::array({2, 1002})}});
  EXPECT_NO_THROW(LisaConfig::load(dir));

  write("generation_config.json", {{"eos_token_id", 1'000'000'000'000}});
  EXPECT_THAT(error_of([&] { LisaConfig::load(dir); }),
              HasSubstr((dir / "generation_config.json").string() + ": field 'eos_token_id' is 1000000000000, outside "
                        "the vocabulary of 1003 tokens (vocab_size in " + (dir / "config.json").string() + ")"));
  write("generation_config.json", {{"eos_token_id", json::array({2, -1})}});
  EXPECT_THAT(error_of([&] { LisaConfig::load(dir); }), HasSubstr("'eos_token_id' is -1, outside the vocabulary"));
  write("generation_config.json", {{"eos_token_id", "2"}});
  EXPECT_THAT(error_of([&] { LisaConfig::load(dir); }),
              HasSubstr("generation_config.json: field 'eos_token_id' must be an integer token id, not \"2\""));
  write("generation_config.json", {{"eos_token_id", json::array()}});
  EXPECT_THAT(error_of([&] { LisaConfig::load(dir); }), HasSubstr("'eos_token_id' is an empty list"));
  std::filesystem::remove(dir / "generation_config.json");
  EXPECT_NO_THROW(LisaConfig::load(dir));

  write("added_tokens.json", {{"[SEG]", 1003}});
  EXPECT_THAT(error_of([&] { LisaConfig::load(dir); }),
              HasSubstr((dir / "added_tokens.json").string() + ": the id of '[SEG]' is 1003, outside the vocabulary"));
  write("added_tokens.json", {{"[SEG]", 0.5}});
  EXPECT_THAT(error_of([&] { LisaConfig::load(dir); }), HasSubstr("the id of '[SEG]' must be an integer token id"));
  std::filesystem::remove_all(dir);
}

TEST(LisaConfig, MissingAndMalformedFilesAreNamed) {
  EXPECT_THAT(error_of([] { LisaConfig::load(io_fixture("bad/missing_shard")); }),
              HasSubstr("missing_shard/config.json: no such file"));
  EXPECT_THAT(error_of([] { LisaConfig::load(io_fixture("bad/bad_json.safetensors")); }),
              HasSubstr("bad_json.safetensors: invalid JSON"));
  EXPECT_THAT(error_of([] { LisaConfig::from_json(json::array(), "c.json"); }),
              HasSubstr("c.json: expected a JSON object"));
}

TEST(ClipVisionConfig, ReadsTheVisionHalfOfAClipModelConfig) {
  const auto c = ClipVisionConfig::load(io_fixture("clip-tiny"));
  EXPECT_EQ(c.hidden_size, 8);
  EXPECT_EQ(c.intermediate_size, 16);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 2);
  EXPECT_EQ(c.image_size, 28);
  EXPECT_EQ(c.patch_size, 14);
  EXPECT_EQ(c.patches_per_side(), 2);
  EXPECT_EQ(c.hidden_act, "quick_gelu");
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-5);
}

TEST(ClipVisionConfig, ReadsAFlatVisionModelConfigWithDefaults) {
  const auto j = json::parse(R"({"model_type": "clip_vision_model", "hidden_size": 1024,
      "intermediate_size": 4096, "num_hidden_layers": 24, "num_attention_heads": 16, "patch_size": 14})");
  const auto c = ClipVisionConfig::from_json(j, "config.json");
  EXPECT_EQ(c.hidden_size, 1024);
  EXPECT_EQ(c.image_size, 224);
  EXPECT_EQ(c.num_channels, 3);
  EXPECT_EQ(c.patches_per_side(), 16);
  EXPECT_EQ(c.hidden_act, "quick_gelu");
}

TEST(ClipVisionConfig, ErrorsNameTheNestedObject) {
  const auto j = json::parse(R"({"vision_config": {"hidden_size": 8, "num_hidden_layers": 1,
      "num_attention_heads": 2, "patch_size": 14}})");
  EXPECT_THAT(error_of([&] { ClipVisionConfig::from_json(j, "clip/config.json"); }),
              HasSubstr("clip/config.json: vision_config: field 'intermediate_size' is missing"));
  auto bad = j;
  bad["vision_config"]["intermediate_size"] = 16;
  bad["vision_config"]["image_size"] = 30;
  EXPECT_THAT(error_of([&] { ClipVisionConfig::from_json(bad, "clip/config.json"); }),
              HasSubstr("'image_size' (30) is not a positive multiple of patch_size (14)"));
}

TEST(ClipPreprocessConfig, ReadsTheLegacyIntegerLayout) {
  const auto c = load_clip_preprocess_config(io_fixture("clip-tiny"));
  EXPECT_EQ(c.shortest_edge, 224);
  EXPECT_EQ(c.crop_size, (image::ImageSize{224, 224}));
  EXPECT_EQ(c.resample, image::ResampleFilter::Bicubic);
  EXPECT_FLOAT_EQ(c.image_mean[0], 0.48145466f);
  EXPECT_FLOAT_EQ(c.image_std[2], 0.27577711f);
  EXPECT_DOUBLE_EQ(c.rescale_factor, 1.0 / 255.0);
}

TEST(ClipPreprocessConfig, ReadsTheObjectLayoutAndDefaults) {
  const auto c = clip_preprocess_config_from_json(
      json::parse(R"({"size": {"shortest_edge": 336}, "crop_size": {"height": 320, "width": 300},
                      "resample": 2, "image_mean": [0.5, 0.5, 0.5]})"),
      "p.json");
  EXPECT_EQ(c.shortest_edge, 336);
  EXPECT_EQ(c.crop_size, (image::ImageSize{320, 300}));
  EXPECT_EQ(c.resample, image::ResampleFilter::Bilinear);
  EXPECT_FLOAT_EQ(c.image_mean[1], 0.5f);
  EXPECT_FLOAT_EQ(c.image_std[0], 0.26862954f);  // default
}

TEST(ClipVisionConfig, OutOfRangeValuesNameTheField) {
  const auto error_with = [](const char* field, const json& value) {
    auto j = json::parse(R"({"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24,
        "num_attention_heads": 16, "patch_size": 14})");
    j[field] = value;
    return error_of([&] { ClipVisionConfig::from_json(j, "clip/config.json"); });
  };
  for (const char* field : {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                            "patch_size", "image_size"}) {
    SCOPED_TRACE(field);
    EXPECT_THAT(error_with(field, 1'000'000'000'000),
                HasSubstr(std::string("clip/config.json: field '") + field + "' is 1000000000000; it must be between 1"));
    EXPECT_THAT(error_with(field, 0), HasSubstr(std::string("field '") + field + "' is 0"));
    EXPECT_THAT(error_with(field, -14), HasSubstr(std::string("field '") + field + "' is -14"));
    EXPECT_THAT(error_with(field, "14"), HasSubstr(std::string("field '") + field + "' must be an integer"));
  }
  EXPECT_THAT(error_with("num_channels", 4), HasSubstr("field 'num_channels' is 4; it must be between 3 and 3"));
  EXPECT_THAT(error_with("layer_norm_eps", -1), HasSubstr("field 'layer_norm_eps' is -1; it must be above 0"));
}

TEST(ClipPreprocessConfig, OutOfRangeSizesNameTheField) {
  const auto error_for = [](const char* text) {
    return error_of([&] { clip_preprocess_config_from_json(json::parse(text), "p.json"); });
  };
  EXPECT_THAT(error_for(R"({"size": 1000000000000})"), HasSubstr("p.json: field 'size' is 1000000000000; it must be"));
  EXPECT_THAT(error_for(R"({"size": {"shortest_edge": 0}})"), HasSubstr("p.json: size: field 'shortest_edge' is 0"));
  EXPECT_THAT(error_for(R"({"crop_size": -224})"), HasSubstr("p.json: field 'crop_size' is -224"));
  EXPECT_THAT(error_for(R"({"crop_size": {"height": 224, "width": 100000}})"),
              HasSubstr("p.json: crop_size: field 'width' is 100000"));
  EXPECT_THAT(error_for(R"({"crop_size": "224"})"), HasSubstr("p.json: field 'crop_size' must be an integer"));
  EXPECT_THAT(error_for(R"({"resample": 4294967299})"), HasSubstr("p.json: field 'resample' is 4294967299"));
  EXPECT_THAT(error_for(R"({"rescale_factor": 0})"), HasSubstr("p.json: field 'rescale_factor' is 0"));
  EXPECT_THAT(error_for(R"({"image_mean": [0.5, 1e300, 0.5]})"), HasSubstr("p.json: field 'image_mean' holds 1e+300"));
}

TEST(ClipPreprocessConfig, UnsupportedValuesAreNamed) {
  const auto error_for = [](const char* text) {
    return error_of([&] { clip_preprocess_config_from_json(json::parse(text), "p.json"); });
  };
  EXPECT_THAT(error_for(R"({"size": {"height": 224, "width": 224}})"),
              HasSubstr("p.json: size: field 'shortest_edge' is missing"));
  EXPECT_THAT(error_for(R"({"image_std": [1, 2]})"), HasSubstr("p.json: field 'image_std' must list 3 numbers"));
  EXPECT_THAT(error_for(R"({"do_resize": 1})"), HasSubstr("p.json: field 'do_resize' must be true or false"));
  EXPECT_THAT(error_for(R"({"do_center_crop": false})"), HasSubstr("p.json: field 'do_center_crop' is false"));
  EXPECT_THAT(error_for(R"({"resample": 42})"), HasSubstr("p.json: field 'resample' unsupported PIL resampling filter 42"));
}

}  // namespace
}  // namespace lisa::testing
