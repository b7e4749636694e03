// One Engine shared by several threads, each answering through a Context of its own, gives exactly
// the answers of one thread asking the same questions in turn: the Engine holds no state that a
// question changes.
#include <gtest/gtest.h>

#include <thread>

#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"
#include "support/golden.h"

namespace {

namespace pipeline = lisa::pipeline;
using lisa::testing::GoldenCase;

struct Question {
  const GoldenCase* golden;
  lisa::image::Image picture;
};

pipeline::Answer ask(pipeline::Context& context, const Question& question) {
  auto session = context.open(question.picture);
  pipeline::AskOptions options;
  options.max_new_tokens = question.golden->meta.at("max_new_tokens").get<int64_t>();
  return session.ask(question.golden->meta.at("user_text").get<std::string>(), options);
}

void expect_same(const pipeline::Answer& actual, const pipeline::Answer& expected, const std::string& where) {
  EXPECT_EQ(actual.token_ids, expected.token_ids) << where;
  EXPECT_EQ(actual.text, expected.text) << where;
  ASSERT_EQ(actual.masks.size(), expected.masks.size()) << where;
  for (size_t i = 0; i < expected.masks.size(); ++i) {
    EXPECT_TRUE(at::equal(actual.masks[i].binary, expected.masks[i].binary)) << where << " mask " << i;
    EXPECT_EQ(actual.masks[i].score, expected.masks[i].score) << where << " mask " << i;
  }
}

TEST(EngineContexts, ThreadsWithTheirOwnContextsAnswerLikeOneThreadInTurn) {
  pipeline::EngineOptions options;
  options.model = lisa::testing::golden_lisa_bin_dir();
  options.vision_tower = lisa::testing::golden_clip_dir().string();
  options.device = "cpu";
  const auto engine = pipeline::Engine::load(options);

  const auto cases = lisa::testing::golden_cases("chat");
  std::vector<Question> questions;
  for (const auto& golden : cases)
    if (golden.meta.at("conv_type") == "llava_v1")
      questions.push_back({&golden, lisa::image::read_image(golden.image_path())});
  ASSERT_GE(questions.size(), 4u);

  std::vector<pipeline::Answer> in_turn;
  {
    pipeline::Context context(*engine);
    for (const auto& question : questions) {
      in_turn.push_back(ask(context, question));
      // Tied to the reference, so that "the same" means "right" (the parity suite checks the masks).
      ASSERT_EQ(in_turn.back().token_ids, question.golden->meta.at("generated_ids").get<std::vector<int64_t>>())
          << question.golden->name;
    }
  }

  // Each thread starts at another question, so different questions run at the same moment.
  constexpr size_t kThreads = 3;
  std::vector<std::vector<pipeline::Answer>> answers(kThreads, std::vector<pipeline::Answer>(questions.size()));
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        pipeline::Context context(*engine);
        for (size_t k = 0; k < questions.size(); ++k) {
          const size_t q = (k + t) % questions.size();
          answers[t][q] = ask(context, questions[q]);
        }
      } catch (const std::exception& e) {
        failures[t] = e.what();
      }
    });
  for (auto& thread : threads) thread.join();

  for (size_t t = 0; t < kThreads; ++t) {
    ASSERT_EQ(failures[t], "") << "thread " << t;
    for (size_t q = 0; q < questions.size(); ++q)
      expect_same(answers[t][q], in_turn[q], "thread " + std::to_string(t) + ", " + questions[q].golden->name);
  }
}

}  // namespace
