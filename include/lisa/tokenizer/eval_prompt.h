#pragma once
// The teacher-forced ReasonSeg evaluation prompt (utils/dataset.py ValDataset + collate_fn):
// one user turn about the image and the fixed answer "[SEG].".
#include <string>
#include <string_view>

#include "lisa/tokenizer/conversation.h"

namespace lisa::tokenizer {

inline constexpr const char* kEvalAnswer = "[SEG].";

// `text` is the first entry of the sample's JSON "text" list; it is str.strip()ped first. With
// is_sentence the question is "<image>\n {text} Please output segmentation mask.", otherwise
// "<image>\n What is {text} in this image? Please output segmentation mask." (the space after the
// newline is the reference's). With use_mm_start_end every "<image>" of the finished prompt is
// wrapped as "<im_start><image><im_end>".
// The question after "<image>\n" (with the reference's leading space): what a chat turn asks when
// the evaluation lets the model answer freely.
std::string reason_seg_question(std::string_view text, bool is_sentence);
// "<image>\n" + reason_seg_question(text, is_sentence): ValDataset's user turn.
std::string reason_seg_user_message(std::string_view text, bool is_sentence);
std::string reason_seg_eval_prompt(const ConversationTemplate& conversation_template, std::string_view text,
                                   bool is_sentence, bool use_mm_start_end);

}  // namespace lisa::tokenizer
