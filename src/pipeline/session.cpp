#include "lisa/pipeline/session.h"

#include <algorithm>
#include <iterator>

#include "lisa/error.h"
#include "lisa/image/clip_preprocess.h"
#include "lisa/models/generation.h"
#include "lisa/models/multimodal.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/tokenizer/chat_prompt.h"
#include "lisa/tokenizer/display_text.h"
#include "lisa/tokenizer/image_tokens.h"
#include "lisa/tokenizer/tokenizer.h"
#include "decoder.h"
#include "models.h"
#include "sam_encoding.h"
#include "stopwatch.h"
#include "text_stream.h"
#include "turn.h"

namespace lisa::pipeline {

namespace {
// The answer LISA is made to give when --force-seg asks for a mask the model did not produce.
constexpr const char* kForcedAnswer = "Sure, [SEG].";

void stop_if_asked(const AskOptions& options) {
  if (options.stop_requested && options.stop_requested()) throw AskStopped();
}

bool has_image_placeholder(const std::vector<int64_t>& ids) {
  return std::find(ids.begin(), ids.end(), tokenizer::kImageTokenIndex) != ids.end();
}

// Embedding rows of `sequence` covered by the ids it shares with `prefix_ids` from the start, when
// that shared part extends past the image placeholder (0 otherwise: nothing worth reusing).
int64_t shared_prefix_rows(const std::vector<int64_t>& prefix_ids, const models::MultimodalSequence& sequence) {
  size_t shared = 0;
  while (shared < prefix_ids.size() && shared < sequence.ids.size() && prefix_ids[shared] == sequence.ids[shared])
    ++shared;
  const auto placeholder = std::find(sequence.ids.begin(), sequence.ids.end(), tokenizer::kImageTokenIndex);
  if (placeholder == sequence.ids.end() || shared < static_cast<size_t>(placeholder - sequence.ids.begin()) + 2)
    return 0;
  return sequence.predicting_row(shared) + 1;  // the rows of ids[0, shared)
}

}  // namespace

Session::Session(Context& context, image::Image image)
    : engine_(&context.engine()), context_(&context), image_(std::make_shared<const image::Image>(std::move(image))) {
  const Engine& engine = *engine_;
  const auto& models = engine.models();
  Stopwatch watch(engine.device());
  const at::Tensor pixels = image::clip_preprocess(*image_, engine.clip_preprocess_config())
                                .to(engine.device(), scalar_type(engine.precision()));
  open_timings_.preprocess_ms = watch.lap();
  clip_rows_ = models.projector(models.clip.forward(pixels))[0];  // [256, H]
  open_timings_.clip_ms = watch.lap();
  open_timings_.total_ms = open_timings_.preprocess_ms + open_timings_.clip_ms;
  sam_ = std::make_unique<SamEncoding>(engine, image_);
}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

void Session::reset() { chat_.reset(); }

size_t Session::memory_bytes() const { return image_->size_bytes() + clip_rows_.nbytes() + sam_->memory_bytes(); }

tokenizer::ChatPrompt& Session::chat() {
  if (!chat_) chat_ = std::make_unique<tokenizer::ChatPrompt>(engine_->conversation_template(), engine_->use_mm_start_end());
  return *chat_;
}

void Session::add_turn(const std::string& user_text, std::string answer_text) {
  chat().ask(user_text);
  chat_->answer(std::move(answer_text));
}

std::string Session::answer_text(const std::vector<int64_t>& token_ids) const {
  TextStream stream(engine_->tokenizer(), engine_->eos_token_ids(), {});
  for (const int64_t token : token_ids) stream.push(token);
  return stream.text();
}

StageTimings Session::start_timings() {
  if (open_timings_reported_) return {};
  open_timings_reported_ = true;
  return open_timings_;
}

void Session::masks_for(const at::Tensor& seg_hidden, const MaskOptions& options, Answer& answer) {
  answer.mask_count = seg_hidden.size(0);
  if (answer.mask_count == 0) return;
  LISA_CHECK(options.chunk_size > 0, "the mask chunk size must be positive, not ", options.chunk_size);
  const auto& models = engine_->models();
  const SamEncoding::Result& sam = sam_->get();
  StageTimings& timings = answer.timings;
  if (!sam_timings_reported_) {  // charged to the first answer with a mask, like the work itself
    timings.preprocess_ms += sam.preprocess_ms;
    timings.sam_encoder_ms = sam.encoder_ms;
    sam_timings_reported_ = true;
  }
  Stopwatch watch(engine_->device());
  for (int64_t first = 0; first < answer.mask_count; first += options.chunk_size) {
    const at::Tensor rows = seg_hidden.narrow(0, first, std::min(options.chunk_size, answer.mask_count - first));
    const auto prediction = models.sam.decode(sam.embedding, models.text_hidden_fcs(rows));
    timings.sam_decode_ms += watch.lap();
    const at::Tensor logits = models.sam.postprocess(prediction.low_res_logits, sam.input.resize_size, image_->size())
                                  .to(at::kCPU);  // [chunk, 1, H, W] float32
    const at::Tensor scores = prediction.iou.to(at::kCPU, at::kFloat);
    std::vector<SegMask> chunk;
    for (int64_t i = 0; i < logits.size(0); ++i) {
      SegMask mask;
      mask.logits = logits[i][0];
      mask.binary = mask.logits > 0;
      mask.score = scores[i].item<float>();
      chunk.push_back(std::move(mask));
    }
    timings.postprocess_ms += watch.lap();
    if (options.on_chunk) {
      options.on_chunk(first, chunk);
      watch.lap();  // the caller's time is not the engine's
    } else {
      std::move(chunk.begin(), chunk.end(), std::back_inserter(answer.masks));
    }
  }
}

std::unique_ptr<Session::Turn> Session::begin_turn(const std::string& user_text, const AskOptions& options) {
  const auto& engine = *engine_;
  const auto& tok = engine.tokenizer();
  // Made before the question joins the conversation: a turn that ends unanswered restores it.
  auto turn = std::make_unique<Turn>(engine.device(), TextStream(tok, engine.eos_token_ids(), options.on_text), chat());
  turn->answer.timings = start_timings();
  sam_->start();  // CUDA: the SAM encoder runs alongside the LLM
  const std::string prompt = chat_->ask(user_text);
  turn->ids = tok.tokenize_with_image(prompt);
  const auto& llama = engine.models().llama;
  turn->sequence = models::splice_image(llama, turn->ids, has_image_placeholder(turn->ids) ? clip_rows_ : at::Tensor());
  turn->positions = turn->sequence.embeds.size(1) + options.max_new_tokens;
  LISA_CHECK(turn->positions <= engine.max_positions(), "the conversation needs ", turn->positions, " positions (prompt ",
             turn->sequence.embeds.size(1), " + max_new_tokens ", options.max_new_tokens, "), the model allows ",
             engine.max_positions(), ": start a new conversation or lower --max-new-tokens");
  return turn;
}

Answer Session::ask(const std::string& user_text, const AskOptions& options) {
  const auto& engine = *engine_;
  auto turn = begin_turn(user_text, options);
  Answer& answer = turn->answer;
  models::KvCache& cache = context_->decoder().cache_for(turn->positions);
  answer.timings.preprocess_ms += turn->watch.lap();

  models::GreedyOptions greedy;
  greedy.max_new_tokens = options.max_new_tokens;
  if (!options.ignore_eos) greedy.eos_token_ids = engine.eos_token_ids();
  greedy.seg_token_id = engine.tokenizer().seg_token_id();
  greedy.queue_ahead = engine.device().is_cuda();
  greedy.feed = context_->decoder().feed();
  greedy.on_prefilled = [&] { answer.timings.prefill_ms = turn->watch.lap(); };
  greedy.on_token = [&](int64_t token) {
    turn->stream.push(token);
    stop_if_asked(options);
  };
  const auto result = models::generate_greedy(engine.models().llama, cache, turn->sequence, greedy);
  answer.timings.decode_ms = turn->watch.lap();
  Answer finished = finish_turn(*turn, result, cache, options);
  finished.timings.total_ms += turn->total.lap();
  return finished;
}

Answer Session::finish_turn(Turn& turn, const models::GreedyResult& result, models::KvCache& cache,
                            const AskOptions& options) {
  const auto& engine = *engine_;
  const auto& tok = engine.tokenizer();
  const auto& llama = engine.models().llama;
  Answer answer = std::move(turn.answer);
  answer.timings.decode_tokens = static_cast<int64_t>(result.tokens.size()) - 1;
  answer.token_ids = result.tokens;
  answer.text = tokenizer::display_text(turn.stream.text());

  at::Tensor seg_hidden = result.seg_hidden;
  if (seg_hidden.size(0) == 0 && options.force_seg) {
    tokenizer::Conversation forced = chat_->conversation();
    forced.fill_last_answer(kForcedAnswer);
    const auto forced_ids = tok.tokenize_with_image(forced.prompt());
    const auto forced_sequence =
        models::splice_image(llama, forced_ids, has_image_placeholder(forced_ids) ? clip_rows_ : at::Tensor());
    // The forced prompt repeats the question's ids; their keys/values are in the cache already.
    const int64_t reused_rows = shared_prefix_rows(turn.ids, forced_sequence);
    if (reused_rows > 0 && forced_sequence.embeds.size(1) <= cache.capacity()) {
      seg_hidden = models::teacher_forced_seg_hidden_reusing(llama, cache, forced_sequence, tok.seg_token_id(),
                                                            reused_rows);
    } else {
      auto forced_cache = llama.make_cache(forced_sequence.embeds.size(1));
      seg_hidden = models::teacher_forced_seg_hidden(llama, forced_cache, forced_sequence, tok.seg_token_id());
    }
    answer.forced_seg = true;
    answer.timings.prefill_ms += turn.watch.lap();
  }
  stop_if_asked(options);
  chat_->answer(turn.stream.text());
  turn.answered = true;
  masks_for(seg_hidden, options.masks, answer);
  return answer;
}

Answer Session::teacher_forced(const std::string& prompt, const MaskOptions& masks) {
  const auto& engine = *engine_;
  Stopwatch total(engine.device());
  Stopwatch watch(engine.device());
  Answer answer;
  answer.timings = start_timings();
  sam_->start();  // CUDA: the SAM encoder runs alongside the LLM
  const std::vector<int64_t> ids = engine.tokenizer().tokenize_with_image(prompt);
  const auto& llama = engine.models().llama;
  const auto sequence = models::splice_image(llama, ids, has_image_placeholder(ids) ? clip_rows_ : at::Tensor());
  LISA_CHECK(sequence.embeds.size(1) <= engine.max_positions(), "the prompt needs ", sequence.embeds.size(1),
             " positions, the model allows ", engine.max_positions());
  auto cache = llama.make_cache(sequence.embeds.size(1));
  answer.timings.preprocess_ms += watch.lap();
  const at::Tensor seg_hidden =
      models::teacher_forced_seg_hidden(llama, cache, sequence, engine.tokenizer().seg_token_id());
  answer.timings.prefill_ms = watch.lap();
  answer.token_ids = ids;
  masks_for(seg_hidden, masks, answer);
  answer.timings.total_ms += total.lap();
  return answer;
}

}  // namespace lisa::pipeline
