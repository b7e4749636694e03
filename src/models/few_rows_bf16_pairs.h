#pragma once
// The bf16 few-rows product (few_rows_linear.h) on CPUs with AVX512-BF16: VDPBF16PS multiplies 16
// pairs of bf16 numbers and adds both products to 16 fp32 sums in one instruction, where the AVX2 path
// widens every weight to fp32 first and takes 8 products per FMA. A decoding step of 8 bf16 rows was
// compute-bound on the widening (docs/benchmarks.md); this reads the weights and x as they are.
//
// Each y[m][n] is 16 lane sums over k in steps of 32 (each step adds the products of k and k + 1 to
// lane (k % 32) / 2, the odd one first, each addition rounded to fp32 as an FMA would), the last
// partial step with zeros for the missing k, then one fixed-order sum of the 16 lanes: the same for
// every row count, so B rows together give the bits of B single-row calls. The instruction treats
// bf16 subnormals as zero (|v| < 1.2e-38: nothing a model's weights or activations hold).
#include <cstdint>

namespace lisa::models::bf16_pairs {

// This CPU has AVX512F, AVX512BW and AVX512-BF16 (and the build can use them).
bool cpu_supports();

// y [M, N] (fp32) = x [M, K] . w [N, K]^T, x and w bf16 (their bits as uint16_t), row-major and
// contiguous; 1 <= M <= 16. Threads over blocks of output channels. Requires cpu_supports().
void multiply(const uint16_t* x, int64_t M, const uint16_t* w, int64_t N, int64_t K, float* y);

}  // namespace lisa::models::bf16_pairs
