#include "lisa/models/kv_cache.h"

#include <string>
#include <vector>

#include "lisa/error.h"

namespace lisa::models {

KvCache::KvCache(int64_t num_layers, int64_t num_kv_heads, int64_t capacity, int64_t head_dim, at::Device device,
                 at::ScalarType dtype, Fill fill)
    : fill_(fill) {
  // The sizes come from a validated config and from callers that size the cache for a prompt.
  LISA_INTERNAL_ASSERT(num_layers > 0 && num_kv_heads > 0 && capacity > 0 && head_dim > 0,
                       "KV cache: every size must be positive (layers ", num_layers, ", kv heads ", num_kv_heads,
                       ", capacity ", capacity, ", head dim ", head_dim, ")");
  const std::vector<int64_t> shape{num_layers, 2, 1, num_kv_heads, capacity, head_dim};
  const auto options = at::TensorOptions(device).dtype(dtype);
  storage_ = fill == Fill::kZeros ? at::zeros(shape, options) : at::empty(shape, options);
}

void KvCache::truncate(int64_t length) {
  LISA_INTERNAL_ASSERT(length >= 0 && length <= length_, "KV cache: cannot truncate to ", length,
                       " positions, it holds ", length_);
  length_ = length;
}

void KvCache::write(int64_t layer, const at::Tensor& keys, const at::Tensor& values) {
  const int64_t count = keys.size(2);
  LISA_INTERNAL_ASSERT(length_ + count <= capacity(), "KV cache: ", length_, " cached + ", count,
                       " new positions exceed its capacity of ", capacity());
  storage_[layer][0].slice(2, length_, length_ + count).copy_(keys);
  storage_[layer][1].slice(2, length_, length_ + count).copy_(values);
}

void KvCache::write_at(int64_t layer, const at::Tensor& positions, const at::Tensor& keys, const at::Tensor& values) {
  storage_[layer][0].index_copy_(2, positions, keys);
  storage_[layer][1].index_copy_(2, positions, values);
}

at::Tensor KvCache::keys(int64_t layer, int64_t end) const { return storage_[layer][0].slice(2, 0, end); }
at::Tensor KvCache::values(int64_t layer, int64_t end) const { return storage_[layer][1].slice(2, 0, end); }

void KvCache::advance(int64_t count) {
  LISA_INTERNAL_ASSERT(count >= 0 && length_ + count <= capacity(), "KV cache: cannot advance by ", count, " from ",
                       length_, " positions with capacity ", capacity());
  length_ += count;
}

}  // namespace lisa::models
