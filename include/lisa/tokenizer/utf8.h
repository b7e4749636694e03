#pragma once
// UTF-8 <-> code points. The reference tokenizer works on Python `str` (code points), so the
// added-token split and whitespace stripping here work on code points too.
#include <string>
#include <string_view>

namespace lisa::tokenizer {

// Ill-formed UTF-8 (bytes a user may give, which a Python `str` cannot hold) becomes U+FFFD,
// one per maximal ill-formed subpart, as `bytes.decode("utf-8", errors="replace")` does.
std::u32string decode_utf8_lossy(std::string_view bytes);
std::string encode_utf8(std::u32string_view code_points);
// decode then encode: the text with every ill-formed subpart replaced by U+FFFD.
std::string repair_utf8(std::string_view bytes);

}  // namespace lisa::tokenizer
