#include "decoder.h"

#include <algorithm>

namespace lisa::pipeline {

namespace {
// Caches grow in steps of this many positions, so that questions of similar length share one (and
// its recorded graph).
constexpr int64_t kCacheGranule = 256;
}  // namespace

Decoder::Decoder(const models::LlamaModel& llama, bool cuda_graphs) : llama_(&llama) {
  if (cuda_graphs && llama.device().is_cuda() && models::DecodeGraph::supported())
    graph_ = std::make_unique<models::DecodeGraph>(llama);
}

models::KvCache& Decoder::cache_for(int64_t positions) {
  if (!cache_ || cache_->capacity() < positions) {
    const int64_t rounded = (positions + kCacheGranule - 1) / kCacheGranule * kCacheGranule;
    const int64_t capacity = std::max(positions, std::min(rounded, llama_->options().max_position_embeddings));
    cache_.reset();  // frees the old storage before the new one is allocated
    cache_.emplace(llama_->make_cache(
        capacity, graph_ ? models::KvCache::Fill::kZeros : models::KvCache::Fill::kUninitialized));
  }
  cache_->truncate(0);
  return *cache_;
}

std::function<at::Tensor(const at::Tensor&, models::KvCache&)> Decoder::feed() {
  if (!graph_) return {};
  return [graph = graph_.get()](const at::Tensor& token, models::KvCache& cache) { return graph->step(token, cache); };
}

}  // namespace lisa::pipeline
