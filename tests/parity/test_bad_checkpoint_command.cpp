// Bad checkpoints and paths as users meet them through `lisa`: refused at load with a message
// naming the file (and field), exit code 1, nothing written.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "support/cli.h"
#include "support/golden.h"
#include "support/timed_cli.h"

namespace {

namespace fs = std::filesystem;
using lisa::testing::CommandResult;
using lisa::testing::fresh_dir;
using lisa::testing::run_lisa_within;

// A copy of the tiny golden checkpoint: its files linked, `edited` rewritten by `change`.
fs::path checkpoint_with(const std::string& name, const char* edited,
                         const std::function<void(nlohmann::json&)>& change) {
  const fs::path dir = fresh_dir(name) / "model";
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(lisa::testing::golden_lisa_bin_dir())) {
    if (entry.path().filename() != edited) fs::create_symlink(entry.path(), dir / entry.path().filename());
  }
  std::ifstream in(lisa::testing::golden_lisa_bin_dir() / edited);
  nlohmann::json json = nlohmann::json::parse(in);
  change(json);
  std::ofstream(dir / edited) << json.dump(2);
  return dir;
}

std::string segment_args(const fs::path& model, const fs::path& out) {
  return "segment -m " + model.string() + " --vision-tower " + lisa::testing::golden_clip_dir().string() +
         " --device cpu --threads 1 --images " + (lisa::testing::golden_root() / "images" / "astronaut_wide.jpg").string() +
         " --prompt 'What is this? Please output segmentation mask.' -o " + out.string();
}

// It used to load, then fail every image (exit 3) with a results.jsonl written.
TEST(BadCheckpointCommand, NoSegTokenFailsAtLoadAndWritesNothing) {
  const fs::path model = checkpoint_with("no_seg", "added_tokens.json", [](nlohmann::json& added) {
    added["<seg>"] = added.at("[SEG]");  // ids stay contiguous: only [SEG] is missing
    added.erase("[SEG]");
  });
  const fs::path out = model.parent_path() / "out";
  const CommandResult run = run_lisa_within(60, segment_args(model, out));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find((model / "added_tokens.json").string() + ": no [SEG] token"), std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(out)) << "an output folder was created";
}

// It used to end in "internal error: can't allocate 4000000000000 bytes" and a backtrace.
TEST(BadCheckpointCommand, AbsurdConfigValueIsNamedNotAllocated) {
  const fs::path model = checkpoint_with("huge_positions", "config.json", [](nlohmann::json& config) {
    config["max_position_embeddings"] = 1'000'000'000'000;
  });
  const fs::path out = model.parent_path() / "out";
  const CommandResult run = run_lisa_within(60, segment_args(model, out));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find((model / "config.json").string() +
                            ": field 'max_position_embeddings' is 1000000000000; it must be between 1 and"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("internal error"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(out));
}

// `lisa inspect` on a FIFO used to wait forever for a writer.
TEST(BadCheckpointCommand, InspectOfAFifoFailsAtOnce) {
  const fs::path fifo = fresh_dir("inspect_fifo") / "model.safetensors";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const CommandResult run = run_lisa_within(60, "inspect " + fifo.string());
  EXPECT_NE(run.exit_code, 124) << "lisa inspect still waited on the FIFO after 60 s";
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find(fifo.string() + ": not a regular file (a FIFO)"), std::string::npos) << run.output;
}

}  // namespace
