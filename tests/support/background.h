#pragma once
// `lisa` runs in the background, for the tests that stop them from outside or run several at once
// (test_segment_interrupt.cpp, test_shard_command.cpp).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace lisa::testing {

// Starts `lisa ARGS` (stdin from /dev/null, stdout and stderr into `log`); returns its pid.
pid_t start_lisa(const std::string& args, const std::filesystem::path& log = "/dev/null");

// Waits for the process; its exit code, -1 when a signal ended it.
int wait_exit_code(pid_t child);

// The number of '\n' in `file` (0 when it does not exist).
size_t complete_lines(const std::filesystem::path& file);

// Polls `condition` every 5 ms for at most three minutes (a loaded machine); false when it never held.
template <typename Condition>
bool wait_for(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace lisa::testing
