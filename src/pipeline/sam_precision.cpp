#include "pipeline/sam_precision.h"

#include "lisa/models/cpu_native_dtype.h"

namespace lisa::pipeline {

at::ScalarType sam_dtype(at::Device device, at::ScalarType dtype) {
  if (device.is_cpu() && dtype != at::kFloat && !models::cpu_computes_natively(dtype)) return at::kFloat;
  return dtype;
}

}  // namespace lisa::pipeline
