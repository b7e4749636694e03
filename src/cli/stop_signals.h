#pragma once
// SIGINT and SIGTERM as a request to stop, for a batch command that must wind down cleanly (finish
// or undo the writes in flight) instead of dying in the middle of one. While a StopSignals lives,
// the first such signal is only recorded; a second one has its default effect and ends the process
// at once (a user who insists gets their terminal back).
#include <csignal>

namespace lisa::cli {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The signal received (SIGINT or SIGTERM), 0 while none was.
  static int received();
  // "SIGINT" / "SIGTERM"
  static const char* name(int signal);

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace lisa::cli
