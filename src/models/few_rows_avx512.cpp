#include "models/few_rows_avx512.h"

#include <algorithm>

#include "models/channel_blocks.h"

#include "models/avx512_vectors.h"

namespace lisa::models::avx512 {

#ifdef LISA_AVX512_KERNELS

namespace {

// Rows of x per pass and output channels per block: 8 x 3 sums and 3 weight vectors take 27 of the
// 32 registers, and 8 rows (a batch of 8 sequences) read the weights in one pass. (In bf16, 4 x 4 in
// two passes took 10.6 ms for the mid preset's layers at 8 rows, this 6.9, 1 row 5.4 to 6.1 ms,
// scripts/bench/few_rows_layers.sh mid 2 bf16, 2026-12-02.) A single row takes 8 channels per
// block, so that more independent chains of sums are in flight while the weights stream in.
constexpr int kRowsPerPass = 8;
constexpr int kChannelsPerBlock = 3;
constexpr int kChannelsPerSingleRowBlock = 8;

// 32 bf16 numbers per step, multiplied in pairs and added by VDPBF16PS.
struct Bf16Pairs {
  using Element = uint16_t;
  using Vector = __m512bh;
  using Mask = __mmask32;
  static constexpr int64_t kStep = 32;
  LISA_AVX512 static Vector load(const uint16_t* p, Mask mask) { return load_bf16_pairs(p, mask); }
  LISA_AVX512 static __m512 add_products(__m512 sums, Vector x, Vector w) { return _mm512_dpbf16_ps(sums, x, w); }
};

// One step of L::kStep k (fewer where `mask` says so) of multiply_block's sums.
template <typename L, int MR, int NR, bool kPrefetch>
LISA_AVX512 __attribute__((always_inline)) inline void add_step(__m512 (&sums)[MR][NR],
                                                                     const typename L::Element* x,
                                                                     const typename L::Element* w, int64_t K,
                                                                     int64_t k, typename L::Mask mask) {
  // The NR weight vectors first, then one x vector at a time: 8 x 3 sums, 3 weights and 1 x take 28
  // registers (holding all 8 x vectors as well spilled sums to the stack).
  typename L::Vector wv[NR];
  LISA_UNROLL_512
  for (int n = 0; n < NR; ++n) {
    if (kPrefetch) _mm_prefetch(reinterpret_cast<const char*>(w + (NR + n) * K + k), _MM_HINT_T0);
    wv[n] = L::load(w + n * K + k, mask);
  }
  LISA_UNROLL_512
  for (int m = 0; m < MR; ++m) {
    const typename L::Vector xv = L::load(x + m * K + k, mask);
    LISA_UNROLL_512
    for (int n = 0; n < NR; ++n) sums[m][n] = L::add_products(sums[m][n], xv, wv[n]);
  }
}

// y[m][n] = x[m] . w[n] for MR rows and NR channels; kPrefetch also asks for the next block's weights.
template <typename L, int MR, int NR, bool kPrefetch>
LISA_AVX512 void multiply_block(const typename L::Element* x, const typename L::Element* w, int64_t K, float* y,
                                     int64_t ldy) {
  __m512 sums[MR][NR];
  LISA_UNROLL_512
  for (int m = 0; m < MR; ++m)
    LISA_UNROLL_512
    for (int n = 0; n < NR; ++n) sums[m][n] = _mm512_setzero_ps();
  const int64_t full = K - K % L::kStep;
  for (int64_t k = 0; k < full; k += L::kStep)
    add_step<L, MR, NR, kPrefetch>(sums, x, w, K, k, first_lanes<typename L::Mask>(L::kStep));
  if (full < K) add_step<L, MR, NR, kPrefetch>(sums, x, w, K, full, first_lanes<typename L::Mask>(K - full));
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

template <typename L, int NR, bool kPrefetch, int MR = kRowsPerPass>
void pass_of(int64_t rows, const typename L::Element* x, const typename L::Element* w, int64_t K, float* y,
             int64_t N) {
  if (rows == MR) {
    multiply_block<L, MR, NR, kPrefetch>(x, w, K, y, N);
  } else if constexpr (MR > 1) {
    pass_of<L, NR, kPrefetch, MR - 1>(rows, x, w, K, y, N);
  }
}

// All M rows against NR channels, in passes of kRowsPerPass rows; the first pass prefetches.
template <typename L, int NR>
void multiply_channels(const typename L::Element* x, int64_t M, const typename L::Element* w, int64_t K, float* y,
                       int64_t N) {
  for (int64_t m = 0; m < M; m += kRowsPerPass) {
    const int64_t rows = std::min<int64_t>(M - m, kRowsPerPass);
    if (m == 0) {
      pass_of<L, NR, true>(rows, x, w, K, y, N);
    } else {
      pass_of<L, NR, false>(rows, x + m * K, w, K, y + m * N, N);
    }
  }
}

template <typename L, int NR>
void multiply_in_blocks_of(const typename L::Element* x, int64_t M, const typename L::Element* w, int64_t N, int64_t K,
                           float* y) {
  for_each_channel_block<NR>(
      N, [&](int64_t n) { multiply_channels<L, NR>(x, M, w + n * K, K, y + n, N); },
      [&](int64_t n) { multiply_channels<L, 1>(x, M, w + n * K, K, y + n, N); });
}

template <typename L>
void multiply_rows(const typename L::Element* x, int64_t M, const typename L::Element* w, int64_t N, int64_t K,
                   float* y) {
  if (M == 1) {
    multiply_in_blocks_of<L, kChannelsPerSingleRowBlock>(x, M, w, N, K, y);
  } else {
    multiply_in_blocks_of<L, kChannelsPerBlock>(x, M, w, N, K, y);
  }
}

}  // namespace

void multiply(const uint16_t* x, int64_t M, const uint16_t* w, int64_t N, int64_t K, float* y) {
  multiply_rows<Bf16Pairs>(x, M, w, N, K, y);
}

#else

void multiply(const uint16_t*, int64_t, const uint16_t*, int64_t, int64_t, float*) {}

#endif

}  // namespace lisa::models::avx512
