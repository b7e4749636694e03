#pragma once
// One question of a Session being answered, between Session::begin_turn and finish_turn (what ask
// and Context::ask_batch share).
#include <memory>
#include <vector>

#include "lisa/models/multimodal.h"
#include "lisa/pipeline/session.h"
#include "stopwatch.h"
#include "text_stream.h"

namespace lisa::pipeline {

struct Session::Turn {
  Turn(at::Device device, TextStream text) : total(device), watch(device), stream(std::move(text)) {}

  Stopwatch total;  // since the turn began
  Stopwatch watch;  // since the last stage ended
  TextStream stream;
  Answer answer;                       // timings so far (preparation; the image's when it is the first)
  std::vector<int64_t> ids;            // the prompt's ids
  models::MultimodalSequence sequence;  // its embeddings
  int64_t positions = 0;               // prompt + max_new_tokens
};

}  // namespace lisa::pipeline
