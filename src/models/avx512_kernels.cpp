#include "lisa/models/avx512_kernels.h"

#include <atomic>

#include "models/avx512_vectors.h"

namespace lisa::models {

namespace {
std::atomic<bool> g_avx512_enabled{true};

bool cpu_has_avx512_bf16() {
#ifdef LISA_AVX512_KERNELS
  static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
  return supported;
#else
  return false;
#endif
}
}  // namespace

void set_avx512_kernels_enabled(bool enabled) { g_avx512_enabled.store(enabled, std::memory_order_relaxed); }
bool avx512_kernels_enabled() { return g_avx512_enabled.load(std::memory_order_relaxed); }
bool avx512_bf16_kernels_available() { return avx512_kernels_enabled() && cpu_has_avx512_bf16(); }

}  // namespace lisa::models
