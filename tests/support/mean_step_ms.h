#pragma once
// Wall-clock milliseconds per call of `step`, averaged over `timed` calls after `warmup` untimed ones:
// the timing of the disabled benchmark reports in tests/unit (run by scripts/bench/*.sh).
#include <chrono>

namespace lisa::testing {

template <typename Step>
double mean_step_ms(const Step& step, int warmup = 2, int timed = 5) {
  for (int i = 0; i < warmup; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < timed; ++i) step();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / timed;
}

}  // namespace lisa::testing
