#pragma once
// The LISA tokenizer: transformers 4.31's slow LlamaTokenizer (legacy mode) over the checkpoint's
// SentencePiece model plus its added tokens ([SEG], <im_start>, <im_end>), reproduced exactly:
//  - text is first split on added and special tokens (AddedTokenTrie), whitespace next to them is
//    stripped, and every remaining piece is encoded by SentencePiece on its own (so each piece gets
//    the dummy "▁" prefix: "a [SEG] b" -> "▁a", "[SEG]", "▁b");
//  - decode(ids) is decode(ids, skip_special_tokens=False) with that version's defaults.
// Input text that is not valid UTF-8 is accepted: ill-formed bytes become U+FFFD first.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lisa/tokenizer/added_token_trie.h"
#include "lisa/tokenizer/tokenizer_files.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace lisa::tokenizer {

class Tokenizer {
 public:
  // Reads tokenizer.model, tokenizer_config.json, special_tokens_map.json and added_tokens.json.
  static Tokenizer load(const std::filesystem::path& checkpoint_dir);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // tokenizer(text, add_special_tokens=...).input_ids: BOS first (and EOS last when the config's
  // add_eos_token says so) when add_special_tokens.
  std::vector<int64_t> encode(std::string_view text, bool add_special_tokens = true) const;
  // LISA's tokenizer_image_token(prompt): every "<image>" becomes kImageTokenIndex.
  std::vector<int64_t> tokenize_with_image(std::string_view prompt) const;
  // tokenizer.decode(ids, skip_special_tokens=False). Ids outside [0, size()) (kImageTokenIndex
  // included: remove it first, as chat.py does) are an error.
  std::string decode(const std::vector<int64_t>& ids) const;
  // convert_ids_to_tokens(id): the SentencePiece piece, or the added token's text.
  std::string id_to_piece(int64_t id) const;

  int64_t bos_id() const { return bos_id_; }
  int64_t eos_id() const { return eos_id_; }
  int64_t unk_id() const { return unk_id_; }
  // tokenizer("[SEG]", add_special_tokens=False).input_ids[0]; an error when the checkpoint has no
  // "[SEG]" added token (then it is not a LISA checkpoint).
  int64_t seg_token_id() const;
  // tokenizer.vocab_size: the SentencePiece pieces only.
  int64_t base_vocab_size() const;
  // len(tokenizer): with the added tokens.
  int64_t size() const;

 private:
  Tokenizer();
  // convert_tokens_to_ids for one token: added tokens first, then the SentencePiece vocabulary.
  int64_t token_to_id(const std::string& token) const;
  std::vector<std::string> sentencepiece_pieces(const std::string& text) const;
  std::string sentencepiece_decode(const std::vector<std::string>& pieces) const;
  // LlamaTokenizer.convert_tokens_to_string for a run of non-added tokens.
  std::string pieces_to_string(const std::vector<std::string>& pieces) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::filesystem::path directory_;
  AddedTokenTrie trie_;
  std::set<std::u32string> no_split_tokens_;
  // Strip flags of the special tokens given as AddedToken objects, by content.
  std::map<std::u32string, SpecialToken> stripping_;
  std::set<std::string> special_tokens_;  // all_special_tokens
  std::map<std::string, int64_t> added_ids_;
  std::map<int64_t, std::string> added_texts_;
  int64_t bos_id_ = 0, eos_id_ = 0, unk_id_ = 0;
  bool add_bos_token_ = true, add_eos_token_ = false, clean_up_tokenization_spaces_ = false;
};

}  // namespace lisa::tokenizer
