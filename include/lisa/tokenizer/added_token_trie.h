#pragma once
// Splits text on the tokenizer's added and special tokens, with the exact semantics of the
// `Trie` in transformers 4.31 tokenization_utils.py: one left-to-right pass over code points,
// the first completed match wins, but a lookahead from that point prefers the longest match among
// the partial matches that started at or before it ("[CLS]" beats "L"; "extra_id_100" beats
// "extra_id_1"). The pieces, concatenated, are the input.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lisa::tokenizer {

class AddedTokenTrie {
 public:
  // Adding a word twice, or an empty word, changes nothing.
  void add(std::u32string_view word);
  std::vector<std::u32string> split(std::u32string_view text) const;

 private:
  struct Node {
    std::map<char32_t, int> children;
    bool terminal = false;
  };
  // Index of the child of `node` for `c`, or -1.
  int child(int node, char32_t c) const;

  std::vector<Node> nodes_{1};  // nodes_[0] is the root
};

}  // namespace lisa::tokenizer
