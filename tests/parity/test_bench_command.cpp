// `lisa bench` as users run it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lisa/models/few_rows_linear.h"
#include "support/cli.h"
#include "support/golden.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using lisa::testing::CommandResult;
using lisa::testing::fresh_dir;
using lisa::testing::read_jsonl;
using lisa::testing::run_lisa;

using lisa::testing::golden_model_args;

TEST(BenchCommand, PrintsJsonWithTheAskedAnswerLength) {
  const fs::path image = lisa::testing::golden_root() / "images" / "coffee.jpg";
  const auto run = run_lisa("bench" + golden_model_args() + " -i " + image.string() + " -r 1 -w 0 -n 2 -o json --no-cuda-graphs");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json report = json::parse(run.output);
  EXPECT_EQ(report.at("answer_tokens"), 2);
  EXPECT_EQ(report.at("cuda_graphs"), false);
  EXPECT_TRUE(report.at("stages").contains("sam_encoder"));
}

// --cpu-linear chooses the decoding steps' products on the CPU, and the report says which ran.
TEST(BenchCommand, CpuLinearChoosesTheDecodingProducts) {
  const fs::path image = lisa::testing::golden_root() / "images" / "coffee.jpg";
  const std::string common = "bench" + golden_model_args() + " -i " + image.string() + " -r 1 -w 0 -n 2 -o json";  // on the CPU
  const bool kernel_here = lisa::models::few_rows_linear_applies(at::ones({1, 8}), at::ones({1, 8}));
  for (const std::string precision : {"fp32", "bf16"}) {
    SCOPED_TRACE(precision);
    const auto by_default = run_lisa(common + " --precision " + precision);
    ASSERT_EQ(by_default.exit_code, 0) << by_default.output;
    EXPECT_EQ(json::parse(by_default.output).at("cpu_linear"), kernel_here ? "few-rows" : "gemm");
  }
  const auto gemm = run_lisa(common + " --precision fp32 --cpu-linear gemm");
  ASSERT_EQ(gemm.exit_code, 0) << gemm.output;
  EXPECT_EQ(json::parse(gemm.output).at("cpu_linear"), "gemm");
  const auto bad = run_lisa(common + " --cpu-linear blas");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("--cpu-linear"), std::string::npos) << bad.output;
}

}  // namespace
