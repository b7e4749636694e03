#pragma once
// The prompts of an image chat, as chat.py builds them: the user's text becomes
// "<image>\n{text}" (with "<image>" then wrapped as "<im_start><image><im_end>" when the model
// uses image start/end tokens), followed by an empty assistant slot.
//
// chat.py starts a fresh conversation for every question. ChatPrompt can also continue one: each
// earlier answer is stored, as its decoded text, in the assistant slot it filled, and the next
// question is appended after it, the way the reference's Conversation formats several turns. Only
// the first question carries the image.
#include <string>
#include <string_view>

#include "lisa/tokenizer/conversation.h"

namespace lisa::tokenizer {

// "<image>\n" + user_text, then every "<image>" (the user's own included, as str.replace does)
// replaced by "<im_start><image><im_end>" when use_mm_start_end.
std::string chat_user_message(std::string_view user_text, bool use_mm_start_end, bool with_image = true);

class ChatPrompt {
 public:
  ChatPrompt(const ConversationTemplate& conversation_template, bool use_mm_start_end);

  // Appends the question and the open answer slot; returns the whole prompt to tokenize with
  // Tokenizer::tokenize_with_image. The previous question must have been answered.
  std::string ask(std::string_view user_text);
  // Stores the decoded answer (without the EOS token) of the last question.
  void answer(std::string answer_text);

  const Conversation& conversation() const { return conversation_; }

 private:
  Conversation conversation_;
  bool use_mm_start_end_;
};

}  // namespace lisa::tokenizer
