#pragma once
// The LLM's working memory across questions: one KV cache, grown when a question needs more
// positions and otherwise reused (no fresh allocation per question), and on CUDA the recorded
// graph of the decoding step over it, replayed by every later question instead of recorded again.
// Shared by all sessions of an Engine: an Engine answers one question at a time.
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "lisa/models/decode_graph.h"
#include "lisa/models/kv_cache.h"
#include "lisa/models/llama.h"

namespace lisa::pipeline {

class Decoder {
 public:
  // cuda_graphs: record the decoding step where DecodeGraph::supported() and the model is on CUDA.
  Decoder(const models::LlamaModel& llama, bool cuda_graphs);

  // The cache, emptied, with room for at least `positions` (<= max_position_embeddings).
  models::KvCache& cache_for(int64_t positions);
  // GreedyOptions::feed: the graph's step, or empty (the model's own forward).
  std::function<at::Tensor(const at::Tensor&, models::KvCache&)> feed();
  bool uses_cuda_graphs() const { return graph_ != nullptr; }

  // Context::ask_batch: `count` distinct caches, emptied, each with room for `positions`; all of
  // one capacity (positions rounded up as for cache_for), kept for the next batch when they fit it.
  // Never recorded into a graph (batched steps launch their kernels). Separate from cache_for's.
  std::vector<models::KvCache*> batch_caches(size_t count, int64_t positions);
  // The capacity batch_caches gives for `positions`, and the bytes of one cache of that capacity.
  int64_t capacity_for(int64_t positions) const;
  int64_t cache_bytes(int64_t capacity) const;

 private:
  const models::LlamaModel* llama_;
  std::unique_ptr<models::DecodeGraph> graph_;
  std::optional<models::KvCache> cache_;
  std::vector<models::KvCache> batch_caches_;
};

}  // namespace lisa::pipeline
