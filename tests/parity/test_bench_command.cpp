// `lisa bench` as users run it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <nlohmann/json.hpp>

#include "lisa/models/decode_attention.h"
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
  EXPECT_GT(report.at("load_seconds").get<double>(), 0.0);
  EXPECT_GT(report.at("peak_memory_gib").get<double>(), 0.0);
}

// A `lisa bench` switch between one of the engine's CPU decoding kernels and libtorch's op: the
// kernel by default where it runs here (fp32 and bf16), the op when asked, the report saying which
// ran, and anything else refused with a message naming the option.
void expect_kernel_switch(const std::string& option, const std::string& key, const std::string& kernel,
                          const std::string& op, bool kernel_here) {
  SCOPED_TRACE(option);
  const fs::path image = lisa::testing::golden_root() / "images" / "coffee.jpg";
  const std::string common = "bench" + golden_model_args() + " -i " + image.string() + " -r 1 -w 0 -n 2 -o json";  // on the CPU
  for (const std::string precision : {"fp32", "bf16"}) {
    SCOPED_TRACE(precision);
    const auto by_default = run_lisa(common + " --precision " + precision);
    ASSERT_EQ(by_default.exit_code, 0) << by_default.output;
    EXPECT_EQ(json::parse(by_default.output).at(key), kernel_here ? kernel : op);
  }
  const auto asked = run_lisa(common + " --precision fp32 " + option + " " + op);
  ASSERT_EQ(asked.exit_code, 0) << asked.output;
  EXPECT_EQ(json::parse(asked.output).at(key), op);
  const auto bad = run_lisa(common + " " + option + " blas");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find(option), std::string::npos) << bad.output;
}

TEST(BenchCommand, CpuLinearChoosesTheDecodingProducts) {
  expect_kernel_switch("--cpu-linear", "cpu_linear", "few-rows", "gemm",
                       lisa::models::few_rows_linear_applies(at::ones({1, 8}), at::ones({1, 8})));
}

TEST(BenchCommand, CpuAttentionChoosesTheDecodingAttention) {
  expect_kernel_switch("--cpu-attention", "cpu_attention", "kernel", "sdpa", lisa::models::decode_attention_available());
}

}  // namespace
