#pragma once
// A linear layer without bias whose weight is quantized (quantization.h), computing y = x W^T on
// the weight's device with the path that wins there for the number of rows in x.
//
// Paths (measured on 2-core AVX2 and AVX-512 CPUs, docs/benchmarks.md "Quantized LLM weights"):
//   CPU int8, up to kFewRowsMaxRows rows (decoding) on a CPU with AVX2 + FMA: the engine's few-rows
//     int8 kernel (few_rows_linear.h): 4.2 against torch's 3.0 tok/s on LLaMA-7B.
//   CPU int8, other rows fewer than kCpuKernelMaxRows, or the few-rows kernel switched off: torch's
//     _weight_int8pack_mm (bf16 activations; it needs K % 16 == 0, else the dequantize path always,
//     and 16-byte aligned rows).
//   CPU int8, more rows (prefill): dequantize tiles of output channels and multiply with the regular
//     GEMM, in bf16 for bf16 activations on a CPU with bf16 instructions (cpu_native_dtype.h; there
//     it is 2.4-3.5x faster than the int8 kernel and 3-4x faster than fp32 at 300 rows), else in
//     fp32 (on AVX2, fp32 GEMM is 3-6x faster than bf16 GEMM and 1.5-2x faster than the int8
//     kernel at a few hundred rows).
//   CPU int4, any row count: torch's _weight_int4pack_mm_for_cpu (bf16 activations) on the weight
//     packed at load for this CPU's ISA. It loses to the dequantize path at prefill too, but that
//     path needs the portable nibbles besides the packed copy, doubling int4's memory, which is what
//     int4 is for; the packed layout differs between AVX2 and AVX-512, so it is never unpacked here.
//   CUDA int4, any row count: _weight_int4pack_mm ("tinygemm", sm80 or newer) on the weight packed
//     for it; one copy for the same reason.
//   CUDA int8 (the ATen int8 kernel is naive) and any other case: dequantize tiles to bf16, at::mm.
// Activations of other dtypes (an fp32 run) are converted to bf16 for the kernels and the result
// converted back; the CPU dequantize path multiplies fp32 activations in fp32, the CUDA one in bf16.
#include <ATen/ATen.h>

#include "lisa/models/quantization.h"

namespace lisa::models {

class QuantizedLinear {
 public:
  // kAuto: the choice above. kKernel (torch's kernel) / kDequantize / kFewRows force one path (tests
  // compare them); kKernel is an internal error where no kernel exists for the mode and device,
  // kFewRows where few_rows_int8_linear does not apply (not int8, not the CPU, no AVX2, too many rows).
  enum class Path { kAuto, kKernel, kDequantize, kFewRows };
  // Row count from which the CPU int8 layer dequantizes instead of calling the kernel.
  static constexpr int64_t kCpuKernelMaxRows = 32;

  // Moves `weight` to `device` and packs it for the kernel that `path` may use there.
  QuantizedLinear(const QuantizedWeight& weight, at::Device device, Path path = Path::kAuto);

  // [..., K] -> [..., N] in x's dtype; x on the layer's device.
  at::Tensor operator()(const at::Tensor& x) const;

  QuantMode mode() const { return mode_; }
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  int64_t padded_in_features() const { return padded_in_features_; }
  int64_t group_size() const { return group_size_; }
  // Bytes of the tensors this layer holds on its device.
  int64_t bytes() const;

 private:
  bool uses_few_rows(const at::Tensor& x2d) const;
  bool uses_kernel(int64_t rows) const;
  at::Tensor kernel(const at::Tensor& x2d) const;
  at::Tensor dequantized_matmul(const at::Tensor& x2d) const;

  QuantMode mode_;
  at::Device device_;
  Path path_;
  int64_t out_features_, in_features_, padded_in_features_, group_size_;
  bool kernel_available_ = false;
  // The portable weight; kept when the dequantize path may run (all int8 layers; int4 layers
  // without a kernel).
  QuantizedWeight weight_;
  // int4 kernels: the packed weight with its rows padded to packed_rows_, and the [Kp / G,
  // packed_rows_, 2] bf16 scales and zeros they read.
  at::Tensor packed_, scale_and_zeros_;
  int64_t packed_rows_ = 0;
};

}  // namespace lisa::models
