// End-to-end parity of the Engine (the path chat, segment and eval use) with the reference on every
// golden case: generated ids identical, one mask per [SEG] with IoU >= 0.999 against the reference's
// mask (fp32), and the agreement a bf16 run must keep with the fp32 reference; on every device
// (support/devices.h), against the same CPU goldens.
#include <gtest/gtest.h>

#include <map>

#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"
#include "support/devices.h"
#include "support/golden.h"

namespace {

using lisa::testing::GoldenCase;
namespace pipeline = lisa::pipeline;

std::unique_ptr<pipeline::Engine> load_engine(const std::string& device, pipeline::Precision precision,
                                              const std::string& conv_type) {
  pipeline::EngineOptions options;
  options.conv_type = conv_type;
  options.model = lisa::testing::golden_lisa_bin_dir();
  options.vision_tower = lisa::testing::golden_clip_dir().string();
  options.device = device;
  options.precision = precision;
  return pipeline::Engine::load(options);
}

class EngineParity : public lisa::testing::OnEachDevice {
 protected:
  // One fp32 engine per device and conversation template, loaded once for the whole suite.
  const pipeline::Engine& fp32_engine(const GoldenCase& golden) const {
    const auto conv_type = golden.meta.at("conv_type").get<std::string>();
    auto& engine = fp32_engines_[GetParam() + "/" + conv_type];
    if (!engine) engine = load_engine(GetParam(), pipeline::Precision::kFp32, conv_type);
    return *engine;
  }
  // Device tensors are released before the process exits, not by static destructors.
  static void TearDownTestSuite() { fp32_engines_.clear(); }

  static std::map<std::string, std::unique_ptr<pipeline::Engine>> fp32_engines_;
};
std::map<std::string, std::unique_ptr<pipeline::Engine>> EngineParity::fp32_engines_;

pipeline::Answer ask(const pipeline::Engine& engine, const GoldenCase& golden) {
  pipeline::Context context(engine);
  auto session = context.open(lisa::image::read_image(golden.image_path()));
  pipeline::AskOptions options;
  options.max_new_tokens = golden.meta.at("max_new_tokens").get<int64_t>();
  return session.ask(golden.meta.at("user_text").get<std::string>(), options);
}

pipeline::Answer teacher_forced(const pipeline::Engine& engine, const GoldenCase& golden) {
  pipeline::Context context(engine);
  auto session = context.open(lisa::image::read_image(golden.image_path()));
  return session.teacher_forced(golden.meta.at("prompt").get<std::string>());
}

void expect_masks(const pipeline::Answer& answer, const GoldenCase& golden, double min_iou) {
  const auto paths = golden.mask_paths();
  ASSERT_EQ(answer.masks.size(), golden.meta.at("seg_count").get<size_t>()) << golden.name;
  ASSERT_EQ(answer.masks.size(), paths.size()) << golden.name;
  for (size_t i = 0; i < paths.size(); ++i)
    EXPECT_GE(lisa::testing::iou_with_mask_png(answer.masks[i].binary, paths[i]), min_iou) << golden.name << " mask " << i;
}

TEST_P(EngineParity, ChatCasesGiveTheReferenceIdsAndMasks) {
  const auto cases = lisa::testing::golden_cases("chat");
  ASSERT_GE(cases.size(), 8u);
  for (const auto& golden : cases) {
    SCOPED_TRACE(golden.name);
    // On CUDA the engine replays its decoding step as a CUDA graph: these cases check that path.
    EXPECT_EQ(pipeline::Context(fp32_engine(golden)).uses_cuda_graphs(), GetParam() == "cuda");
    const auto answer = ask(fp32_engine(golden), golden);
    ASSERT_EQ(answer.token_ids, golden.meta.at("generated_ids").get<std::vector<int64_t>>());
    expect_masks(answer, golden, 0.999);
  }
}

TEST_P(EngineParity, EvalCasesTeacherForcedGiveTheReferenceMasks) {
  const auto cases = lisa::testing::golden_cases("eval");
  ASSERT_GE(cases.size(), 4u);
  for (const auto& golden : cases) {
    SCOPED_TRACE(golden.name);
    expect_masks(teacher_forced(fp32_engine(golden), golden), golden, 0.999);
  }
}

// --force-seg on an answer without [SEG]: the mask is the one of the answer "Sure, [SEG]."
// teacher-forced, computed on the prompt's cached keys/values; it must equal a full teacher-forced
// pass over the same conversation.
TEST_P(EngineParity, ForcedSegEqualsAFullTeacherForcedPass) {
  const auto golden = GoldenCase::load(lisa::testing::golden_root() / "chat" / "coffee");
  ASSERT_EQ(golden.meta.at("seg_count").get<int>(), 0);
  pipeline::Context context(fp32_engine(golden));
  auto session = context.open(lisa::image::read_image(golden.image_path()));
  pipeline::AskOptions options;
  options.max_new_tokens = golden.meta.at("max_new_tokens").get<int64_t>();
  options.force_seg = true;
  const auto forced = session.ask(golden.meta.at("user_text").get<std::string>(), options);
  EXPECT_TRUE(forced.forced_seg);
  EXPECT_EQ(forced.token_ids, golden.meta.at("generated_ids").get<std::vector<int64_t>>());
  ASSERT_EQ(forced.masks.size(), 1u);

  auto fresh = context.open(lisa::image::read_image(golden.image_path()));
  const auto full = fresh.teacher_forced(golden.meta.at("prompt").get<std::string>() + " Sure, [SEG].</s>");
  ASSERT_EQ(full.masks.size(), 1u);
  EXPECT_NEAR(forced.masks[0].score, full.masks[0].score, 1e-4);
  const double intersection = (forced.masks[0].binary & full.masks[0].binary).sum().item<double>();
  const double uni = (forced.masks[0].binary | full.masks[0].binary).sum().item<double>();
  EXPECT_GE(uni == 0 ? 1.0 : intersection / uni, 0.999);
  EXPECT_LT((forced.masks[0].logits - full.masks[0].logits).abs().max().item<float>(), 1e-3);
}

// bf16 and fp16 cannot give fp32's numbers; the bar is agreement: identical ids in >= 90% of the chat
// cases, and every mask of those cases within IoU 0.98 of the reference's.
void expect_agreement_with_the_fp32_reference(const std::string& device, pipeline::Precision precision) {
  const auto engine = load_engine(device, precision, "llava_v1");
  size_t cases = 0, identical = 0;
  for (const auto& golden : lisa::testing::golden_cases("chat")) {
    if (golden.meta.at("conv_type") != "llava_v1") continue;
    SCOPED_TRACE(golden.name);
    ++cases;
    const auto answer = ask(*engine, golden);
    if (answer.token_ids != golden.meta.at("generated_ids").get<std::vector<int64_t>>()) continue;
    ++identical;
    expect_masks(answer, golden, 0.98);
  }
  ASSERT_GT(cases, 0u);
  std::cout << "[ parity ] " << device << " " << pipeline::to_string(precision) << ": " << identical << " of " << cases
            << " chat cases with identical ids\n";
  EXPECT_GE(static_cast<double>(identical), 0.9 * cases);
}

TEST_P(EngineParity, Bf16AgreesWithTheFp32Reference) {
  expect_agreement_with_the_fp32_reference(GetParam(), pipeline::Precision::kBf16);
}

TEST_P(EngineParity, Fp16AgreesWithTheFp32Reference) {
  expect_agreement_with_the_fp32_reference(GetParam(), pipeline::Precision::kFp16);
}

INSTANTIATE_TEST_SUITE_P(Devices, EngineParity, ::testing::ValuesIn(lisa::testing::parity_devices()),
                         lisa::testing::device_test_name);

}  // namespace
