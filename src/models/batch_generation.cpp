#include "lisa/models/batch_generation.h"

#include <string>

#include "lisa/error.h"
#include "models/generation_parts.h"

namespace lisa::models {

namespace {

// A sequence being decoded: `hidden` predicts `token` (still on the device).
struct Row {
  at::Tensor hidden, token;
  GreedyResult result;
  std::vector<at::Tensor> seg_hidden;
};

// The prefill of one sequence, as generate_greedy makes it.
Row prefill(const LlamaModel& model, const BatchSequence& sequence, int64_t seg_token_id) {
  const at::Tensor hidden = model.forward(sequence.prompt->embeds, *sequence.cache);  // [1, T, H]
  Row row;
  row.seg_hidden.push_back(seg_rows(hidden, *sequence.prompt, seg_token_id, 0));
  row.hidden = hidden[0][-1];
  row.result.prefill_logits = model.logits(row.hidden);
  row.token = row.result.prefill_logits.argmax();
  return row;
}

// Reads the tokens of `items` on the host, records them, and returns the items that go on.
std::vector<size_t> take_tokens(std::vector<Row>& rows, const std::vector<size_t>& items,
                                const std::vector<BatchSequence>& sequences, const BatchGreedyOptions& options) {
  std::vector<at::Tensor> tokens;
  for (size_t item : items) tokens.push_back(rows[item].token.view({1}));
  const at::Tensor host = at::cat(tokens).to(at::kCPU);  // one synchronisation for the batch
  std::vector<size_t> going_on;
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t item = items[i];
    Row& row = rows[item];
    const int64_t token = host[static_cast<int64_t>(i)].item<int64_t>();
    row.result.tokens.push_back(token);
    if (options.on_token) options.on_token(item, token);
    if (token == options.seg_token_id) row.seg_hidden.push_back(row.hidden.unsqueeze(0));
    const bool room = static_cast<int64_t>(row.result.tokens.size()) < sequences[item].max_new_tokens;
    const bool eos = sequences[item].stop_at_eos && is_eos(options.eos_token_ids, token);
    const bool stopped = options.should_stop && options.should_stop(item);
    if (room && !eos && !stopped) going_on.push_back(item);
  }
  return going_on;
}

// One batched step of `items`: their tokens in, the next hidden states and tokens out.
void step(const LlamaModel& model, std::vector<Row>& rows, const std::vector<size_t>& items,
          const std::vector<BatchSequence>& sequences) {
  std::vector<at::Tensor> tokens;
  std::vector<KvCache*> caches;
  for (size_t item : items) {
    tokens.push_back(rows[item].token.view({1}));
    caches.push_back(sequences[item].cache);
  }
  const at::Tensor hidden = model.step_batch(at::cat(tokens), caches);  // [A, H]
  if (items.size() == 1) {  // alone: the very calls of a batch-1 step (a 1-D lm_head product)
    Row& row = rows[items.front()];
    row.hidden = hidden[0];
    row.token = model.logits(row.hidden).argmax();
    return;
  }
  const at::Tensor next = model.logits(hidden).argmax(-1);  // [A]
  for (size_t i = 0; i < items.size(); ++i) {
    rows[items[i]].hidden = hidden[static_cast<int64_t>(i)];
    rows[items[i]].token = next[static_cast<int64_t>(i)];
  }
}

}  // namespace

std::vector<GreedyResult> generate_greedy_batch(const LlamaModel& model, const std::vector<BatchSequence>& sequences,
                                                const BatchGreedyOptions& options) {
  for (size_t i = 0; i < sequences.size(); ++i) {
    LISA_INTERNAL_ASSERT(sequences[i].prompt && sequences[i].cache, "batch sequence ", i, " without prompt or cache");
    for (size_t j = 0; j < i; ++j)
      LISA_INTERNAL_ASSERT(sequences[i].cache != sequences[j].cache, "batch sequences ", j, " and ", i,
                           " share a KV cache");
    check_generation_room(*sequences[i].cache, *sequences[i].prompt, sequences[i].max_new_tokens);
  }
  std::vector<Row> rows;
  std::vector<size_t> active;
  for (size_t i = 0; i < sequences.size(); ++i) {
    rows.push_back(prefill(model, sequences[i], options.seg_token_id));
    if (options.on_prefilled) options.on_prefilled(i);
    active.push_back(i);
  }
  while (true) {
    active = take_tokens(rows, active, sequences, options);
    if (active.empty()) break;
    step(model, rows, active, sequences);
    if (options.on_step) options.on_step(active);
  }
  std::vector<GreedyResult> results;
  for (Row& row : rows) {
    row.result.seg_hidden = at::cat(row.seg_hidden);
    results.push_back(std::move(row.result));
  }
  return results;
}

}  // namespace lisa::models
