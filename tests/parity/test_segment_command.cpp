// `lisa segment` as users run it: golden cases, bad inputs and options, --recursive, --resume after
// failures. Interruption: test_segment_interrupt.cpp; full disks: test_segment_full_disk.cpp.
#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <opencv2/imgcodecs.hpp>

#include "lisa/render/coco_rle.h"
#include "support/cli.h"
#include "support/golden.h"
#include "support/segment_output.h"

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

// What chat.py prints for a case ends with the answer as segment records it (chat.py's text is the
// whole conversation, decoded with its special tokens).
std::string expected_text_end(const lisa::testing::GoldenCase& golden, const std::string& text) {
  const auto ids = golden.meta.at("generated_ids").get<std::vector<int64_t>>();
  return text + (!ids.empty() && ids.back() == 2 ? "</s>" : "");
}

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

// Every golden chat case (answers without [SEG], with one, with eight; both conversation templates),
// one run per template: lines in input order, ids, text, masks (PNG and RLE) and SAM's scores as the
// reference gives them.
TEST(SegmentCommand, ReproducesEveryGoldenChatCase) {
  const fs::path out = fresh_dir("segment_golden");
  std::map<std::string, std::vector<lisa::testing::GoldenCase>> by_template;
  for (auto& golden : lisa::testing::golden_cases("chat"))
    by_template[golden.meta.at("conv_type").get<std::string>()].push_back(std::move(golden));
  size_t cases = 0;
  for (const auto& [conv_type, goldens] : by_template) {
    const fs::path dir = out / conv_type;
    fs::create_directories(dir);
    std::ofstream prompts(dir / "prompts.jsonl");
    for (const auto& golden : goldens)
      prompts << json{{"image", golden.image_path().string()}, {"prompt", golden.meta.at("user_text")}}.dump() << "\n";
    prompts.close();
    const CommandResult run = run_lisa("segment" + golden_model_args() + " --conv-type " + conv_type +
                                       " --max-new-tokens 32 --prompts " + (dir / "prompts.jsonl").string() + " -o " +
                                       (dir / "out").string());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const auto results = read_jsonl(dir / "out" / "results.jsonl");
    ASSERT_EQ(results.size(), goldens.size());
    for (size_t k = 0; k < goldens.size(); ++k) {
      const auto& golden = goldens[k];
      const auto& result = results[k];  // lines come in input order
      SCOPED_TRACE(golden.name);
      ++cases;
      EXPECT_EQ(result.at("image").get<std::string>(), golden.image_path().string());
      EXPECT_EQ(result.at("prompt"), golden.meta.at("user_text"));
      EXPECT_EQ(result.at("token_ids"), golden.meta.at("generated_ids"));
      const std::string text = result.at("text").get<std::string>();
      EXPECT_TRUE(ends_with(golden.meta.at("text").get<std::string>(), expected_text_end(golden, text)))
          << "segment: " << text << "\nchat.py: " << golden.meta.at("text").get<std::string>();
      EXPECT_FALSE(result.at("forced_seg").get<bool>());
      const auto golden_masks = golden.mask_paths();
      ASSERT_EQ(result.at("masks").size(), golden_masks.size());
      if (golden_masks.empty()) continue;
      const at::Tensor golden_scores = golden.tensor("iou_predictions").to(at::kFloat);
      const double score_tolerance = 1e-4 * golden_scores.abs().max().item<double>();  // as the SAM parity suite
      for (size_t i = 0; i < golden_masks.size(); ++i) {
        const auto& mask = result.at("masks")[i];
        EXPECT_EQ(mask.at("index").get<size_t>(), i);
        const cv::Mat png = read_mask(dir / "out" / mask.at("file").get<std::string>());
        const cv::Mat from_rle = lisa::render::decode_rle(lisa::render::rle_from_json(mask.at("rle"))) > 0;
        EXPECT_EQ(cv::countNonZero(png != from_rle), 0) << "RLE and PNG disagree for mask " << i;
        EXPECT_EQ(mask.at("area").get<int64_t>(), cv::countNonZero(png));
        EXPECT_GE(iou(png, read_mask(golden_masks[i])), 0.999) << "mask " << i;
        EXPECT_NEAR(mask.at("score").get<double>(), golden_scores[static_cast<int64_t>(i)].item<double>(),
                    score_tolerance) << "mask " << i;
      }
      lisa::testing::expect_all_files_accounted_for(dir / "out", conv_type);
    }
  }
  EXPECT_EQ(cases, 9u);
}

TEST(SegmentCommand, ReportsEachBadInputAndGoesOn) {
  const fs::path dir = fresh_dir("segment_bad");
  const fs::path good = lisa::testing::golden_root() / "images" / "chelsea_small.png";
  fs::copy_file(good, dir / "good.png");
  std::ofstream(dir / "empty.jpg").close();
  std::ofstream(dir / "text.png") << "this is not a picture";
  {
    std::ifstream in(lisa::testing::golden_root() / "images" / "coffee.jpg", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir / "truncated.jpg", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  fs::copy_file(lisa::testing::golden_root() / "images" / "motorcycle_large.jpg", dir / "huge.jpg");
  fs::create_symlink(dir / "gone.jpg", dir / "dangling.jpg");
  fs::create_directory(dir / "folder.jpg");
  const fs::path out = dir / "out";
  const CommandResult run = run_lisa("segment" + golden_model_args() + " --max-new-tokens 4 --max-pixels 200000 --prompt \"the cat\"" +
                           " --images " + dir.string() + " " + (dir / "missing.jpg").string() + " -o " + out.string());
  EXPECT_EQ(run.exit_code, 3) << run.output;
  std::map<std::string, json> by_name;
  for (const auto& line : read_jsonl(out / "results.jsonl"))
    by_name[fs::path(line.at("image").get<std::string>()).filename().string()] = line;
  ASSERT_EQ(by_name.size(), 8u) << run.output;
  EXPECT_FALSE(by_name.at("good.png").contains("error")) << by_name.at("good.png").dump();
  for (const char* bad :
       {"empty.jpg", "text.png", "truncated.jpg", "huge.jpg", "missing.jpg", "dangling.jpg", "folder.jpg"}) {
    ASSERT_TRUE(by_name.at(bad).contains("error")) << bad;
    EXPECT_NE(by_name.at(bad).at("error").get<std::string>().find(bad), std::string::npos)
        << by_name.at(bad).at("error");
  }
}

TEST(SegmentCommand, ExitsWithOneWhenTheModelCannotLoad) {
  const fs::path dir = fresh_dir("segment_nomodel");
  const CommandResult run = run_lisa("segment -m " + (dir / "nowhere").string() + " --prompt x --images " +
                                     (lisa::testing::golden_root() / "images").string() + " -o " + (dir / "out").string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("nowhere"), std::string::npos) << run.output;
}

TEST(SegmentCommand, MisusedOptionsAreNamedAndWriteNothing) {
  const fs::path dir = fresh_dir("segment_misuse");
  const std::string images = " --images " + (lisa::testing::golden_root() / "images" / "chelsea_small.png").string();
  std::ofstream(dir / "a_file") << "keep";
  CommandResult run = run_lisa("segment" + golden_model_args() + " --prompt x" + images + " -o " + (dir / "a_file").string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find((dir / "a_file").string() + ": the output folder is a file"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("internal error"), std::string::npos) << run.output;

  run = run_lisa("segment" + golden_model_args() + " --prompt \"\"" + images + " -o " + (dir / "out").string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("--prompt is empty"), std::string::npos) << run.output;

  std::ofstream(dir / "prompts.jsonl") << "\n";
  run = run_lisa("segment" + golden_model_args() + " --prompts " + (dir / "prompts.jsonl").string() + " -o " +
                 (dir / "out").string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find((dir / "prompts.jsonl").string() + ": no prompts in this file"), std::string::npos)
      << run.output;

  EXPECT_FALSE(fs::exists(dir / "out"));
  std::ifstream kept(dir / "a_file");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "keep");
}

TEST(SegmentCommand, RecursiveDescendsIntoSubfolders) {
  const fs::path dir = fresh_dir("segment_recursive");
  fs::create_directories(dir / "in" / "sub");
  fs::copy_file(lisa::testing::golden_root() / "images" / "chelsea_small.png", dir / "in" / "top.png");
  fs::copy_file(lisa::testing::golden_root() / "images" / "chelsea_small.png", dir / "in" / "sub" / "inner.png");
  const std::string args = "segment" + golden_model_args() + " --max-new-tokens 4 --force-seg --prompt \"the cat\" --images " +
                           (dir / "in").string();
  CommandResult run = run_lisa(args + " -o " + (dir / "flat").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(read_jsonl(dir / "flat" / "results.jsonl").size(), 1u);

  run = run_lisa(args + " --recursive -o " + (dir / "deep").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto lines = read_jsonl(dir / "deep" / "results.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("image").get<std::string>(), (dir / "in" / "sub" / "inner.png").string());
  EXPECT_EQ(lines[1].at("image").get<std::string>(), (dir / "in" / "top.png").string());
  EXPECT_TRUE(fs::exists(dir / "deep" / "sub_inner_mask_0.png"));
  EXPECT_TRUE(fs::exists(dir / "deep" / "sub_inner_masked_img_0.jpg"));
  EXPECT_TRUE(fs::exists(dir / "deep" / "top_mask_0.png"));
  lisa::testing::expect_all_files_accounted_for(dir / "deep", "--recursive");
}

// --resume does again what failed (its last line is an error), not what succeeded, and removes the
// temporaries a killed run left (only those of write_file_atomically's naming pattern).
TEST(SegmentCommand, ResumeRetriesFailedItemsAndRemovesStaleTemporaries) {
  const fs::path dir = fresh_dir("segment_retry");
  fs::copy_file(lisa::testing::golden_root() / "images" / "chelsea_small.png", dir / "first.png");
  const std::string args = "segment" + golden_model_args() + " --max-new-tokens 4 --force-seg --prompt \"the cat\" --images " +
                           (dir / "first.png").string() + " " + (dir / "later.png").string() + " -o " +
                           (dir / "out").string();
  CommandResult run = run_lisa(args);
  ASSERT_EQ(run.exit_code, 3) << run.output;  // later.png does not exist yet
  fs::copy_file(dir / "first.png", dir / "later.png");
  std::ofstream(dir / "out" / ".later_mask_0.png.tmp-999999-3") << "stale";
  std::ofstream(dir / "out" / ".notes.tmp-mine") << "not ours";

  run = run_lisa(args + " --resume");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("segment: resuming: 1 already done, 1 failed earlier and are retried"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("removed 1 temporary file"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(dir / "out" / ".later_mask_0.png.tmp-999999-3"));
  EXPECT_TRUE(fs::exists(dir / "out" / ".notes.tmp-mine"));
  fs::remove(dir / "out" / ".notes.tmp-mine");

  // first: one success; later: its error line, then its success line.
  const auto lines = read_jsonl(dir / "out" / "results.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].at("image").get<std::string>(), (dir / "first.png").string());
  EXPECT_FALSE(lines[0].contains("error"));
  EXPECT_EQ(lines[1].at("image").get<std::string>(), (dir / "later.png").string());
  EXPECT_TRUE(lines[1].contains("error"));
  EXPECT_EQ(lines[2].at("image").get<std::string>(), (dir / "later.png").string());
  EXPECT_FALSE(lines[2].contains("error"));
  lisa::testing::expect_all_files_accounted_for(dir / "out", "after --resume");

  run = run_lisa(args + " --resume");  // nothing left to do: the model is not even loaded
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("2 already done, 0 failed earlier"), std::string::npos) << run.output;
  EXPECT_EQ(read_jsonl(dir / "out" / "results.jsonl").size(), 3u);
}

}  // namespace
