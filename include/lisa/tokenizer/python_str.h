#pragma once
// The few Python `str` operations the reference applies to prompts and tokens, with Python's
// exact semantics (which characters are whitespace, non-overlapping left-to-right replace).
#include <string>
#include <string_view>
#include <vector>

namespace lisa::tokenizer {

// str.isspace(): what str.strip() / lstrip() / rstrip() remove when given no argument.
bool is_python_whitespace(char32_t c);
std::u32string_view python_lstrip(std::u32string_view text);
std::u32string_view python_rstrip(std::u32string_view text);
// str.strip() on UTF-8 text (ill-formed bytes are replaced by U+FFFD first).
std::string python_strip(std::string_view text);

// str.replace(old, new): non-overlapping occurrences, scanned left to right, never rescanned.
std::string python_replace(std::string_view text, std::string_view old_text, std::string_view new_text);
// str.split(separator) with a non-empty separator: n occurrences give n + 1 parts, empty ones kept.
std::vector<std::string> python_split(std::string_view text, std::string_view separator);

}  // namespace lisa::tokenizer
