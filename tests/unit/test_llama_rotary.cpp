#include <gtest/gtest.h>

#include <cmath>

#include "lisa/error.h"
#include "lisa/models/rotary_embedding.h"

namespace lisa::models {
namespace {

constexpr int64_t kHeadDim = 8;

RotaryEmbedding make_rotary(at::ScalarType dtype = at::kFloat, double theta = 10000.0) {
  return RotaryEmbedding(kHeadDim, 32, theta, at::kCPU, dtype);
}

// x [B, heads, T, D] at positions [start, start + T)
at::Tensor apply(const RotaryEmbedding& rotary, const at::Tensor& x, int64_t start) {
  return RotaryEmbedding::rotate(x, rotary.rows(start, x.size(2)));
}

// Dimension i (< D/2) and i + D/2 form a pair rotated by angle position * theta^(-2i/D).
TEST(LlamaRotary, RotatesHalfPairsByPositionTimesFrequency) {
  const double theta = 500.0;
  const at::Tensor x = at::randn({1, 2, 3, kHeadDim}, at::kDouble);
  const int64_t start = 5;
  const at::Tensor out = apply(make_rotary(at::kFloat, theta), x.to(at::kFloat), start).to(at::kDouble);

  auto xa = x.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t t = 0; t < 3; ++t)
      for (int64_t i = 0; i < kHeadDim / 2; ++i) {
        const double angle = (start + t) * std::pow(theta, -2.0 * i / kHeadDim);
        const double a = xa[0][h][t][i], b = xa[0][h][t][i + kHeadDim / 2];
        EXPECT_NEAR(oa[0][h][t][i], a * std::cos(angle) - b * std::sin(angle), 1e-5);
        EXPECT_NEAR(oa[0][h][t][i + kHeadDim / 2], b * std::cos(angle) + a * std::sin(angle), 1e-5);
      }
}

TEST(LlamaRotary, PositionZeroIsIdentity) {
  const at::Tensor x = at::randn({1, 3, 1, kHeadDim});
  EXPECT_TRUE(at::allclose(apply(make_rotary(), x, 0), x));
}

// What attention relies on: q.k after rotation depends only on the distance between positions.
TEST(LlamaRotary, DotProductDependsOnlyOnRelativePosition) {
  const RotaryEmbedding rotary = make_rotary();
  const at::Tensor q = at::randn({1, 1, 1, kHeadDim}), k = at::randn({1, 1, 1, kHeadDim});
  auto score = [&](int64_t m, int64_t n) { return (apply(rotary, q, m) * apply(rotary, k, n)).sum().item<double>(); };
  EXPECT_NEAR(score(7, 3), score(20, 16), 1e-5);
  EXPECT_GT(std::abs(score(7, 3) - score(7, 6)), 1e-3);
}

// Tables are computed in fp32 then cast (transformers 4.31 builds cos/sin caches in fp32 and casts
// them to the model dtype), and the rotation itself runs in bf16.
TEST(LlamaRotary, Bf16RotatesWithFp32TablesRoundedToBf16) {
  const int64_t start = 25, length = 4, half = kHeadDim / 2;
  // Rotating the basis vector e_i (i < D/2) in fp32 reads cos into slot i and sin into slot i + D/2.
  const at::Tensor basis = at::cat({at::eye(half), at::zeros({half, half})}, 1).view({1, half, 1, kHeadDim});
  at::Tensor cos = at::empty({length, half}), sin = at::empty({length, half});
  for (int64_t t = 0; t < length; ++t) {
    const at::Tensor rotated = apply(make_rotary(at::kFloat), basis, start + t)[0].select(1, 0);  // [D/2 (i), D]
    cos[t] = rotated.diagonal();
    sin[t] = rotated.slice(1, half).diagonal();
  }
  const at::Tensor cos_bf16 = at::cat({cos, cos}, 1).to(at::kBFloat16);
  const at::Tensor sin_bf16 = at::cat({sin, sin}, 1).to(at::kBFloat16);

  const at::Tensor x = at::randn({1, 2, length, kHeadDim}).to(at::kBFloat16);
  const at::Tensor rotated_half = at::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
  const at::Tensor out = apply(make_rotary(at::kBFloat16), x, start);
  EXPECT_EQ(out.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(out, x * cos_bf16 + rotated_half * sin_bf16));
}

TEST(LlamaRotary, PositionsBeyondTheTableAreAnError) {
  const at::Tensor x = at::randn({1, 1, 4, kHeadDim});
  EXPECT_NO_THROW(apply(make_rotary(), x, 28));
  EXPECT_THROW(apply(make_rotary(), x, 29), InternalError);
}

// The static decoding step reads the rows of device-side positions; they are the same rows.
TEST(LlamaRotary, RowsAtPositionsEqualTheRowsOfARange) {
  const RotaryEmbedding rotary = make_rotary();
  const auto range = rotary.rows(5, 3);
  const auto picked = rotary.rows_at(at::tensor({5, 6, 7}, at::kLong));
  EXPECT_TRUE(at::equal(picked.cos, range.cos));
  EXPECT_TRUE(at::equal(picked.signed_sin, range.signed_sin));
}

}  // namespace
}  // namespace lisa::models
