#pragma once
// The inference worker: one thread that owns a pipeline::Context (the model's KV cache) and the
// image cache, and answers queued jobs one at a time, in arrival order. The queue is bounded: a job
// that does not fit is refused at once (the HTTP side answers 503 with Retry-After).
//
// The seam for batching and for several devices (issue 15): run() pops one job and answers it with
// answer_job(); a batching worker would pop several, and a multi-device server would start one
// Worker per device behind the same submit().
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

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

  // Queues `job` and emits its "queued" event (position: jobs ahead of it, the one being answered
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
  std::shared_ptr<Job> current_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lisa::server
