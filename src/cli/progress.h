#pragma once
// Progress of a long run on stderr: a redrawn bar (done/total, rate, ETA) on a terminal, one line
// per item otherwise (logs, pipes, CI).
#include <chrono>
#include <cstddef>
#include <string>

namespace lisa::cli {

class Progress {
 public:
  Progress(std::string label, size_t total);
  // One more item finished; `name` and `error` ("" when it went well) describe it.
  void step(size_t done, const std::string& name, const std::string& error);
  void finish();

 private:
  std::string label_;
  size_t total_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace lisa::cli
