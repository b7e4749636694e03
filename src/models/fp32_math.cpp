#include "lisa/models/fp32_math.h"

#include <ATen/Context.h>

namespace lisa::models {

void use_ieee_fp32(const at::Device& device) {
  if (!device.is_cuda()) return;
  auto& context = at::globalContext();
  context.setFloat32Precision(at::Float32Backend::CUDA, at::Float32Op::CONV, at::Float32Precision::IEEE);
  context.setFloat32Precision(at::Float32Backend::CUDA, at::Float32Op::MATMUL, at::Float32Precision::IEEE);
}

}  // namespace lisa::models
