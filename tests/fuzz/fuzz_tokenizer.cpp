// The tokenizer of the tiny golden checkpoint (its SentencePiece model and added tokens): any byte
// string is encoded (ill-formed UTF-8 included), with and without the <image> placeholder, and
// the ids decoded back; then the same bytes, read as 16-bit ids (some out of range), are decoded.
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "lisa/tokenizer/tokenizer.h"

LISA_FUZZ_TARGET(tokenizer) {
  static const auto tokenizer = lisa::tokenizer::Tokenizer::load(LISA_FUZZ_TOKENIZER_DIR);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<int64_t> ids = tokenizer.encode(text);
  (void)tokenizer.decode(ids);
  (void)tokenizer.tokenize_with_image(text);

  std::vector<int64_t> raw;
  for (size_t i = 0; i + 1 < size; i += 2) {
    raw.push_back(static_cast<int64_t>((data[i] << 8) | data[i + 1]) % (tokenizer.size() + 8) - 4);
  }
  lisa::fuzz::rejecting_user_errors([&] { (void)tokenizer.decode(raw); });
}
