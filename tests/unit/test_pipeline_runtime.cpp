#include "lisa/pipeline/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

namespace lisa::pipeline {
namespace {

// Sets OMP_NUM_THREADS for one test and puts back what was there.
class OmpNumThreads {
 public:
  explicit OmpNumThreads(const char* value) {
    if (const char* old = std::getenv("OMP_NUM_THREADS")) saved_ = old;
    if (value) setenv("OMP_NUM_THREADS", value, 1);
    else unsetenv("OMP_NUM_THREADS");
  }
  ~OmpNumThreads() {
    if (saved_) setenv("OMP_NUM_THREADS", saved_->c_str(), 1);
    else unsetenv("OMP_NUM_THREADS");
  }

 private:
  std::optional<std::string> saved_;
};

int every_core() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// A sanitizer run sets OMP_NUM_THREADS=1, and `lisa` without --threads must then keep to one thread.
TEST(DefaultCpuThreads, FollowOmpNumThreadsWhenItIsAPositiveNumber) {
  {
    const int more = every_core() + 1;  // a count that every_core() cannot explain
    OmpNumThreads env(std::to_string(more).c_str());
    EXPECT_EQ(default_cpu_threads(), more);
  }
  for (const char* ignored : {"0", "-2", "two", "4x", ""}) {
    OmpNumThreads env(ignored);
    EXPECT_EQ(default_cpu_threads(), every_core()) << "OMP_NUM_THREADS=" << ignored;
  }
  OmpNumThreads unset(nullptr);
  EXPECT_EQ(default_cpu_threads(), every_core());
}

}  // namespace
}  // namespace lisa::pipeline
