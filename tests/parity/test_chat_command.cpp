// `lisa chat` as users run it: piped stdin, the reference file names.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/cli.h"
#include "support/golden.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using lisa::testing::CommandResult;
using lisa::testing::fresh_dir;
using lisa::testing::read_jsonl;
using lisa::testing::run_lisa;

std::string model_args() { return lisa::testing::golden_model_args(); }

TEST(ChatCommand, PipedStdinWritesTheReferenceFileNames) {
  const fs::path out = fresh_dir("chat");
  lisa::testing::GoldenCase golden = lisa::testing::GoldenCase::load(lisa::testing::golden_root() / "chat" / "astronaut_wide");
  const CommandResult run = run_lisa("chat" + model_args() + " --max-new-tokens 32 -o " + out.string(),
                           golden.meta.at("user_text").get<std::string>() + "\n" + golden.image_path().string() + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(fs::exists(out / "astronaut_wide_mask_0.jpg")) << run.output;
  EXPECT_TRUE(fs::exists(out / "astronaut_wide_masked_img_0.jpg")) << run.output;
  EXPECT_NE(run.output.find("astronaut_wide_mask_0.jpg has been saved."), std::string::npos) << run.output;
}

}  // namespace
