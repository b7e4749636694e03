#include "progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace lisa::cli {

Progress::Progress(std::string label, size_t total)
    : label_(std::move(label)), total_(total), terminal_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

void Progress::step(size_t done, const std::string& name, const std::string& error) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? done / seconds : 0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0;
  if (!terminal_) {
    std::cerr << label_ << " [" << done << "/" << total_ << "] " << name << (error.empty() ? ": ok" : ": error: " + error)
              << "\n";
    return;
  }
  if (!error.empty()) std::cerr << "\r\033[K" << name << ": error: " << error << "\n";
  constexpr int kWidth = 30;
  const int filled = total_ ? static_cast<int>(kWidth * done / total_) : kWidth;
  char line[256];
  std::snprintf(line, sizeof line, "\r\033[K%s [%s%s] %zu/%zu  %.2f/s  ETA %.0fs", label_.c_str(),
                std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), done, total_, rate, eta);
  std::cerr << line << std::flush;
}

void Progress::finish() {
  if (terminal_) std::cerr << "\n";
}

}  // namespace lisa::cli
