#pragma once
// Greedy decoding with a KV cache, and the teacher-forced pass, each returning the hidden states
// LISA turns into masks: for every [SEG] token, the final post-norm hidden state that predicts it.
//
// Matches transformers 4.31 greedy_search as LISA's evaluate() drives it (num_beams=1, no sampling,
// no logits processors): the argmax of the last row's logits (model dtype, first index on ties) is
// appended; generation stops after a token in `eos_token_ids` (which is kept in the output) or after
// max_new_tokens tokens (that count includes the EOS). The reference re-runs the whole sequence at
// every step (use_cache=False); here each step feeds one token through the cache instead.
#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "lisa/models/kv_cache.h"
#include "lisa/models/llama.h"
#include "lisa/models/multimodal.h"

namespace lisa::models {

struct GreedyOptions {
  int64_t max_new_tokens = 512;       // chat.py's value; must be >= 1
  std::vector<int64_t> eos_token_ids;  // from generation_config.json (LLaMA: {2})
  int64_t seg_token_id = -1;           // the `[SEG]` id from added_tokens.json
  // Called once the prompt's pass is queued, before any token is read (stage timing).
  std::function<void()> on_prefilled;
  // Called with each generated id as soon as it is read on the host (streaming).
  std::function<void(int64_t)> on_token;
  // Queue the step of each token on the device before reading the token on the host (one step of
  // lookahead): the device never waits for the host between tokens. The step queued after an EOS is
  // wasted work, undone in the cache; worth it on a GPU, not on the CPU where nothing runs meanwhile.
  // Tokens, hidden states and the final cache are the same either way; on_token then sees the cache
  // one position further.
  bool queue_ahead = false;
  // Feeds a chosen token (int64, one element, on the device) at the cache's next position, commits
  // it and returns the post-norm hidden state [H]. Empty: LlamaModel::forward on its embedding.
  // (A DecodeGraph's step, or LlamaModel::step_at, fit here.)
  std::function<at::Tensor(const at::Tensor& token, KvCache& cache)> feed;
};

struct GreedyResult {
  std::vector<int64_t> tokens;  // generated ids, prompt excluded
  at::Tensor prefill_logits;    // [V], model dtype: logits at the last prompt position
  // [n, H], model dtype: one row per [SEG] of prompt + answer, in order. Like the reference, [SEG]
  // tokens already in the prompt count too (their rows come from the prefill).
  at::Tensor seg_hidden;
};

// Appends `prompt` to `cache` (which may hold an earlier prefix) and decodes. The cache needs room for
// prompt + max_new_tokens - 1 positions beyond what it holds (lisa::Error otherwise, before any work).
// Per step the only host synchronisation is reading the chosen token id (see queue_ahead).
GreedyResult generate_greedy(const LlamaModel& model, KvCache& cache, const MultimodalSequence& prompt,
                             const GreedyOptions& options);

// LISA's model_forward(inference=True): one causal pass over the whole sequence (prompt and answer
// ids), appended to `cache`; returns the [n, H] hidden states predicting each [SEG] id (k >= 1).
at::Tensor teacher_forced_seg_hidden(const LlamaModel& model, KvCache& cache, const MultimodalSequence& sequence,
                                     int64_t seg_token_id);

// The same pass when `cache` already holds the keys/values of the sequence's first `reused_rows`
// rows (e.g. the prompt, after generating an answer to it): the cache is cut back to them (or to the
// first row that predicts a [SEG], whose hidden state is needed) and only the rest is run.
at::Tensor teacher_forced_seg_hidden_reusing(const LlamaModel& model, KvCache& cache,
                                             const MultimodalSequence& sequence, int64_t seg_token_id,
                                             int64_t reused_rows);

}  // namespace lisa::models
