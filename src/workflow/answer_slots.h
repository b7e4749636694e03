#pragma once
// The hand-over between the workers of a batch run (one per engine, each answering the next item
// it claims) and the one thread that records the answers in input order.
//
// Every index is claimed once (claim() hands them out in order, until close()); every slot is
// filled exactly once: by the worker that claimed it, or by close() for those nobody claimed. So
// the recording thread, taking slots 0, 1, 2... in turn, never waits for an answer that will not come.
// At most `window` items are claimed ahead of the one to be taken next: a worker stuck on a long
// answer does not let the others pile up answers (and their pictures) in memory.
#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace lisa::workflow {

template <typename Answered>
class AnswerSlots {
 public:
  AnswerSlots(size_t size, size_t window) : window_(window), promises_(size) {
    futures_.reserve(size);
    for (auto& promise : promises_) futures_.push_back(promise.get_future());
  }

  // The next index to answer, in input order; none once all are claimed or after close().
  // With `wait`, waits while `window` items are claimed and not yet taken; without, returns none
  // then. A worker must not wait while it holds a claimed item (the one to be taken next may be it).
  std::optional<size_t> claim(bool wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto room = [this] { return closed_ || next_ < taken_ + window_; };
    if (wait) room_.wait(lock, room);
    if (!room() || closed_ || next_ == promises_.size()) return std::nullopt;
    return next_++;
  }

  // No more claims; the slots nobody claimed are filled with Answered{} (abandoned()).
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    for (size_t k = next_; k < promises_.size(); ++k) promises_[k].set_value(Answered{});
    next_ = promises_.size();
    room_.notify_all();
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }

  // A worker could not go on at all (not an item's failure): close(), keeping the first such error.
  void fail(std::exception_ptr failure) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = failure;
    }
    close();
  }
  std::exception_ptr failure() {
    std::lock_guard<std::mutex> lock(mutex_);
    return failure_;
  }

  void fill(size_t k, Answered answered) { promises_.at(k).set_value(std::move(answered)); }
  // Waits for slot k; once per slot.
  Answered take(size_t k) {
    Answered answered = futures_.at(k).get();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      taken_ = k + 1;
    }
    room_.notify_all();
    return answered;
  }

  size_t size() const { return promises_.size(); }

 private:
  const size_t window_;
  std::mutex mutex_;
  std::condition_variable room_;
  size_t next_ = 0;
  size_t taken_ = 0;
  bool closed_ = false;
  std::exception_ptr failure_;
  std::vector<std::promise<Answered>> promises_;
  std::vector<std::future<Answered>> futures_;
};

// The worker threads of one run, joined when it goes (after closing the slots, so that they stop at
// once however the recording ends: an error, a stop).
template <typename Answered>
class WorkerThreads {
 public:
  explicit WorkerThreads(AnswerSlots<Answered>& slots) : slots_(slots) {}
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;
  ~WorkerThreads() {
    slots_.close();
    for (auto& thread : threads_) thread.join();
  }
  template <typename Work>
  void start(Work work) {
    threads_.emplace_back(std::move(work));
  }

 private:
  AnswerSlots<Answered>& slots_;
  std::vector<std::thread> threads_;
};

}  // namespace lisa::workflow
