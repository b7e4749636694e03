#include "lisa/tokenizer/python_str.h"

#include "lisa/error.h"
#include "lisa/tokenizer/utf8.h"

namespace lisa::tokenizer {

bool is_python_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

std::u32string_view python_lstrip(std::u32string_view text) {
  size_t begin = 0;
  while (begin < text.size() && is_python_whitespace(text[begin])) ++begin;
  return text.substr(begin);
}

std::u32string_view python_rstrip(std::u32string_view text) {
  size_t end = text.size();
  while (end > 0 && is_python_whitespace(text[end - 1])) --end;
  return text.substr(0, end);
}

std::string python_strip(std::string_view text) {
  const std::u32string code_points = decode_utf8_lossy(text);
  return encode_utf8(python_rstrip(python_lstrip(code_points)));
}

std::string python_replace(std::string_view text, std::string_view old_text, std::string_view new_text) {
  LISA_INTERNAL_ASSERT(!old_text.empty(), "python_replace: the text to replace is empty");
  std::string out;
  out.reserve(text.size());
  size_t position = 0;
  for (size_t found; (found = text.find(old_text, position)) != std::string_view::npos;) {
    out.append(text, position, found - position);
    out.append(new_text);
    position = found + old_text.size();
  }
  out.append(text, position);
  return out;
}

std::vector<std::string> python_split(std::string_view text, std::string_view separator) {
  LISA_INTERNAL_ASSERT(!separator.empty(), "python_split: the separator is empty");
  std::vector<std::string> parts;
  size_t position = 0;
  for (size_t found; (found = text.find(separator, position)) != std::string_view::npos;) {
    parts.emplace_back(text.substr(position, found - position));
    position = found + separator.size();
  }
  parts.emplace_back(text.substr(position));
  return parts;
}

}  // namespace lisa::tokenizer
