#include "lisa/tokenizer/image_tokens.h"

#include "lisa/tokenizer/python_str.h"

namespace lisa::tokenizer {

std::string wrap_image_tokens(std::string_view text) {
  return python_replace(text, kImageToken, std::string(kImageStartToken) + kImageToken + kImageEndToken);
}

}  // namespace lisa::tokenizer
