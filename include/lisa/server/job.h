#pragma once
// One /v1/segment request between the HTTP thread that received it and the inference worker. The
// worker appends events (queued, token, done, error); the HTTP thread waits for them and sends
// them on, as server-sent events or as one JSON answer. Either side may give up: the HTTP thread
// cancels a job whose client went away, and the worker stops it between two tokens.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lisa/server/request.h"

namespace lisa::server {

using Clock = std::chrono::steady_clock;

struct JobEvent {
  enum class Kind { kQueued, kToken, kDone, kError };
  Kind kind;
  std::string data;  // JSON text: {"position"}, {"text"}, the answer, {"error"}
  int status = 200;  // kError: the HTTP status the error stands for
  bool final() const { return kind == Kind::kDone || kind == Kind::kError; }
};

// The SSE event name of a kind: "queued", "token", "done", "error".
const char* event_name(JobEvent::Kind kind);

class Job {
 public:
  Job(SegmentRequest request, Clock::time_point deadline) : request_(std::move(request)), deadline_(deadline) {}

  const SegmentRequest& request() const { return request_; }
  Clock::time_point deadline() const { return deadline_; }

  // Worker side. After a final event (done / error) nothing more is emitted.
  void emit(JobEvent event);
  void fail(int status, const std::string& message);
  // Whether the question should stop now: cancelled, or past its deadline.
  bool should_stop() const { return cancelled() || Clock::now() >= deadline_; }

  // HTTP side: the event at `index` (0, 1, ...) once emitted, or nullopt when `timeout` passed first.
  std::optional<JobEvent> wait_event(size_t index, std::chrono::milliseconds timeout);
  // Waits for the final event (or returns one saying the deadline passed, after a grace period).
  // Meanwhile `client_gone` (when given) is asked every `poll`; once it says true the job is
  // cancelled, and the worker ends it between two tokens (status 499).
  JobEvent wait_final(const std::function<bool()>& client_gone = {},
                      std::chrono::milliseconds poll = std::chrono::milliseconds(50));
  // Whether the final event has been emitted (the worker may still be tidying up after it).
  bool finished() const;
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

 private:
  SegmentRequest request_;
  Clock::time_point deadline_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<JobEvent> events_;
  bool finished_ = false;
};

}  // namespace lisa::server
