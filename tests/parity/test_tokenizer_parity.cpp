// The golden tokenizer cases and the prompts / input ids of the golden chat and eval cases,
// produced by the reference (transformers 4.31 slow LlamaTokenizer, LISA's conversation code).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "lisa/io/json_file.h"
#include "lisa/tokenizer/chat_prompt.h"
#include "lisa/tokenizer/display_text.h"
#include "lisa/tokenizer/eval_prompt.h"
#include "../unit/test_tokenizer_data.h"

namespace fs = std::filesystem;
using Ids = std::vector<int64_t>;

namespace {

nlohmann::json tokenizer_cases() { return lisa::io::read_json_file(lisa_test::golden_dir() / "tokenizer" / "cases.json"); }

// Every <kind>/<case>/case.json under the golden tree, sorted.
std::vector<fs::path> case_files(const char* kind) {
  std::vector<fs::path> files;
  const fs::path root = lisa_test::golden_dir() / kind;
  if (!fs::is_directory(root)) return files;
  for (const auto& entry : fs::directory_iterator(root))
    if (fs::is_regular_file(entry.path() / "case.json")) files.push_back(entry.path() / "case.json");
  std::sort(files.begin(), files.end());
  return files;
}

// chat.py and ValDataset both run with use_mm_start_end=True (their default), as the goldens do.
constexpr bool kUseMmStartEnd = true;

// For every <kind>/<case>/case.json: the prompt built from the case equals the reference's
// "prompt", and its ids with the image placeholder equal "input_ids".
void check_prompt_cases(const char* kind, const std::function<std::string(const nlohmann::json&)>& build_prompt) {
  const auto& tok = lisa_test::golden_tokenizer();
  const auto files = case_files(kind);
  ASSERT_FALSE(files.empty()) << "no " << kind << " cases under " << lisa_test::golden_dir();
  for (const auto& file : files) {
    const auto c = lisa::io::read_json_file(file);
    const std::string prompt = build_prompt(c);
    EXPECT_EQ(prompt, c.at("prompt").get<std::string>()) << file;
    EXPECT_EQ(tok.tokenize_with_image(prompt), c.at("input_ids").get<Ids>()) << file;
  }
}

}  // namespace

// cases.json "encode" (tokenizer(text).input_ids) and "encode_no_bos" (add_special_tokens=False).
TEST(TokenizerParity, Encode) {
  LISA_REQUIRE_GOLDENS();
  const auto& tok = lisa_test::golden_tokenizer();
  const auto cases = tokenizer_cases();
  for (const bool add_special_tokens : {true, false}) {
    const auto& list = cases.at(add_special_tokens ? "encode" : "encode_no_bos");
    ASSERT_FALSE(list.empty());
    for (const auto& c : list)
      EXPECT_EQ(tok.encode(c.at("text").get<std::string>(), add_special_tokens), c.at("ids").get<Ids>())
          << c.at("text") << (add_special_tokens ? "" : " (no BOS)");
  }
}

TEST(TokenizerParity, Decode) {
  LISA_REQUIRE_GOLDENS();
  const auto& tok = lisa_test::golden_tokenizer();
  const auto cases = tokenizer_cases();
  ASSERT_FALSE(cases.at("decode").empty());
  for (const auto& c : cases.at("decode")) {
    const std::string decoded = tok.decode(c.at("ids").get<Ids>());
    EXPECT_EQ(decoded, c.at("text").get<std::string>()) << c.at("ids");
    if (c.contains("display_text")) {
      EXPECT_EQ(lisa::tokenizer::display_text(decoded), c.at("display_text").get<std::string>()) << c.at("ids");
    }
  }
}

TEST(TokenizerParity, SegTokenAndVocabulary) {
  LISA_REQUIRE_GOLDENS();
  const auto& tok = lisa_test::golden_tokenizer();
  const auto cases = tokenizer_cases();
  EXPECT_EQ(tok.seg_token_id(), cases.at("seg_token_id").get<int64_t>());
  if (cases.contains("vocab_size")) {
    EXPECT_EQ(tok.size(), cases.at("vocab_size").get<int64_t>());
  }
}

TEST(TokenizerParity, ChatPromptsAndInputIds) {
  LISA_REQUIRE_GOLDENS();
  check_prompt_cases("chat", [](const nlohmann::json& c) {
    lisa::tokenizer::ChatPrompt chat(lisa::tokenizer::conversation_template(c.at("conv_type").get<std::string>()),
                                     kUseMmStartEnd);
    return chat.ask(c.at("user_text").get<std::string>());
  });
}

// Teacher-forced ReasonSeg cases: the prompt comes from the sample's first text ("user_text", the
// reference's text[0] of the sample's JSON; reading that JSON, cp1252 fallback included, belongs
// to the ReasonSeg reader) and is_sentence, with the fixed answer "[SEG].".
TEST(TokenizerParity, EvalPromptsAndInputIds) {
  LISA_REQUIRE_GOLDENS();
  check_prompt_cases("eval", [](const nlohmann::json& c) {
    return lisa::tokenizer::reason_seg_eval_prompt(
        lisa::tokenizer::conversation_template(c.at("conv_type").get<std::string>()),
        c.at("user_text").get<std::string>(), c.at("is_sentence").get<bool>(), kUseMmStartEnd);
  });
}
