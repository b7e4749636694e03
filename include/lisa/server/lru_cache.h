#pragma once
// A least-recently-used cache with a byte budget: the server keeps prepared images (their CLIP
// rows and SAM embedding) keyed by the SHA-256 of the uploaded bytes, so that a follow-up question
// about the same picture skips CLIP and the SAM encoder. Values are shared: one evicted while in
// use stays alive until its user is done. Not thread-safe (one worker uses it).
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace lisa::server {

template <class Value>
class LruCache {
 public:
  explicit LruCache(size_t budget_bytes) : budget_(budget_bytes) {}

  // The value for `key`, now the most recently used; nullptr when absent.
  std::shared_ptr<Value> get(const std::string& key) {
    const auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, found->second);
    return found->second->value;
  }

  // Stores `value` as the most recently used, with its size, replacing what `key` held; then drops
  // the least recently used entries until the total fits the budget (a value larger than the whole
  // budget is not kept at all).
  void put(const std::string& key, std::shared_ptr<Value> value, size_t bytes) {
    erase(key);
    order_.push_front(Entry{key, std::move(value), bytes});
    index_[key] = order_.begin();
    bytes_ += bytes;
    while (bytes_ > budget_ && !order_.empty()) erase(order_.back().key);
  }

  void erase(const std::string& key) {
    const auto found = index_.find(key);
    if (found == index_.end()) return;
    bytes_ -= found->second->bytes;
    order_.erase(found->second);
    index_.erase(found);
  }

  size_t bytes() const { return bytes_; }
  size_t size() const { return order_.size(); }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<Value> value;
    size_t bytes;
  };
  size_t budget_;
  size_t bytes_ = 0;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
};

}  // namespace lisa::server
