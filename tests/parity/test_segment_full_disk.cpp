// `lisa segment` on a full disk: an item is wholly recorded or leaves nothing, the error says why,
// a run that cannot even record a failure stops, and --resume then retries what failed.
// In process with a disk that fills at chosen byte counts (render::fault_injection), and as users
// run it on a real small file system (a tmpfs, where mounting is allowed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "lisa/error.h"
#include "lisa/pipeline/engine.h"
#include "lisa/render/atomic_file.h"
#include "lisa/workflow/segment.h"
#include "support/cli.h"
#include "support/golden.h"
#include "support/segment_output.h"
#include "support/tmpfs.h"

namespace {

namespace fs = std::filesystem;
namespace workflow = lisa::workflow;
using lisa::testing::fresh_dir;
using lisa::testing::last_lines;

uintmax_t bytes_in(const fs::path& dir) {
  uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) total += entry.file_size();
  return total;
}

class SegmentFullDisk : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lisa::pipeline::EngineOptions options;
    options.model = lisa::testing::golden_lisa_bin_dir();
    options.vision_tower = lisa::testing::golden_clip_dir().string();
    options.device = "cpu";
    engine_ = lisa::pipeline::Engine::load(options);
  }
  static void TearDownTestSuite() { engine_.reset(); }

  // rocket_tall answers with eight [SEG] (written in chunks of three here), astronaut_wide with one.
  static std::vector<workflow::SegmentItem> items() {
    std::vector<workflow::SegmentItem> items;
    for (const char* name : {"rocket_tall", "astronaut_wide"}) {
      const auto golden = lisa::testing::GoldenCase::load(lisa::testing::golden_root() / "chat" / name);
      items.push_back({golden.image_path(), golden.meta.at("user_text").get<std::string>(), name});
    }
    return items;
  }

  static workflow::SegmentOptions options(const fs::path& out, bool resume) {
    workflow::SegmentOptions options;
    options.out_dir = out;
    options.max_new_tokens = 32;
    options.mask_chunk = 3;
    options.resume = resume;
    return options;
  }

  // Runs the items into `out`; the error that stopped the run, if one did.
  static std::optional<std::string> run(const fs::path& out, bool resume, workflow::SegmentProgress* progress = nullptr) {
    try {
      const auto plan = workflow::plan_segment(items(), options(out, resume));
      const auto done = workflow::run_segment(*engine_, plan, options(out, resume), nullptr);
      if (progress) *progress = done;
      return std::nullopt;
    } catch (const lisa::Error& e) {
      return std::string(e.what());
    }
  }

  static std::unique_ptr<lisa::pipeline::Engine> engine_;
};
std::unique_ptr<lisa::pipeline::Engine> SegmentFullDisk::engine_;

// The disk fills after `room` bytes, at points through the run (the first write; inside rocket_tall's
// mask PNGs and overlays; astronaut_wide's files and the last result line: every point costs two
// runs of the model, so three); either for one failed write (the failing item's own files are removed, which
// makes room for its error line) or for good (then not even the error line fits and the run
// stops). Either way every file is accounted for, and --resume with room again gives the result
// of a run that never lacked room.
TEST_F(SegmentFullDisk, EveryItemIsWhollyRecordedOrLeavesNothing) {
  const fs::path dir = fresh_dir("segment_full_disk");
  const auto whole_run = run(dir / "whole", false);
  ASSERT_FALSE(whole_run.has_value()) << *whole_run;
  const auto whole = last_lines(dir / "whole" / "results.jsonl");
  ASSERT_EQ(whole.size(), 2u);
  const long long total = static_cast<long long>(bytes_in(dir / "whole"));

  int case_number = 0;
  for (const int failures : {1, -1}) {
    for (const double fraction : {0.0, 0.3, 0.97}) {
      const long long room = static_cast<long long>(fraction * static_cast<double>(total));
      const std::string context = "room " + std::to_string(room) + " of " + std::to_string(total) + " bytes, " +
                                  (failures < 0 ? "stays full" : "one failed write");
      SCOPED_TRACE(context);
      const fs::path out = dir / ("case" + std::to_string(case_number++));
      std::optional<std::string> stopped;
      workflow::SegmentProgress progress;
      {
        lisa::render::fault_injection::ScopedDiskFull full(room, failures);
        stopped = run(out, false, &progress);
      }
      if (failures > 0) {
        EXPECT_FALSE(stopped.has_value()) << "its own files removed, the item's error line fits: " << *stopped;
        EXPECT_EQ(progress.failed, 1u);
        EXPECT_EQ(last_lines(out / "results.jsonl").size(), 2u);
      } else {
        ASSERT_TRUE(stopped.has_value()) << "a disk that stays full must stop the run";
        EXPECT_NE(stopped->find("No space left on device"), std::string::npos) << *stopped;
        EXPECT_NE(stopped->find("--resume"), std::string::npos) << *stopped;
      }
      size_t errors = 0;
      for (const auto& [key, line] : last_lines(out / "results.jsonl")) {
        if (!line.contains("error")) continue;
        ++errors;
        EXPECT_NE(line.at("error").get<std::string>().find("No space left on device"), std::string::npos) << line;
      }
      if (failures > 0) {
        EXPECT_EQ(errors, 1u);
      }
      lisa::testing::expect_all_files_accounted_for(out, context);

      workflow::SegmentProgress resumed;
      const auto resume_run = run(out, true, &resumed);
      ASSERT_FALSE(resume_run.has_value()) << *resume_run;
      EXPECT_EQ(resumed.failed, 0u);
      EXPECT_EQ(last_lines(out / "results.jsonl"), whole);
      lisa::testing::expect_all_files_accounted_for(out, context + ", resumed");
    }
  }
}

// As users meet it: `lisa segment` into a file system too small for its output.
TEST(SegmentFullDiskCommand, ARealFullDiskIsReportedAndResumeFinishesTheJob) {
  const fs::path dir = fresh_dir("segment_tmpfs");
  for (const char* name : {"astronaut_wide.jpg", "coffee.jpg", "camera_gray_tall.jpg", "rocket_tall.jpg"})
    fs::copy_file(lisa::testing::golden_root() / "images" / name, dir / name);
  const std::string args = "segment" + lisa::testing::golden_model_args() +
                           " --max-new-tokens 8 --force-seg --prompt \"the cat\" --images " + dir.string() + " -o ";
  const auto whole = lisa::testing::run_lisa(args + (dir / "whole").string());
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  const size_t total = bytes_in(dir / "whole");

  lisa::testing::ScopedTmpfs disk(total / 2);
  if (disk.refused()) GTEST_SKIP() << disk.why_not();
  ASSERT_TRUE(disk.mounted()) << disk.why_not();
  const fs::path out = disk.path() / "out";
  const auto full = lisa::testing::run_lisa(args + out.string());
  EXPECT_NE(full.exit_code, 0) << full.output;
  EXPECT_NE(full.output.find("No space left on device"), std::string::npos) << full.output;
  EXPECT_EQ(full.output.find("only "), std::string::npos) << full.output;  // not "only N of M bytes"
  lisa::testing::expect_all_files_accounted_for(out, "full");

  ASSERT_TRUE(disk.resize(4 * total + (1 << 20)));
  const auto resumed = lisa::testing::run_lisa(args + out.string() + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("failed earlier and are retried"), std::string::npos) << resumed.output;
  EXPECT_EQ(last_lines(out / "results.jsonl"), last_lines(dir / "whole" / "results.jsonl"));
  lisa::testing::expect_all_files_accounted_for(out, "resumed");
}

}  // namespace
