#pragma once
// Wall-clock stage timing. On CUDA the calling thread's current stream is synchronised before
// reading the clock, so a stage is charged for its own kernels and not for those queued before it;
// work on other streams (the SAM encoder overlapping the LLM) is not waited for.
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
