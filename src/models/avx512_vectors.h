#pragma once
// AVX-512 helpers of the CPU decoding kernels' AVX-512 paths (few_rows_avx512.cpp). Compiled for
// AVX512F, BW, VL and BF16 whatever the build's -march; callers check avx512_bf16_kernels_available()
// before they call any of it.
#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__) && (defined(__clang__) || __GNUC__ >= 10)
#include <immintrin.h>
#define LISA_AVX512_KERNELS 1
#define LISA_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define LISA_UNROLL_512 _Pragma("GCC unroll 16")

namespace lisa::models::avx512 {

// v's upper 8 lanes added to its lower 8. (The maskz form: the plain extraction and casts start from
// an undefined register, which GCC 12 warns about.)
LISA_AVX512 inline __m256 add_halves(__m512 v) {
  const __m512d bits = _mm512_castps_pd(v);
  return _mm256_add_ps(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, bits, 0)),
                       _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, bits, 1)));
}

// The sums of the 16 lanes of a, b, c and d, as lanes 0 to 3. Each register's lanes are added in
// one fixed order (halves, then pairs, pairs of pairs, and the two 128-bit halves), whatever the
// other three hold: pass zeros for fewer than four.
LISA_AVX512 inline __m128 sums_of_lanes(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m256 ab = _mm256_hadd_ps(add_halves(a), add_halves(b));  // a01 a23 b01 b23 | a45 a67 b45 b67
  const __m256 cd = _mm256_hadd_ps(add_halves(c), add_halves(d));
  const __m256 abcd = _mm256_hadd_ps(ab, cd);  // a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// Up to 32 bf16 numbers (their bits), zeros where `mask` has no bit, as pairs for VDPBF16PS. A full
// mask takes a plain load: masked loads made an AVX-512 attention loop 2 to 3x slower on the AMD
// machine of docs/benchmarks.md (2026-12-02).
LISA_AVX512 inline __m512bh load_bf16_pairs(const uint16_t* p, __mmask32 mask) {
  if (mask == static_cast<__mmask32>(~0u)) return reinterpret_cast<__m512bh>(_mm512_loadu_si512(p));
  return reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(mask, p));
}

// The mask of the first `count` of 32 lanes (all of them from 32 on).
inline __mmask32 first_lanes(int64_t count) {
  return static_cast<__mmask32>(count >= 32 ? ~uint64_t{0} : (uint64_t{1} << count) - 1);
}

}  // namespace lisa::models::avx512

#endif
