#pragma once
// Greedy decoding of B prompts at once (batched answering, issue 15). Each prompt is prefilled on its
// own (batch 1: compute-bound already, and exactly the pass generate_greedy makes), then one loop
// decodes every unfinished sequence per step through LlamaModel::step_batch, so that the weights are
// streamed once per step for all of them. A sequence leaves the batch after its own EOS or token
// limit; the others go on. Freed rows are not refilled within a call: the caller's next call starts
// the next group (a new prompt would need its prefill in the middle of the loop).
//
// Per sequence the result is generate_greedy's (tokens, prefill logits, [SEG] hidden states) for the
// same prompt, cache and options; ids agree, the decoding steps' hidden states may differ in the last
// bits when B > 1 (the GEMMs see B rows; docs/batching.md). No CUDA graph: each step launches its
// kernels (graphs per batch size are not recorded yet).
#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "lisa/models/generation.h"
#include "lisa/models/kv_cache.h"
#include "lisa/models/llama.h"
#include "lisa/models/multimodal.h"

namespace lisa::models {

struct BatchSequence {
  const MultimodalSequence* prompt = nullptr;
  KvCache* cache = nullptr;       // its own (distinct per sequence), room as generate_greedy needs
  int64_t max_new_tokens = 512;   // >= 1
  bool stop_at_eos = true;        // false: exactly max_new_tokens tokens (GreedyOptions without EOS)
};

struct BatchGreedyOptions {
  std::vector<int64_t> eos_token_ids;
  int64_t seg_token_id = -1;
  // After sequence `item`'s prefill (and its first token) is computed.
  std::function<void(size_t item)> on_prefilled;
  // Each generated id of sequence `item` as soon as it is read on the host.
  std::function<void(size_t item, int64_t token)> on_token;
  // After each batched decoding step, with the sequences that took part (stage timing).
  std::function<void(const std::vector<size_t>& items)> on_step;
  // Asked for each unfinished sequence after each of its tokens: true makes it leave the batch at
  // once (its result holds the tokens so far; the caller knows it stopped it).
  std::function<bool(size_t item)> should_stop;
};

// Results in the order of `sequences`. Throws lisa::Error before any work when a sequence's cache
// lacks room or max_new_tokens < 1 (callers check per item first: pipeline::Context::ask_batch).
std::vector<GreedyResult> generate_greedy_batch(const LlamaModel& model, const std::vector<BatchSequence>& sequences,
                                                const BatchGreedyOptions& options);

}  // namespace lisa::models
