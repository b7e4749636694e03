#pragma once
// What the CPU offers, asked of the CPU directly and not of the code under test, so that a broken
// detection in a kernel cannot turn its tests into skips (each kernel's test checks the detection).

namespace lisa::testing {

inline bool cpu_has_avx2_and_fma() {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

inline bool cpu_has_avx512_bf16() {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

}  // namespace lisa::testing
