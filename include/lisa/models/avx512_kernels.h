#pragma once
// The AVX-512 paths of the CPU decoding kernels: so far the bf16 few-rows product (few_rows_linear.h,
// src/models/few_rows_avx512.h). They run where the CPU has AVX512F, AVX512BW, AVX512VL and
// AVX512-BF16; elsewhere the AVX2 paths do. Each path gives every row (sequence) the same operations
// whatever the batch, so batched answers keep the bits of unbatched ones on either; the two paths
// round differently from each other. (An AVX-512 path of decode_attention's bf16 heads, VDPBF16PS
// scores and 16-lane values, was no faster than the AVX2 one: 4.2 against 4.4 ms for 8 sequences of
// the mid preset, scripts/bench/decode_attention_layers.sh bf16, 2026-12-02; the attention of a
// batched step reads the caches from memory.)
namespace lisa::models {

// Process-wide switch (default on), for tests and benchmarks that compare them with the AVX2 paths.
void set_avx512_kernels_enabled(bool enabled);
bool avx512_kernels_enabled();
// Enabled, this CPU has AVX512F, AVX512BW, AVX512VL and AVX512-BF16, and the build can use them (GCC >= 10 or
// Clang on x86-64).
bool avx512_bf16_kernels_available();

}  // namespace lisa::models
