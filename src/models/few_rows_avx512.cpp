#include "models/few_rows_avx512.h"

#include <algorithm>

#include "models/avx512_vectors.h"
#include "models/channel_blocks.h"

namespace lisa::models::avx512 {

#ifdef LISA_AVX512_KERNELS

namespace {

// Rows of x per pass and output channels per block: 8 x 3 sums, 3 weight vectors and one x vector
// take 28 of the 32 registers, and 8 rows (a batch of 8 sequences) read the weights in one pass. (In bf16, 4 x 4 in
// two passes took 10.6 ms for the mid preset's layers at 8 rows, this 6.9, 1 row 5.4 to 6.1 ms,
// scripts/bench/few_rows_layers.sh mid 2 bf16, 2026-12-02.) A single row takes 8 channels per
// block, so that more independent chains of sums are in flight while the weights stream in.
constexpr int kRowsPerPass = 8;
constexpr int kChannelsPerBlock = 3;
constexpr int kChannelsPerSingleRowBlock = 8;

constexpr int64_t kStep = 32;  // bf16 numbers per 512-bit register, multiplied in pairs by VDPBF16PS

// One step of kStep k (fewer where `mask` says so) of multiply_block's sums.
template <int MR, int NR, bool kPrefetch>
LISA_AVX512 __attribute__((always_inline)) inline void add_step(__m512 (&sums)[MR][NR], const uint16_t* x,
                                                                const uint16_t* w, int64_t K, int64_t k,
                                                                __mmask32 mask) {
  // The NR weight vectors first, then one x vector at a time: 8 x 3 sums, 3 weights and 1 x take 28
  // registers (holding all 8 x vectors as well spilled sums to the stack).
  __m512bh wv[NR];
  LISA_UNROLL_512
  for (int n = 0; n < NR; ++n) {
    if (kPrefetch) _mm_prefetch(reinterpret_cast<const char*>(w + (NR + n) * K + k), _MM_HINT_T0);
    wv[n] = load_bf16_pairs(w + n * K + k, mask);
  }
  LISA_UNROLL_512
  for (int m = 0; m < MR; ++m) {
    const __m512bh xv = load_bf16_pairs(x + m * K + k, mask);
    LISA_UNROLL_512
    for (int n = 0; n < NR; ++n) sums[m][n] = _mm512_dpbf16_ps(sums[m][n], xv, wv[n]);
  }
}

// y[m][n] = x[m] . w[n] for MR rows and NR channels; kPrefetch also asks for the next block's weights.
template <int MR, int NR, bool kPrefetch>
LISA_AVX512 void multiply_block(const uint16_t* x, const uint16_t* w, int64_t K, float* y, int64_t ldy) {
  __m512 sums[MR][NR];
  LISA_UNROLL_512
  for (int m = 0; m < MR; ++m)
    LISA_UNROLL_512
    for (int n = 0; n < NR; ++n) sums[m][n] = _mm512_setzero_ps();
  const int64_t full = K - K % kStep;
  for (int64_t k = 0; k < full; k += kStep) add_step<MR, NR, kPrefetch>(sums, x, w, K, k, first_lanes(kStep));
  if (full < K) add_step<MR, NR, kPrefetch>(sums, x, w, K, full, first_lanes(K - full));
  // The MR x NR sums four at a time (zeros after the last).
  constexpr int kSums = MR * NR, kPadded = (kSums + 3) / 4 * 4;
  __m512 all[kPadded];
  LISA_UNROLL_512
  for (int i = 0; i < kPadded; ++i) all[i] = i < kSums ? sums[i / NR][i % NR] : _mm512_setzero_ps();
  LISA_UNROLL_512
  for (int i = 0; i < kSums; i += 4) {
    alignas(16) float four[4];
    _mm_store_ps(four, sums_of_lanes(all[i], all[i + 1], all[i + 2], all[i + 3]));
    for (int j = i; j < i + 4 && j < kSums; ++j) y[(j / NR) * ldy + j % NR] = four[j - i];
  }
}

template <int NR, bool kPrefetch, int MR = kRowsPerPass>
void pass_of(int64_t rows, const uint16_t* x, const uint16_t* w, int64_t K, float* y, int64_t N) {
  if (rows == MR) {
    multiply_block<MR, NR, kPrefetch>(x, w, K, y, N);
  } else if constexpr (MR > 1) {
    pass_of<NR, kPrefetch, MR - 1>(rows, x, w, K, y, N);
  }
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

void multiply(const uint16_t* x, int64_t M, const uint16_t* w, int64_t N, int64_t K, float* y) {
  if (M == 1) {
    multiply_in_blocks_of<kChannelsPerSingleRowBlock>(x, M, w, N, K, y);
  } else {
    multiply_in_blocks_of<kChannelsPerBlock>(x, M, w, N, K, y);
  }
}

#else

void multiply(const uint16_t*, int64_t, const uint16_t*, int64_t, int64_t, float*) {}

#endif

}  // namespace lisa::models::avx512
