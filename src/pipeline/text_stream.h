#pragma once
// Turns generated ids into answer text as they come, for streaming: each new token re-decodes the
// answer (decoding is not piecewise: byte-fallback pieces and SentencePiece's spaces depend on their
// neighbours) and hands on the part not yet shown, holding back while a UTF-8 character is incomplete.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lisa::tokenizer {
class Tokenizer;
}

namespace lisa::pipeline {

class TextStream {
 public:
  TextStream(const tokenizer::Tokenizer& tokenizer, std::vector<int64_t> eos_token_ids,
             std::function<void(const std::string&)> on_text);
  void push(int64_t token);
  // The decoded answer so far, EOS excluded.
  std::string text() const;

 private:
  const tokenizer::Tokenizer& tokenizer_;
  std::vector<int64_t> eos_token_ids_;
  std::function<void(const std::string&)> on_text_;
  std::vector<int64_t> ids_;
  std::string shown_;
};

}  // namespace lisa::pipeline
