#include "lisa/models/generation.h"

#include <algorithm>
#include <optional>
#include <string>

#include "lisa/error.h"
#include "models/generation_parts.h"
#include "models/host_token.h"

namespace lisa::models {

// Rows of `hidden` [1, T - first_row, H] (the sequence's rows from `first_row` on) that predict the
// [SEG] ids of `sequence` -> [n, H].
at::Tensor seg_rows(const at::Tensor& hidden, const MultimodalSequence& sequence, int64_t seg_token_id,
                    int64_t first_row) {
  std::vector<int64_t> rows;
  for (size_t k = 1; k < sequence.ids.size(); ++k) {
    if (sequence.ids[k] != seg_token_id) continue;
    rows.push_back(sequence.predicting_row(k) - first_row);
  }
  return hidden[0].index_select(0, at::tensor(rows, at::kLong).to(hidden.device()));
}

void check_generation_room(const KvCache& cache, const MultimodalSequence& prompt, int64_t max_new_tokens) {
  LISA_CHECK(max_new_tokens >= 1, "generation: max_new_tokens must be at least 1, got ", max_new_tokens);
  const int64_t needed = cache.length() + prompt.embeds.size(1) + max_new_tokens - 1;
  LISA_CHECK(needed <= cache.capacity(), "generation: prompt of ", prompt.embeds.size(1), " positions after ",
             cache.length(), " cached ones plus ", max_new_tokens, " new tokens need a context of ", needed,
             ", the KV cache holds ", cache.capacity());
}

bool is_eos(const std::vector<int64_t>& eos_token_ids, int64_t token) {
  return std::find(eos_token_ids.begin(), eos_token_ids.end(), token) != eos_token_ids.end();
}

GreedyResult generate_greedy(const LlamaModel& model, KvCache& cache, const MultimodalSequence& prompt,
                             const GreedyOptions& options) {
  check_generation_room(cache, prompt, options.max_new_tokens);

  // One decoding step: `hidden` [H] is the final hidden state that predicts `token` (its argmax,
  // still on the device: the next step's embedding lookup reads it there).
  struct Step {
    at::Tensor hidden, logits, token;
  };
  const auto step_from = [&](const at::Tensor& hidden) {
    Step step{hidden, model.logits(hidden), {}};
    step.token = step.logits.argmax();
    return step;
  };
  const auto feed = [&](const Step& step) {
    if (options.feed) return step_from(options.feed(step.token, cache));
    return step_from(model.forward(model.embed(step.token.view({1})).unsqueeze(0), cache)[0][0]);
  };

  const at::Tensor prefill = model.forward(prompt.embeds, cache);  // [1, T, H]
  std::vector<at::Tensor> seg_hidden{seg_rows(prefill, prompt, options.seg_token_id, 0)};
  Step current = step_from(prefill[0][-1]);
  if (options.on_prefilled) options.on_prefilled();

  GreedyResult result;
  result.prefill_logits = current.logits;
  HostToken host_token(model.device());
  while (true) {
    host_token.start(current.token);
    const bool room = static_cast<int64_t>(result.tokens.size()) + 1 < options.max_new_tokens;
    // Queue the next step before reading this token, so that the device works while the host waits.
    std::optional<Step> ahead;
    if (room && options.queue_ahead) ahead = feed(current);
    const int64_t token = host_token.wait();
    result.tokens.push_back(token);
    if (options.on_token) options.on_token(token);
    if (token == options.seg_token_id) seg_hidden.push_back(current.hidden.unsqueeze(0));
    if (is_eos(options.eos_token_ids, token) || !room) {
      if (ahead) cache.truncate(cache.length() - 1);  // the step queued after EOS never happened
      break;
    }
    current = ahead ? std::move(*ahead) : feed(current);
  }
  result.seg_hidden = at::cat(seg_hidden);
  return result;
}

at::Tensor teacher_forced_seg_hidden_reusing(const LlamaModel& model, KvCache& cache,
                                             const MultimodalSequence& sequence, int64_t seg_token_id,
                                             int64_t reused_rows) {
  // The session reuses the rows its question shares with the forced prompt (shared_prefix_rows).
  LISA_INTERNAL_ASSERT(reused_rows >= 0 && reused_rows < sequence.embeds.size(1) && reused_rows <= cache.length(),
                       "teacher-forced pass: cannot reuse ", reused_rows, " cached rows of a ",
                       sequence.embeds.size(1), "-row sequence with ", cache.length(), " cached");
  // A [SEG] predicted from a reused row needs that row's hidden state: recompute from there.
  for (size_t k = 1; k < sequence.ids.size(); ++k)
    if (sequence.ids[k] == seg_token_id) reused_rows = std::min(reused_rows, sequence.predicting_row(k));
  cache.truncate(reused_rows);
  const at::Tensor hidden = model.forward(sequence.embeds.slice(1, reused_rows), cache);
  return seg_rows(hidden, sequence, seg_token_id, reused_rows);
}

at::Tensor teacher_forced_seg_hidden(const LlamaModel& model, KvCache& cache, const MultimodalSequence& sequence,
                                     int64_t seg_token_id) {
  return seg_rows(model.forward(sequence.embeds, cache), sequence, seg_token_id, 0);
}

}  // namespace lisa::models
