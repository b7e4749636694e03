#include "lisa/tokenizer/tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>

#include "lisa/error.h"
#include "lisa/tokenizer/image_tokens.h"
#include "lisa/tokenizer/python_str.h"
#include "lisa/tokenizer/utf8.h"

namespace lisa::tokenizer {

namespace {

const SpecialToken& required_special(const TokenizerFiles& files, const char* attribute,
                                     const std::filesystem::path& dir) {
  const auto& token = files.attribute(attribute);
  LISA_CHECK(token && !token->content.empty(), dir.string(), ": the tokenizer has no ", attribute,
             " (tokenizer_config.json / special_tokens_map.json); LISA needs bos, eos and unk tokens");
  return *token;
}

// PreTrainedTokenizerBase.clean_up_tokenization, applied only when the config enables it.
std::string clean_up_tokenization(std::string text) {
  static const std::pair<const char*, const char*> kReplacements[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},     {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kReplacements) text = python_replace(text, from, to);
  return text;
}

}  // namespace

Tokenizer::Tokenizer() : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::load(const std::filesystem::path& checkpoint_dir) {
  const TokenizerFiles files = TokenizerFiles::read(checkpoint_dir);
  Tokenizer tokenizer;
  tokenizer.directory_ = checkpoint_dir;
  const auto status = tokenizer.processor_->Load(files.model_file.string());
  LISA_CHECK(status.ok(), files.model_file.string(), ": not a SentencePiece model (", status.ToString(), ")");
  tokenizer.add_bos_token_ = files.add_bos_token;
  tokenizer.add_eos_token_ = files.add_eos_token;
  tokenizer.clean_up_tokenization_spaces_ = files.clean_up_tokenization_spaces;

  const std::string unk = required_special(files, "unk_token", checkpoint_dir).content;
  const int unk_piece_id = tokenizer.processor_->PieceToId(unk);
  // _add_tokens only adds what the vocabulary lacks: a token the SentencePiece model maps to <unk>.
  auto in_vocabulary = [&](const std::string& token) {
    return token == unk || tokenizer.processor_->PieceToId(token) != unk_piece_id;
  };
  auto register_added = [&](const std::string& text, int64_t id) {
    tokenizer.added_ids_[text] = id;
    tokenizer.added_texts_[id] = text;
  };
  auto register_no_split = [&](const std::string& text) {
    const std::u32string code_points = decode_utf8_lossy(text);
    tokenizer.trie_.add(code_points);
    tokenizer.no_split_tokens_.insert(code_points);
  };

  const std::filesystem::path added_file = checkpoint_dir / "added_tokens.json";
  for (const auto& [text, id] : files.added_tokens) {
    LISA_CHECK(id == tokenizer.size(), added_file.string(), ": '", text, "' has id ", id, ", expected ",
               tokenizer.size(), " (added tokens follow the ", tokenizer.base_vocab_size(),
               " SentencePiece pieces without gaps)");
    LISA_CHECK(!in_vocabulary(text), added_file.string(), ": '", text, "' is already a piece of tokenizer.model");
    register_added(text, id);
    register_no_split(text);
  }

  // sanitize_special_tokens: every special token is a no-split token, and one the vocabulary
  // lacks is appended to it.
  for (const SpecialToken& token : files.all_special()) {
    register_no_split(token.content);
    tokenizer.special_tokens_.insert(token.content);
    if (!tokenizer.added_ids_.count(token.content) && !in_vocabulary(token.content))
      register_added(token.content, tokenizer.size());
    // The reference de-duplicates AddedToken objects by content, keeping the first.
    if (token.is_added_token_object) tokenizer.stripping_.emplace(decode_utf8_lossy(token.content), token);
  }

  tokenizer.unk_id_ = tokenizer.token_to_id(unk);
  tokenizer.bos_id_ = tokenizer.token_to_id(required_special(files, "bos_token", checkpoint_dir).content);
  tokenizer.eos_id_ = tokenizer.token_to_id(required_special(files, "eos_token", checkpoint_dir).content);
  return tokenizer;
}

int64_t Tokenizer::base_vocab_size() const { return processor_->GetPieceSize(); }

int64_t Tokenizer::size() const { return base_vocab_size() + static_cast<int64_t>(added_ids_.size()); }

int64_t Tokenizer::token_to_id(const std::string& token) const {
  const auto it = added_ids_.find(token);
  return it != added_ids_.end() ? it->second : processor_->PieceToId(token);
}

std::vector<std::string> Tokenizer::sentencepiece_pieces(const std::string& text) const {
  std::vector<std::string> pieces;
  const auto status = processor_->Encode(text, &pieces);
  LISA_CHECK(status.ok(), "SentencePiece could not encode a piece of the prompt: ", status.ToString());
  return pieces;
}

std::vector<int64_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<std::u32string> pieces = trie_.split(decode_utf8_lossy(text));

  // Whitespace around an added token is stripped: by default on both sides, for special tokens
  // given as AddedToken objects only on the sides their lstrip / rstrip flags name. The reference
  // edits the neighbours in place while walking, so a neighbour already stripped is seen stripped.
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!no_split_tokens_.count(pieces[i])) continue;
    const auto flags = stripping_.find(pieces[i]);
    const bool strip_right = flags == stripping_.end() || flags->second.rstrip;
    const bool strip_left = flags == stripping_.end() || flags->second.lstrip;
    if (strip_right && i + 1 < pieces.size() && !pieces[i + 1].empty())
      pieces[i + 1] = std::u32string(python_lstrip(pieces[i + 1]));
    if (strip_left && i > 0 && !pieces[i - 1].empty()) pieces[i - 1] = std::u32string(python_rstrip(pieces[i - 1]));
  }

  std::vector<int64_t> ids;
  if (add_special_tokens && add_bos_token_) ids.push_back(bos_id_);
  for (const auto& piece : pieces) {
    if (piece.empty()) continue;
    const std::string utf8 = encode_utf8(piece);
    if (no_split_tokens_.count(piece)) {
      ids.push_back(token_to_id(utf8));
      continue;
    }
    // Each piece on its own: SentencePiece gives every one its dummy "▁" prefix.
    for (const auto& sentencepiece : sentencepiece_pieces(utf8)) ids.push_back(token_to_id(sentencepiece));
  }
  if (add_special_tokens && add_eos_token_) ids.push_back(eos_id_);
  return ids;
}

std::vector<int64_t> Tokenizer::tokenize_with_image(std::string_view prompt) const {
  std::vector<std::vector<int64_t>> chunks;
  for (const auto& chunk : python_split(repair_utf8(prompt), kImageToken)) chunks.push_back(encode(chunk));

  // The reference keeps the first chunk's BOS and then drops the first id of EVERY chunk (offset 1),
  // whatever it is; without a leading BOS nothing is dropped.
  const size_t offset = !chunks.front().empty() && chunks.front().front() == bos_id_ ? 1 : 0;
  std::vector<int64_t> ids;
  if (offset) ids.push_back(bos_id_);
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (i > 0) ids.push_back(kImageTokenIndex);
    const auto& chunk = chunks[i];
    ids.insert(ids.end(), chunk.begin() + std::min(offset, chunk.size()), chunk.end());
  }
  return ids;
}

std::string Tokenizer::id_to_piece(int64_t id) const {
  const auto added = added_texts_.find(id);
  if (added != added_texts_.end()) return added->second;
  LISA_CHECK(id >= 0 && id < base_vocab_size(), "token id ", id, " is outside the tokenizer's vocabulary of ", size(),
             " tokens (", directory_.string(), ")");
  return processor_->IdToPiece(static_cast<int>(id));
}

std::string Tokenizer::sentencepiece_decode(const std::vector<std::string>& pieces) const {
  std::string text;
  const auto status = processor_->Decode(pieces, &text);
  LISA_CHECK(status.ok(), "SentencePiece could not decode the token ids: ", status.ToString());
  return text;
}

// LlamaTokenizer.convert_tokens_to_string. Quirk: the space it puts before a special token goes
// in front of the run of pieces preceding it ("▁hello", "</s>" -> " hello</s>").
std::string Tokenizer::pieces_to_string(const std::vector<std::string>& pieces) const {
  std::string out;
  std::vector<std::string> run;
  bool previous_is_special = false;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!special_tokens_.count(pieces[i])) {
      run.push_back(pieces[i]);
      previous_is_special = false;
      continue;
    }
    if (!previous_is_special && i != 0) out += ' ';
    out += sentencepiece_decode(run) + pieces[i];
    run.clear();
    previous_is_special = true;
  }
  return out + sentencepiece_decode(run);
}

// PreTrainedTokenizer._decode with skip_special_tokens=False, spaces_between_special_tokens=True:
// added tokens are emitted as their text, the runs between them through pieces_to_string, and the
// parts are joined with single spaces ("is", "[SEG]", "." -> "is [SEG] .").
std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> parts;
  std::vector<std::string> run;
  for (int64_t id : ids) {
    std::string token = id_to_piece(id);
    if (added_ids_.count(token)) {
      if (!run.empty()) parts.push_back(pieces_to_string(run));
      run.clear();
      parts.push_back(std::move(token));
    } else {
      run.push_back(std::move(token));
    }
  }
  if (!run.empty()) parts.push_back(pieces_to_string(run));

  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) text += (i ? " " : "") + parts[i];
  return clean_up_tokenization_spaces_ ? clean_up_tokenization(std::move(text)) : text;
}

int64_t Tokenizer::seg_token_id() const {
  static const std::string kSegToken = "[SEG]";
  LISA_CHECK(added_ids_.count(kSegToken), directory_.string(),
             ": the tokenizer has no added token \"[SEG]\" (added_tokens.json); this is not a LISA checkpoint");
  return encode(kSegToken, /*add_special_tokens=*/false).front();
}

}  // namespace lisa::tokenizer
