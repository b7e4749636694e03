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

int64_t Decoder::capacity_for(int64_t positions) const {
  const int64_t rounded = (positions + kCacheGranule - 1) / kCacheGranule * kCacheGranule;
  return std::max(positions, std::min(rounded, llama_->options().max_position_embeddings));
}

int64_t Decoder::cache_bytes(int64_t capacity) const {
  const auto& options = llama_->options();
  return options.num_layers * 2 * options.num_kv_heads * capacity * options.head_dim() *
         static_cast<int64_t>(c10::elementSize(llama_->dtype()));
}

std::vector<models::KvCache*> Decoder::batch_caches(size_t count, int64_t positions) {
  const int64_t capacity = capacity_for(positions);
  const bool fits = batch_caches_.size() >= count && !batch_caches_.empty() &&
                    batch_caches_.front().capacity() >= capacity &&
                    batch_caches_.front().capacity() * static_cast<int64_t>(batch_caches_.size()) <=
                        capacity * static_cast<int64_t>(count);  // never more memory than asked for
  if (!fits) {
    batch_caches_.clear();  // frees the old storage before the new one is allocated
    for (size_t i = 0; i < count; ++i) batch_caches_.push_back(llama_->make_cache(capacity));
  }
  std::vector<models::KvCache*> caches;
  for (size_t i = 0; i < count; ++i) {
    batch_caches_[i].truncate(0);
    caches.push_back(&batch_caches_[i]);
  }
  return caches;
}

models::KvCache& Decoder::cache_for(int64_t positions) {
  if (!cache_ || cache_->capacity() < positions) {
    const int64_t capacity = capacity_for(positions);
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
