// Every test starts from the same libtorch random state, so a test's random inputs do not depend on
// which tests ran before it in the same process (ctest shards and --gtest_filter change that order).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace {

class SeedEachTest : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { at::manual_seed(20261126); }
};

const bool kRegistered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new SeedEachTest);
  return true;
}();

}  // namespace
