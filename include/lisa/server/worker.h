#pragma once
// The inference worker: one thread that owns a pipeline::Context (the model's KV cache) and the
// image cache, and answers queued jobs in arrival order: one at a time, or with
// ServerOptions::batch_size > 1 every job waiting when it is free (up to that many) as one batch.
// The queue is bounded: a job that does not fit is refused at once (the HTTP side answers 503 with
// Retry-After). A multi-device server would start one Worker per device behind the same submit().
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "lisa/pipeline/engine.h"
#include "lisa/server/job.h"
#include "lisa/server/metrics.h"
#include "lisa/server/options.h"

namespace lisa::server {

class Worker {
 public:
  Worker(const pipeline::Engine& engine, const ServerOptions& options, Metrics& metrics);
  // Refuses what is still queued (503) and waits for the job being answered, which is stopped.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Queues `job` and emits its "queued" event (position: jobs ahead of it, those being answered
  // included); false, touching nothing, when the queue is full.
  bool submit(const std::shared_ptr<Job>& job);
  size_t queue_depth() const;
  bool busy() const;

 private:
  void run();

  const pipeline::Engine& engine_;
  ServerOptions options_;
  Metrics& metrics_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::shared_ptr<Job>> current_;  // being answered
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lisa::server
