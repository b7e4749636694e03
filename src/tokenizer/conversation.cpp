#include "lisa/tokenizer/conversation.h"

#include "lisa/error.h"

namespace lisa::tokenizer {

namespace {

const std::vector<ConversationTemplate>& templates() {
  static const std::vector<ConversationTemplate> kTemplates = {
      {"llava_v1",
       "A chat between a curious human and an artificial intelligence assistant. "
       "The assistant gives helpful, detailed, and polite answers to the human's questions.",
       {"USER", "ASSISTANT"},
       SeparatorStyle::kTwo,
       " ",
       "</s>"},
      {"llava_llama_2",
       "You are a helpful language and vision assistant. "
       "You are able to understand the visual content that the user provides, "
       "and assist the user with a variety of tasks using natural language.",
       {"USER", "ASSISTANT"},
       SeparatorStyle::kLlama2,
       "<s>",
       "</s>"},
  };
  return kTemplates;
}

// Python's str.lstrip(chars): removes leading characters that occur anywhere in `chars`.
std::string lstrip_characters(const std::string& text, const std::string& chars) {
  const size_t begin = text.find_first_not_of(chars);
  return begin == std::string::npos ? std::string() : text.substr(begin);
}

}  // namespace

const ConversationTemplate& conversation_template(std::string_view name) {
  std::string known;
  for (const auto& candidate : templates()) {
    if (candidate.name == name) return candidate;
    known += (known.empty() ? "" : ", ") + candidate.name;
  }
  throw Error(detail::concat("unknown conversation template '", name, "' (supported: ", known, ")"));
}

Conversation::Conversation(ConversationTemplate conversation_template)
    : template_(std::move(conversation_template)) {}

void Conversation::append_message(Role role, std::string message) {
  messages_.emplace_back(role, std::move(message));
}

void Conversation::fill_last_answer(std::string answer) {
  LISA_INTERNAL_ASSERT(!messages_.empty() && messages_.back().first == Role::kAssistant && messages_.back().second.empty(),
                       "conversation: there is no open assistant turn to fill with an answer");
  messages_.back().second = std::move(answer);
}

std::string Conversation::prompt() const {
  return template_.style == SeparatorStyle::kTwo ? prompt_two() : prompt_llama2();
}

// SeparatorStyle.TWO: the separator alternates by message position (not by role); an empty
// message ends the prompt with "ROLE:" and no space.
std::string Conversation::prompt_two() const {
  std::string prompt = template_.system + template_.sep;
  for (size_t i = 0; i < messages_.size(); ++i) {
    const auto& [role, message] = messages_[i];
    const std::string& role_name = template_.roles[static_cast<size_t>(role)];
    if (message.empty()) {
      prompt += role_name + ":";
    } else {
      prompt += role_name + ": " + message + (i % 2 == 0 ? template_.sep : template_.sep2);
    }
  }
  return prompt;
}

// SeparatorStyle.LLAMA_2: the system text is wrapped into the first user message only; user turns
// (even positions) become "{sep}[INST] {m} [/INST]", answers " {m} {sep2}", an empty slot adds nothing.
std::string Conversation::prompt_llama2() const {
  // ChatPrompt and the eval prompts always start with the user's question, which holds the image token.
  LISA_INTERNAL_ASSERT(!messages_.empty() && !messages_.front().second.empty() && messages_.front().first == Role::kUser,
                       "conversation '", template_.name, "': the first message must be a non-empty user message");
  std::string prompt;
  for (size_t i = 0; i < messages_.size(); ++i) {
    std::string message = messages_[i].second;
    if (message.empty()) continue;
    if (i == 0) message = "<<SYS>>\n" + template_.system + "\n<</SYS>>\n\n" + message;
    if (i % 2 == 0) {
      prompt += template_.sep + "[INST] " + message + " [/INST]";
    } else {
      prompt += " " + message + " " + template_.sep2;
    }
  }
  // Quirk: the reference calls ret.lstrip(sep), which strips the CHARACTERS '<', 's', '>' from the
  // left, not the prefix "<s>". The prompt always starts "<s>[INST]", so only "<s>" goes.
  return lstrip_characters(prompt, template_.sep);
}

}  // namespace lisa::tokenizer
