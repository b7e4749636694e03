// --quantize / --group-size as users give them: every subcommand that loads a model accepts them, the
// load reports what was quantized on one stderr line, and bad values are refused before loading.
#include <gtest/gtest.h>

#include "support/cli.h"
#include "support/golden.h"

namespace {

using lisa::testing::fresh_dir;
using lisa::testing::read_jsonl;
using lisa::testing::run_lisa;

TEST(QuantCommand, SegmentWithInt4ReportsTheQuantizedLayersAndAnswers) {
  const auto out = fresh_dir("quant_segment");
  const auto image = lisa::testing::golden_root() / "images" / "astronaut_wide.jpg";
  const auto result = run_lisa("segment" + lisa::testing::golden_model_args() + " --precision bf16 --quantize int4" +
                               " --group-size 64 --images " + image.string() +
                               " --prompt 'Please output segmentation mask.' -o " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("LLM weights: q/k/v, o, gate/up, down of 3 layers int4 (group 64), lm_head int8; "
                               "input width 344 zero-padded to 384"),
            std::string::npos)
      << result.output;
  const auto lines = read_jsonl(out / "results.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].contains("error")) << lines[0].dump();
}

TEST(QuantCommand, EveryModelCommandListsTheOptions) {
  for (const std::string command : {"segment", "chat", "eval", "bench"}) {
    const auto result = run_lisa(command + " --help");
    EXPECT_NE(result.output.find("--quantize"), std::string::npos) << command;
    EXPECT_NE(result.output.find("--group-size"), std::string::npos) << command;
  }
}

TEST(QuantCommand, UnknownModeAndGroupSizeAreRefused) {
  const auto image = lisa::testing::golden_root() / "images" / "astronaut_wide.jpg";
  for (const std::string bad : {"--quantize int3", "--quantize int4 --group-size 48"}) {
    const auto result = run_lisa("segment" + lisa::testing::golden_model_args() + " " + bad + " --images " +
                                 image.string() + " --prompt x -o " + fresh_dir("quant_bad").string());
    EXPECT_NE(result.exit_code, 0) << bad;
    EXPECT_EQ(result.output.find("LLM weights"), std::string::npos) << bad << ": " << result.output;
  }
}

}  // namespace
