#pragma once
// Decoding of cp1252 annotation files, as Python's codec does it.
#include <string>
#include <string_view>

namespace lisa::eval {

// Decodes Windows-1252 bytes as Python's "cp1252" codec does and returns UTF-8. Python leaves
// 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined and raises on them; so does this (lisa::Error naming
// the byte and its offset).
std::string cp1252_to_utf8(std::string_view bytes);

}  // namespace lisa::eval
