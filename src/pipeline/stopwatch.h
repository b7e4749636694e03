#pragma once
// Wall-clock stage timing. On CUDA the device is synchronised before reading the clock, so a stage
// is charged for its own kernels and not for those queued before it.
#include <ATen/ATen.h>

#include <chrono>

namespace lisa::pipeline {

class Stopwatch {
 public:
  explicit Stopwatch(at::Device device);
  // Milliseconds since construction or the previous lap.
  double lap();

 private:
  void synchronize() const;
  at::Device device_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace lisa::pipeline
