#include "lisa/tokenizer/chat_prompt.h"

#include "lisa/error.h"
#include "lisa/tokenizer/image_tokens.h"

namespace lisa::tokenizer {

std::string chat_user_message(std::string_view user_text, bool use_mm_start_end, bool with_image) {
  std::string message = with_image ? std::string(kImageToken) + "\n" + std::string(user_text) : std::string(user_text);
  return use_mm_start_end ? wrap_image_tokens(message) : message;
}

ChatPrompt::ChatPrompt(const ConversationTemplate& conversation_template, bool use_mm_start_end)
    : conversation_(conversation_template), use_mm_start_end_(use_mm_start_end) {}

std::string ChatPrompt::ask(std::string_view user_text) {
  const auto& messages = conversation_.messages();
  // A turn that ends unanswered restores the conversation (Session::Turn), so this never happens.
  LISA_INTERNAL_ASSERT(messages.empty() || !messages.back().second.empty(),
                       "chat: the previous question has not been answered yet");
  const bool first_question = messages.empty();
  conversation_.append_message(Role::kUser, chat_user_message(user_text, use_mm_start_end_, first_question));
  conversation_.append_message(Role::kAssistant, "");
  return conversation_.prompt();
}

void ChatPrompt::answer(std::string answer_text) { conversation_.fill_last_answer(std::move(answer_text)); }

}  // namespace lisa::tokenizer
