#include "lisa/models/cpu_native_dtype.h"

namespace lisa::models {

bool cpu_computes_natively(at::ScalarType dtype) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (dtype == at::kBFloat16) return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
  if (dtype == at::kHalf) return __builtin_cpu_supports("avx512fp16");
  return true;
#else
  (void)dtype;
  return true;
#endif
}

}  // namespace lisa::models
