#include "lisa/models/rms_norm.h"

namespace lisa::models {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  // at::rms_norm is one fused kernel on CUDA (several ops on the CPU), the same float32 math.
  return weight * at::rms_norm(x.to(at::kFloat), {x.size(-1)}, std::nullopt, eps).to(x.scalar_type());
}

}  // namespace lisa::models
