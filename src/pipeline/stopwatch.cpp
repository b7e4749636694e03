#include "stopwatch.h"

#include <c10/core/impl/VirtualGuardImpl.h>

namespace lisa::pipeline {

Stopwatch::Stopwatch(at::Device device) : device_(device) {
  synchronize();
  start_ = std::chrono::steady_clock::now();
}

void Stopwatch::synchronize() const {
  if (device_.is_cuda()) c10::impl::VirtualGuardImpl(device_.type()).getStream(device_).synchronize();
}

double Stopwatch::lap() {
  synchronize();
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - start_).count();
  start_ = now;
  return ms;
}

}  // namespace lisa::pipeline
