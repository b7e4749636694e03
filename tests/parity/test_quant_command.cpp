// --quantize / --group-size as users give them: every subcommand that loads a model accepts them, the
// load reports what was quantized on one stderr line, and bad values are refused before loading.
#include <gtest/gtest.h>

#include "support/cli.h"
#include "support/golden.h"

namespace {

using lisa::testing::fresh_dir;
using lisa::testing::read_jsonl;
using lisa::testing::run_lisa;

// At fp32: the quantized layers still run with bf16 activations, and a bf16 SAM encoder takes
// about a minute on CPUs without bf16 instructions.
TEST(QuantCommand, SegmentWithInt4ReportsTheQuantizedLayersAndAnswers) {
  const auto out = fresh_dir("quant_segment");
  const auto image = lisa::testing::golden_root() / "images" / "astronaut_wide.jpg";
  const auto result = run_lisa("segment" + lisa::testing::golden_model_args() + " --quantize int4" +
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

// `lisa quantize` as users run it: the checkpoint it writes is what inspect reports and what
// segment loads; what cannot be done is refused with the reason and nothing written.
TEST(QuantizeCommand, WritesACheckpointThatInspectAndSegmentRead) {
  const auto dir = fresh_dir("quantize_command");
  const auto out = dir / "int8";
  const std::string quantize = "quantize -m " + lisa::testing::golden_lisa_bin_dir().string() + " --mode int8 -o ";
  const auto written = run_lisa(quantize + out.string());
  ASSERT_EQ(written.exit_code, 0) << written.output;
  EXPECT_NE(written.output.find("wrote " + out.string() + ": 22 of "), std::string::npos) << written.output;

  const auto again = run_lisa(quantize + out.string());
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find(out.string() + ": already exists"), std::string::npos) << again.output;

  const auto inspected = run_lisa("inspect " + out.string());
  ASSERT_EQ(inspected.exit_code, 0) << inspected.output;
  EXPECT_NE(inspected.output.find("quantization   int8, lm_head int8\n"), std::string::npos) << inspected.output;

  const auto twice = run_lisa("quantize -m " + out.string() + " --mode int4 -o " + (dir / "int4").string());
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.output.find("is already quantized to int8"), std::string::npos) << twice.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "int4"));

  const std::string model_args = " -m " + out.string() + " --vision-tower " + lisa::testing::golden_clip_dir().string() +
                                 " --device cpu --threads 1";
  const auto image = lisa::testing::golden_root() / "images" / "astronaut_wide.jpg";
  const auto other_mode = run_lisa("segment" + model_args + " --quantize int4 --images " + image.string() +
                                   " --prompt x -o " + (dir / "segment").string());
  EXPECT_EQ(other_mode.exit_code, 1);
  EXPECT_NE(other_mode.output.find("is already quantized to int8; --quantize int4 cannot change that"),
            std::string::npos)
      << other_mode.output;
}

}  // namespace
