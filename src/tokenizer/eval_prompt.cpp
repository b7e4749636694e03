#include "lisa/tokenizer/eval_prompt.h"

#include "lisa/tokenizer/image_tokens.h"
#include "lisa/tokenizer/python_str.h"

namespace lisa::tokenizer {

std::string reason_seg_question(std::string_view text, bool is_sentence) {
  const std::string subject = python_strip(text);
  return is_sentence ? " " + subject + " Please output segmentation mask."
                     : " What is " + subject + " in this image? Please output segmentation mask.";
}

std::string reason_seg_user_message(std::string_view text, bool is_sentence) {
  return std::string(kImageToken) + "\n" + reason_seg_question(text, is_sentence);
}

std::string reason_seg_eval_prompt(const ConversationTemplate& conversation_template, std::string_view text,
                                   bool is_sentence, bool use_mm_start_end) {
  const std::string question = reason_seg_user_message(text, is_sentence);
  Conversation conversation(conversation_template);
  conversation.append_message(Role::kUser, question);
  conversation.append_message(Role::kAssistant, kEvalAnswer);
  const std::string prompt = conversation.prompt();
  // collate_fn wraps the image token in the finished prompt (chat.py does it in the message).
  return use_mm_start_end ? wrap_image_tokens(prompt) : prompt;
}

}  // namespace lisa::tokenizer
