// `lisa chat` as users run it, stdin piped: the reference's answers and masks on every golden case,
// multi-turn conversation, /reset, /image and --force-seg.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"

#include "support/cli.h"
#include "support/golden.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using lisa::testing::CommandResult;
using lisa::testing::fresh_dir;
using lisa::testing::read_jsonl;
using lisa::testing::iou;
using lisa::testing::read_mask;
using lisa::testing::run_lisa;

using lisa::testing::golden_model_args;

using lisa::testing::GoldenCase;

// The answer of a golden chat case as the reference decodes it: the part of its whole decoded
// conversation after the last "ASSISTANT:", without the closing "</s>", and without the space that
// its first piece carries ("▁bi" reads " bi" after "ASSISTANT:"): decoded alone, as the chat streams
// it, sentencepiece drops that leading space, and the chat prints "ASSISTANT: " itself.
std::string reference_answer(const GoldenCase& golden) {
  const std::string text = golden.meta.at("text").get<std::string>();
  const std::string marker = "ASSISTANT:";
  std::string answer = text.substr(text.rfind(marker) + marker.size());
  if (!answer.empty() && answer.front() == ' ') answer.erase(0, 1);
  const std::string eos = "</s>";
  if (answer.size() >= eos.size() && answer.compare(answer.size() - eos.size(), eos.size(), eos) == 0)
    answer.resize(answer.size() - eos.size());
  return answer;
}

// What follows each "ASSISTANT: " in the chat's output, up to the end of that line.
std::vector<std::string> printed_answers(const std::string& output) {
  std::vector<std::string> answers;
  const std::string marker = "ASSISTANT: ";
  for (size_t at = output.find(marker); at != std::string::npos; at = output.find(marker, at + 1)) {
    const size_t begin = at + marker.size();
    answers.push_back(output.substr(begin, output.find('\n', begin) - begin));
  }
  return answers;
}

// The file chat.py writes for a mask (mask * 100 as a JPEG), read back as a binary mask.
cv::Mat read_chat_mask(const fs::path& jpeg) { return cv::imread(jpeg.string(), cv::IMREAD_GRAYSCALE) > 50; }

std::string question(const GoldenCase& golden) { return golden.meta.at("user_text").get<std::string>() + "\n"; }

// Every llava_v1 golden case in one chat, each picture opened with /image (a new conversation):
// the streamed answers are the reference's and every mask file holds the reference's mask.
TEST(ChatCommand, AnswersEveryGoldenCaseLikeTheReference) {
  const fs::path out = fresh_dir("chat_golden");
  std::vector<GoldenCase> cases;
  std::string input;
  for (auto& golden : lisa::testing::golden_cases("chat")) {
    if (golden.meta.at("conv_type") != "llava_v1") continue;
    ASSERT_EQ(golden.meta.at("max_new_tokens"), 32) << golden.name;
    input += "/image " + golden.image_path().string() + "\n" + question(golden);
    cases.push_back(std::move(golden));
  }
  ASSERT_GE(cases.size(), 8u);
  const CommandResult run = run_lisa("chat" + golden_model_args() + " --max-new-tokens 32 -o " + out.string(), input + "/quit\n");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto answers = printed_answers(run.output);
  ASSERT_EQ(answers.size(), cases.size()) << run.output;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& golden = cases[i];
    SCOPED_TRACE(golden.name);
    EXPECT_EQ(answers[i], reference_answer(golden));
    const auto masks = golden.mask_paths();
    const std::string stem = golden.image_path().stem().string();
    for (size_t m = 0; m < masks.size(); ++m) {
      const std::string name = stem + "_mask_" + std::to_string(m) + ".jpg";
      EXPECT_NE(run.output.find(name + " has been saved."), std::string::npos) << name;
      EXPECT_TRUE(fs::exists(out / (stem + "_masked_img_" + std::to_string(m) + ".jpg"))) << name;
      // JPEG blurs the 0 / 100 edge by a few grey levels at most; thresholding halfway recovers it.
      EXPECT_GE(iou(read_chat_mask(out / name), read_mask(masks[m])), 0.99) << name;
    }
    if (masks.empty()) {
      EXPECT_NE(run.output.find("(no [SEG] in this answer"), std::string::npos) << "no notice for an answer without [SEG]";
    }
  }
}

// A second question continues the conversation (the answer is the library's second answer in one
// session); /reset forgets it (the first question again gives the first answer); /image PATH
// switches pictures and starts a new conversation.
TEST(ChatCommand, ContinuesResetsAndSwitchesImages) {
  const auto astronaut = GoldenCase::load(lisa::testing::golden_root() / "chat" / "astronaut_wide");
  const auto coins = GoldenCase::load(lisa::testing::golden_root() / "chat" / "coins_strip");
  const std::string follow_up = "And what is next to it?\n";
  const std::string input = question(astronaut) + astronaut.image_path().string() + "\n" + follow_up + "/reset\n" +
                            question(astronaut) + "/image " + coins.image_path().string() + "\n" + question(coins);
  const fs::path out = fresh_dir("chat_turns");
  const CommandResult run = run_lisa("chat" + golden_model_args() + " --max-new-tokens 32 -o " + out.string(), input);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto answers = printed_answers(run.output);
  ASSERT_EQ(answers.size(), 4u) << run.output;
  EXPECT_EQ(answers[0], reference_answer(astronaut));
  EXPECT_NE(run.output.find("conversation forgotten"), std::string::npos) << run.output;
  EXPECT_EQ(answers[2], reference_answer(astronaut)) << "/reset did not forget the conversation";
  EXPECT_EQ(answers[3], reference_answer(coins)) << "/image did not start a new conversation on the new picture";

  // The follow-up, asked through the library in one session.
  lisa::pipeline::EngineOptions options;
  options.model = lisa::testing::golden_lisa_bin_dir();
  options.vision_tower = lisa::testing::golden_clip_dir().string();
  options.device = "cpu";
  const auto engine = lisa::pipeline::Engine::load(options);
  lisa::pipeline::Context context(*engine);
  auto session = context.open(lisa::image::read_image(astronaut.image_path()));
  lisa::pipeline::AskOptions ask;
  ask.max_new_tokens = 32;
  std::string streamed;
  session.ask(astronaut.meta.at("user_text").get<std::string>(), ask);
  ask.on_text = [&](const std::string& piece) { streamed += piece; };
  const auto second = session.ask(follow_up.substr(0, follow_up.size() - 1), ask);
  EXPECT_EQ(answers[1], streamed);
  // The reference finds a mask for every [SEG] of the whole sequence, so the first answer's [SEG],
  // now in the history, gives a mask too: proof that the history reached the model.
  EXPECT_EQ(second.masks.size(), 2u);
  for (size_t m = 0; m < second.masks.size(); ++m)
    EXPECT_NE(run.output.find("astronaut_wide_mask_" + std::to_string(m) + ".jpg has been saved."), std::string::npos);
}

// --force-seg on an answer without [SEG] says so and writes the forced mask; without it, no file.
TEST(ChatCommand, ForceSegSaysSoAndWritesTheForcedMask) {
  const auto coffee = GoldenCase::load(lisa::testing::golden_root() / "chat" / "coffee");
  ASSERT_EQ(coffee.meta.at("seg_count"), 0);
  const std::string input = question(coffee) + coffee.image_path().string() + "\n";
  const fs::path plain_out = fresh_dir("chat_unforced");
  const CommandResult plain = run_lisa("chat" + golden_model_args() + " --max-new-tokens 32 -o " + plain_out.string(), input);
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("(no [SEG] in this answer, so no mask"), std::string::npos) << plain.output;
  EXPECT_FALSE(fs::exists(plain_out / "coffee_mask_0.jpg"));

  const fs::path forced_out = fresh_dir("chat_forced");
  const CommandResult forced =
      run_lisa("chat" + golden_model_args() + " --max-new-tokens 32 --force-seg -o " + forced_out.string(), input);
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  const auto answers = printed_answers(forced.output);
  ASSERT_EQ(answers.size(), 1u) << forced.output;
  EXPECT_EQ(answers[0], reference_answer(coffee)) << "forcing a mask must not change the answer";
  EXPECT_NE(forced.output.find("the mask below is forced with \"Sure, [SEG].\""), std::string::npos) << forced.output;
  EXPECT_TRUE(fs::exists(forced_out / "coffee_mask_0.jpg")) << forced.output;
  EXPECT_TRUE(fs::exists(forced_out / "coffee_masked_img_0.jpg")) << forced.output;
}

}  // namespace
