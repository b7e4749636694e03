#include "pipeline/sam_precision.h"

namespace lisa::pipeline {

namespace {

bool cpu_has_native(at::ScalarType dtype) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (dtype == at::kBFloat16) return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
  if (dtype == at::kHalf) return __builtin_cpu_supports("avx512fp16");
  return true;
#else
  // Other CPUs (e.g. ARM with its own half-precision units): trust ATen's kernels there.
  (void)dtype;
  return true;
#endif
}

}  // namespace

at::ScalarType sam_dtype(at::Device device, at::ScalarType dtype) {
  if (device.is_cpu() && dtype != at::kFloat && !cpu_has_native(dtype)) return at::kFloat;
  return dtype;
}

}  // namespace lisa::pipeline
