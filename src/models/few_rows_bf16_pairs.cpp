#include "models/few_rows_bf16_pairs.h"

#include <algorithm>

#include "models/channel_blocks.h"

#if defined(__x86_64__) && defined(__GNUC__) && (defined(__clang__) || __GNUC__ >= 10)
#include <immintrin.h>
#define LISA_AVX512_BF16_KERNELS 1
#define LISA_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))
#define LISA_UNROLL_BF16 _Pragma("GCC unroll 16")
#endif

namespace lisa::models::bf16_pairs {

#ifdef LISA_AVX512_BF16_KERNELS

namespace {

constexpr int64_t kPairsStep = 32;  // bf16 numbers per 512-bit register
// Rows of x per pass and output channels per block: 8 x 3 sums and 3 weight vectors take 27 of the
// 32 registers, and 8 rows (a batch of 8 sequences) read the weights in one pass. (4 x 4 in two
// passes took 10.6 ms for the mid preset's layers at 8 rows, this 6.9, 1 row 5.4 to 6.1 ms,
// scripts/bench/few_rows_layers.sh mid 2 bf16, 2026-12-02.) A single row takes 8 channels per
// block, so that more independent chains of VDPBF16PS are in flight while the weights stream in.
constexpr int kRowsPerPass = 8;
constexpr int kChannelsPerBlock = 3;
constexpr int kChannelsPerSingleRowBlock = 8;

LISA_AVX512_BF16 inline __m512bh load_pairs(const uint16_t* p, __mmask32 mask) {
  return reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(mask, p));
}

// The 16 lanes in a fixed order: halves, then quarters, and so on. (_mm512_reduce_add_ps and the
// shuffles it is made of start from an undefined register, which GCC 12 warns about.)
LISA_AVX512_BF16 inline float sum_of_lanes(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  for (int width = 8; width >= 1; width /= 2)
    for (int i = 0; i < width; ++i) lanes[i] += lanes[i + width];
  return lanes[0];
}

// One step of 32 k (fewer where `mask` says so) of multiply_block's sums.
template <int MR, int NR, bool kPrefetch>
LISA_AVX512_BF16 __attribute__((always_inline)) inline void add_step(__m512 (&sums)[MR][NR], const uint16_t* x,
                                                                     const uint16_t* w, int64_t K, int64_t k,
                                                                     __mmask32 mask) {
  __m512bh xv[MR];
  LISA_UNROLL_BF16
  for (int m = 0; m < MR; ++m) xv[m] = load_pairs(x + m * K + k, mask);
  LISA_UNROLL_BF16
  for (int n = 0; n < NR; ++n) {
    if (kPrefetch) _mm_prefetch(reinterpret_cast<const char*>(w + (NR + n) * K + k), _MM_HINT_T0);
    const __m512bh wv = load_pairs(w + n * K + k, mask);
    LISA_UNROLL_BF16
    for (int m = 0; m < MR; ++m) sums[m][n] = _mm512_dpbf16_ps(sums[m][n], xv[m], wv);
  }
}

// y[m][n] = x[m] . w[n] for MR rows and NR channels; kPrefetch also asks for the next block's weights.
template <int MR, int NR, bool kPrefetch>
LISA_AVX512_BF16 void multiply_block(const uint16_t* x, const uint16_t* w, int64_t K, float* y, int64_t ldy) {
  __m512 sums[MR][NR];
  LISA_UNROLL_BF16
  for (int m = 0; m < MR; ++m)
    LISA_UNROLL_BF16
    for (int n = 0; n < NR; ++n) sums[m][n] = _mm512_setzero_ps();
  const int64_t full = K - K % kPairsStep;
  for (int64_t k = 0; k < full; k += kPairsStep) add_step<MR, NR, kPrefetch>(sums, x, w, K, k, ~__mmask32{0});
  if (full < K) add_step<MR, NR, kPrefetch>(sums, x, w, K, full, static_cast<__mmask32>((uint64_t{1} << (K - full)) - 1));
  LISA_UNROLL_BF16
  for (int m = 0; m < MR; ++m)
    LISA_UNROLL_BF16
    for (int n = 0; n < NR; ++n) y[m * ldy + n] = sum_of_lanes(sums[m][n]);
}

template <int NR, bool kPrefetch>
void pass_of(int64_t rows, const uint16_t* x, const uint16_t* w, int64_t K, float* y, int64_t N) {
  if (rows == 8) multiply_block<8, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 7) multiply_block<7, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 6) multiply_block<6, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 5) multiply_block<5, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 4) multiply_block<4, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 3) multiply_block<3, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 2) multiply_block<2, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 1) multiply_block<1, NR, kPrefetch>(x, w, K, y, N);
}

// All M rows against NR channels, in passes of kRowsPerPass rows; the first pass prefetches.
template <int NR>
void multiply_channels(const uint16_t* x, int64_t M, const uint16_t* w, int64_t K, float* y, int64_t N) {
  for (int64_t m = 0; m < M; m += kRowsPerPass) {
    const int64_t rows = std::min<int64_t>(M - m, kRowsPerPass);
    if (m == 0) {
      pass_of<NR, true>(rows, x, w, K, y, N);
    } else {
      pass_of<NR, false>(rows, x + m * K, w, K, y + m * N, N);
    }
  }
}

template <int NR>
void multiply_in_blocks_of(const uint16_t* x, int64_t M, const uint16_t* w, int64_t N, int64_t K, float* y) {
  for_each_channel_block<NR>(
      N, [&](int64_t n) { multiply_channels<NR>(x, M, w + n * K, K, y + n, N); },
      [&](int64_t n) { multiply_channels<1>(x, M, w + n * K, K, y + n, N); });
}

}  // namespace

bool cpu_supports() {
  static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512bf16");
  return supported;
}

void multiply(const uint16_t* x, int64_t M, const uint16_t* w, int64_t N, int64_t K, float* y) {
  if (M == 1) {
    multiply_in_blocks_of<kChannelsPerSingleRowBlock>(x, M, w, N, K, y);
  } else {
    multiply_in_blocks_of<kChannelsPerBlock>(x, M, w, N, K, y);
  }
}

#else

bool cpu_supports() { return false; }
void multiply(const uint16_t*, int64_t, const uint16_t*, int64_t, int64_t, float*) {}

#endif

}  // namespace lisa::models::bf16_pairs
