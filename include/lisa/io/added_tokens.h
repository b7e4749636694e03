#pragma once
// The tokens a checkpoint's tokenizer adds to its SentencePiece vocabulary (for LISA: [SEG],
// <im_start>, <im_end>), with their ids as the checkpoint assigns them.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lisa::io {

struct AddedToken {
  int64_t id;
  std::string content;
};

// From added_tokens.json ({"content": id}) when `dir` has one, else from tokenizer_config.json's
// added_tokens_decoder ({"id": {"content": ...}}); sorted by id; empty when neither lists any.
// Throws lisa::Error naming the file on malformed content.
std::vector<AddedToken> read_added_tokens(const std::filesystem::path& dir);

}  // namespace lisa::io
