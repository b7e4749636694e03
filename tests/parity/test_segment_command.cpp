// `lisa segment` as users run it: golden ids and masks, bad inputs, interruption and --resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <chrono>
#include <thread>

#include "lisa/render/coco_rle.h"
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

std::string model_args() { return lisa::testing::golden_model_args(); }

TEST(SegmentCommand, ReproducesTheGoldenIdsAndMasksWithDecodableRle) {
  const fs::path out = fresh_dir("segment_golden");
  std::ofstream prompts(out / "prompts.jsonl");
  std::map<std::string, lisa::testing::GoldenCase> by_image;
  for (auto& golden : lisa::testing::golden_cases("chat")) {
    // one answer without [SEG], one with one, one with several
    if (golden.name != "coffee" && golden.name != "astronaut_wide" && golden.name != "rocket_tall") continue;
    prompts << json{{"image", golden.image_path().string()}, {"prompt", golden.meta.at("user_text")}}.dump() << "\n";
    by_image.emplace(golden.image_path().string(), std::move(golden));
  }
  prompts.close();
  ASSERT_EQ(by_image.size(), 3u);
  const CommandResult run = run_lisa("segment" + model_args() + " --max-new-tokens 32 --prompts " +
                           (out / "prompts.jsonl").string() + " -o " + out.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto results = read_jsonl(out / "results.jsonl");
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) {
    const auto& golden = by_image.at(result.at("image").get<std::string>());
    SCOPED_TRACE(golden.name);
    EXPECT_EQ(result.at("token_ids"), golden.meta.at("generated_ids"));
    EXPECT_FALSE(result.at("forced_seg").get<bool>());
    const auto golden_masks = golden.mask_paths();
    ASSERT_EQ(result.at("masks").size(), golden_masks.size());
    for (size_t i = 0; i < golden_masks.size(); ++i) {
      const auto& mask = result.at("masks")[i];
      const cv::Mat png = read_mask(out / mask.at("file").get<std::string>());
      const cv::Mat from_rle = lisa::render::decode_rle(lisa::render::rle_from_json(mask.at("rle"))) > 0;
      EXPECT_EQ(cv::countNonZero(png != from_rle), 0) << "RLE and PNG disagree for mask " << i;
      EXPECT_EQ(mask.at("area").get<int64_t>(), cv::countNonZero(png));
      EXPECT_GE(iou(png, read_mask(golden_masks[i])), 0.999) << "mask " << i;
      const std::string overlay = fs::path(golden.image_path()).stem().string() + "_masked_img_" + std::to_string(i) + ".jpg";
      EXPECT_TRUE(fs::exists(out / overlay)) << overlay;
    }
  }
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
  const fs::path out = dir / "out";
  const CommandResult run = run_lisa("segment" + model_args() + " --max-new-tokens 4 --max-pixels 200000 --prompt \"the cat\"" +
                           " --images " + dir.string() + " " + (dir / "missing.jpg").string() + " -o " + out.string());
  EXPECT_EQ(run.exit_code, 3) << run.output;
  std::map<std::string, json> by_name;
  for (const auto& line : read_jsonl(out / "results.jsonl"))
    by_name[fs::path(line.at("image").get<std::string>()).filename().string()] = line;
  ASSERT_EQ(by_name.size(), 6u) << run.output;
  EXPECT_FALSE(by_name.at("good.png").contains("error")) << by_name.at("good.png").dump();
  for (const char* bad : {"empty.jpg", "text.png", "truncated.jpg", "huge.jpg", "missing.jpg"}) {
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

// Lines without their timings, which differ from run to run.
std::multiset<std::string> comparable_lines(const fs::path& results) {
  std::multiset<std::string> lines;
  for (auto line : read_jsonl(results)) {
    line.erase("timings_ms");
    lines.insert(line.dump());
  }
  return lines;
}

TEST(SegmentCommand, ResumeAfterSigkillGivesTheSameResultsAsAnUninterruptedRun) {
  const fs::path dir = fresh_dir("segment_resume");
  // Six pictures, so that several are still to come when the first line appears (the next picture
  // is already being answered while a line is written).
  constexpr size_t kPictures = 6;
  for (const char* copy : {"a_", "b_"})
    for (const char* name : {"astronaut_wide.jpg", "chelsea_small.png", "coins_strip.png"})
      fs::copy_file(lisa::testing::golden_root() / "images" / name, dir / (std::string(copy) + name));
  const std::string args = "segment" + model_args() + " --max-new-tokens 8 --prompt \"the cat\" --images " +
                           dir.string() + " -o ";
  const CommandResult whole = run_lisa(args + (dir / "whole").string());
  ASSERT_EQ(whole.exit_code, 0) << whole.output;

  const fs::path killed = dir / "killed";
  const pid_t child = fork();
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + std::string(LISA_BINARY_PATH) + " " + args + killed.string() + " >/dev/null 2>&1").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it once the first image is recorded, in the middle of the run.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline &&
         (!fs::exists(killed / "results.jsonl") || fs::file_size(killed / "results.jsonl") == 0))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_LT(read_jsonl(killed / "results.jsonl").size(), kPictures) << "the run finished before it could be killed";

  const CommandResult resumed = run_lisa(args + killed.string() + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(comparable_lines(killed / "results.jsonl"), comparable_lines(dir / "whole" / "results.jsonl"));
  for (const auto& entry : fs::directory_iterator(dir / "whole"))
    EXPECT_TRUE(fs::exists(killed / entry.path().filename())) << entry.path().filename();
}

}  // namespace
