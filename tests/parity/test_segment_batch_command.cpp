// `lisa segment --batch-size`: golden chat cases answered three at a time with an unreadable image
// among them give the reference's ids and masks, lines in input order, the bad item reported alone;
// --resume after a batch was cut short redoes exactly the items without a success line. (Every
// golden case at B = 1, 2, 3, 8 is checked in-process: test_batch_answers.cpp.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "support/cli.h"
#include "support/golden.h"
#include "support/segment_output.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using lisa::testing::read_jsonl;
using lisa::testing::run_lisa;

TEST(SegmentBatchCommand, AnswersAsOneAtATimeInInputOrderAndResumesACutBatch) {
  const fs::path dir = lisa::testing::fresh_dir("segment_batch");
  std::vector<lisa::testing::GoldenCase> goldens;
  for (auto& golden : lisa::testing::golden_cases("chat"))
    if (golden.meta.at("conv_type") == "llava_v1") goldens.push_back(std::move(golden));
  ASSERT_GE(goldens.size(), 4u);
  // Items: cases 0-1, a missing picture, cases 2-3 (batches: 0, 1, missing; then 2, 3).
  std::vector<json> items;
  for (size_t i = 0; i < 4; ++i) {
    if (i == 2) items.push_back({{"image", (dir / "missing.jpg").string()}, {"prompt", "what is it?"}});
    items.push_back({{"image", goldens[i].image_path().string()}, {"prompt", goldens[i].meta.at("user_text")}});
  }
  std::ofstream prompts(dir / "prompts.jsonl");
  for (const auto& item : items) prompts << item.dump() << "\n";
  prompts.close();
  const std::string args = "segment" + lisa::testing::golden_model_args() + " --max-new-tokens 32 --batch-size 3" +
                           " --prompts " + (dir / "prompts.jsonl").string() + " -o " + (dir / "out").string();
  auto run = run_lisa(args);
  ASSERT_EQ(run.exit_code, 3) << run.output;  // some failed: the missing picture

  const fs::path results = dir / "out" / "results.jsonl";
  auto lines = read_jsonl(results);
  ASSERT_EQ(lines.size(), items.size());
  for (size_t k = 0, case_index = 0; k < items.size(); ++k) {
    SCOPED_TRACE(items[k].dump());
    EXPECT_EQ(lines[k].at("image"), items[k].at("image"));  // input order
    if (k == 2) {
      EXPECT_TRUE(lines[k].contains("error"));
      continue;
    }
    const auto& golden = goldens[case_index++];
    ASSERT_FALSE(lines[k].contains("error")) << lines[k].dump();
    EXPECT_EQ(lines[k].at("token_ids"), golden.meta.at("generated_ids"));
    const auto golden_masks = golden.mask_paths();
    ASSERT_EQ(lines[k].at("masks").size(), golden_masks.size());
    for (size_t i = 0; i < golden_masks.size(); ++i)
      EXPECT_GE(lisa::testing::iou(lisa::testing::read_mask(dir / "out" / lines[k].at("masks")[i].at("file").get<std::string>()),
                                   lisa::testing::read_mask(golden_masks[i])),
                0.999);
  }
  lisa::testing::expect_all_files_accounted_for(dir / "out", "after the batched run");

  // A run cut short in the first batch: only items 0-1 were recorded (the file is rewritten without
  // the last three lines and their files). --resume redoes the missing picture (failing again) and
  // items 3-4, each once.
  std::ofstream cut(results, std::ios::trunc);
  for (size_t k = 0; k < 2; ++k) cut << lines[k].dump() << "\n";
  cut.close();
  for (size_t k = 2; k < lines.size(); ++k)
    for (const auto& mask : lines[k].value("masks", json::array())) {  // {stem}_mask_{i}.png, {stem}_masked_img_{i}.jpg
      std::string file = mask.at("file").get<std::string>();
      fs::remove(dir / "out" / file);
      file.replace(file.rfind("_mask_"), 6, "_masked_img_");
      fs::remove(dir / "out" / file.replace(file.size() - 4, 4, ".jpg"));
    }
  run = run_lisa(args + " --resume");
  ASSERT_EQ(run.exit_code, 3) << run.output;
  const auto resumed = read_jsonl(results);
  ASSERT_EQ(resumed.size(), 5u);  // 2 kept + the missing picture + 2 redone
  std::map<std::string, int> successes;  // per (image, prompt): two cases share a picture
  for (const auto& line : resumed)
    if (!line.contains("error")) ++successes[line.at("image").get<std::string>() + "\n" + line.at("prompt").get<std::string>()];
  EXPECT_EQ(successes.size(), 4u);
  for (const auto& [item, count] : successes) EXPECT_EQ(count, 1) << item;
  EXPECT_TRUE(resumed[2].contains("error"));
  for (size_t k = 3; k < resumed.size(); ++k) EXPECT_EQ(resumed[k].at("token_ids"), lines[k].at("token_ids"));
  lisa::testing::expect_all_files_accounted_for(dir / "out", "after --resume");
}

}  // namespace
