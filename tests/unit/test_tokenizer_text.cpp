// UTF-8 repair, Python str semantics and chat.py's display clean-up.
#include <gtest/gtest.h>

#include "lisa/error.h"
#include "lisa/tokenizer/display_text.h"
#include "lisa/tokenizer/python_str.h"
#include "lisa/tokenizer/utf8.h"

using namespace lisa::tokenizer;

TEST(TokenizerUtf8, ValidTextRoundTrips) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x99\x82";  // a é € 🙂
  const std::u32string code_points = decode_utf8_lossy(text);
  EXPECT_EQ(code_points, (std::u32string{U'a', 0xE9, 0x20AC, 0x1F642}));
  EXPECT_EQ(encode_utf8(code_points), text);
}

// One U+FFFD per maximal ill-formed subpart (Unicode 3.9 / Python errors="replace").
TEST(TokenizerUtf8, IllFormedBytesBecomeOneReplacementPerMaximalSubpart) {
  const char32_t R = 0xFFFD;
  EXPECT_EQ(decode_utf8_lossy("\xE2\x82"), (std::u32string{R}));            // truncated 3-byte sequence
  EXPECT_EQ(decode_utf8_lossy("\xE2\x82x"), (std::u32string{R, U'x'}));     // truncated, then ASCII
  EXPECT_EQ(decode_utf8_lossy("\xF0\x80\x80"), (std::u32string{R, R, R}));  // F0 needs 90..BF next
  EXPECT_EQ(decode_utf8_lossy("\xED\xA0\x80"), (std::u32string{R, R, R}));  // surrogate
  EXPECT_EQ(decode_utf8_lossy("\xC0\xAF"), (std::u32string{R, R}));         // overlong
  EXPECT_EQ(decode_utf8_lossy("\xFF"), (std::u32string{R}));
  EXPECT_EQ(decode_utf8_lossy("\xF4\x90\x80\x80"), (std::u32string{R, R, R, R}));  // above U+10FFFF
  EXPECT_EQ(repair_utf8("ok\x80"), "ok\xEF\xBF\xBD");
}

TEST(TokenizerPythonStr, WhitespaceIsPythonsIsspace) {
  for (char32_t c : {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028,
                     0x2029, 0x202F, 0x205F, 0x3000})
    EXPECT_TRUE(is_python_whitespace(c)) << std::hex << static_cast<uint32_t>(c);
  for (char32_t c : {0x00, 0x08, 0x0E, 0x1B, 0x21, 0x200B, 0xFEFF, 0x180E})
    EXPECT_FALSE(is_python_whitespace(c)) << std::hex << static_cast<uint32_t>(c);
}

TEST(TokenizerPythonStr, StripRemovesUnicodeWhitespace) {
  EXPECT_EQ(python_strip(" \t\xC2\xA0" "cat \xE3\x80\x80\n"), "cat");  // NBSP and ideographic space too
  EXPECT_EQ(python_strip("   "), "");
  EXPECT_EQ(python_lstrip(U"  a b "), U"a b ");
  EXPECT_EQ(python_rstrip(U"  a b "), U"  a b");
}

TEST(TokenizerPythonStr, ReplaceIsLeftToRightAndNotRepeated) {
  EXPECT_EQ(python_replace("    ", "  ", " "), "  ");
  EXPECT_EQ(python_replace("   ", "  ", " "), "  ");
  EXPECT_EQ(python_replace("<image>x<image>", "<image>", "<im_start><image><im_end>"),
            "<im_start><image><im_end>x<im_start><image><im_end>");
  EXPECT_THROW(python_replace("x", "", "y"), lisa::InternalError);
}

TEST(TokenizerPythonStr, SplitKeepsEmptyParts) {
  EXPECT_EQ(python_split("<image>", "<image>"), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(python_split("a<image>b<image>", "<image>"), (std::vector<std::string>{"a", "b", ""}));
  EXPECT_EQ(python_split("none", "<image>"), (std::vector<std::string>{"none"}));
}

TEST(TokenizerDisplayText, RemovesNewlinesThenHalvesDoubleSpaces) {
  EXPECT_EQ(display_text("Sure,\nit is [SEG] ."), "Sure,it is [SEG] .");
  EXPECT_EQ(display_text("a  b    c"), "a b  c");
  EXPECT_EQ(display_text("a \n b"), "a b");  // the newline goes first, then "  " -> " "
}
