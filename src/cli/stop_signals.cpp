#include "stop_signals.h"

#include <atomic>

namespace lisa::cli {

namespace {

// Written by the handler, read by the worker threads (segment's workers poll it between items), so
// a lock-free atomic: volatile sig_atomic_t is only safe for the thread that took the signal, and
// ThreadSanitizer reported that read as a data race. Lock-free atomics are async-signal-safe.
std::atomic<int> received_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free atomic");

// The first signal is recorded; both then get their default action back, so the next one of either
// kind ends the process (sigaction is async-signal-safe).
extern "C" void record_signal(int signal) {
  received_signal = signal;
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(SIGINT, &default_action, nullptr);
  sigaction(SIGTERM, &default_action, nullptr);
}

}  // namespace

StopSignals::StopSignals() {
  received_signal = 0;
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  // System calls in flight (a write of a mask file) go on rather than fail with EINTR.
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

int StopSignals::received() { return received_signal; }

const char* StopSignals::name(int signal) { return signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal"; }

}  // namespace lisa::cli
