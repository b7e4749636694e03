#include "lisa/tokenizer/display_text.h"

#include "lisa/tokenizer/python_str.h"

namespace lisa::tokenizer {

std::string display_text(std::string_view decoded) {
  return python_replace(python_replace(decoded, "\n", ""), "  ", " ");
}

}  // namespace lisa::tokenizer
