#include "lisa/models/few_rows_linear.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "avx2_vectors.h"
#include "lisa/error.h"
#include "lisa/models/avx512_kernels.h"
#include "models/channel_blocks.h"
#include "models/few_rows_avx512.h"

namespace lisa::models {

namespace {

std::atomic<bool> g_few_rows_enabled{true};

#ifdef LISA_AVX2_KERNELS

using avx2::horizontal_sum;
using avx2::load8;

// Output channels per block: the rows of W read together. With kRowsPerBlock rows of x at most, the
// accumulators (3 x 4), the x vectors (3) and one W vector fill the 16 AVX2 registers.
constexpr int kChannelsPerBlock = 4;
constexpr int kChannelsPerSingleRowBlock = 8;
constexpr int kRowsPerBlock = 3;  // multiply_channels dispatches passes of 3, 2 or 1 rows

constexpr int64_t kLineBytes = 64;

// y[m][n] = x[m] . w[n] for MR rows of x and NR rows of w. Each (m, n) is 8 lane sums over k in steps
// of 8, one horizontal sum, then the k % 8 tail in order: the same for every MR and NR.
// kPrefetch: also ask for the next NR rows of w (the next block) while reading this block's, so that
// memory keeps streaming while the FMAs run. The first pass over a block does it. (Spreading those
// prefetches over all passes was measured slower, 2026-12-02: 59-69 ms against 53-55 ms for 8 rows
// through the mid model's layers.)
template <int MR, int NR, bool kPrefetch, typename W>
LISA_AVX2_FMA void multiply_block(const float* x, const W* w, int64_t K, float* y, int64_t ldy) {
  constexpr int64_t kWeightsPerLine = kLineBytes / static_cast<int64_t>(sizeof(W));
  __m256 acc[MR][NR];
  LISA_UNROLL
  for (int m = 0; m < MR; ++m)
    LISA_UNROLL
    for (int n = 0; n < NR; ++n) acc[m][n] = _mm256_setzero_ps();
  const int64_t k8 = K - K % 8;
  for (int64_t k = 0; k < k8; k += 8) {
    if (kPrefetch && k % kWeightsPerLine == 0) {
      LISA_UNROLL
      for (int n = 0; n < NR; ++n) _mm_prefetch(reinterpret_cast<const char*>(w + (NR + n) * K + k), _MM_HINT_T0);
    }
    __m256 xv[MR];
    LISA_UNROLL
    for (int m = 0; m < MR; ++m) xv[m] = _mm256_loadu_ps(x + m * K + k);
    LISA_UNROLL
    for (int n = 0; n < NR; ++n) {
      const __m256 wv = load8(w + n * K + k);
      LISA_UNROLL
      for (int m = 0; m < MR; ++m) acc[m][n] = _mm256_fmadd_ps(xv[m], wv, acc[m][n]);
    }
  }
  LISA_UNROLL
  for (int m = 0; m < MR; ++m)
    LISA_UNROLL
    for (int n = 0; n < NR; ++n) {
      float sum = horizontal_sum(acc[m][n]);
      for (int64_t k = k8; k < K; ++k) sum = std::fma(x[m * K + k], avx2::scalar_at(w + n * K + k), sum);
      y[m * ldy + n] = sum;
    }
}

template <int NR, bool kPrefetch, typename W>
LISA_AVX2_FMA void pass_of(int64_t rows, const float* x, const W* w, int64_t K, float* y, int64_t N) {
  if (rows == 3) multiply_block<3, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 2) multiply_block<2, NR, kPrefetch>(x, w, K, y, N);
  if (rows == 1) multiply_block<1, NR, kPrefetch>(x, w, K, y, N);
}

// All M rows of x against NR rows of w, in passes of up to kRowsPerBlock rows.
template <int NR, typename W>
LISA_AVX2_FMA void multiply_channels(const float* x, int64_t M, const W* w, int64_t K, float* y, int64_t N) {
  const int64_t passes = (M + kRowsPerBlock - 1) / kRowsPerBlock;
  int64_t m = 0;
  for (int64_t pass = 0; pass < passes; ++pass, m += kRowsPerBlock) {
    const int64_t rows = std::min<int64_t>(M - m, kRowsPerBlock);
    if (pass == 0) {
      pass_of<NR, true>(rows, x, w, K, y, N);
    } else {
      pass_of<NR, false>(rows, x + m * K, w, K, y + m * N, N);
    }
  }
}

template <int NR, typename W>
void multiply_in_blocks_of(const float* x, int64_t M, const W* w, int64_t N, int64_t K, float* y) {
  for_each_channel_block<NR>(
      N, [&](int64_t n) { multiply_channels<NR>(x, M, w + n * K, K, y + n, N); },
      [&](int64_t n) { multiply_channels<1>(x, M, w + n * K, K, y + n, N); });
}

// One row of x (a single sequence's decoding step) reads 8 channels per block: with 4, each
// accumulator's chain of dependent FMAs, not memory, set the pace. Which channels go together does
// not change any output's operations, so the bits are the same either way.
template <typename W>
void multiply(const float* x, int64_t M, const W* w, int64_t N, int64_t K, float* y) {
  if (M == 1) {
    multiply_in_blocks_of<kChannelsPerSingleRowBlock>(x, M, w, N, K, y);
  } else {
    multiply_in_blocks_of<kChannelsPerBlock>(x, M, w, N, K, y);
  }
}

#else

template <typename W>
void multiply(const float*, int64_t, const W*, int64_t, int64_t, float*) {}

#endif

}  // namespace

bool few_rows_linear_applies(const at::Tensor& x2d, const at::Tensor& weight) {
  if (!few_rows_linear_available()) return false;
  if (!x2d.device().is_cpu() || !weight.device().is_cpu()) return false;
  const at::ScalarType dtype = weight.scalar_type();
  if ((dtype != at::kFloat && dtype != at::kBFloat16) || x2d.scalar_type() != dtype) return false;
  if (x2d.dim() != 2 || weight.dim() != 2 || x2d.size(1) != weight.size(1)) return false;
  if (x2d.size(0) < 1 || x2d.size(0) > kFewRowsMaxRows || !weight.is_contiguous()) return false;
  return !(c10::GradMode::is_enabled() && (x2d.requires_grad() || weight.requires_grad()));
}

at::Tensor few_rows_linear(const at::Tensor& x2d, const at::Tensor& weight) {
  LISA_INTERNAL_ASSERT(few_rows_linear_applies(x2d, weight), "few_rows_linear on x ", x2d.sizes(), " ",
                       x2d.scalar_type(), " and weight ", weight.sizes(), " ", weight.scalar_type());
  if (weight.scalar_type() == at::kBFloat16 && avx512_bf16_kernels_available()) {
    const at::Tensor x = x2d.contiguous();
    at::Tensor y = at::empty({x.size(0), weight.size(0)}, x.options().dtype(at::kFloat));
    avx512::multiply(reinterpret_cast<const uint16_t*>(x.data_ptr<at::BFloat16>()), x.size(0),
                     reinterpret_cast<const uint16_t*>(weight.data_ptr<at::BFloat16>()), weight.size(0),
                     weight.size(1), y.data_ptr<float>());
    return y.to(at::kBFloat16);
  }
  // Products in fp32 for both dtypes; bf16 rounds once, at the end, as libtorch's bf16 GEMM does.
  const at::Tensor x = x2d.to(at::kFloat).contiguous();
  at::Tensor y = at::empty({x.size(0), weight.size(0)}, x.options());
  if (weight.scalar_type() == at::kFloat) {
    multiply(x.data_ptr<float>(), x.size(0), weight.data_ptr<float>(), weight.size(0), weight.size(1),
             y.data_ptr<float>());
  } else {
    multiply(x.data_ptr<float>(), x.size(0), reinterpret_cast<const uint16_t*>(weight.data_ptr<at::BFloat16>()),
             weight.size(0), weight.size(1), y.data_ptr<float>());
  }
  return y.to(x2d.scalar_type());
}

bool few_rows_int8_linear_applies(const at::Tensor& x2d, const at::Tensor& levels, const at::Tensor& scales) {
  if (!few_rows_linear_available()) return false;
  if (!x2d.device().is_cpu() || !levels.device().is_cpu() || !scales.device().is_cpu()) return false;
  if (x2d.scalar_type() != at::kFloat && x2d.scalar_type() != at::kBFloat16) return false;
  if (levels.scalar_type() != at::kChar || levels.dim() != 2 || !levels.is_contiguous()) return false;
  if (scales.dim() != 1 || scales.size(0) != levels.size(0)) return false;
  if (x2d.dim() != 2 || x2d.size(1) != levels.size(1)) return false;
  if (x2d.size(0) < 1 || x2d.size(0) > kFewRowsMaxRows) return false;
  return !(c10::GradMode::is_enabled() && x2d.requires_grad());
}

at::Tensor few_rows_int8_linear(const at::Tensor& x2d, const at::Tensor& levels, const at::Tensor& scales) {
  LISA_INTERNAL_ASSERT(few_rows_int8_linear_applies(x2d, levels, scales), "few_rows_int8_linear on x ", x2d.sizes(),
                       " ", x2d.scalar_type(), " and levels ", levels.sizes(), " ", levels.scalar_type());
  const at::Tensor x = x2d.to(at::kFloat).contiguous();
  at::Tensor y = at::empty({x.size(0), levels.size(0)}, x.options());
  multiply(x.data_ptr<float>(), x.size(0), levels.data_ptr<int8_t>(), levels.size(0), levels.size(1),
           y.data_ptr<float>());
  return y.mul_(scales.to(at::kFloat)).to(x2d.scalar_type());
}

void set_few_rows_linear_enabled(bool enabled) { g_few_rows_enabled.store(enabled, std::memory_order_relaxed); }
bool few_rows_linear_enabled() { return g_few_rows_enabled.load(std::memory_order_relaxed); }
bool few_rows_linear_available() { return few_rows_linear_enabled() && avx2::cpu_has_avx2_and_fma(); }

}  // namespace lisa::models
