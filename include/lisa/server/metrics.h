#pragma once
// The server's counters for GET /metrics, in Prometheus' text format: requests by endpoint and
// status, the queue depth, and histograms of /v1/segment latency and decoding speed. Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace lisa::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // The lines of one histogram metric `name` (buckets, sum, count).
  std::string text(const std::string& name) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void count_request(const std::string& endpoint, int status);
  void observe_segment(double seconds, int64_t decode_tokens, double decode_ms);
  // The worker took `size` requests to answer together (1: alone).
  void count_batch(size_t size);
  // The exposition text; queue_depth and busy are sampled by the caller.
  std::string text(size_t queue_depth, bool busy, bool ready) const;
  // Requests counted so far with this endpoint and status (tests).
  uint64_t requests(const std::string& endpoint, int status) const;
  // Worker passes counted so far that answered `size` requests together (tests).
  uint64_t batches(size_t size) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<size_t, uint64_t> batches_;  // by size
  Histogram latency_;
  Histogram tokens_per_second_;
};

}  // namespace lisa::server
