#include "support/devices.h"

#include "lisa/models/fp32_math.h"
#include "lisa/pipeline/options.h"

namespace lisa::testing {

const std::vector<std::string>& parity_devices() {
  static const std::vector<std::string> devices{"cpu", "cuda"};
  return devices;
}

std::string device_test_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

void OnEachDevice::SetUp() {
  if (GetParam() != "cpu" && !at::hasCUDA()) GTEST_SKIP() << "no " << GetParam() << " device here";
  models::use_ieee_fp32(device());
}

at::Device OnEachDevice::device() const { return pipeline::resolve_device(GetParam()); }

}  // namespace lisa::testing
