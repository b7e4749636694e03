#include "text_stream.h"

#include <algorithm>

#include "lisa/tokenizer/tokenizer.h"

namespace lisa::pipeline {

namespace {
constexpr const char* kReplacementCharacter = "\xEF\xBF\xBD";  // what an incomplete byte sequence decodes to

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

TextStream::TextStream(const tokenizer::Tokenizer& tokenizer, std::vector<int64_t> eos_token_ids,
                       std::function<void(const std::string&)> on_text)
    : tokenizer_(tokenizer), eos_token_ids_(std::move(eos_token_ids)), on_text_(std::move(on_text)) {}

void TextStream::push(int64_t token) {
  if (std::find(eos_token_ids_.begin(), eos_token_ids_.end(), token) != eos_token_ids_.end()) return;
  ids_.push_back(token);
  if (!on_text_) return;
  const std::string decoded = text();
  if (ends_with(decoded, kReplacementCharacter)) return;
  if (decoded.compare(0, shown_.size(), shown_) != 0) return;  // an earlier piece changed: wait for the end
  if (decoded.size() > shown_.size()) on_text_(decoded.substr(shown_.size()));
  shown_ = decoded;
}

std::string TextStream::text() const { return tokenizer_.decode(ids_); }

}  // namespace lisa::pipeline
