#pragma once
// The dtype SAM runs in, which on the CPU may differ from the engine's precision.
#include <ATen/ATen.h>

namespace lisa::pipeline {

// `dtype` (the engine's precision), except on a CPU without native instructions for that half type
// (models/cpu_native_dtype.h), where SAM runs in fp32: there ATen's
// half-precision convolutions are about 100x and its matmuls about 6x slower than fp32 ones
// (measured on a 2-core AVX2 machine with the tiny golden checkpoint: SAM encoder 44 s in bf16 vs
// 2.2 s in fp32, mask decoder 12 s vs 0.9 s), while SAM is a small part of LISA's weights (ViT-H:
// 0.64 B parameters, 2.5 GB in fp32). The LLM and CLIP keep the engine's precision; SAM's inputs
// are converted to its dtype (Sam::encode_image, Sam::decode), its masks are fp32 either way.
at::ScalarType sam_dtype(at::Device device, at::ScalarType dtype);

}  // namespace lisa::pipeline
