// SAM's dtype (src/pipeline/sam_precision.h): fp32 on CPUs without native half-precision
// instructions, the engine's precision everywhere else.
#include <gtest/gtest.h>

#include "pipeline/sam_precision.h"

namespace {

using lisa::pipeline::sam_dtype;

TEST(SamPrecision, Fp32AndCudaKeepTheEnginePrecision) {
  EXPECT_EQ(sam_dtype(at::kCPU, at::kFloat), at::kFloat);
  EXPECT_EQ(sam_dtype(at::Device(at::kCUDA, 0), at::kBFloat16), at::kBFloat16);
  EXPECT_EQ(sam_dtype(at::Device(at::kCUDA, 0), at::kHalf), at::kHalf);
}

TEST(SamPrecision, CpuHalfTypesRunInFp32WithoutNativeInstructions) {
#if defined(__x86_64__) && defined(__GNUC__)
  const bool native_bf16 = __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
  EXPECT_EQ(sam_dtype(at::kCPU, at::kBFloat16), native_bf16 ? at::kBFloat16 : at::kFloat);
  EXPECT_EQ(sam_dtype(at::kCPU, at::kHalf), __builtin_cpu_supports("avx512fp16") ? at::kHalf : at::kFloat);
#else
  // Elsewhere ATen's half-precision kernels are trusted: SAM keeps the engine's precision.
  EXPECT_EQ(sam_dtype(at::kCPU, at::kBFloat16), at::kBFloat16);
  EXPECT_EQ(sam_dtype(at::kCPU, at::kHalf), at::kHalf);
#endif
}

}  // namespace
