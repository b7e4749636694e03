#pragma once
// float32 on CUDA: PyTorch lets cuDNN convolutions run in TF32 by default, which keeps only 10
// mantissa bits (relative errors ~1e-3, e.g. in SAM's patch embedding and neck). The engine's fp32
// promises the reference's CPU float32 numbers, so on CUDA it switches convolutions and matmuls to
// IEEE float32. bf16 / fp16 runs are unaffected: TF32 only concerns float32 operands.
#include <ATen/ATen.h>

namespace lisa::models {

// Process-wide (libtorch keeps one setting); a no-op for devices other than CUDA.
void use_ieee_fp32(const at::Device& device);

}  // namespace lisa::models
