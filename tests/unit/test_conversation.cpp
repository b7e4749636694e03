// Prompts as LISA's conversation.py, chat.py and ValDataset build them.
#include <gtest/gtest.h>

#include "lisa/error.h"
#include "lisa/tokenizer/chat_prompt.h"
#include "lisa/tokenizer/conversation.h"
#include "lisa/tokenizer/eval_prompt.h"

using namespace lisa::tokenizer;

namespace {
const std::string kV1System =
    "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, "
    "detailed, and polite answers to the human's questions.";
const std::string kLlama2System =
    "[INST] <<SYS>>\nYou are a helpful language and vision assistant. You are able to understand the visual "
    "content that the user provides, and assist the user with a variety of tasks using natural language.\n"
    "<</SYS>>\n\n";
}  // namespace

TEST(Conversation, KnownTemplatesOnly) {
  EXPECT_EQ(conversation_template("llava_v1").style, SeparatorStyle::kTwo);
  EXPECT_EQ(conversation_template("llava_llama_2").style, SeparatorStyle::kLlama2);
  try {
    conversation_template("vicuna");
    ADD_FAILURE() << "no error";
  } catch (const lisa::Error& e) {
    EXPECT_NE(std::string(e.what()).find("llava_v1"), std::string::npos) << e.what();
  }
}

TEST(Conversation, ChatMessageWrapsTheImageToken) {
  EXPECT_EQ(chat_user_message("What is this?", true), "<im_start><image><im_end>\nWhat is this?");
  EXPECT_EQ(chat_user_message("What is this?", false), "<image>\nWhat is this?");
  // str.replace touches an "<image>" the user typed as well.
  EXPECT_EQ(chat_user_message("<image>", true), "<im_start><image><im_end>\n<im_start><image><im_end>");
}

TEST(Conversation, LlavaV1ChatPrompt) {
  ChatPrompt chat(conversation_template("llava_v1"), true);
  EXPECT_EQ(chat.ask("What is this?"), kV1System + " USER: <im_start><image><im_end>\nWhat is this? ASSISTANT:");
}

// TWO style: " " after user turns, "</s>" after answers; the image only in the first question.
TEST(Conversation, LlavaV1ContinuesWithTheDecodedAnswer) {
  ChatPrompt chat(conversation_template("llava_v1"), true);
  chat.ask("What is this?");
  EXPECT_THROW(chat.ask("Too early"), lisa::InternalError);
  chat.answer("It is [SEG] .");
  EXPECT_EQ(chat.ask("And this?"), kV1System +
                                        " USER: <im_start><image><im_end>\nWhat is this? ASSISTANT: It is [SEG] .</s>"
                                        "USER: And this? ASSISTANT:");
}

// LLAMA_2 style: the system text goes inside the first [INST]; no trailing text after [/INST].
TEST(Conversation, LlavaLlama2ChatPrompt) {
  ChatPrompt chat(conversation_template("llava_llama_2"), true);
  EXPECT_EQ(chat.ask("What is this?"), kLlama2System + "<im_start><image><im_end>\nWhat is this? [/INST]");
  chat.answer("It is [SEG] .");
  EXPECT_EQ(chat.ask("And this?"),
            kLlama2System + "<im_start><image><im_end>\nWhat is this? [/INST] It is [SEG] . </s><s>[INST] And this? [/INST]");
}

TEST(Conversation, Llama2NeedsAUserMessageFirst) {
  Conversation conversation(conversation_template("llava_llama_2"));
  EXPECT_THROW(conversation.prompt(), lisa::InternalError);
  conversation.append_message(Role::kAssistant, "hi");
  EXPECT_THROW(conversation.prompt(), lisa::InternalError);
}

TEST(Conversation, AnswerNeedsAnOpenSlot) {
  ChatPrompt chat(conversation_template("llava_v1"), true);
  EXPECT_THROW(chat.answer("nothing was asked"), lisa::InternalError);
}

TEST(Conversation, ReasonSegEvalPrompts) {
  const auto& v1 = conversation_template("llava_v1");
  EXPECT_EQ(reason_seg_eval_prompt(v1, " the dog \n", false, true),
            kV1System + " USER: <im_start><image><im_end>\n What is the dog in this image? Please output "
                        "segmentation mask. ASSISTANT: [SEG].</s>");
  EXPECT_EQ(reason_seg_eval_prompt(v1, "Where would you sit?", true, false),
            kV1System + " USER: <image>\n Where would you sit? Please output segmentation mask. ASSISTANT: [SEG].</s>");
  EXPECT_EQ(reason_seg_eval_prompt(conversation_template("llava_llama_2"), "the dog", false, false),
            kLlama2System + "<image>\n What is the dog in this image? Please output segmentation mask. [/INST] [SEG]. </s>");
}
