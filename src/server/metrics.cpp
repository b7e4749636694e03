#include "lisa/server/metrics.h"

#include <algorithm>
#include <sstream>

namespace lisa::server {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

std::string Histogram::text(const std::string& name) const {
  std::ostringstream out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out << name << "_bucket{le=\"" << bounds_[i] << "\"} " << cumulative << "\n";
  }
  out << name << "_bucket{le=\"+Inf\"} " << count_ << "\n" << name << "_sum " << sum_ << "\n"
      << name << "_count " << count_ << "\n";
  return out.str();
}

Metrics::Metrics()
    : latency_({0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}),
      tokens_per_second_({1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}) {}

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint, status}];
}

void Metrics::observe_segment(double seconds, int64_t decode_tokens, double decode_ms) {
  std::lock_guard lock(mutex_);
  latency_.observe(seconds);
  if (decode_tokens > 0 && decode_ms > 0) tokens_per_second_.observe(decode_tokens / (decode_ms / 1000));
}

void Metrics::count_batch(size_t size) {
  std::lock_guard lock(mutex_);
  ++batches_[size];
}

uint64_t Metrics::batches(size_t size) const {
  std::lock_guard lock(mutex_);
  const auto found = batches_.find(size);
  return found == batches_.end() ? 0 : found->second;
}

uint64_t Metrics::requests(const std::string& endpoint, int status) const {
  std::lock_guard lock(mutex_);
  const auto found = requests_.find({endpoint, status});
  return found == requests_.end() ? 0 : found->second;
}

std::string Metrics::text(size_t queue_depth, bool busy, bool ready) const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP lisa_requests_total HTTP requests answered, by endpoint and status.\n"
      << "# TYPE lisa_requests_total counter\n";
  for (const auto& [key, count] : requests_)
    out << "lisa_requests_total{endpoint=\"" << key.first << "\",status=\"" << key.second << "\"} " << count << "\n";
  out << "# HELP lisa_queue_depth Requests waiting for the inference worker.\n# TYPE lisa_queue_depth gauge\n"
      << "lisa_queue_depth " << queue_depth << "\n"
      << "# HELP lisa_worker_busy 1 while the worker answers a request.\n# TYPE lisa_worker_busy gauge\n"
      << "lisa_worker_busy " << (busy ? 1 : 0) << "\n"
      << "# HELP lisa_ready 1 once the model is loaded.\n# TYPE lisa_ready gauge\n"
      << "lisa_ready " << (ready ? 1 : 0) << "\n"
      << "# HELP lisa_segment_latency_seconds /v1/segment time from arrival to answer.\n"
      << "# TYPE lisa_segment_latency_seconds histogram\n"
      << latency_.text("lisa_segment_latency_seconds")
      << "# HELP lisa_decode_tokens_per_second Decoding speed of each answer.\n"
      << "# TYPE lisa_decode_tokens_per_second histogram\n"
      << tokens_per_second_.text("lisa_decode_tokens_per_second")
      << "# HELP lisa_batches_total Worker passes, by the number of requests answered together.\n"
      << "# TYPE lisa_batches_total counter\n";
  for (const auto& [size, count] : batches_) out << "lisa_batches_total{size=\"" << size << "\"} " << count << "\n";
  return out.str();
}

}  // namespace lisa::server
