#pragma once
// LLaMA's RMSNorm exactly as transformers 4.31 LlamaRMSNorm computes it: the mean square and the
// normalisation in float32, the result cast back to the input dtype, then multiplied by the weight
// (in the weight's dtype, so bf16 models round twice, as the reference does).
#include <ATen/ATen.h>

namespace lisa::models {

// x [..., H], weight [H] -> [..., H]
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

}  // namespace lisa::models
