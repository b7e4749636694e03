#include "lisa/server/worker.h"

#include <algorithm>

#include "answer_job.h"
#include "lisa/pipeline/context.h"

namespace lisa::server {

Worker::Worker(const pipeline::Engine& engine, const ServerOptions& options, Metrics& metrics)
    : engine_(engine), options_(options), metrics_(metrics), thread_([this] { run(); }) {}

Worker::~Worker() {
  std::deque<std::shared_ptr<Job>> refused;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    refused.swap(queue_);
    for (const auto& job : current_) job->cancel();
  }
  wake_.notify_all();
  for (const auto& job : refused) job->fail(503, "the server is shutting down");
  thread_.join();
}

bool Worker::submit(const std::shared_ptr<Job>& job) {
  size_t ahead = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.queue) return false;
    // A job that has sent its answer is no longer ahead, though the worker may not have let go of it.
    ahead = queue_.size() + static_cast<size_t>(std::count_if(current_.begin(), current_.end(),
                                                              [](const auto& answering) { return !answering->finished(); }));
    job->emit({JobEvent::Kind::kQueued, "{\"position\":" + std::to_string(ahead) + "}"});
    queue_.push_back(job);
  }
  wake_.notify_one();
  return true;
}

size_t Worker::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

bool Worker::busy() const {
  std::lock_guard lock(mutex_);
  return !current_.empty();
}

void Worker::run() {
  // The context and the cache live on this thread, the cache's sessions answering through the
  // context: the cache goes first.
  pipeline::Context context(engine_);
  ImageCache cache(options_.cache_bytes);
  for (;;) {
    std::vector<std::shared_ptr<Job>> jobs;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && jobs.size() < std::max<size_t>(1, options_.batch_size)) {
        jobs.push_back(queue_.front());
        queue_.pop_front();
      }
      current_ = jobs;
    }
    metrics_.count_batch(jobs.size());
    if (jobs.size() == 1)
      answer_job(context, cache, options_, *jobs.front(), metrics_);
    else
      answer_jobs(context, cache, options_, jobs, metrics_);
    std::lock_guard lock(mutex_);
    current_.clear();
  }
}

}  // namespace lisa::server
