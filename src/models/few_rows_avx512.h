#pragma once
// The bf16 few-rows product (few_rows_linear.h) on CPUs with AVX512-BF16: VDPBF16PS multiplies 16
// pairs of bf16 numbers and adds both products to 16 fp32 sums in one instruction, where the AVX2
// loop widens every weight to fp32 first and was compute-bound at 8 rows; and the 32 512-bit
// registers hold the sums of 8 rows x 3 channels, so a decoding step of 8 rows reads the weights in
// one pass where the AVX2 loop takes three. (An fp32 variant, FMA on 16 lanes, was no faster than the
// AVX2 loop on the AVX-512 machine of docs/benchmarks.md: 22.0 against 19.5 ms for the mid preset's
// layers at 8 rows, 2026-12-02; fp32 stays on the AVX2 loop.)
//
// Each y[m][n] is 16 lane sums over k in steps of 32 (lane (k % 32) / 2 gets the products of k + 1
// then k, each addition rounded to fp32 as an FMA would), the last partial step with zeros for the
// missing k, then one fixed-order sum of the 16 lanes: the same for every row count, so B rows
// together give the bits of B single-row calls. VDPBF16PS treats bf16 subnormals as zero
// (|v| < 1.2e-38: nothing a model's weights or activations hold).
#include <cstdint>

namespace lisa::models::avx512 {

// y [M, N] (fp32) = x [M, K] . w [N, K]^T, x and w bf16 (their bits as uint16_t), row-major and
// contiguous, 1 <= M <= 16; threads over blocks of output channels. Requires
// avx512_bf16_kernels_available() (lisa/models/avx512_kernels.h).
void multiply(const uint16_t* x, int64_t M, const uint16_t* w, int64_t N, int64_t K, float* y);

}  // namespace lisa::models::avx512
