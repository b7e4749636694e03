// `lisa quantize`'s checkpoints (include/lisa/workflow/quantize.h, models/quantized_checkpoint.h):
// the stored form reads back as quantized, a stored checkpoint answers exactly like quantizing the
// original at load, and what cannot load is refused naming the tensor or the option.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/safetensors_writer.h"
#include "lisa/models/quantized_checkpoint.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"
#include "lisa/workflow/quantize.h"
#include "pipeline/models.h"
#include "support/cli.h"
#include "unit/io_fixtures.h"
#include "support/golden.h"

namespace {

namespace models = lisa::models;
namespace pipeline = lisa::pipeline;
using ::testing::HasSubstr;

std::vector<lisa::io::TensorToWrite> stored_form(const std::string& prefix, const models::QuantizedWeight& weight) {
  std::vector<lisa::io::TensorToWrite> tensors;
  const auto stored = models::stored_tensors(prefix, weight.out_features, weight.in_features, weight.mode,
                                             weight.group_size);
  const auto values = models::stored_values(weight);
  for (size_t i = 0; i < stored.size(); ++i)
    tensors.push_back({stored[i].name, stored[i].dtype, stored[i].shape, [value = values[i]] { return value; }});
  return tensors;
}

TEST(QuantizedCheckpoint, StoredFormReadsBackAsTheSameWeight) {
  const auto dir = lisa::testing::fresh_dir("quant_stored_form");
  // Width 200: not a multiple of the group size, so int4 stores the padded width.
  const at::Tensor weight = at::randn({24, 200}, at::kFloat);
  for (const auto mode : {models::QuantMode::kInt8, models::QuantMode::kInt4}) {
    const auto quantized = models::quantize_weight(weight, mode, 64);
    const auto file = dir / ("layer_" + models::to_string(mode) + ".safetensors");
    lisa::io::write_safetensors(file, stored_form("layer.", quantized));
    const auto checkpoint = lisa::io::Checkpoint::open(file);
    models::WeightBinder binder(checkpoint, at::kCPU, at::kFloat);
    const auto bound = models::bind_quantized(models::WeightScope(binder, "layer."), 24, 200, mode, 64);
    binder.finish();
    EXPECT_TRUE(at::equal(bound.values, quantized.values)) << models::to_string(mode);
    EXPECT_TRUE(at::equal(bound.scales, quantized.scales)) << models::to_string(mode);
    EXPECT_EQ(bound.zeros.defined(), mode == models::QuantMode::kInt4);
    if (bound.zeros.defined()) {
      EXPECT_TRUE(at::equal(bound.zeros, quantized.zeros));
    }
    EXPECT_TRUE(at::equal(bound.dequantize(at::kFloat), quantized.dequantize(at::kFloat)));
  }
}

TEST(QuantizedCheckpoint, MissingOrMistypedStoredTensorsAreNamed) {
  const auto dir = lisa::testing::fresh_dir("quant_stored_bad");
  const auto quantized = models::quantize_weight(at::randn({8, 64}, at::kFloat), models::QuantMode::kInt4, 32);
  auto tensors = stored_form("layer.", quantized);
  tensors.pop_back();  // no zeros
  lisa::io::write_safetensors(dir / "no_zeros.safetensors", tensors);
  const auto no_zeros = lisa::io::Checkpoint::open(dir / "no_zeros.safetensors");
  models::WeightBinder binder(no_zeros, at::kCPU, at::kFloat);
  EXPECT_THAT(lisa::testing::error_of([&] {
                models::bind_quantized(models::WeightScope(binder, "layer."), 8, 64, models::QuantMode::kInt4, 32);
              }),
              HasSubstr("tensor 'layer.zeros' is missing"));
  // A float tensor where an integer one belongs is refused, not converted.
  const auto float_values = dir / "float_values.safetensors";
  lisa::io::write_safetensors(float_values, {{"layer.qweight", at::kFloat, {8, 64}, [] { return at::zeros({8, 64}); }},
                                             {"layer.scales", at::kBFloat16, {8}, [] {
                                                return at::ones({8}, at::kBFloat16);
                                              }}});
  const auto mistyped = lisa::io::Checkpoint::open(float_values);
  models::WeightBinder mistyped_binder(mistyped, at::kCPU, at::kFloat);
  EXPECT_THAT(lisa::testing::error_of([&] {
                models::bind_quantized(models::WeightScope(mistyped_binder, "layer."), 8, 64, models::QuantMode::kInt8, 0);
              }),
              HasSubstr("tensor 'layer.qweight' is Float, a checkpoint quantized to int8 stores it as Char"));
}

pipeline::EngineOptions golden_options(const std::filesystem::path& model, models::QuantMode mode) {
  pipeline::EngineOptions options;
  options.model = model;
  options.vision_tower = lisa::testing::golden_clip_dir().string();
  options.device = "cpu";
  options.precision = pipeline::Precision::kFp32;
  options.quantization.mode = mode;
  options.quantization.group_size = 64;
  return options;
}

// The same weights whether quantized by `lisa quantize` or at load: the same ids, text and masks.
TEST(QuantizedCheckpoint, AnswersExactlyLikeQuantizingAtLoad) {
  const auto out = lisa::testing::fresh_dir("quant_checkpoint_int4") / "int4";
  lisa::workflow::QuantizeOptions quantize;
  quantize.model = lisa::testing::golden_lisa_bin_dir();
  quantize.out = out;
  quantize.quantization = {models::QuantMode::kInt4, 64};
  quantize.max_file_bytes = 4 << 20;  // several files and an index, as large checkpoints get
  const auto report = lisa::workflow::quantize_checkpoint(quantize);
  EXPECT_EQ(report.quantized, 3 * 7 + 1);
  EXPECT_GT(report.files.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(out / "model.safetensors.index.json"));
  EXPECT_TRUE(std::filesystem::exists(out / "tokenizer.model"));

  const auto at_load = pipeline::Engine::load(golden_options(lisa::testing::golden_lisa_bin_dir(), models::QuantMode::kInt4));
  const auto stored = pipeline::Engine::load(golden_options(out, models::QuantMode::kNone));
  EXPECT_EQ(stored->models().llama.quantization().mode, models::QuantMode::kInt4);
  const auto image = lisa::image::read_image(lisa::testing::golden_root() / "images" / "astronaut_wide.jpg");
  pipeline::AskOptions ask;
  ask.max_new_tokens = 24;
  ask.force_seg = true;
  pipeline::Context at_load_context(*at_load), stored_context(*stored);
  const auto expected = at_load_context.open(image).ask("Please output segmentation mask.", ask);
  const auto got = stored_context.open(image).ask("Please output segmentation mask.", ask);
  EXPECT_EQ(got.token_ids, expected.token_ids);
  EXPECT_EQ(got.text, expected.text);
  ASSERT_EQ(got.masks.size(), expected.masks.size());
  ASSERT_FALSE(got.masks.empty());
  for (size_t i = 0; i < got.masks.size(); ++i) EXPECT_TRUE(at::equal(got.masks[i].logits, expected.masks[i].logits));

  // A stored checkpoint keeps its mode: asking for another is refused before anything is bound.
  EXPECT_THAT(lisa::testing::error_of([&] { pipeline::Engine::load(golden_options(out, models::QuantMode::kInt8)); }),
              HasSubstr("is already quantized to int4 (group size 64); --quantize int8 cannot change that"));
}

// A stop between tensors ends the run with QuantizeStopped and leaves neither OUT nor its hidden
// folder; the hidden folder of a run killed outright (its pid gone) is removed by the next run.
TEST(QuantizedCheckpoint, AStopLeavesNothingAndAKilledRunsFolderIsRemovedNextTime) {
  namespace fs = std::filesystem;
  const auto dir = lisa::testing::fresh_dir("quantize_stop");
  const fs::path stale = dir / ".q.partial-999999999";  // above any pid_max: no such process
  fs::create_directories(stale);
  std::ofstream(stale / "model.safetensors") << "half";
  lisa::workflow::QuantizeOptions options;
  options.model = lisa::testing::golden_lisa_bin_dir();
  options.out = dir / "q";
  options.quantization.mode = models::QuantMode::kInt8;
  const auto report = lisa::workflow::quantize_checkpoint(options);
  EXPECT_EQ(report.removed_partials, std::vector<fs::path>{stale});
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::is_regular_file(dir / "q" / "config.json"));

  options.out = dir / "stopped";
  int polls = 0;
  options.stop_requested = [&polls] { return ++polls > 3; };
  EXPECT_THROW(lisa::workflow::quantize_checkpoint(options), lisa::workflow::QuantizeStopped);
  EXPECT_EQ(polls, 4);  // it stopped at the first poll that asked it to
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.push_back(entry.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"q"});
}

}  // namespace
