#pragma once
// AVX2 + FMA helpers shared by the CPU decoding kernels (few_rows_linear.cpp, decode_attention.cpp).
// Everything here is compiled for AVX2 + FMA whatever the build's -march; callers check
// cpu_has_avx2_and_fma() before they call any of it.
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LISA_AVX2_KERNELS 1
#define LISA_AVX2_FMA __attribute__((target("avx2,fma")))
// Accumulator arrays must be registers: without full unrolling GCC keeps them on the stack.
#define LISA_UNROLL _Pragma("GCC unroll 16")
#endif

namespace lisa::models::avx2 {

#ifdef LISA_AVX2_KERNELS

inline bool cpu_has_avx2_and_fma() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
}

LISA_AVX2_FMA inline float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// Eight values as fp32: fp32 as they are; bf16 (its bits as uint16_t) are the high halves of fp32.
LISA_AVX2_FMA inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
LISA_AVX2_FMA inline __m256 load8(const uint16_t* p) {
  const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
}
// int8 (the levels of an int8-quantized weight) as exact fp32 values.
LISA_AVX2_FMA inline __m256 load8(const int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

#else

inline bool cpu_has_avx2_and_fma() { return false; }

#endif

inline float to_float(float value) { return value; }
inline float to_float(int8_t value) { return static_cast<float>(value); }
inline float to_float(uint16_t bf16_bits) {
  const uint32_t bits = static_cast<uint32_t>(bf16_bits) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// One element as fp32, read byte-wise. A weight read in place from a checkpoint file need not be
// aligned to its element size (UndefinedBehaviorSanitizer reported a float at an address 2 bytes
// off, 2026-12-02): the vector loads (loadu) allow that, a plain scalar load is undefined behaviour.
template <typename T>
inline float scalar_at(const T* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return to_float(value);
}

}  // namespace lisa::models::avx2
