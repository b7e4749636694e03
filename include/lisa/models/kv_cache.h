#pragma once
// Keys and values of every decoder layer for one sequence, allocated once at full capacity and
// written in place. The cached prefix can be cut back (truncate) so that a teacher-forced
// continuation or the next turn of a chat reuses it instead of recomputing it.
#include <ATen/ATen.h>

namespace lisa::models {

class KvCache {
 public:
  // kZeros: every position starts as zeros, so that attention over the whole capacity with the
  // unwritten positions masked stays finite (a masked weight of 0 times garbage can be NaN); the
  // static decoding step needs it. kUninitialized skips that fill.
  enum class Fill { kUninitialized, kZeros };

  KvCache(int64_t num_layers, int64_t num_kv_heads, int64_t capacity, int64_t head_dim, at::Device device,
          at::ScalarType dtype, Fill fill = Fill::kUninitialized);

  int64_t length() const { return length_; }      // positions held
  int64_t capacity() const { return storage_.size(4); }
  bool zero_filled() const { return fill_ == Fill::kZeros; }
  // Where the storage lives: a recorded CUDA graph is tied to it.
  const void* storage_address() const { return storage_.data_ptr(); }
  // Forgets the positions from `length` on; throws if `length` is negative or beyond length().
  void truncate(int64_t length);

  // Stores keys/values [1, kv_heads, T, D] of `layer` for positions [length(), length() + T).
  // Throws if they do not fit. The positions become visible only through advance().
  void write(int64_t layer, const at::Tensor& keys, const at::Tensor& values);
  // Stores keys/values [1, kv_heads, T, D] of `layer` at `positions` (int64 [T] on the cache's
  // device, read there: not range-checked, and not committed: the caller calls advance()).
  void write_at(int64_t layer, const at::Tensor& positions, const at::Tensor& keys, const at::Tensor& values);
  // Keys / values of `layer` for positions [0, end): views [1, kv_heads, end, D] into the storage.
  at::Tensor keys(int64_t layer, int64_t end) const;
  at::Tensor values(int64_t layer, int64_t end) const;
  // Commits `count` positions written to every layer.
  void advance(int64_t count);

 private:
  at::Tensor storage_;  // [layers, 2 (keys, values), 1, kv_heads, capacity, D]
  int64_t length_ = 0;
  Fill fill_;
};

}  // namespace lisa::models
