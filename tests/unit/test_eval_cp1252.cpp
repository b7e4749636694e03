#include "eval/cp1252.h"

#include <gtest/gtest.h>

#include "lisa/error.h"

namespace lisa::eval {
namespace {

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

TEST(Cp1252, DecodesEveryDefinedByteAsPythonDoes) {
  std::string high;
  for (int b = 0x80; b <= 0xFF; ++b) {
    if (b != 0x81 && b != 0x8D && b != 0x8F && b != 0x90 && b != 0x9D) high.push_back(static_cast<char>(b));
  }
  // Python 3.11: ''.join(bytes([b]).decode('cp1252') for b in those bytes).encode('utf-8').hex()
  const std::string python =
      "e282ace2809ac692e2809ee280a6e280a0e280a1cb86e280b0c5a0e280b9c592c5bde28098e28099e2809ce2809de2"
      "80a2e28093e28094cb9ce284a2c5a1e280bac593c5bec5b8c2a0c2a1c2a2c2a3c2a4c2a5c2a6c2a7c2a8c2a9c2aac2"
      "abc2acc2adc2aec2afc2b0c2b1c2b2c2b3c2b4c2b5c2b6c2b7c2b8c2b9c2bac2bbc2bcc2bdc2bec2bfc380c381c382"
      "c383c384c385c386c387c388c389c38ac38bc38cc38dc38ec38fc390c391c392c393c394c395c396c397c398c399c3"
      "9ac39bc39cc39dc39ec39fc3a0c3a1c3a2c3a3c3a4c3a5c3a6c3a7c3a8c3a9c3aac3abc3acc3adc3aec3afc3b0c3b1"
      "c3b2c3b3c3b4c3b5c3b6c3b7c3b8c3b9c3bac3bbc3bcc3bdc3bec3bf";
  EXPECT_EQ(cp1252_to_utf8(high), from_hex(python));
  std::string ascii;
  for (int b = 0; b < 0x80; ++b) ascii.push_back(static_cast<char>(b));
  EXPECT_EQ(cp1252_to_utf8(ascii), ascii);
}

TEST(Cp1252, RejectsTheFiveUndefinedBytesLikePython) {
  for (char b : {'\x81', '\x8D', '\x8F', '\x90', '\x9D'}) {
    try {
      cp1252_to_utf8(std::string("ab") + b);
      FAIL() << "no error for byte " << int(static_cast<unsigned char>(b));
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("offset 2"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace lisa::eval
