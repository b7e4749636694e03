#include "lisa/tokenizer/added_token_trie.h"

#include <utility>

namespace lisa::tokenizer {

void AddedTokenTrie::add(std::u32string_view word) {
  if (word.empty()) return;
  int node = 0;
  for (char32_t c : word) {
    int next = child(node, c);
    if (next < 0) {
      next = static_cast<int>(nodes_.size());
      nodes_[node].children.emplace(c, next);
      nodes_.emplace_back();
    }
    node = next;
  }
  nodes_[node].terminal = true;
}

int AddedTokenTrie::child(int node, char32_t c) const {
  const auto& children = nodes_[node].children;
  const auto it = children.find(c);
  return it == children.end() ? -1 : it->second;
}

// A transcription of the reference algorithm, quirks included: partial matches that already
// failed on the current character still take part in the lookahead with their stale position,
// and the cut offsets come out of the same running (start, end) variables the reference reuses.
std::vector<std::u32string> AddedTokenTrie::split(std::u32string_view text) const {
  const size_t length = text.size();
  // Partial matches: (start index, trie node reached), in insertion (= ascending start) order.
  std::vector<std::pair<size_t, int>> states;
  std::vector<size_t> offsets{0};
  size_t skip = 0;

  for (size_t current = 0; current < length; ++current) {
    const char32_t current_char = text[current];
    if (skip && current < skip) continue;  // inside a match the lookahead already consumed

    std::vector<size_t> to_remove;
    bool reset = false;
    for (auto& [state_start, state_node] : states) {
      if (nodes_[state_node].terminal) {
        size_t start = state_start;
        size_t end = 0;
        for (const auto& [look_start, look_node_initial] : states) {
          if (look_start > start) break;
          int look_node = look_node_initial;
          size_t lookahead = look_start < start ? current + 1 : current;
          end = lookahead;
          if (nodes_[look_node].terminal) {
            start = look_start;
            end = lookahead;
            skip = lookahead;
          }
          while (lookahead < length) {
            const int next = child(look_node, text[lookahead]);
            if (next < 0) break;
            look_node = next;
            ++lookahead;
            if (nodes_[look_node].terminal) {
              start = look_start;
              end = lookahead;
              skip = lookahead;
            }
          }
        }
        offsets.push_back(start);
        offsets.push_back(end);
        reset = true;
        break;
      }
      const int next = child(state_node, current_char);
      if (next >= 0) {
        state_node = next;
      } else {
        to_remove.push_back(state_start);
      }
    }

    if (reset) {
      states.clear();
    } else if (!to_remove.empty()) {
      std::vector<std::pair<size_t, int>> kept;
      for (const auto& state : states) {
        bool removed = false;
        for (size_t start : to_remove) removed = removed || state.first == start;
        if (!removed) kept.push_back(state);
      }
      states = std::move(kept);
    }

    if (current >= skip) {
      const int next = child(0, current_char);
      if (next >= 0) states.emplace_back(current, next);
    }
  }

  // A match still open at the end of the text: the earliest completed one is the longest.
  for (const auto& [start, node] : states) {
    if (nodes_[node].terminal) {
      offsets.push_back(start);
      offsets.push_back(length);
      break;
    }
  }

  // cut_text: zero-width and backwards cuts are skipped, as the reference does.
  offsets.push_back(length);
  std::vector<std::u32string> pieces;
  size_t start = 0;
  for (size_t end : offsets) {
    if (start >= end) continue;
    pieces.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

}  // namespace lisa::tokenizer
