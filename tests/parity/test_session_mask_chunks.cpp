// Answers with many [SEG]: masks are decoded and handed over in bounded chunks, and are the same
// masks the whole batch gives at once (the reference decodes all of them together).
#include <gtest/gtest.h>

#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"
#include "support/golden.h"

namespace {

namespace pipeline = lisa::pipeline;
using lisa::testing::GoldenCase;

// Three chunks of 7, the last one partial: enough to show the bound and the order (each mask costs
// a mask-decoder pass, about a second on a 2-core CPU).
constexpr int64_t kSegs = 16;

class SessionMaskChunks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pipeline::EngineOptions options;
    options.model = lisa::testing::golden_lisa_bin_dir();
    options.vision_tower = lisa::testing::golden_clip_dir().string();
    options.device = "cpu";
    options.precision = pipeline::Precision::kFp32;
    engine_ = pipeline::Engine::load(options);
  }
  static void TearDownTestSuite() { engine_.reset(); }

  // A teacher-forced conversation whose answer holds kSegs [SEG] tokens.
  static std::string many_segs_prompt(const GoldenCase& golden) {
    std::string answer;
    for (int64_t i = 0; i < kSegs; ++i) answer += " part " + std::to_string(i) + " [SEG]";
    return golden.meta.at("prompt").get<std::string>() + answer + ".</s>";
  }

  static std::unique_ptr<pipeline::Engine> engine_;
};
std::unique_ptr<pipeline::Engine> SessionMaskChunks::engine_;

TEST_F(SessionMaskChunks, ChunkedMasksEqualTheWholeBatchAndNeverExceedTheChunk) {
  const auto golden = GoldenCase::load(lisa::testing::golden_root() / "chat" / "astronaut_wide");
  const std::string prompt = many_segs_prompt(golden);

  pipeline::Context context(*engine_);
  auto session = context.open(lisa::image::read_image(golden.image_path()));
  pipeline::MaskOptions all_at_once;
  all_at_once.chunk_size = kSegs;  // one batch, as the reference decodes them
  const auto whole = session.teacher_forced(prompt, all_at_once);
  ASSERT_EQ(whole.mask_count, kSegs);
  ASSERT_EQ(static_cast<int64_t>(whole.masks.size()), kSegs);

  pipeline::MaskOptions chunked;
  chunked.chunk_size = 7;
  std::vector<int64_t> firsts;
  std::vector<pipeline::SegMask> received;
  chunked.on_chunk = [&](int64_t first_index, std::vector<pipeline::SegMask>& chunk) {
    EXPECT_LE(static_cast<int64_t>(chunk.size()), chunked.chunk_size);
    EXPECT_FALSE(chunk.empty());
    EXPECT_EQ(first_index, static_cast<int64_t>(received.size()));
    firsts.push_back(first_index);
    for (auto& mask : chunk) received.push_back(std::move(mask));
  };
  const auto streamed = session.teacher_forced(prompt, chunked);
  EXPECT_EQ(streamed.mask_count, kSegs);
  EXPECT_TRUE(streamed.masks.empty()) << "the chunks were handed over, not kept";
  EXPECT_EQ(firsts, (std::vector<int64_t>{0, 7, 14}));
  ASSERT_EQ(static_cast<int64_t>(received.size()), kSegs);

  // The default keeps every mask (chunk by chunk internally).
  const auto by_default = session.teacher_forced(prompt);
  ASSERT_EQ(static_cast<int64_t>(by_default.masks.size()), kSegs);

  for (int64_t i = 0; i < kSegs; ++i) {
    SCOPED_TRACE(i);
    const std::vector<const pipeline::SegMask*> others{&received[i], &by_default.masks[i]};
    for (const auto* other : others) {
      EXPECT_TRUE(at::equal(other->binary, whole.masks[i].binary));
      EXPECT_LE((other->logits - whole.masks[i].logits).abs().max().item<float>(), 1e-4f);
      EXPECT_NEAR(other->score, whole.masks[i].score, 1e-5);
    }
  }
  // Different [SEG] rows give different masks: the chunks are not one mask repeated.
  EXPECT_FALSE(at::equal(whole.masks[0].logits, whole.masks[kSegs - 1].logits));
}

TEST_F(SessionMaskChunks, AskHandsItsMasksToTheCallbackToo) {
  const auto golden = GoldenCase::load(lisa::testing::golden_root() / "chat" / "rocket_tall");
  const auto expected_count = golden.meta.at("seg_count").get<int64_t>();
  ASSERT_GT(expected_count, 2);
  pipeline::Context context(*engine_);
  auto session = context.open(lisa::image::read_image(golden.image_path()));
  pipeline::AskOptions options;
  options.max_new_tokens = golden.meta.at("max_new_tokens").get<int64_t>();
  options.masks.chunk_size = 3;
  int64_t received = 0;
  options.masks.on_chunk = [&](int64_t first_index, std::vector<pipeline::SegMask>& chunk) {
    EXPECT_EQ(first_index, received);
    EXPECT_LE(chunk.size(), 3u);
    received += static_cast<int64_t>(chunk.size());
  };
  const auto answer = session.ask(golden.meta.at("user_text").get<std::string>(), options);
  EXPECT_EQ(answer.token_ids, golden.meta.at("generated_ids").get<std::vector<int64_t>>());
  EXPECT_EQ(answer.mask_count, expected_count);
  EXPECT_EQ(received, expected_count);
  EXPECT_TRUE(answer.masks.empty());
}

}  // namespace
