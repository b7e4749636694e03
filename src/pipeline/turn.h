#pragma once
// One question of a Session being answered, between Session::begin_turn and finish_turn (what ask
// and Context::ask_batch share).
#include <memory>
#include <vector>

#include "lisa/models/multimodal.h"
#include "lisa/pipeline/session.h"
#include "lisa/tokenizer/chat_prompt.h"
#include "stopwatch.h"
#include "text_stream.h"

namespace lisa::pipeline {

struct Session::Turn {
  // `chat` is the session's conversation before the question joins it.
  Turn(at::Device device, TextStream text, tokenizer::ChatPrompt& chat)
      : total(device), watch(device), stream(std::move(text)), chat_(&chat), before_(chat) {}
  // A question that fails or is stopped leaves the conversation as it was.
  ~Turn() {
    if (!answered) *chat_ = before_;
  }
  Turn(const Turn&) = delete;
  Turn& operator=(const Turn&) = delete;

  Stopwatch total;  // since the turn began
  Stopwatch watch;  // since the last stage ended
  TextStream stream;
  Answer answer;                       // timings so far (preparation; the image's when it is the first)
  std::vector<int64_t> ids;            // the prompt's ids
  models::MultimodalSequence sequence;  // its embeddings
  int64_t positions = 0;               // prompt + max_new_tokens
  bool answered = false;               // the answer joined the conversation (finish_turn)

 private:
  tokenizer::ChatPrompt* chat_;
  tokenizer::ChatPrompt before_;
};

}  // namespace lisa::pipeline
