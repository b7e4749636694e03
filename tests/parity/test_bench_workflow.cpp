// `lisa bench` on the golden tiny model: every stage reported, the answer length it was asked for,
// the device and the process's peak memory, in both output formats.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lisa/image/read_image.h"
#include "lisa/workflow/bench.h"
#include "support/golden.h"

namespace lisa::workflow {
namespace {

TEST(BenchWorkflow, ReportsEveryStageTheAnswerLengthAndPeakMemory) {
  pipeline::EngineOptions engine_options;
  engine_options.model = testing::golden_lisa_bin_dir();
  engine_options.vision_tower = testing::golden_clip_dir().string();
  engine_options.device = "cpu";
  const auto engine = pipeline::Engine::load(engine_options);
  BenchOptions options;
  options.prompt = "What is in the picture?";
  options.repetitions = 2;
  options.warmup = 0;
  options.answer_tokens = 3;
  const BenchReport report = run_bench(*engine, image::read_image(testing::golden_root() / "images" / "coffee.jpg"), options);

  std::vector<std::string> stages;
  for (const auto& s : report.stages) stages.push_back(s.stage);
  EXPECT_THAT(stages, ::testing::ElementsAre("preprocess", "clip", "sam_encoder", "prefill", "decode", "sam_decode",
                                             "postprocess", "total"));
  for (const auto& s : report.stages) EXPECT_GT(s.mean_ms, 0) << s.stage;
  EXPECT_EQ(report.answer_tokens, 3);
  EXPECT_EQ(report.repetitions, 2);
  EXPECT_GT(report.decode_tokens_per_s, 0);
  EXPECT_EQ(report.device, "cpu");
  EXPECT_EQ(report.precision, "fp32");
  EXPECT_FALSE(report.cuda_graphs);
  EXPECT_EQ(report.peak_memory_kind, "cpu resident");
  EXPECT_GT(report.peak_memory_gib, 0.01);

  const auto json = nlohmann::json::parse(bench_json(report));
  EXPECT_EQ(json.at("stages").size(), 8u);
  EXPECT_EQ(json.at("answer_tokens"), 3);
  EXPECT_EQ(json.at("device"), "cpu");
  EXPECT_DOUBLE_EQ(json.at("peak_memory_gib").get<double>(), report.peak_memory_gib);
  const std::string markdown = bench_markdown(report);
  EXPECT_THAT(markdown, ::testing::HasSubstr("| sam_encoder |"));
  EXPECT_THAT(markdown, ::testing::HasSubstr("3 answer tokens per query"));
  EXPECT_THAT(markdown, ::testing::HasSubstr("(cpu resident)"));
  EXPECT_GT(report.images_per_minute, 0);

  // --batch-size 3: each repetition answers three questions together; the stages are the batch's and
  // the decode rate is summed over it (3 sequences x 2 decoding steps).
  options.batch_size = 3;
  options.repetitions = 1;
  const BenchReport batched =
      run_bench(*engine, image::read_image(testing::golden_root() / "images" / "coffee.jpg"), options);
  EXPECT_EQ(batched.batch_size, 3);
  EXPECT_EQ(batched.answer_tokens, 3);
  EXPECT_GT(batched.decode_tokens_per_s, 0);
  EXPECT_GT(batched.images_per_minute, 0);
  EXPECT_EQ(nlohmann::json::parse(bench_json(batched)).at("batch_size"), 3);
  EXPECT_THAT(bench_markdown(batched), ::testing::HasSubstr("batch size 3,"));
}

}  // namespace
}  // namespace lisa::workflow
