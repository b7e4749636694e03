#include "eval/cp1252.h"

#include <array>
#include <cstdint>
#include <cstdio>

#include "lisa/error.h"
#include "lisa/tokenizer/utf8.h"

namespace lisa::eval {
namespace {

// Code points of bytes 0x80-0x9F in cp1252; 0 marks the five bytes Python leaves undefined.
// 0xA0-0xFF are Latin-1, i.e. the byte value itself.
constexpr std::array<char32_t, 32> kHighControlRange = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,       // 88-8F
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,  // 98-9F
};

}  // namespace

std::string cp1252_to_utf8(std::string_view bytes) {
  std::u32string code_points;
  code_points.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    char32_t code_point = byte;
    if (byte >= 0x80 && byte <= 0x9F) {
      code_point = kHighControlRange[byte - 0x80];
      if (code_point == 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", byte);
        throw Error(detail::concat("byte ", hex, " at offset ", i, " is undefined in cp1252"));
      }
    }
    code_points.push_back(code_point);
  }
  return tokenizer::encode_utf8(code_points);
}

}  // namespace lisa::eval
