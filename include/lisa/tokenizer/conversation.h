#pragma once
// LLaVA's conversation templates as LISA uses them (model/llava/conversation.py): a system text,
// two roles, and a separator style that decides how get_prompt() joins the turns.
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lisa::tokenizer {

enum class SeparatorStyle {
  kTwo,     // "{system}{sep}USER: {m}{sep}ASSISTANT: {m}{sep2}...": sep after user turns, sep2 after answers
  kLlama2,  // "[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{m} [/INST] {answer} </s><s>[INST] ..."
};

struct ConversationTemplate {
  std::string name;
  std::string system;
  std::array<std::string, 2> roles;  // user, assistant
  SeparatorStyle style;
  std::string sep;
  std::string sep2;
};

// conv_templates[name] for "llava_v1" (the default) and "llava_llama_2"; an error naming the
// supported ones otherwise.
const ConversationTemplate& conversation_template(std::string_view name);

enum class Role : size_t { kUser = 0, kAssistant = 1 };

class Conversation {
 public:
  explicit Conversation(ConversationTemplate conversation_template);

  // An empty message is the open slot that the model's answer will fill.
  void append_message(Role role, std::string message);
  // Conversation.get_prompt() for the template's separator style.
  std::string prompt() const;

  const ConversationTemplate& conversation_template() const { return template_; }
  const std::vector<std::pair<Role, std::string>>& messages() const { return messages_; }
  // Fills the last message, which must be the open assistant slot.
  void fill_last_answer(std::string answer);

 private:
  std::string prompt_two() const;
  std::string prompt_llama2() const;

  ConversationTemplate template_;
  std::vector<std::pair<Role, std::string>> messages_;
};

}  // namespace lisa::tokenizer
