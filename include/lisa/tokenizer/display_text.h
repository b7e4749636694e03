#pragma once
// chat.py's clean-up of the decoded answer before printing it.
#include <string>
#include <string_view>

namespace lisa::tokenizer {

// text.replace("\n", "").replace("  ", " "): newlines removed, then each pair of spaces (taken
// left to right, not repeatedly) becomes one, so four spaces become two.
std::string display_text(std::string_view decoded);

}  // namespace lisa::tokenizer
