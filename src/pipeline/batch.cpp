// Context::ask_batch (lisa/pipeline/batch.h).
#include <algorithm>
#include <memory>
#include <string>

#include "lisa/error.h"
#include "lisa/models/batch_generation.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"
#include "lisa/tokenizer/tokenizer.h"
#include "decoder.h"
#include "models.h"
#include "stopwatch.h"
#include "turn.h"

namespace lisa::pipeline {

namespace {

double stage_sum(const StageTimings& t) {
  return t.preprocess_ms + t.clip_ms + t.sam_encoder_ms + t.prefill_ms + t.decode_ms + t.sam_decode_ms +
         t.postprocess_ms;
}

constexpr double kMiB = 1024.0 * 1024.0;

}  // namespace

std::vector<BatchAnswer> Context::ask_batch(const std::vector<BatchQuestion>& questions, const BatchOptions& options) {
  for (size_t i = 0; i < questions.size(); ++i) {
    LISA_CHECK(questions[i].session && questions[i].session->context_ == this, "batch question ", i,
               ": its session was not opened through this context");
    for (size_t j = 0; j < i; ++j)
      LISA_CHECK(questions[i].session != questions[j].session, "batch questions ", j, " and ", i,
                 " are about the same session; a batch continues each conversation once");
  }
  struct Pending {  // a question whose turn has begun
    size_t index;   // in the batch
    std::unique_ptr<Session::Turn> turn;
    double stages_before = 0;  // stage_sum of the timings the turn started with
    double total_before = 0;
  };
  std::vector<BatchAnswer> answers(questions.size());
  std::vector<Pending> pending;
  for (size_t i = 0; i < questions.size(); ++i) {
    try {
      LISA_CHECK(questions[i].options.max_new_tokens >= 1, "max_new_tokens must be at least 1, not ",
                 questions[i].options.max_new_tokens);
      Pending item{i, questions[i].session->begin_turn(questions[i].user_text, questions[i].options)};
      StageTimings& timings = item.turn->answer.timings;
      item.stages_before = stage_sum(timings);
      item.total_before = timings.total_ms;
      timings.preprocess_ms += item.turn->watch.lap();
      pending.push_back(std::move(item));
    } catch (...) {
      answers[i].error = std::current_exception();
    }
  }

  const auto& engine = *engine_;
  const auto& llama = engine.models().llama;
  models::BatchGreedyOptions greedy;
  greedy.eos_token_ids = engine.eos_token_ids();
  greedy.seg_token_id = engine.tokenizer().seg_token_id();

  size_t first = 0;
  while (first < pending.size()) {
    // The longest run of questions whose caches, all of the largest one's capacity, fit the bound.
    size_t end = first;
    int64_t positions = 0;
    while (end < pending.size()) {
      const int64_t wider = std::max(positions, pending[end].turn->positions);
      const int64_t bytes = decoder_->cache_bytes(decoder_->capacity_for(wider)) * static_cast<int64_t>(end - first + 1);
      if (bytes > options.max_kv_cache_bytes) break;
      positions = wider;
      ++end;
    }
    if (end == first) {
      Pending& item = pending[first];
      const int64_t bytes = decoder_->cache_bytes(decoder_->capacity_for(item.turn->positions));
      answers[item.index].error = std::make_exception_ptr(Error(detail::concat(
          "the question needs a KV cache of ", static_cast<int64_t>(bytes / kMiB), " MiB (", item.turn->positions,
          " positions), more than the batch's limit of ", static_cast<int64_t>(options.max_kv_cache_bytes / kMiB),
          " MiB (--max-kv-cache-mib): raise the limit or lower --max-new-tokens")));
      ++first;
      continue;
    }

    const std::vector<models::KvCache*> caches = decoder_->batch_caches(end - first, positions);
    std::vector<models::BatchSequence> sequences;
    for (size_t k = first; k < end; ++k) {
      const AskOptions& ask = questions[pending[k].index].options;
      sequences.push_back({&pending[k].turn->sequence, caches[k - first], ask.max_new_tokens, !ask.ignore_eos});
    }
    Stopwatch watch(engine.device());
    std::vector<size_t> last_step(end - first);
    for (size_t k = 0; k < last_step.size(); ++k) last_step[k] = k;
    const auto charge_decode = [&](const std::vector<size_t>& items) {
      const double share = watch.lap() / static_cast<double>(items.size());
      for (size_t k : items) pending[first + k].turn->answer.timings.decode_ms += share;
    };
    greedy.on_prefilled = [&](size_t k) { pending[first + k].turn->answer.timings.prefill_ms = watch.lap(); };
    greedy.on_token = [&](size_t k, int64_t token) { pending[first + k].turn->stream.push(token); };
    greedy.on_step = [&](const std::vector<size_t>& items) {
      charge_decode(items);
      last_step = items;
    };
    std::vector<bool> stopped(end - first, false);
    greedy.should_stop = [&](size_t k) {
      const AskOptions& ask = questions[pending[first + k].index].options;
      return stopped[k] = ask.stop_requested && ask.stop_requested();
    };
    std::vector<models::GreedyResult> results;
    try {
      results = models::generate_greedy_batch(llama, sequences, greedy);
      charge_decode(last_step);  // reading the last tokens
    } catch (...) {
      for (size_t k = first; k < end; ++k) answers[pending[k].index].error = std::current_exception();
      first = end;
      continue;
    }
    for (size_t k = first; k < end; ++k) {
      Pending& item = pending[k];
      const BatchQuestion& question = questions[item.index];
      if (stopped[k - first]) {  // as Session::ask, a stopped question has no answer
        answers[item.index].error = std::make_exception_ptr(AskStopped());
        continue;
      }
      try {
        item.turn->watch.lap();  // the other questions' time is not this one's
        Answer answer = question.session->finish_turn(*item.turn, results[k - first], *caches[k - first],
                                                      question.options);
        answer.timings.total_ms = item.total_before + stage_sum(answer.timings) - item.stages_before;
        answers[item.index].answer = std::move(answer);
      } catch (...) {
        answers[item.index].error = std::current_exception();
      }
    }
    first = end;
  }
  return answers;
}

}  // namespace lisa::pipeline
