#pragma once
// The image placeholder conventions of LLaVA / LISA (model/llava/constants.py): the prompt text
// marks the image with "<image>", optionally wrapped in "<im_start>" / "<im_end>", and the token ids
// mark it with a negative id that the model replaces by the projected CLIP features.
#include <cstdint>
#include <string>
#include <string_view>

namespace lisa::tokenizer {

inline constexpr const char* kImageToken = "<image>";
inline constexpr const char* kImageStartToken = "<im_start>";
inline constexpr const char* kImageEndToken = "<im_end>";
inline constexpr int64_t kImageTokenIndex = -200;

// Every "<image>" becomes "<im_start><image><im_end>" (str.replace: all occurrences).
std::string wrap_image_tokens(std::string_view text);

}  // namespace lisa::tokenizer
