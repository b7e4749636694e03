// `lisa bench` as users run it.
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

TEST(BenchCommand, PrintsJsonWithTheAskedAnswerLength) {
  const fs::path image = lisa::testing::golden_root() / "images" / "coffee.jpg";
  const auto run = run_lisa("bench" + model_args() + " -i " + image.string() + " -r 1 -w 0 -n 2 -o json --no-cuda-graphs");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json report = json::parse(run.output);
  EXPECT_EQ(report.at("answer_tokens"), 2);
  EXPECT_EQ(report.at("cuda_graphs"), false);
  EXPECT_TRUE(report.at("stages").contains("sam_encoder"));
}

}  // namespace
