#pragma once
// Text handling where the ReasonSeg reference relies on Python's str semantics.
#include <string>
#include <string_view>

namespace lisa::eval {

// Decodes Windows-1252 bytes as Python's "cp1252" codec does and returns UTF-8. Python leaves
// 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined and raises on them; so does this (lisa::Error naming
// the byte and its offset).
std::string cp1252_to_utf8(std::string_view bytes);

// Python's str.strip() with no argument on UTF-8 text: removes leading and trailing characters for
// which str.isspace() is true (ASCII whitespace, \x1c-\x1f, U+0085, U+00A0, U+1680, U+2000-U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000).
std::string python_strip(std::string_view text);

}  // namespace lisa::eval
