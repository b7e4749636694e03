// Every compute path of QuantizedLinear (each weight-only kernel, each dequantize fallback, on each
// device) against "dequantize, then bf16 matmul", to bf16 rounding; padded widths (344, 200) and
// row counts that are not a multiple of the kernels' tiles; the automatic choice per row count.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "lisa/models/few_rows_linear.h"
#include "lisa/models/linear.h"
#include "lisa/models/quantized_linear.h"
#include "support/cpu_features.h"
#include "support/devices.h"

namespace lisa::models {
namespace {

using Path = QuantizedLinear::Path;

// max |y - reference| / (|reference| + rms(reference)): a bf16 result is within 2^-8 of its value;
// two bf16 results of the same sum differ by a few of those (measured: at most about 2 * 2^-8).
double bf16_disagreement(const at::Tensor& y, const at::Tensor& reference) {
  const at::Tensor r = reference.to(at::kFloat).cpu();
  const at::Tensor rms = r.pow(2).mean().sqrt();
  return ((y.to(at::kFloat).cpu() - r).abs() / (r.abs() + rms)).max().item<double>();
}
constexpr double kBf16Tolerance = 1.0 / 64;  // 4 * 2^-8

struct Case {
  QuantMode mode;
  int64_t out, in, group;
};
// Fused q/k/v and gate/up, down_proj of the tiny checkpoint (width 344: padded to 384 for G = 64),
// a 200 x 200 layer (padded to 256, rows not a multiple of 16), and a width that is no multiple of
// 8 (no int8 kernel: the automatic path must not call it).
const Case kCases[] = {{QuantMode::kInt8, 384, 128, 0},   {QuantMode::kInt8, 128, 336, 0},
                       {QuantMode::kInt8, 200, 208, 0},   {QuantMode::kInt4, 688, 128, 64},
                       {QuantMode::kInt4, 128, 344, 64},  {QuantMode::kInt4, 200, 200, 64},
                       {QuantMode::kInt4, 128, 344, 128}, {QuantMode::kInt4, 96, 256, 32}};

class QuantLinear : public lisa::testing::OnEachDevice {};

TEST_P(QuantLinear, EveryPathAgreesWithTheDequantizedBf16Matmul) {
  at::manual_seed(4);
  for (const Case& c : kCases) {
    const QuantizedWeight weight = quantize_weight(0.05 * at::randn({c.out, c.in}), c.mode, c.group);
    const at::Tensor dense = weight.dequantize(at::kBFloat16).to(device());
    for (Path path : {Path::kKernel, Path::kDequantize, Path::kAuto}) {
      const QuantizedLinear layer(weight, device(), path);
      for (int64_t rows : {int64_t{1}, int64_t{5}, int64_t{300}}) {
        SCOPED_TRACE(to_string(c.mode) + " [" + std::to_string(c.out) + ", " + std::to_string(c.in) +
                     "] G=" + std::to_string(c.group) + " path " + std::to_string(static_cast<int>(path)) + ", " +
                     std::to_string(rows) + " rows");
        const at::Tensor x = at::randn({1, rows, c.in}).to(device(), at::kBFloat16);
        const at::Tensor y = layer(x);
        ASSERT_EQ(y.sizes(), at::IntArrayRef({1, rows, c.out}));
        EXPECT_EQ(y.scalar_type(), at::kBFloat16);
        EXPECT_LE(bf16_disagreement(y, at::linear(x, dense)), kBf16Tolerance);
      }
    }
  }
}

// An fp32 run: the kernels see bf16 activations and give fp32 back; the result is the bf16 one.
TEST_P(QuantLinear, Fp32ActivationsComeBackInFp32) {
  at::manual_seed(5);
  for (QuantMode mode : {QuantMode::kInt8, QuantMode::kInt4}) {
    const QuantizedWeight weight = quantize_weight(0.05 * at::randn({128, 352}), mode, 64);
    const at::Tensor x = at::randn({3, 352}).to(device());
    for (Path path : {Path::kKernel, Path::kDequantize}) {
      const at::Tensor y = QuantizedLinear(weight, device(), path)(x);
      EXPECT_EQ(y.scalar_type(), at::kFloat);
      EXPECT_LE(bf16_disagreement(y, at::linear(x, weight.dequantize(at::kFloat).to(device()))), kBf16Tolerance)
          << to_string(mode);
    }
  }
}

// A width that is no multiple of 16 crashes torch 2.11's CPU int8 kernel or makes it return NaN:
// widths that are not multiples of 8 on every CPU, multiples of 8 but not of 16 (40, 344) on AVX-512
// ones. The layer never calls it: a decoding step's rows go through the few-rows kernel where the CPU
// has AVX2 (few_rows_linear.h), the dequantize path elsewhere and at other row counts.
TEST_P(QuantLinear, Int8WidthsWithoutAKernelUseTheDequantizePath) {
  for (int64_t width : {36, 40, 344}) {
    const QuantizedWeight weight = quantize_weight(at::randn({16, width}), QuantMode::kInt8, 0);
    const QuantizedLinear layer(weight, device());
    for (int64_t rows : {1, 5}) {
      const at::Tensor x = at::randn({rows, width}).to(device(), at::kBFloat16);
      EXPECT_LE(bf16_disagreement(layer(x), at::linear(x, weight.dequantize(at::kBFloat16).to(device()))),
                kBf16Tolerance)
          << "width " << width << ", " << rows << " rows";
    }
  }
}

// Values read in place from a checkpoint file need not be aligned; torch's AVX-512 int8 kernel reads
// each row with 16-byte aligned loads and crashed on values 8 bytes off, so the layer copies them.
TEST_P(QuantLinear, Int8ValuesAtAnUnalignedAddressStillMultiply) {
  at::manual_seed(7);
  QuantizedWeight weight = quantize_weight(at::randn({1003, 128}), QuantMode::kInt8, 0);
  const at::Tensor dense = weight.dequantize(at::kBFloat16).to(device());
  const at::Tensor storage = at::empty({weight.values.numel() + 8}, weight.values.options());
  weight.values = storage.narrow(0, 8, weight.values.numel()).view(weight.values.sizes()).copy_(weight.values);
  ASSERT_NE(reinterpret_cast<uintptr_t>(weight.values.data_ptr()) % 16, 0u);
  const QuantizedLinear layer(weight, device());
  for (int64_t rows : {1, 5}) {
    const at::Tensor x = at::randn({rows, 128}).to(device(), at::kBFloat16);
    EXPECT_LE(bf16_disagreement(layer(x), at::linear(x, dense)), kBf16Tolerance) << rows << " rows";
  }
}

// The engine's few-rows int8 kernel: the dequantized matmul to bf16 rounding at any width (no
// multiple of 8 or 16 needed), what the automatic path gives for a decoding step's rows, and each
// row's bits the same whatever the number of rows (batched decoding equals unbatched).
TEST(QuantLinearFewRows, Int8AgreesWithTheDequantizedMatmulRowByRow) {
  if (!lisa::testing::cpu_has_avx2_and_fma()) GTEST_SKIP() << "the kernel needs AVX2 + FMA";
  at::manual_seed(8);
  for (const auto& [out, in] : {std::pair<int64_t, int64_t>{384, 128}, {200, 208}, {130, 37}}) {
    SCOPED_TRACE("[" + std::to_string(out) + ", " + std::to_string(in) + "]");
    const QuantizedWeight weight = quantize_weight(0.05 * at::randn({out, in}), QuantMode::kInt8, 0);
    const QuantizedLinear layer(weight, at::kCPU, Path::kFewRows);
    for (const auto dtype : {at::kBFloat16, at::kFloat}) {
      const at::Tensor x = at::randn({kFewRowsMaxRows, in}).to(dtype);
      const at::Tensor all = layer(x);
      EXPECT_EQ(all.scalar_type(), dtype);
      EXPECT_LE(bf16_disagreement(all, at::linear(x.to(at::kFloat), weight.dequantize(at::kFloat))), kBf16Tolerance);
      EXPECT_TRUE(at::equal(QuantizedLinear(weight, at::kCPU)(x), all));
      for (int64_t row : {0, 7, 15}) EXPECT_TRUE(at::equal(layer(x.narrow(0, row, 1)), all.narrow(0, row, 1))) << row;
    }
  }
}

// Linear::quantize is what the LLaMA layers use; kNone keeps the weight itself.
TEST_P(QuantLinear, LinearQuantizeKeepsOneInterface) {
  at::manual_seed(6);
  const at::Tensor w = (0.05 * at::randn({64, 128})).to(device());
  // More rows than a decoding step, so that the dense layer is at::linear itself (few_rows_linear.h).
  const at::Tensor x = at::randn({kFewRowsMaxRows + 4, 128}).to(device());
  const Linear dense = Linear::quantize(w, QuantMode::kNone, 64);
  EXPECT_FALSE(dense.quantized);
  EXPECT_TRUE(at::equal(dense(x), at::linear(x, w)));
  const Linear int4 = Linear::quantize(w, QuantMode::kInt4, 64);
  ASSERT_TRUE(int4.quantized);
  EXPECT_FALSE(int4.weight.defined());
  EXPECT_LT(int4.bytes(), 64 * 128 / 2 + 64 * 2 * 2 * 2 + 1);
  const at::Tensor exact = at::linear(x, w);  // int4's error, not a wrong layout's:
  EXPECT_LE(((int4(x) - exact).pow(2).mean().sqrt() / exact.pow(2).mean().sqrt()).item<double>(), 0.12);
}

INSTANTIATE_TEST_SUITE_P(Devices, QuantLinear, ::testing::ValuesIn(lisa::testing::parity_devices()),
                         lisa::testing::device_test_name);

}  // namespace
}  // namespace lisa::models
