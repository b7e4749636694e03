// `lisa inspect`: the summary of the miniature LISA twins (identical apart from the format line),
// size detection, config and added tokens, and the command line itself.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "io_fixtures.h"
#include "lisa/io/checkpoint_summary.h"

namespace lisa::testing {
namespace {

using ::testing::HasSubstr;
using io::Checkpoint;

io::CheckpointSummary summary_of(const std::string& dir) {
  return io::summarize_checkpoint(Checkpoint::open(io_fixture(dir)), io_fixture(dir));
}

std::string without_first_line(const std::string& text) { return text.substr(text.find('\n') + 1); }

TEST(CheckpointSummary, BinAndSafetensorsTwinsPrintTheSameTable) {
  const auto bin = io::render_summary(summary_of("lisa-tiny-bin"));
  const auto safetensors = io::render_summary(summary_of("lisa-tiny-safetensors"));
  EXPECT_THAT(bin, ::testing::StartsWith("format         pytorch (2 files)\n"));
  EXPECT_THAT(safetensors, ::testing::StartsWith("format         safetensors (2 files)\n"));
  EXPECT_EQ(without_first_line(bin), without_first_line(safetensors));
}

TEST(CheckpointSummary, CountsEveryLisaComponent) {
  const auto s = summary_of("lisa-tiny-bin");
  // Shapes from scripts/fixtures/make_io_fixtures.py: H=16, F=24, V=20, 2 layers, CLIP width 8.
  const std::vector<std::tuple<std::string, int64_t, int64_t>> expected = {
      {"LLM", 3 + 2 * 9, 2 * 20 * 16 + 16 + 2 * (4 * 16 * 16 + 3 * 24 * 16 + 2 * 16)},
      {"mm_projector", 2, 16 * 8 + 16},
      {"text_hidden_fcs", 4, 16 * 16 + 16 + 8 * 16 + 8},
      {"SAM image encoder", 2, 8 * 3 * 4 * 4 + 8},
      {"SAM prompt encoder", 1, 8},
      {"SAM mask decoder", 1, 8}};
  ASSERT_EQ(s.components.size(), expected.size());
  int64_t tensors = 0, parameters = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(s.components[i].name, std::get<0>(expected[i]));
    EXPECT_EQ(s.components[i].tensors, std::get<1>(expected[i])) << std::get<0>(expected[i]);
    EXPECT_EQ(s.components[i].parameters, std::get<2>(expected[i])) << std::get<0>(expected[i]);
    tensors += std::get<1>(expected[i]);
    parameters += std::get<2>(expected[i]);
  }
  EXPECT_EQ(s.tensors, tensors);
  EXPECT_EQ(s.parameters, parameters);
  ASSERT_EQ(s.dtypes.size(), 2u);  // the SAM patch embedding is stored fp32
  EXPECT_EQ(s.dtypes[0].name, "bfloat16");
  EXPECT_EQ(s.dtypes[0].tensors, tensors - 1);
  EXPECT_EQ(s.dtypes[1].name, "float32");
  EXPECT_EQ(s.dtypes[1].parameters, 8 * 3 * 4 * 4);
  EXPECT_EQ(s.detected_size, "other (H=16, L=2)");
}

TEST(CheckpointSummary, ReportsConfigAndAddedTokens) {
  const auto s = summary_of("lisa-tiny-safetensors");
  EXPECT_EQ(s.config_kind, "LISA");
  EXPECT_TRUE(s.config_error.empty());
  ASSERT_FALSE(s.config.empty());
  EXPECT_EQ(s.config.front(), std::make_pair(std::string("hidden_size"), std::string("16")));
  ASSERT_EQ(s.added_tokens.size(), 3u);
  EXPECT_EQ(s.added_tokens[0].id, 17);
  EXPECT_EQ(s.added_tokens[0].content, "[SEG]");
  EXPECT_EQ(s.added_tokens[2].content, "<im_end>");
  const auto text = io::render_summary(s);
  EXPECT_THAT(text, HasSubstr("config (LISA)\n  hidden_size                16\n"));
  EXPECT_THAT(text, HasSubstr("added tokens\n  17  [SEG]\n  18  <im_start>\n  19  <im_end>\n"));
}

TEST(CheckpointSummary, ClipDirectoryShowsVisionComponentAndConfig) {
  const auto s = summary_of("clip-tiny");
  ASSERT_EQ(s.components.size(), 2u);
  EXPECT_EQ(s.components[0].name, "CLIP vision");
  EXPECT_EQ(s.components[1].name, "other");  // text_model.*
  EXPECT_EQ(s.config_kind, "CLIP vision");
  EXPECT_EQ(s.detected_size, "n/a (no LLM weights)");
  EXPECT_TRUE(s.added_tokens.empty());
}

TEST(CheckpointSummary, BadConfigIsReportedNotFatal) {
  const auto s = io::summarize_checkpoint(Checkpoint::open(io_fixture("bad/wrong_shard/model-00001-of-00001.safetensors")),
                                          io_fixture("bad/no_checkpoint"));
  EXPECT_THAT(s.config_error, HasSubstr("no_checkpoint/config.json: field 'hidden_size' is missing"));
  EXPECT_THAT(io::render_summary(s), HasSubstr("config: "));
}

TEST(AddedTokens, FallBackToTokenizerConfig) {
  const auto tokens = io::read_added_tokens(io_fixture("tokens-from-tokenizer-config"));
  ASSERT_EQ(tokens.size(), 6u);
  EXPECT_EQ(tokens[3].id, 32000);
  EXPECT_EQ(tokens[3].content, "[SEG]");
  EXPECT_EQ(tokens[5].content, "<im_end>");
}

// A sparse safetensors file whose header describes an LLM of the given size (no real data).
std::filesystem::path sparse_llm(int64_t hidden, int layers) {
  nlohmann::json header;
  uint64_t offset = 0;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    uint64_t bytes = 2;
    for (auto d : shape) bytes *= static_cast<uint64_t>(d);
    header[name] = {{"dtype", "BF16"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  };
  add("model.embed_tokens.weight", {32003, hidden});
  for (int i = 0; i < layers; ++i) add("model.layers." + std::to_string(i) + ".input_layernorm.weight", {hidden});
  const auto text = header.dump();
  const auto path = std::filesystem::path(::testing::TempDir()) / ("llm_" + std::to_string(hidden) + ".safetensors");
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = text.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << text;
  out.seekp(static_cast<std::streamoff>(8 + length + offset - 1));
  out.put('\0');
  return path;
}

TEST(CheckpointSummary, DetectsSevenAndThirteenB) {
  for (auto [hidden, layers, size] : {std::tuple{4096, 32, "7B"}, std::tuple{5120, 40, "13B"},
                                      std::tuple{4096, 40, "other (H=4096, L=40)"}}) {
    const auto path = sparse_llm(hidden, layers);
    EXPECT_EQ(io::summarize_checkpoint(Checkpoint::open(path), path.parent_path()).detected_size, size);
    std::filesystem::remove(path);
  }
}

// Runs the `lisa` executable; returns its exit status and puts stdout+stderr in `output`.
int run_lisa(const std::string& arguments, std::string& output) {
  const std::string command = std::string(LISA_BINARY_PATH) + " " + arguments + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  output.clear();
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(InspectCommand, PrintsTheTable) {
  std::string output;
  ASSERT_EQ(run_lisa("inspect " + io_fixture("lisa-tiny-bin").string(), output), 0) << output;
  EXPECT_THAT(output, HasSubstr("format         pytorch (2 files)"));
  EXPECT_THAT(output, HasSubstr("detected size  other (H=16, L=2)"));
  EXPECT_THAT(output, HasSubstr("  LLM "));
  EXPECT_THAT(output, HasSubstr("  18  <im_start>"));
}

TEST(InspectCommand, PrintsJson) {
  std::string output;
  ASSERT_EQ(run_lisa("inspect --json " + io_fixture("lisa-tiny-safetensors").string(), output), 0) << output;
  const auto report = nlohmann::json::parse(output);
  EXPECT_EQ(report["format"], "safetensors (2 files)");
  EXPECT_EQ(report["tensors"], summary_of("lisa-tiny-safetensors").tensors);
  EXPECT_EQ(report["config"]["kind"], "LISA");
  EXPECT_EQ(report["added_tokens"][0]["content"], "[SEG]");
}

TEST(InspectCommand, BadCheckpointIsOneErrorLine) {
  std::string output;
  EXPECT_EQ(run_lisa("inspect " + io_fixture("bad/os_system.bin").string(), output), 1);
  EXPECT_THAT(output, HasSubstr("lisa: error: "));
  EXPECT_THAT(output, HasSubstr("os_system.bin: archive/data.pkl: refuses global 'os.system'"));
}

}  // namespace
}  // namespace lisa::testing
