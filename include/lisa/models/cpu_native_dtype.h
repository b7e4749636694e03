#pragma once
// Whether this CPU has instructions for a half-precision type, so that ATen's kernels in that type
// run at or above fp32 speed: AVX-512 BF16 or AMX-BF16 for bf16, AVX-512 FP16 for fp16. Without
// them ATen emulates the type in fp32 and its bf16 matmuls are about 6x, its convolutions about
// 100x slower than fp32 ones (2-core AVX2 machine). With AVX-512 BF16 (2-core AMD EPYC, 2026-12-02)
// a bf16 GEMM of 300 rows on LLaMA-7B shapes is 4.6-6x faster than the fp32 one.
// fp32 (and any other dtype): true. Non-x86 CPUs: true (ATen's kernels there are trusted).
#include <ATen/ATen.h>

namespace lisa::models {

bool cpu_computes_natively(at::ScalarType dtype);

}  // namespace lisa::models
