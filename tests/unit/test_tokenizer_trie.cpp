// AddedTokenTrie against the documented behaviour of transformers 4.31's Trie.
#include <gtest/gtest.h>

#include <initializer_list>

#include "lisa/tokenizer/added_token_trie.h"

using lisa::tokenizer::AddedTokenTrie;

namespace {
std::vector<std::u32string> split(std::initializer_list<std::u32string> words, const std::u32string& text) {
  AddedTokenTrie trie;
  for (const auto& word : words) trie.add(word);
  return trie.split(text);
}
using Pieces = std::vector<std::u32string>;
}  // namespace

TEST(TokenizerTrie, WithoutWordsTheTextIsOnePiece) {
  EXPECT_EQ(split({}, U"[CLS] This is a extra_id_100"), (Pieces{U"[CLS] This is a extra_id_100"}));
  EXPECT_EQ(split({U"x"}, U""), Pieces{});
}

TEST(TokenizerTrie, LongestMatchWins) {
  EXPECT_EQ(split({U"[CLS]", U"extra_id_1", U"extra_id_100"}, U"[CLS] This is a extra_id_100"),
            (Pieces{U"[CLS]", U" This is a ", U"extra_id_100"}));
  EXPECT_EQ(split({U"AB", U"B", U"C"}, U"ABC"), (Pieces{U"AB", U"C"}));
  EXPECT_EQ(split({U"ABC", U"B", U"CD"}, U"ABCD"), (Pieces{U"ABC", U"D"}));
}

TEST(TokenizerTrie, MatchesAtEitherEnd) {
  EXPECT_EQ(split({U"A"}, U"ABC"), (Pieces{U"A", U"BC"}));
  EXPECT_EQ(split({U"A"}, U"BCA"), (Pieces{U"BC", U"A"}));
  EXPECT_EQ(split({U"TOKEN]", U"[SPECIAL_TOKEN]"}, U"This is something [SPECIAL_TOKEN]"),
            (Pieces{U"This is something ", U"[SPECIAL_TOKEN]"}));
  EXPECT_EQ(split({U"A", U"P", U"[SPECIAL_TOKEN]"}, U"This is something [SPECIAL_TOKEN]"),
            (Pieces{U"This is something ", U"[SPECIAL_TOKEN]"}));
}

TEST(TokenizerTrie, OverlappingStartsAreTracked) {
  EXPECT_EQ(split({U"blowing", U"lower"}, U"blower"), (Pieces{U"b", U"lower"}));
  EXPECT_EQ(split({U"Hello \u53CB\u9054", U"Hello"}, U"Hello \u53CB\u9054 Hello"),
            (Pieces{U"Hello \u53CB\u9054", U" ", U"Hello"}));
}

// Quirk of the reference (reproduced on purpose): a partial match that already failed stays in
// the lookahead with its stale position, so the cut can produce a piece that is no token at all.
TEST(TokenizerTrie, StalePartialMatchQuirk) {
  EXPECT_EQ(split({U"abc", U"b", U"ba", U"cc"}, U"abaca"), (Pieces{U"abac", U"a"}));
  EXPECT_EQ(split({U"abb", U"b", U"cab"}, U"babcba"), (Pieces{U"b", U"abcb", U"a"}));
}
