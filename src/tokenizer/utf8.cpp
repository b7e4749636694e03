#include "lisa/tokenizer/utf8.h"

namespace lisa::tokenizer {

namespace {
constexpr char32_t kReplacementCharacter = 0xFFFD;

bool is_continuation(unsigned char byte, unsigned char low = 0x80, unsigned char high = 0xBF) {
  return byte >= low && byte <= high;
}
}  // namespace

std::u32string decode_utf8_lossy(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t i = 0;
  const size_t n = bytes.size();
  auto at = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  while (i < n) {
    const unsigned char lead = at(i);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    // Length and the allowed range of the second byte (Unicode Table 3-7, well-formed sequences).
    size_t length = 0;
    unsigned char second_low = 0x80, second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_low = 0xA0;
      if (lead == 0xED) second_high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_low = 0x90;
      if (lead == 0xF4) second_high = 0x8F;
    }
    if (length == 0) {
      out.push_back(kReplacementCharacter);
      ++i;
      continue;
    }
    char32_t code_point = lead & (0xFF >> (length + 1));
    size_t consumed = 1;
    for (; consumed < length && i + consumed < n; ++consumed) {
      const unsigned char byte = at(i + consumed);
      const bool valid = consumed == 1 ? is_continuation(byte, second_low, second_high) : is_continuation(byte);
      if (!valid) break;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    // A truncated sequence is one maximal subpart: one replacement, resume at the offending byte.
    out.push_back(consumed == length ? code_point : kReplacementCharacter);
    i += consumed;
  }
  return out;
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::string repair_utf8(std::string_view bytes) { return encode_utf8(decode_utf8_lossy(bytes)); }

}  // namespace lisa::tokenizer
