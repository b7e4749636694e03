#pragma once
// The parity suites run once per device: "cpu" everywhere and "cuda" as its own instance, which
// reports itself skipped where this build or machine has no CUDA device (so a GPU run cannot lose
// those tests silently, and a CPU run says what it did not check).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lisa::testing {

const std::vector<std::string>& parity_devices();
// For gtest instance names: "cpu", "cuda".
std::string device_test_name(const ::testing::TestParamInfo<std::string>& info);

// Base of a fixture parameterised by device name. SetUp() skips the test when the device is absent
// and makes float32 math on CUDA IEEE, as the engine does (models/fp32_math.h); a derived SetUp()
// calls it first and returns when IsSkipped().
class OnEachDevice : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  at::Device device() const;
};

}  // namespace lisa::testing
