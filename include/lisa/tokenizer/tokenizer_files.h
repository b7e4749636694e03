#pragma once
// What a checkpoint directory says about its tokenizer, read the way transformers 4.31
// `LlamaTokenizer.from_pretrained` reads it: tokenizer.model (SentencePiece), tokenizer_config.json
// (constructor arguments), special_tokens_map.json (overrides the special-token attributes) and
// added_tokens.json (tokens appended after the SentencePiece vocabulary).
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lisa::tokenizer {

struct SpecialToken {
  std::string content;
  // Only tokens given as AddedToken objects carry strip flags. Quirk of 4.31: a special token
  // given as a plain string (e.g. `"pad_token": "<unk>"` in special_tokens_map.json) has none,
  // and the tokenizer then strips whitespace on both sides of it, as it does for added tokens.
  bool is_added_token_object = false;
  bool lstrip = false;
  bool rstrip = false;
};

// The reference's SPECIAL_TOKENS_ATTRIBUTES, in its order (additional_special_tokens follows).
inline constexpr std::array<const char*, 7> kSpecialTokenAttributes = {
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};

struct TokenizerFiles {
  std::filesystem::path model_file;
  // Indexed like kSpecialTokenAttributes; unset when absent or null.
  std::array<std::optional<SpecialToken>, kSpecialTokenAttributes.size()> special;
  std::vector<SpecialToken> additional_special;
  // added_tokens.json, ascending by id.
  std::vector<std::pair<std::string, int64_t>> added_tokens;
  bool add_bos_token = true;
  bool add_eos_token = false;
  bool clean_up_tokenization_spaces = false;  // LlamaTokenizer's default

  const std::optional<SpecialToken>& attribute(const std::string& name) const;
  // all_special_tokens_extended before de-duplication: the set attributes in order, then the additional ones.
  std::vector<SpecialToken> all_special() const;

  // Throws lisa::Error naming the file and key when something is missing or malformed, when the
  // configuration asks for behaviour this tokenizer does not reproduce (legacy=false, sp_model_kwargs),
  // or when no added or special token is "[SEG]" (then it is not a LISA tokenizer: its model
  // could never produce a mask).
  static TokenizerFiles read(const std::filesystem::path& checkpoint_dir);
};

}  // namespace lisa::tokenizer
