#include "stopwatch.h"

#include <torch/cuda.h>

namespace lisa::pipeline {

Stopwatch::Stopwatch(at::Device device) : device_(device) {
  synchronize();
  start_ = std::chrono::steady_clock::now();
}

void Stopwatch::synchronize() const {
  if (device_.is_cuda()) torch::cuda::synchronize(device_.index());
}

double Stopwatch::lap() {
  synchronize();
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - start_).count();
  start_ = now;
  return ms;
}

}  // namespace lisa::pipeline
