#pragma once
// One image and the conversation about it. The image's CLIP rows and SAM embedding are computed
// once and reused by every question; the conversation history grows with each answer.
#include <ATen/ATen.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lisa/image/image.h"
#include "lisa/image/sam_preprocess.h"
#include "lisa/pipeline/answer.h"
#include "lisa/pipeline/options.h"

namespace lisa::tokenizer {
class ChatPrompt;
}
namespace lisa::models {
class KvCache;
struct GreedyResult;
}  // namespace lisa::models

namespace lisa::pipeline {

class Context;
class Engine;
class SamEncoding;

// Made by Context::open; answers through that context, which must outlive the session.
class Session {
 public:
  Session(Context& context, image::Image image);
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // Asks `user_text` about the image, continuing the conversation (chat.py's prompt for the first
  // question), greedy decoding with the KV cache; one mask per [SEG] of the answer.
  Answer ask(const std::string& user_text, const AskOptions& options);
  // LISA's evaluation protocol: one teacher-forced pass over a whole conversation prompt that already
  // holds the answer (e.g. "[SEG]."); one mask per [SEG] in it. The history is not touched.
  Answer teacher_forced(const std::string& prompt, const MaskOptions& masks = {});
  // Forgets the conversation; the image's cached features stay.
  void reset();
  // Adds an earlier turn to the conversation without generating it: `user_text` and the answer it
  // got, as decoded text without EOS (answer_text() of its token ids). The next ask() then sees the
  // same prompt as after asking `user_text` and getting that answer.
  void add_turn(const std::string& user_text, std::string answer_text);
  // The decoded text of generated `token_ids` (EOS dropped) as the conversation stores it: before
  // chat.py's display clean-up (Answer::text has it), which loses newlines and spaces.
  std::string answer_text(const std::vector<int64_t>& token_ids) const;

  const image::Image& image() const { return *image_; }
  // Bytes held for the image: its pixels, CLIP rows and, once computed, the SAM embedding.
  size_t memory_bytes() const;
  image::ImageSize original_size() const { return image_->size(); }
  // Time spent preparing the image when the session opened (CLIP input and features).
  const StageTimings& open_timings() const { return open_timings_; }

 private:
  friend class Context;  // Context::ask_batch answers through begin_turn / finish_turn
  struct Turn;           // one question being answered: src/pipeline/turn.h

  // The question's prompt and embeddings (the history gains the question), checked to fit the
  // model with max_new_tokens (lisa::Error otherwise); preparation timed into the turn's answer.
  std::unique_ptr<Turn> begin_turn(const std::string& user_text, const AskOptions& options);
  // The answer from a generation's result; `cache` is the one it ran on (--force-seg reuses it).
  // Sets everything but decode_ms and total_ms, which the caller charges.
  Answer finish_turn(Turn& turn, const models::GreedyResult& result, models::KvCache& cache,
                     const AskOptions& options);
  // Decodes one mask per row of seg_hidden [n, H], chunk by chunk (see MaskOptions), into `answer`.
  void masks_for(const at::Tensor& seg_hidden, const MaskOptions& options, Answer& answer);
  // The conversation, started on first use.
  tokenizer::ChatPrompt& chat();
  // The timings of a question: the image preparation is charged to the first one.
  StageTimings start_timings();

  const Engine* engine_;
  Context* context_;
  std::shared_ptr<const image::Image> image_;  // shared with a SAM encoding running in the background
  at::Tensor clip_rows_;  // [256, H] projected CLIP features, model dtype
  std::unique_ptr<SamEncoding> sam_;
  bool sam_timings_reported_ = false;
  std::unique_ptr<tokenizer::ChatPrompt> chat_;
  StageTimings open_timings_;
  bool open_timings_reported_ = false;
};

}  // namespace lisa::pipeline
