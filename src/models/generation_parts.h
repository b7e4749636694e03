#pragma once
// Pieces shared by generate_greedy and generate_greedy_batch (internal to src/models).
#include <ATen/ATen.h>

#include <vector>

#include "lisa/models/kv_cache.h"
#include "lisa/models/multimodal.h"

namespace lisa::models {

// Rows of `hidden` [1, T - first_row, H] (the sequence's rows from `first_row` on) that predict the
// [SEG] ids of `sequence` -> [n, H].
at::Tensor seg_rows(const at::Tensor& hidden, const MultimodalSequence& sequence, int64_t seg_token_id,
                    int64_t first_row);
// lisa::Error unless max_new_tokens >= 1 and `cache` has room for prompt + max_new_tokens - 1 more.
void check_generation_room(const KvCache& cache, const MultimodalSequence& prompt, int64_t max_new_tokens);
bool is_eos(const std::vector<int64_t>& eos_token_ids, int64_t token);

}  // namespace lisa::models
