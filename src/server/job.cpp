#include "lisa/server/job.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace lisa::server {

const char* event_name(JobEvent::Kind kind) {
  switch (kind) {
    case JobEvent::Kind::kQueued: return "queued";
    case JobEvent::Kind::kToken: return "token";
    case JobEvent::Kind::kDone: return "done";
    case JobEvent::Kind::kError: return "error";
  }
  return "error";
}

void Job::emit(JobEvent event) {
  {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = event.final();
    events_.push_back(std::move(event));
  }
  changed_.notify_all();
}

void Job::fail(int status, const std::string& message) {
  emit({JobEvent::Kind::kError, nlohmann::json{{"error", message}}.dump(), status});
}

bool Job::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

std::optional<JobEvent> Job::wait_event(size_t index, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return events_.size() > index; })) return std::nullopt;
  return events_[index];
}

JobEvent Job::wait_final(const std::function<bool()>& client_gone, std::chrono::milliseconds poll) {
  // The worker always ends a job; the grace period only guards against a worker stuck in a step that
  // cannot be interrupted (a long prefill): the client gets its 504 at the deadline regardless.
  const auto give_up = deadline_ + std::chrono::seconds(1);
  std::unique_lock lock(mutex_);
  while (!finished_) {
    if (Clock::now() >= give_up)
      return {JobEvent::Kind::kError, nlohmann::json{{"error", "the request took longer than the server's timeout"}}.dump(), 504};
    if (client_gone && !cancelled()) {
      lock.unlock();  // the probe makes system calls: the worker may emit meanwhile
      if (client_gone()) cancel();
      lock.lock();
    }
    const auto until = client_gone ? std::min(give_up, Clock::now() + poll) : give_up;
    changed_.wait_until(lock, until, [&] { return finished_; });
  }
  return events_.back();
}

}  // namespace lisa::server
