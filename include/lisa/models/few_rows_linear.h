#pragma once
// y = x W^T on the CPU for the few rows of a decoding step (1 to kFewRowsMaxRows), fp32 or bf16.
//
// Why not at::linear: on the 2-core AVX2 machine of docs/benchmarks.md, libtorch's fp32 GEMM (MKL)
// streams the weight at about 9 GB/s for one row and, for 2 to 16 rows, turns compute-bound far below
// the cores' peak: a decoding step of 8 sequences cost 2.7x a step of one. This kernel reads each
// weight row once for all rows of x (AVX2 + FMA, threads over output channels), so a step of B rows
// costs little more than a step of one until the FMAs, not the memory, are the limit. bf16 weights are
// widened to fp32 in registers (that CPU has no bf16 arithmetic; one with AVX512-BF16 multiplies them
// as they are, see the AVX-512 path below) and the sums kept in fp32; the result is rounded to bf16
// once, as libtorch's bf16 GEMM rounds it.
//
// Every output element is computed by the same sequence of operations whatever the number of rows,
// so B rows together give the bits of B single-row calls: batched decoding equals unbatched exactly.
#include <ATen/ATen.h>

namespace lisa::models {

inline constexpr int64_t kFewRowsMaxRows = 16;

// True where few_rows_linear may run: x [M, K] and weight [N, K] on the CPU, both fp32 or both bf16, 1 <= M <=
// kFewRowsMaxRows, weight contiguous, no autograd, a CPU with AVX2 and FMA, and the kernel enabled.
bool few_rows_linear_applies(const at::Tensor& x2d, const at::Tensor& weight);

// [M, K] x [N, K] -> [M, N] in x's dtype. Internal error where few_rows_linear_applies is false.
at::Tensor few_rows_linear(const at::Tensor& x2d, const at::Tensor& weight);

// The int8 variant for the few rows of a decoding step through an int8-quantized weight
// (quantization.h): y[m][n] = (x[m] . q[n]) * scale[n], the dot product of x's values (as fp32) with
// the integer levels summed in fp32 exactly as above, then scaled; result in x's dtype. On
// LLaMA-7B's int8 weights (2 cores, AVX-512 machine) torch's _weight_int8pack_mm streamed about
// 19 GB/s (3.0 tok/s), this loop 27 GB/s (4.2 tok/s, docs/benchmarks.md); and it has no alignment or
// width condition. Where: few_rows_int8_linear_applies (x fp32 or bf16, 1 to kFewRowsMaxRows rows;
// q int8 [N, K] contiguous; scales [N]; the CPU and switch as above).
bool few_rows_int8_linear_applies(const at::Tensor& x2d, const at::Tensor& levels, const at::Tensor& scales);
at::Tensor few_rows_int8_linear(const at::Tensor& x2d, const at::Tensor& levels, const at::Tensor& scales);

// Process-wide switch (default on), for benchmarks and tests that compare with at::linear.
void set_few_rows_linear_enabled(bool enabled);
bool few_rows_linear_enabled();
// Enabled, and this CPU has AVX2 and FMA: decoding steps on the CPU use the kernel.
bool few_rows_linear_available();

// bf16 on a CPU with AVX512-BF16 takes models/few_rows_avx512.h instead of the AVX2 loop (switch:
// lisa/models/avx512_kernels.h): 8 rows in one pass over the weights, bf16 pairs multiplied by
// VDPBF16PS without widening; other roundings, the same per-row guarantee. fp32 stays on the AVX2
// loop: an AVX-512 one was no faster.

}  // namespace lisa::models
