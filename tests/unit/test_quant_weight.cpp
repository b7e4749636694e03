// Quantize -> dequantize round trip of models/quantization.h: error bounds on random weights, the
// documented layouts (int8 per output channel; int4 nibble order, scale and zero per group) and the
// zero padding of widths that are not a multiple of the group size.
#include <gtest/gtest.h>

#include <iostream>

#include "lisa/error.h"
#include "lisa/models/quantization.h"

namespace lisa::models {
namespace {

double relative_rms_error(const at::Tensor& approx, const at::Tensor& exact) {
  const at::Tensor e = exact.to(at::kDouble);
  return ((approx.to(at::kDouble) - e).pow(2).mean().sqrt() / e.pow(2).mean().sqrt()).item<double>();
}

struct Shape {
  int64_t out, in;
};
// LLaMA-like layer shapes of the tiny checkpoint (H = 128, F = 344) and an odd width (200).
const Shape kShapes[] = {{384, 128}, {128, 128}, {688, 128}, {128, 344}, {200, 200}};

TEST(QuantWeight, Int8RoundTripWithinOnePercentPerLayer) {
  at::manual_seed(1);
  for (const Shape& s : kShapes) {
    const at::Tensor w = 0.02 * at::randn({s.out, s.in});
    const QuantizedWeight q = quantize_weight(w, QuantMode::kInt8, 0);
    ASSERT_EQ(q.values.scalar_type(), at::kChar);
    ASSERT_EQ(q.values.sizes(), w.sizes());
    ASSERT_EQ(q.scales.sizes(), at::IntArrayRef({s.out}));
    const double weight_error = relative_rms_error(q.dequantize(at::kFloat), w);
    // The layer's output on random inputs, the error the model sees.
    const at::Tensor x = at::randn({16, s.in});
    const double output_error = relative_rms_error(at::linear(x, q.dequantize(at::kFloat)), at::linear(x, w));
    std::cout << "[ quant ] int8 [" << s.out << ", " << s.in << "]: weight rel. RMS error " << weight_error
              << ", output " << output_error << "\n";
    EXPECT_LE(weight_error, 0.01);
    EXPECT_LE(output_error, 0.01);
  }
}

TEST(QuantWeight, Int4RoundTripWithinTwelvePercentPerLayerAtGroup64) {
  at::manual_seed(2);
  for (const Shape& s : kShapes) {
    const at::Tensor w = 0.02 * at::randn({s.out, s.in});
    for (int64_t group : {32, 64, 128, 256}) {
      const QuantizedWeight q = quantize_weight(w, QuantMode::kInt4, group);
      const int64_t padded = (s.in + group - 1) / group * group;
      ASSERT_EQ(q.padded_in_features(), padded);
      ASSERT_EQ(q.values.sizes(), at::IntArrayRef({s.out, padded / 2}));
      ASSERT_EQ(q.scales.sizes(), at::IntArrayRef({s.out, padded / group}));
      ASSERT_EQ(q.zeros.sizes(), q.scales.sizes());
      const at::Tensor x = at::randn({16, s.in});
      const double weight_error = relative_rms_error(q.dequantize(at::kFloat), w);
      const double output_error = relative_rms_error(at::linear(x, q.dequantize(at::kFloat)), at::linear(x, w));
      std::cout << "[ quant ] int4 G=" << group << " [" << s.out << ", " << s.in << "]: weight rel. RMS error "
                << weight_error << ", output " << output_error << "\n";
      if (group == 64) {
        EXPECT_LE(weight_error, 0.12);
        EXPECT_LE(output_error, 0.12);
      }
    }
  }
}

// The documented int4 layout, checked on a weight built from chosen levels: column 2j in the high
// nibble, w = (q - 8) * scale + zero, and a group's range mapped onto q = 0..15.
TEST(QuantWeight, Int4LayoutIsHighNibbleFirstWithTinygemmZeros) {
  const at::Tensor levels = at::arange(32, at::kFloat).remainder(16).view({1, 32});  // 0..15, 0..15
  const at::Tensor w = (levels - 3.0) * 0.5;                                         // group range [-1.5, 6], scale 0.5
  const QuantizedWeight q = quantize_weight(w, QuantMode::kInt4, 32);
  EXPECT_EQ(q.values[0][0].item<int>(), 0x01);
  EXPECT_EQ(q.values[0][7].item<int>(), 0xEF);
  EXPECT_FLOAT_EQ(q.scales[0][0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(q.zeros[0][0].item<float>(), -1.5f + 8 * 0.5f);
  EXPECT_TRUE(at::equal(q.int4_levels(), levels.to(at::kInt)));
  EXPECT_TRUE(at::equal(q.dequantize(at::kFloat), w));
}

// Width 200 with G = 64 is padded to 256: the padded columns hold zeros, and the dequantized
// weight has the original width.
TEST(QuantWeight, Int4PadsWidthsThatAreNotAMultipleOfTheGroup) {
  at::manual_seed(3);
  const at::Tensor w = at::randn({16, 200});
  const QuantizedWeight q = quantize_weight(w, QuantMode::kInt4, 64);
  EXPECT_EQ(q.padded_in_features(), 256);
  const at::Tensor dense = q.dequantize(at::kFloat);
  EXPECT_EQ(dense.sizes(), w.sizes());
  // The last group holds 8 real columns and 56 padded zeros; the zeros must dequantize to ~0.
  const at::Tensor padded_levels = q.int4_levels().slice(1, 200).to(at::kFloat);
  const at::Tensor padded_values = (padded_levels - 8.0) * q.scales.select(1, 3).to(at::kFloat).unsqueeze(1) +
                                   q.zeros.select(1, 3).to(at::kFloat).unsqueeze(1);
  EXPECT_LE(padded_values.abs().max().item<float>(),
            0.5 * q.scales.select(1, 3).to(at::kFloat).max().item<float>() + 1e-6);
}

TEST(QuantWeight, ConstantRowsAndGroupsDoNotDivideByZero) {
  const at::Tensor w = at::zeros({16, 64});
  for (QuantMode mode : {QuantMode::kInt8, QuantMode::kInt4}) {
    const at::Tensor dense = quantize_weight(w, mode, 64).dequantize(at::kFloat);
    EXPECT_TRUE(at::equal(dense, w)) << to_string(mode);
  }
}

TEST(QuantWeight, ModesAndGroupSizesAreParsedWithClearErrors) {
  EXPECT_EQ(parse_quant_mode("int4"), QuantMode::kInt4);
  EXPECT_EQ(to_string(parse_quant_mode("int8")), "int8");
  try {
    parse_quant_mode("int3");
    FAIL() << "int3 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'int3'"), std::string::npos) << e.what();
  }
  EXPECT_THROW((QuantizationOptions{QuantMode::kInt4, 48}.validate()), Error);
  EXPECT_NO_THROW((QuantizationOptions{QuantMode::kInt4, 256}.validate()));
}

}  // namespace
}  // namespace lisa::models
