// Sharded `lisa segment` / `lisa eval` and `lisa merge` as users run them: shards started as
// parallel processes into one --out, one killed and resumed, then merged; the merge must give what
// one unsharded run gives, and refuse shards that are missing, foreign or copied.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>

#include "support/background.h"
#include "support/cli.h"
#include "support/file_bytes.h"
#include "support/golden.h"
#include "support/segment_output.h"

namespace {

namespace fs = std::filesystem;
using namespace lisa::testing;  // the helpers for running `lisa` (support/)

using lisa::testing::read_bytes;

// Runs `args + " --shard K/N"` for every K in `shards` at once; returns their exit codes by K.
std::map<int, int> run_shards(const std::string& args, int n, const std::vector<int>& shards, const fs::path& logs) {
  std::map<int, pid_t> children;
  for (int k : shards)
    children[k] = start_lisa(args + " --shard " + std::to_string(k) + "/" + std::to_string(n),
                             logs / ("shard-" + std::to_string(k) + ".log"));
  std::map<int, int> codes;
  for (const auto& [k, child] : children) codes[k] = wait_exit_code(child);
  return codes;
}

// name -> bytes of every mask PNG and overlay JPEG in `dir`.
std::map<std::string, std::string> picture_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext == ".png" || ext == ".jpg") files[entry.path().filename().string()] = read_bytes(entry.path());
  }
  return files;
}

// `lisa merge DIR` must fail naming `expected` and write nothing.
void expect_merge_refused(const fs::path& dir, const std::string& expected) {
  SCOPED_TRACE(dir.filename().string());
  const CommandResult merge = run_lisa("merge " + dir.string());
  EXPECT_EQ(merge.exit_code, 1) << merge.output;
  EXPECT_NE(merge.output.find(expected), std::string::npos) << merge.output;
  EXPECT_FALSE(fs::exists(dir / "results.jsonl"));
  EXPECT_FALSE(fs::exists(dir / "report.json"));
}

void copy_folder(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

// Four small pictures (two of them in a subfolder, so that --recursive ordering matters).
std::string tree_segment_args(const fs::path& dir) {
  fs::create_directories(dir / "in" / "sub");
  const fs::path images = golden_root() / "images";
  fs::copy_file(images / "chelsea_small.png", dir / "in" / "b.png");
  fs::copy_file(images / "coins_strip.png", dir / "in" / "a.png");
  fs::copy_file(images / "chelsea_small.png", dir / "in" / "sub" / "c.png");
  fs::copy_file(images / "astronaut_wide.jpg", dir / "in" / "sub" / "a.jpg");
  return "segment" + golden_model_args() + " --max-new-tokens 8 --force-seg --prompt \"the cat\" -r " +
         "--images " + (dir / "in").string();
}

// The folder of the pictures and an unsharded run over them, made once for the tests below.
struct WholeRun {
  fs::path dir;
  std::string args;  // `lisa segment ...` without -o
  std::vector<nlohmann::json> lines;
  std::map<std::string, std::string> pictures;
};

const WholeRun& whole_segment_run() {
  static const WholeRun whole = [] {
    WholeRun run;
    run.dir = fresh_dir("shard_segment");
    run.args = tree_segment_args(run.dir);
    const CommandResult result = run_lisa(run.args + " -o " + (run.dir / "whole").string());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    run.lines = comparable_lines(run.dir / "whole" / "results.jsonl");
    run.pictures = picture_files(run.dir / "whole");
    return run;
  }();
  return whole;
}

TEST(ShardCommand, SegmentOnTwoCpuEnginesWritesWhatOneWrites) {
  const WholeRun& whole = whole_segment_run();
  ASSERT_EQ(whole.lines.size(), 4u);
  const fs::path out = whole.dir / "devices";
  std::string args = whole.args;
  const std::string device = " --device cpu";
  ASSERT_NE(args.find(device), std::string::npos);
  args.erase(args.find(device), device.size());
  const CommandResult run = run_lisa(args + " --devices cpu,cpu -o " + out.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(comparable_lines(out / "results.jsonl"), whole.lines);
  EXPECT_EQ(picture_files(out), whole.pictures);
  const CommandResult both = run_lisa(whole.args + " --devices cpu,cpu -o " + (whole.dir / "both").string());
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_NE(both.output.find("give --device or --devices, not both"), std::string::npos) << both.output;
}

TEST(ShardCommand, SegmentShardsMergeIntoWhatOneRunWrites) {
  const WholeRun& whole = whole_segment_run();
  const fs::path& dir = whole.dir;
  const std::string& args = whole.args;
  const auto& whole_lines = whole.lines;
  ASSERT_EQ(whole_lines.size(), 4u);
  const auto& whole_pictures = whole.pictures;
  ASSERT_GE(whole_pictures.size(), 8u);  // --force-seg: at least a mask and an overlay per picture

  // Two shards side by side, then merged.
  const fs::path two = dir / "two";
  const auto codes = run_shards(args + " -o " + two.string(), 2, {0, 1}, dir);
  for (const auto& [k, code] : codes) ASSERT_EQ(code, 0) << read_bytes(dir / ("shard-" + std::to_string(k) + ".log"));
  EXPECT_NE(read_bytes(dir / "shard-1.log").find("segment: shard 1/2 (from --shard 1/2)"), std::string::npos);
  const CommandResult merged_two = run_lisa("merge " + two.string());
  ASSERT_EQ(merged_two.exit_code, 0) << merged_two.output;
  EXPECT_EQ(comparable_lines(two / "results.jsonl"), whole_lines);
  EXPECT_EQ(picture_files(two), whole_pictures);

  // Three shards side by side; shard 0 (two items) is killed after its first one.
  const fs::path three = dir / "three";
  const std::string three_args = args + " -o " + three.string();
  const pid_t killed = start_lisa(three_args + " --shard 0/3", dir / "killed.log");
  auto others = std::async(std::launch::async, [&] { return run_shards(three_args, 3, {1, 2}, dir); });
  const bool recorded = wait_for([&] { return complete_lines(three / "results.shard-0-of-3.jsonl") >= 1; });
  ::kill(killed, SIGKILL);
  ::waitpid(killed, nullptr, 0);
  ASSERT_TRUE(recorded) << "no line within three minutes";
  ASSERT_EQ(complete_lines(three / "results.shard-0-of-3.jsonl"), 1u) << "shard 0 finished before it was killed";
  for (const auto& [k, code] : others.get()) ASSERT_EQ(code, 0) << k;
  EXPECT_FALSE(fs::exists(three / "manifest.shard-0-of-3.json"));
  expect_merge_refused(three, "shard 0/3 is missing");

  const CommandResult resumed = run_lisa(three_args + " --shard 0/3 --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming: 1 already done"), std::string::npos) << resumed.output;

  // Foreign shards, each in a copy of the three shards' folder: another input (shard 2 of 3 of
  // two pictures has no item, so it loads no model), other arguments (every picture over
  // --max-pixels fails before it is answered), and shard 0's files copied as shard 1's.
  const fs::path foreign = dir / "foreign", other_arguments = dir / "other_arguments", copied = dir / "copied";
  for (const auto& copy : {foreign, other_arguments, copied}) copy_folder(three, copy);
  const CommandResult small = run_lisa("segment" + golden_model_args() + " --prompt x --images " +
                                       (dir / "in" / "a.png").string() + " " + (dir / "in" / "b.png").string() +
                                       " --shard 2/3 -o " + foreign.string());
  ASSERT_EQ(small.exit_code, 0) << small.output;
  const CommandResult tiny = run_lisa(args + " --max-pixels 1 --shard 2/3 -o " + other_arguments.string());
  ASSERT_EQ(tiny.exit_code, 3) << tiny.output;
  fs::copy_file(three / "manifest.shard-0-of-3.json", copied / "manifest.shard-1-of-3.json",
                fs::copy_options::overwrite_existing);
  fs::copy_file(three / "results.shard-0-of-3.jsonl", copied / "results.shard-1-of-3.jsonl",
                fs::copy_options::overwrite_existing);
  expect_merge_refused(foreign, "shard 2/3 (manifest.shard-2-of-3.json) was run over another input");
  expect_merge_refused(other_arguments, "other arguments than shard 0/3: max_pixels 1 vs 100000000");
  expect_merge_refused(copied, "manifest.shard-1-of-3.json says it is shard 0/3, not shard 1/3");

  const CommandResult merged_three = run_lisa("merge " + three.string());
  ASSERT_EQ(merged_three.exit_code, 0) << merged_three.output;
  EXPECT_EQ(comparable_lines(three / "results.jsonl"), whole_lines);
  EXPECT_EQ(picture_files(three), whole_pictures);
  expect_all_files_accounted_for(three, "three shards merged");
}

TEST(ShardCommand, EvalShardsMergeIntoTheReportOfOneRun) {
  const fs::path dir = fresh_dir("shard_eval");
  const std::string args = "eval" + golden_model_args() + " --limit 3 --data " +
                           (golden_root() / "reasonseg" / "val").string();
  const CommandResult whole = run_lisa(args + " -o " + (dir / "whole").string());
  ASSERT_EQ(whole.exit_code, 0) << whole.output;

  const fs::path shards = dir / "shards";
  for (const auto& [k, code] : run_shards(args + " -o " + shards.string(), 2, {0, 1}, dir))
    ASSERT_EQ(code, 0) << read_bytes(dir / ("shard-" + std::to_string(k) + ".log"));
  EXPECT_FALSE(fs::exists(shards / "report.json"));  // a shard alone has no report

  const fs::path missing = dir / "missing";
  copy_folder(shards, missing);
  fs::remove(missing / "manifest.shard-1-of-2.json");
  expect_merge_refused(missing, "shard 1/2 is missing");

  const CommandResult merged = run_lisa("merge " + shards.string());
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  // Recomputed from the per-image counts in one pass over the images in split order: the same
  // floating-point sums, so the same bytes.
  EXPECT_EQ(read_bytes(shards / "report.json"), read_bytes(dir / "whole" / "report.json"));
  EXPECT_EQ(read_bytes(shards / "per_image.csv"), read_bytes(dir / "whole" / "per_image.csv"));
  EXPECT_EQ(read_bytes(shards / "results.jsonl"), read_bytes(dir / "whole" / "results.jsonl"));
}

}  // namespace
