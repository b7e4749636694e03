// The decoding-step product of few_rows_linear.h, fp32 and bf16: agrees with an fp64 product within the error bound
// of its summation order, gives each row the bits of a single-row call (what makes batched decoding
// equal unbatched), and is chosen only where it applies; Linear uses it for small fp32 inputs.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "lisa/models/avx512_kernels.h"
#include "lisa/models/few_rows_linear.h"
#include "lisa/models/linear.h"
#include "support/cpu_features.h"
#include "support/scoped_switch.h"

namespace lisa::models {
namespace {

struct FewRowsSwitch : testing::ScopedSwitch {
  explicit FewRowsSwitch(bool on) : ScopedSwitch(few_rows_linear_enabled, set_few_rows_linear_enabled, on) {}
};
// bf16 on a CPU with AVX512-BF16 has two paths (AVX-512, AVX2): the tests run both.
struct Avx512Switch : testing::ScopedSwitch {
  explicit Avx512Switch(bool on) : ScopedSwitch(avx512_kernels_enabled, set_avx512_kernels_enabled, on) {}
};

bool kernel_runs_here() { return testing::cpu_has_avx2_and_fma(); }

// The largest |y - exact| over all elements, in units of the bound of the kernel's arithmetic: K/8
// sums per lane, 3 horizontal additions, then at most 7 tail terms, each rounding once in fp32 (2^-24
// relative), so the sum is off by less than (K/8 + 10) * 2^-24 * sum_k |x_k w_k|; a bf16 result is
// then rounded once more, by at most 2^-9 of its value (2^-8 allowed for the sum's own error). The
// AVX-512 bf16 path rounds less often: K/16 sums per lane (2 per 32 k), then 4 horizontal additions.
double error_in_bounds(const at::Tensor& y, const at::Tensor& x, const at::Tensor& w) {
  const at::Tensor exact = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
  const at::Tensor scale = at::matmul(x.to(at::kDouble).abs(), w.to(at::kDouble).abs().t());
  const double unit = (static_cast<double>(x.size(1)) / 8 + 10) * std::ldexp(1.0, -24);
  at::Tensor bound = scale * unit;
  if (y.scalar_type() == at::kBFloat16) bound = bound + exact.abs() * std::ldexp(1.0, -8);
  return ((y.to(at::kDouble) - exact).abs() / bound).max().item<double>();
}

TEST(FewRowsLinear, Avx512KernelsAvailableExactlyWhereTheCpuHasAvx512Bf16) {
  EXPECT_EQ(avx512_bf16_kernels_available(), testing::cpu_has_avx512_bf16());
  const Avx512Switch off(false);
  EXPECT_FALSE(avx512_bf16_kernels_available());
}

TEST(FewRowsLinear, AvailableExactlyWhereTheCpuHasAvx2AndFma) {
  EXPECT_EQ(few_rows_linear_available(), testing::cpu_has_avx2_and_fma());
  EXPECT_EQ(few_rows_linear_applies(at::ones({1, 8}), at::ones({1, 8})), testing::cpu_has_avx2_and_fma());
  const FewRowsSwitch off(false);
  EXPECT_FALSE(few_rows_linear_available());
}

TEST(FewRowsLinear, AgreesWithTheExactProductWithinItsRoundingBound) {
  if (!kernel_runs_here()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: at::linear runs everywhere";
  at::manual_seed(11);
  // Widths with and without a k % 8 (k % 32) tail, channel counts with and without a block tail.
  for (const bool avx512 : {true, false})
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16})
    for (int64_t in : {1, 7, 8, 33, 344, 1024})
      for (int64_t out : {1, 3, 4, 130})
        for (int64_t rows : {1, 2, 3, 4, 5, 8, 9, 16}) {
          const Avx512Switch path(avx512);
          SCOPED_TRACE(std::string(c10::toString(dtype)) + (avx512 ? " (AVX-512 where the CPU has it)" : "") + " [" +
                       std::to_string(rows) + ", " + std::to_string(in) + "] x [" + std::to_string(out) + ", " +
                       std::to_string(in) + "]");
          const at::Tensor x = at::randn({rows, in}).to(dtype);
          const at::Tensor w = at::randn({out, in}).to(dtype);
          const at::Tensor y = few_rows_linear(x, w);
          ASSERT_EQ(y.sizes(), (at::IntArrayRef{rows, out}));
          ASSERT_EQ(y.scalar_type(), dtype);
          EXPECT_LE(error_in_bounds(y, x, w), 1.0);
        }
}

TEST(FewRowsLinear, EachRowHasTheBitsOfASingleRowCall) {
  if (!kernel_runs_here()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: at::linear runs everywhere";
  at::manual_seed(12);
  for (const bool avx512 : {true, false})
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const Avx512Switch path(avx512);
    const at::Tensor w = at::randn({130, 344}).to(dtype);
    for (int64_t rows = 1; rows <= kFewRowsMaxRows; ++rows) {
      const at::Tensor x = at::randn({rows, 344}).to(dtype);
      const at::Tensor y = few_rows_linear(x, w);
      for (int64_t m = 0; m < rows; ++m)
        EXPECT_TRUE(at::equal(few_rows_linear(x.slice(0, m, m + 1), w), y.slice(0, m, m + 1)))
            << c10::toString(dtype) << " row " << m << " of " << rows << (avx512 ? " (AVX-512)" : "");
    }
  }
}

// The suite runs libtorch on one thread; the CLI on all cores. Each output is one thread's work, so
// the thread count must not change a bit.
TEST(FewRowsLinear, ThreadsSplitTheOutputsWithoutChangingThem) {
  if (!kernel_runs_here()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: at::linear runs everywhere";
  at::manual_seed(14);
  for (const bool avx512 : {true, false})
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const Avx512Switch path(avx512);
    // Several parallel_for tasks of 64 or 85 blocks, and a tail of channels.
    const at::Tensor w = at::randn({1030, 344}).to(dtype);
    const at::Tensor x = at::randn({8, 344}).to(dtype);
    const int before = at::get_num_threads();
    at::set_num_threads(1);
    const at::Tensor one = few_rows_linear(x, w);
    at::set_num_threads(2);
    const at::Tensor two = few_rows_linear(x, w);
    at::set_num_threads(before);
    EXPECT_TRUE(at::equal(one, two)) << c10::toString(dtype);
    EXPECT_LE(error_in_bounds(two, x, w), 1.0) << c10::toString(dtype);
  }
}

// A weight read in place from a checkpoint file may start at any byte; the kernel reads it there
// (UndefinedBehaviorSanitizer once reported its scalar tail loading a float 2 bytes off alignment).
TEST(FewRowsLinear, ReadsAWeightStartingAtAnOddAddress) {
  if (!kernel_runs_here()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: at::linear runs everywhere";
  at::manual_seed(15);
  for (const bool avx512 : {true, false})
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const Avx512Switch path(avx512);
    const at::Tensor w = at::randn({5, 13}).to(dtype);  // 13 columns: a scalar (masked) tail after 8 (0)
    const at::Tensor x = at::randn({3, 13}).to(dtype);
    std::vector<char> bytes(w.nbytes() + 1);
    char* odd = bytes.data() + (reinterpret_cast<uintptr_t>(bytes.data()) % 2 == 0 ? 1 : 0);
    std::memcpy(odd, w.data_ptr(), w.nbytes());
    const at::Tensor unaligned = at::from_blob(odd, w.sizes(), w.options());
    EXPECT_TRUE(at::equal(few_rows_linear(x, unaligned), few_rows_linear(x, w))) << c10::toString(dtype);
  }
}

TEST(FewRowsLinear, AppliesOnlyToFewFp32OrBf16RowsOnTheCpu) {
  if (!kernel_runs_here()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: at::linear runs everywhere";
  const at::Tensor w = at::randn({16, 32});
  EXPECT_TRUE(few_rows_linear_applies(at::randn({kFewRowsMaxRows, 32}), w));
  EXPECT_FALSE(few_rows_linear_applies(at::randn({kFewRowsMaxRows + 1, 32}), w));  // prefill: the GEMM
  EXPECT_FALSE(few_rows_linear_applies(at::randn({0, 32}), w));
  EXPECT_TRUE(few_rows_linear_applies(at::randn({2, 32}).to(at::kBFloat16), w.to(at::kBFloat16)));
  EXPECT_FALSE(few_rows_linear_applies(at::randn({2, 32}), w.to(at::kBFloat16)));  // mixed dtypes
  EXPECT_FALSE(few_rows_linear_applies(at::randn({2, 32}).to(at::kHalf), w.to(at::kHalf)));
  EXPECT_FALSE(few_rows_linear_applies(at::randn({2, 32}), at::randn({32, 16}).t()));  // not contiguous
  EXPECT_FALSE(few_rows_linear_applies(at::randn({2, 31}), w));
  {
    const c10::AutoGradMode grad(true);
    EXPECT_FALSE(few_rows_linear_applies(at::randn({2, 32}).requires_grad_(), w));
  }
  const FewRowsSwitch off(false);
  EXPECT_FALSE(few_rows_linear_applies(at::randn({2, 32}), w));
}

TEST(FewRowsLinear, LinearUsesItForADecodingStepAndAddsTheBias) {
  if (!kernel_runs_here()) GTEST_SKIP() << "no AVX2 + FMA on this CPU: at::linear runs everywhere";
  at::manual_seed(13);
  Linear layer;
  layer.weight = at::randn({130, 344});
  layer.bias = at::randn({130});
  const at::Tensor x = at::randn({2, 3, 344});  // 6 rows: the kernel
  const at::Tensor y = layer(x);
  ASSERT_EQ(y.sizes(), (at::IntArrayRef{2, 3, 130}));
  EXPECT_TRUE(at::equal(y, (few_rows_linear(x.reshape({6, 344}), layer.weight) + layer.bias).view({2, 3, 130})));
  const FewRowsSwitch off(false);
  EXPECT_TRUE(at::allclose(layer(x), y, 1e-4, 1e-4));  // at::linear, another summation order
}

}  // namespace
}  // namespace lisa::models
