// Parity of the CLIP tower, projector, LLaMA decoder, greedy generation and text_hidden_fcs with
// the reference goldens (tests/data/golden, fp32 CPU), on every device (support/devices.h). Each
// stage starts from the golden input of that stage (the LLM stages from the golden clip_features),
// so the first failing test names the stage where a divergence starts. The CLIP input is the image
// module's preprocessing of the golden picture, checked against the reference's hash.
//
// Error measure: max |actual - golden| / max |golden| over the whole tensor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lisa/config.h"
#include "lisa/error.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/json_file.h"
#include "lisa/models/clip.h"
#include "lisa/models/generation.h"
#include "lisa/models/llama.h"
#include "lisa/models/multimodal.h"
#include "lisa/models/projector.h"
#include "lisa/models/text_hidden_fcs.h"
#include "lisa/models/weights.h"
#include "support/devices.h"
#include "support/golden.h"
#include "unit/io_fixtures.h"

namespace lisa::models {
namespace {

namespace fs = std::filesystem;
using lisa::testing::golden_root;
using lisa::testing::GoldenCase;
using nlohmann::json;

constexpr double kMaxRelativeError = 1e-4;

fs::path lisa_dir() { return lisa::testing::golden_lisa_bin_dir(); }
fs::path clip_dir() { return lisa::testing::golden_clip_dir(); }

// Also prints the measure, so that a passing run documents how close it came.
double relative_error(const std::string& what, const at::Tensor& actual, const at::Tensor& golden) {
  EXPECT_EQ(actual.sizes(), golden.sizes()) << what;
  if (actual.sizes() != golden.sizes()) return std::numeric_limits<double>::infinity();
  if (golden.numel() == 0) return 0.0;
  const at::Tensor a = actual.to(at::kCPU, at::kDouble), g = golden.to(at::kDouble);
  const double error = ((a - g).abs().max() / g.abs().max()).item<double>();
  std::cout << "[parity] " << actual.device() << " " << what << ": max relative error " << error << "\n";
  return error;
}

std::vector<int64_t> eos_ids(const json& generation_config) {
  const json& eos = generation_config.at("eos_token_id");
  return eos.is_array() ? eos.get<std::vector<int64_t>>() : std::vector<int64_t>{eos.get<int64_t>()};
}

// The golden cases of one kind; a kind without cases is a failure, not a test that checks nothing.
std::vector<GoldenCase> cases(const std::string& kind) {
  auto found = lisa::testing::golden_cases(kind);
  EXPECT_FALSE(found.empty()) << golden_root() / kind << " holds no cases";
  return found;
}

struct Models {
  LlamaModel llama;
  MultimodalProjector projector;
  TextHiddenFcs text_hidden_fcs;
  ClipVisionTower clip;
  GreedyOptions greedy;
};

std::unique_ptr<Models> load_models(const at::Device& device) {
  const LisaConfig config = LisaConfig::load(lisa_dir());
  const io::Checkpoint lisa = io::Checkpoint::open(lisa_dir());
  WeightBinder binder(lisa, device, at::kFloat);
  binder.ignore_prefix("model.visual_model.");  // SAM: bound by models/sam
  LlamaModel llama = LlamaModel::bind(binder, LlamaOptions::from_config(config));
  MultimodalProjector projector = MultimodalProjector::bind(binder, config.mm_hidden_size, config.hidden_size);
  TextHiddenFcs fcs = TextHiddenFcs::bind(binder, config.hidden_size, config.out_dim);
  binder.finish();

  const io::Checkpoint clip_checkpoint = io::Checkpoint::open(clip_dir());
  WeightBinder clip_binder(clip_checkpoint, device, at::kFloat);
  ClipVisionTower clip = ClipVisionTower::bind(
      clip_binder, ClipVisionOptions::from_config(ClipVisionConfig::load(clip_dir()), config.mm_vision_select_layer));
  clip_binder.finish();

  GreedyOptions greedy;
  greedy.eos_token_ids = eos_ids(io::read_json_file(lisa_dir() / "generation_config.json"));
  greedy.seg_token_id = io::read_json_file(lisa_dir() / "added_tokens.json").at("[SEG]");
  return std::make_unique<Models>(Models{std::move(llama), std::move(projector), std::move(fcs), std::move(clip), greedy});
}

class LlmParity : public lisa::testing::OnEachDevice {
 protected:
  void SetUp() override {
    OnEachDevice::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(fs::exists(golden_root())) << golden_root() << " is absent";
    auto& loaded = models_[GetParam()];
    if (!loaded) loaded = load_models(device());
    models_now_ = loaded.get();
  }

  // Device tensors are released before the process exits, not by static destructors.
  static void TearDownTestSuite() {
    runs_.clear();
    models_.clear();
  }

  const Models& models() const { return *models_now_; }
  // [256, H]: CLIP + projector on the golden picture, preprocessed as the reference does (the golden
  // preprocessor_config.json is openai/clip-vit-large-patch14's, the module's defaults).
  at::Tensor clip_features(const GoldenCase& c) const {
    return models().projector(models().clip.forward(c.clip_pixels()))[0];
  }
  // The case's ids with the golden CLIP features spliced in.
  MultimodalSequence sequence(const GoldenCase& c) const {
    return splice_image(models().llama, c.ids(), c.tensor("clip_features"));
  }
  // One greedy run per device and chat case, from the golden CLIP features, shared by the stage tests.
  const GreedyResult& generation(const GoldenCase& c) const {
    const std::string key = GetParam() + "/" + c.name;
    auto found = runs_.find(key);
    if (found != runs_.end()) return found->second;
    const MultimodalSequence prompt = sequence(c);
    GreedyOptions options = models().greedy;
    options.max_new_tokens = c.meta.at("max_new_tokens");
    KvCache cache = models().llama.make_cache(prompt.embeds.size(1) + options.max_new_tokens - 1);
    return runs_.emplace(key, generate_greedy(models().llama, cache, prompt, options)).first->second;
  }

  static std::map<std::string, std::unique_ptr<Models>> models_;  // by device
  static std::map<std::string, GreedyResult> runs_;                // by device/case
  const Models* models_now_ = nullptr;
};
std::map<std::string, std::unique_ptr<Models>> LlmParity::models_;
std::map<std::string, GreedyResult> LlmParity::runs_;

TEST_P(LlmParity, Stage1ClipAndProjectorFeatures) {
  for (const std::string kind : {"chat", "eval"})
    for (const auto& c : cases(kind)) {
      SCOPED_TRACE(kind + "/" + c.name);
      EXPECT_LE(relative_error(kind + "/" + c.name + " clip_features", clip_features(c), c.tensor("clip_features")),
                kMaxRelativeError);
    }
}

TEST_P(LlmParity, Stage2PrefillLogits) {
  for (const auto& c : cases("chat")) {
    SCOPED_TRACE(c.name);
    EXPECT_LE(relative_error(c.name + " prefill_logits", generation(c).prefill_logits, c.tensor("prefill_logits")),
              kMaxRelativeError);
  }
}

TEST_P(LlmParity, Stage3GeneratedIds) {
  for (const auto& c : cases("chat")) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(generation(c).tokens, c.meta.at("generated_ids").get<std::vector<int64_t>>());
  }
}

TEST_P(LlmParity, Stage4SegHiddenAndEmbeddings) {
  int64_t total_segs = 0;
  for (const auto& c : cases("chat")) {
    SCOPED_TRACE(c.name);
    const GreedyResult& run = generation(c);
    EXPECT_EQ(run.seg_hidden.size(0), c.meta.at("seg_count").get<int64_t>());
    EXPECT_LE(relative_error(c.name + " seg_hidden", run.seg_hidden, c.tensor("seg_hidden")), kMaxRelativeError);
    EXPECT_LE(relative_error(c.name + " seg_embeddings", models().text_hidden_fcs(run.seg_hidden),
                             c.tensor("seg_embeddings")),
              kMaxRelativeError);
    total_segs += run.seg_hidden.size(0);
  }
  EXPECT_GT(total_segs, 0) << "no chat case emits [SEG]: this stage would check nothing";
}

TEST_P(LlmParity, Stage4TextHiddenFcsFromGoldenHidden) {
  for (const auto& c : cases("chat")) {
    SCOPED_TRACE(c.name);
    EXPECT_LE(relative_error(c.name + " seg_embeddings from golden seg_hidden",
                             models().text_hidden_fcs(c.tensor("seg_hidden")), c.tensor("seg_embeddings")),
              kMaxRelativeError);
  }
}

// The golden prefill_logits of an eval case are the logits at the last position of its single pass.
TEST_P(LlmParity, EvalTeacherForcedLastLogits) {
  for (const auto& c : cases("eval")) {
    SCOPED_TRACE(c.name);
    const MultimodalSequence s = sequence(c);
    KvCache cache = models().llama.make_cache(s.embeds.size(1));
    const at::Tensor logits = models().llama.logits(models().llama.forward(s.embeds, cache)[0][-1]);
    EXPECT_LE(relative_error(c.name + " teacher-forced last logits", logits, c.tensor("prefill_logits")),
              kMaxRelativeError);
  }
}

TEST_P(LlmParity, EvalTeacherForcedSegHiddenAndEmbeddings) {
  for (const auto& c : cases("eval")) {
    SCOPED_TRACE(c.name);
    const MultimodalSequence s = sequence(c);
    KvCache cache = models().llama.make_cache(s.embeds.size(1));
    const at::Tensor hidden = teacher_forced_seg_hidden(models().llama, cache, s, models().greedy.seg_token_id);
    ASSERT_EQ(hidden.size(0), c.meta.at("seg_count").get<int64_t>());
    ASSERT_GE(hidden.size(0), 1);
    EXPECT_LE(relative_error(c.name + " teacher-forced seg_hidden", hidden, c.tensor("seg_hidden")), kMaxRelativeError);
    EXPECT_LE(relative_error(c.name + " teacher-forced seg_embeddings", models().text_hidden_fcs(hidden),
                             c.tensor("seg_embeddings")),
              kMaxRelativeError);
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, LlmParity, ::testing::ValuesIn(lisa::testing::parity_devices()),
                         lisa::testing::device_test_name);

// Strictness of the binding, on the golden checkpoints: errors name the key at fault.
class LlmWeightBinding : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(golden_root())) << golden_root() << " is absent";
  }
  LisaConfig config = LisaConfig::load(lisa_dir());
};

TEST_F(LlmWeightBinding, MissingKeyIsNamed) {
  const io::Checkpoint checkpoint = io::Checkpoint::open(lisa_dir());
  WeightBinder binder(checkpoint, at::kCPU, at::kFloat);
  LlamaOptions options = LlamaOptions::from_config(config);
  options.num_layers += 1;  // asks for one layer more than the checkpoint has
  const std::string missing = "'model.layers." + std::to_string(options.num_layers - 1) + ".input_layernorm.weight'";
  EXPECT_THAT(testing::error_of([&] { LlamaWeights::bind(binder, options); }),
              ::testing::AllOf(::testing::HasSubstr("missing weight"), ::testing::HasSubstr(missing)));
}

TEST_F(LlmWeightBinding, MisShapedKeyIsNamed) {
  const io::Checkpoint checkpoint = io::Checkpoint::open(lisa_dir());
  WeightBinder binder(checkpoint, at::kCPU, at::kFloat);
  LlamaOptions options = LlamaOptions::from_config(config);
  options.intermediate_size += 1;
  EXPECT_THAT(testing::error_of([&] { LlamaWeights::bind(binder, options); }),
              ::testing::HasSubstr("'model.layers.0.mlp.gate_proj.weight' has shape"));
  EXPECT_THAT(testing::error_of([&] { MultimodalProjector::bind(binder, config.mm_hidden_size + 1, config.hidden_size); }),
              ::testing::HasSubstr("'model.mm_projector.weight' has shape"));
}

// Everything of the LISA checkpoint outside SAM is claimed by the LLM side: leaving out one part
// (here text_hidden_fcs) makes finish() name one of its keys.
TEST_F(LlmWeightBinding, UnclaimedKeysFailFinish) {
  const io::Checkpoint checkpoint = io::Checkpoint::open(lisa_dir());
  WeightBinder binder(checkpoint, at::kCPU, at::kFloat);
  binder.ignore_prefix("model.visual_model.");
  LlamaWeights::bind(binder, LlamaOptions::from_config(config));
  MultimodalProjector::bind(binder, config.mm_hidden_size, config.hidden_size);
  EXPECT_THAT(testing::error_of([&] { binder.finish(); }), ::testing::HasSubstr("'model.text_hidden_fcs.0."));
}

TEST_F(LlmWeightBinding, ClipSelectLayerOutsideTheTowerIsAnError) {
  const io::Checkpoint checkpoint = io::Checkpoint::open(clip_dir());
  WeightBinder binder(checkpoint, at::kCPU, at::kFloat);
  ClipVisionOptions options =
      ClipVisionOptions::from_config(ClipVisionConfig::load(clip_dir()), config.mm_vision_select_layer);
  options.select_layer = -100;
  EXPECT_THAT(testing::error_of([&] { ClipVisionTower::bind(binder, options); }),
              ::testing::HasSubstr("select_layer -100"));
}

}  // namespace
}  // namespace lisa::models
