// The test binary's process-wide libtorch settings, made once as the CLI's main makes them: one CPU
// thread, since ctest runs the test shards side by side, one per core.
#include <gtest/gtest.h>

#include "lisa/pipeline/runtime.h"

namespace {

class RuntimeSetup : public ::testing::Environment {
  void SetUp() override { lisa::pipeline::set_up_runtime({/*threads=*/1}); }
};

const auto* const kRegistered = ::testing::AddGlobalTestEnvironment(new RuntimeSetup);

}  // namespace
